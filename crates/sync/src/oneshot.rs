//! A channel for one value: one [`Sender`] sends it, one [`Receiver`] awaits it.
//!
//! The [`Receiver`] is a future of the value (and a [`Stream`] of at most one value).
//! If the sender drops without sending, the receiver gets [`RecvError`]; if the
//! receiver is gone (dropped or [`close`](Receiver::close)d), [`Sender::send`] gives
//! the value back, and [`Sender::closed`] lets a producer stop work nobody waits for.
//!
//! # Examples
//!
//! ```
//! use ferrio_sync::oneshot;
//! # futures_lite::future::block_on(async {
//! let (tx, rx) = oneshot::channel();
//! std::thread::spawn(move || tx.send(6 * 7).unwrap());
//! assert_eq!(rx.await, Ok(42));
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use crate::loom::{lock, Mutex, MutexGuard};

/// A fresh one-value channel.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = ferrio_sync::oneshot::channel();
/// tx.send("done").unwrap();
/// assert_eq!(rx.try_recv(), Ok("done"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        value: None,
        sender_alive: true,
        receiver_alive: true,
        taken: false,
        receiver_waker: None,
        sender_waker: None,
    }));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

struct State<T> {
    value: Option<T>,
    sender_alive: bool,
    /// False once the receiver dropped or closed.
    receiver_alive: bool,
    /// The receiver got its value (or its error); it yields nothing more.
    taken: bool,
    receiver_waker: Option<Waker>,
    /// Set by [`Sender::closed`].
    sender_waker: Option<Waker>,
}

type Shared<T> = Arc<Mutex<State<T>>>;

fn state<T>(shared: &Shared<T>) -> MutexGuard<'_, State<T>> {
    lock(shared)
}

fn store_waker(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(stored) if stored.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// Sends the one value.
///
/// # Examples
///
/// ```
/// let (tx, rx) = ferrio_sync::oneshot::channel::<u8>();
/// assert!(!tx.is_closed());
/// drop(rx);
/// assert!(tx.is_closed());
/// ```
pub struct Sender<T> {
    shared: Shared<T>,
}

/// Receives the one value: await it, or poll it as a [`Stream`] of at most one item.
///
/// Awaiting `&mut Receiver` is cancellation-safe: a dropped await leaves the value for
/// the next one.
///
/// # Examples
///
/// ```
/// use ferrio_sync::oneshot;
/// # futures_lite::future::block_on(async {
/// let (tx, mut rx) = oneshot::channel();
/// tx.send(1).unwrap();
/// assert_eq!((&mut rx).await, Ok(1));
/// # });
/// ```
pub struct Receiver<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Sends `value`, consuming the sender.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is gone or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3).unwrap_err().into_inner(), 3);
    /// ```
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        let mut state = state(&self.shared);
        if !state.receiver_alive {
            return Err(SendError(value));
        }
        state.value = Some(value);
        let waker = state.receiver_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        // `Drop` sees the value stored and wakes nobody again.
        Ok(())
    }

    /// Whether the receiver is gone or closed, so a send would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = ferrio_sync::oneshot::channel::<u8>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        !state(&self.shared).receiver_alive
    }

    /// Waits until the receiver is gone or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let (mut tx, rx) = ferrio_sync::oneshot::channel::<u8>();
    /// drop(rx);
    /// tx.closed().await;
    /// # });
    /// ```
    pub fn closed(&mut self) -> Closed<'_, T> {
        Closed { sender: self }
    }

    /// [`closed`](Self::closed) as a poll function.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = state(&self.shared);
        if !state.receiver_alive {
            return Poll::Ready(());
        }
        store_waker(&mut state.sender_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = state(&self.shared);
        state.sender_alive = false;
        state.sender_waker = None;
        let waker = if state.value.is_none() {
            state.receiver_waker.take()
        } else {
            None
        };
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing was sent yet, [`TryRecvError::Closed`] if the
    /// sender dropped without sending (or the value was already taken).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::oneshot::{self, TryRecvError};
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = state(&self.shared);
        if let Some(value) = state.value.take() {
            state.taken = true;
            return Ok(value);
        }
        if !state.sender_alive || state.taken {
            state.taken = true;
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// Refuses the value: a later send fails and gives it back, and a sender waiting
    /// in [`Sender::closed`] is woken. A value sent before the close can still be
    /// taken with [`try_recv`](Self::try_recv) or by awaiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = ferrio_sync::oneshot::channel();
    /// rx.close();
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn close(&mut self) {
        let mut state = state(&self.shared);
        state.receiver_alive = false;
        let waker = state.sender_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_value(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let mut state = state(&self.shared);
        if let Some(value) = state.value.take() {
            state.taken = true;
            return Poll::Ready(Ok(value));
        }
        if !state.sender_alive || state.taken || !state.receiver_alive {
            state.taken = true;
            return Poll::Ready(Err(RecvError));
        }
        store_waker(&mut state.receiver_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    /// # Panics
    ///
    /// Never; polled again after completing, it returns `Err(RecvError)`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().poll_value(cx)
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    /// Yields the value once, then ends; ends at once if the sender dropped unsent.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_value(cx).map(Result::ok)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = state(&self.shared);
        state.receiver_alive = false;
        state.receiver_waker = None;
        let value = state.value.take();
        let waker = state.sender_waker.take();
        drop(state);
        // An unreceived value is dropped with the lock released.
        drop(value);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`].
#[must_use = "futures do nothing unless awaited"]
pub struct Closed<'a, T> {
    sender: &'a mut Sender<T>,
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().sender.poll_closed(cx)
    }
}

send_error! {
    /// The receiver is gone or closed; the value comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::oneshot::channel();
    /// drop(rx);
    /// let err = tx.send(String::from("unread")).unwrap_err();
    /// assert_eq!(err.to_string(), "sending on a closed oneshot channel");
    /// ```
    "sending on a closed oneshot channel"
}

unit_error! {
    /// The sender dropped without sending (or the value was already received).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::oneshot;
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = oneshot::channel::<u8>();
    /// drop(tx);
    /// assert_eq!(rx.await, Err(oneshot::RecvError));
    /// # });
    /// ```
    RecvError: "the oneshot sender dropped without sending"
}

try_recv_error! {
    /// [`Receiver::try_recv`] found no value.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::oneshot::{self, TryRecvError};
    /// let (_tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    {
        /// Nothing was sent yet.
        Empty: "no value sent yet",
        /// The sender dropped without sending, or the value was already taken.
        Closed: "the oneshot sender dropped without sending",
    }
}
