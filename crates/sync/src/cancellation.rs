//! [`CancellationToken`]: a cooperative "please stop" signal shared by any number of
//! tasks, with child tokens that a parent's cancellation reaches.
//!
//! # Examples
//!
//! ```
//! use ferrio_sync::CancellationToken;
//! let token = CancellationToken::new();
//! let worker = token.child_token();
//! let handle = std::thread::spawn(move || {
//!     futures_lite::future::block_on(worker.cancelled());
//!     "stopped cleanly"
//! });
//! token.cancel();
//! assert_eq!(handle.join().unwrap(), "stopped cleanly");
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::loom::{lock, AtomicBool, Mutex, Ordering};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// A cancellation signal. Clones share it; [`child_token`](Self::child_token)s are
/// cancelled with it but can be cancelled alone.
///
/// # How it maps onto asyncio
///
/// asyncio cancels a task by force: `task.cancel()` raises `CancelledError` at the
/// task's next `await`, and `try`/`finally` runs the clean-up. ferrio's own task
/// cancellation (in the runtime) is that model. A token is the other, cooperative
/// pattern asyncio programs write with a shared `asyncio.Event` as a shutdown flag:
///
/// | asyncio | ferrio-sync |
/// |---|---|
/// | `stop = asyncio.Event()` | `let token = CancellationToken::new()` |
/// | `stop.set()` | [`token.cancel()`](Self::cancel) |
/// | `stop.is_set()` | [`token.is_cancelled()`](Self::is_cancelled) |
/// | `await stop.wait()` | [`token.cancelled().await`](Self::cancelled) |
/// | an inner `TaskGroup` cancelled with its outer one, never the reverse | [`child_token`](Self::child_token) |
/// | `try: ... finally: stop.set()` | [`drop_guard`](Self::drop_guard) |
///
/// The task decides where it stops: it races its work against
/// [`cancelled`](Self::cancelled) (with a `select`/`race` combinator) or
/// checks [`is_cancelled`](Self::is_cancelled) between steps, so it never
/// stops half-way through something it cannot undo. Nothing here depends on a
/// runtime: the future wakes through `std::task::Waker`.
///
/// # Examples
///
/// ```
/// use ferrio_sync::CancellationToken;
/// let parent = CancellationToken::new();
/// let child = parent.child_token();
/// child.cancel();
/// assert!(!parent.is_cancelled(), "a child never cancels its parent");
/// parent.cancel();
/// assert!(parent.child_token().is_cancelled(), "a parent reaches every child");
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    node: Arc<Node>,
}

/// One token and its clones. A node knows its parent, not its children: a child
/// asks up the chain whether it is cancelled, and a waiting future parks on every
/// node of the chain. So dropping a child never needs its parent, and a parent holds
/// no list of children that could grow.
struct Node {
    /// Set under `waiters`' lock, so a registration made under that lock either sees
    /// it or is woken by `cancel`. Read without the lock for the fast checks.
    cancelled: AtomicBool,
    waiters: Mutex<WaitQueue>,
    parent: Option<Arc<Node>>,
}

impl Node {
    fn new(parent: Option<Arc<Node>>) -> Arc<Self> {
        Arc::new(Self {
            cancelled: AtomicBool::new(false),
            waiters: Mutex::new(WaitQueue::new()),
            parent,
        })
    }

    /// This node and its ancestors, nearest first.
    fn chain(&self) -> impl Iterator<Item = &Node> {
        std::iter::successors(Some(self), |node| node.parent.as_deref())
    }
}

impl CancellationToken {
    /// A token not cancelled yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = ferrio_sync::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> Self {
        Self {
            node: Node::new(None),
        }
    }

    /// A token cancelled when this one is (or any of its ancestors is), which can also
    /// be cancelled on its own without touching this one.
    ///
    /// # Examples
    ///
    /// ```
    /// let root = ferrio_sync::CancellationToken::new();
    /// let grandchild = root.child_token().child_token();
    /// root.cancel();
    /// assert!(grandchild.is_cancelled());
    /// ```
    pub fn child_token(&self) -> Self {
        Self {
            node: Node::new(Some(Arc::clone(&self.node))),
        }
    }

    /// Cancels this token, its clones and its children, and wakes every task waiting
    /// in [`cancelled`](Self::cancelled) on any of them. Calling it again does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = ferrio_sync::CancellationToken::new();
    /// token.cancel();
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        let mut wakers = Wakers::new();
        {
            let mut waiters = lock(&self.node.waiters);
            self.node.cancelled.store(true, Ordering::Release);
            waiters.drain_all(&mut wakers);
        }
        wakers.wake();
    }

    /// Whether this token or one of its ancestors was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = ferrio_sync::CancellationToken::new();
    /// let clone = token.clone();
    /// clone.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node
            .chain()
            .any(|node| node.cancelled.load(Ordering::Acquire))
    }

    /// Waits until this token is cancelled; returns at once if it already is.
    ///
    /// Cancellation-safe and cheap to drop.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let token = ferrio_sync::CancellationToken::new();
    /// token.cancel();
    /// token.cancelled().await;
    /// # });
    /// ```
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            wait: Wait::new(),
            node: &self.node,
        }
    }

    /// [`cancelled`](Self::cancelled) holding a clone of the token, for a `'static`
    /// future.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = ferrio_sync::CancellationToken::new();
    /// let waiting = token.clone().cancelled_owned();
    /// let handle = std::thread::spawn(move || futures_lite::future::block_on(waiting));
    /// token.cancel();
    /// handle.join().unwrap();
    /// ```
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            wait: Wait::new(),
            token: self,
        }
    }

    /// A guard that cancels this token when dropped (unless
    /// [`disarm`](DropGuard::disarm)ed): whatever way a scope ends, even by a panic
    /// or a dropped future, the tasks tied to the token are told to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = ferrio_sync::CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// }
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// A wait's registrations, one per node of the chain, nearest first.
struct Wait {
    ids: Vec<Option<WaiterId>>,
}

impl Wait {
    fn new() -> Self {
        Self { ids: Vec::new() }
    }

    fn poll(&mut self, start: &Node, cx: &mut Context<'_>) -> Poll<()> {
        for (depth, node) in start.chain().enumerate() {
            if self.ids.len() <= depth {
                self.ids.push(None);
            }
            let mut waiters = lock(&node.waiters);
            if node.cancelled.load(Ordering::Acquire) {
                drop(waiters);
                self.unpark(start);
                return Poll::Ready(());
            }
            match self.ids[depth] {
                Some(id) if waiters.contains(id) => waiters.update_waker(id, cx.waker()),
                _ => self.ids[depth] = Some(waiters.push(cx.waker())),
            }
        }
        Poll::Pending
    }

    fn unpark(&mut self, start: &Node) {
        for (id, node) in self.ids.iter_mut().zip(start.chain()) {
            if let Some(id) = id.take() {
                lock(&node.waiters).remove(id);
            }
        }
    }
}

/// The future of [`CancellationToken::cancelled`].
#[must_use = "futures do nothing unless awaited"]
pub struct WaitForCancellationFuture<'a> {
    wait: Wait,
    node: &'a Node,
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.wait.poll(this.node, cx)
    }
}

impl Drop for WaitForCancellationFuture<'_> {
    fn drop(&mut self) {
        self.wait.unpark(self.node);
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture")
            .finish_non_exhaustive()
    }
}

/// The future of [`CancellationToken::cancelled_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct WaitForCancellationFutureOwned {
    wait: Wait,
    token: CancellationToken,
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.wait.poll(&this.token.node, cx)
    }
}

impl Drop for WaitForCancellationFutureOwned {
    fn drop(&mut self) {
        self.wait.unpark(&self.token.node);
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned")
            .finish_non_exhaustive()
    }
}

/// Cancels its token when dropped; see [`CancellationToken::drop_guard`].
///
/// # Examples
///
/// ```
/// let token = ferrio_sync::CancellationToken::new();
/// let guard = token.clone().drop_guard();
/// let token_again = guard.disarm();
/// assert!(!token_again.is_cancelled());
/// ```
#[must_use = "dropping the guard at once cancels the token"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a guard holds its token until dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.token)
            .finish()
    }
}
