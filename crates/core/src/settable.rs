//! [`Future`]: a one-shot, settable awaitable, asyncio's `loop.create_future()`,
//! for wrapping callback-style code (`ferrio::Future` in the facade; not exported
//! at this crate's root, where a glob import would shadow the `Future` trait).
//!
//! It needs no runtime: it can be created, set and awaited under any executor. Only
//! [`add_done_callback`](Future::add_done_callback) uses the loop when there is one
//! (the callbacks are scheduled on it, as asyncio's `call_soon`); without one they
//! run on the thread that completes the future.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::runtime::Handle;

/// Why a [`Future`] has no value: it was cancelled, or an error was set.
#[derive(Clone)]
#[non_exhaustive]
pub enum FutureError {
    /// [`cancel`](Future::cancel) was called (asyncio's `CancelledError`), with the
    /// message given to [`cancel_with`](Future::cancel_with), if any.
    Cancelled {
        /// The cancel message.
        message: Option<Arc<str>>,
    },
    /// [`set_error`](Future::set_error) was called (asyncio's `set_exception`).
    Failed(Arc<dyn StdError + Send + Sync>),
}

impl FutureError {
    /// Whether the future was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, FutureError::Cancelled { .. })
    }
}

impl fmt::Debug for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled { message } => f
                .debug_struct("Cancelled")
                .field("message", message)
                .finish(),
            FutureError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled { message: None } => f.write_str("the future was cancelled"),
            FutureError::Cancelled { message: Some(m) } => {
                write!(f, "the future was cancelled: {m}")
            }
            FutureError::Failed(e) => write!(f, "the future failed: {e}"),
        }
    }
}

impl StdError for FutureError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            FutureError::Failed(e) => Some(&**e),
            FutureError::Cancelled { .. } => None,
        }
    }
}

/// A call that the future's state does not allow (asyncio's
/// `InvalidStateError`): setting a future that is already done, or asking for the
/// result of one that is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidStateError {
    done: bool,
}

impl InvalidStateError {
    /// Whether the future was already done (a second `set_*`), rather than not yet
    /// done (`result()` too early).
    pub fn already_done(&self) -> bool {
        self.done
    }
}

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.done {
            f.write_str("invalid state: the future is already done")
        } else {
            f.write_str("invalid state: the result is not set yet")
        }
    }
}

impl StdError for InvalidStateError {}

type Callback<T> = Box<dyn FnOnce(&Future<T>) + Send>;

enum Outcome<T> {
    Pending,
    Value(T),
    Error(FutureError),
}

struct State<T> {
    outcome: Outcome<T>,
    /// One slot per handle that awaits: a clone polled many times keeps one waker.
    waiters: Slab<Option<Waker>>,
    callbacks: Vec<Callback<T>>,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    /// The runtime of the thread that created the future: done callbacks run there.
    rt: Option<Handle>,
}

/// A one-shot, settable awaitable: asyncio's `Future` (`loop.create_future()`).
///
/// Clones are handles to the same future (as Python references are). Set it once
/// with [`set_result`](Future::set_result), [`set_error`](Future::set_error) or
/// [`cancel`](Future::cancel); setting it again is an [`InvalidStateError`], not a
/// panic. When `T: Clone` every clone can be awaited, from any number of tasks,
/// and gives `Ok(value)` or the [`FutureError`]. It is `Send + Sync` (for `T:
/// Send`) and works under any executor: it needs a ferrio loop only to schedule
/// done callbacks.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let fut = ferrio_core::settable::Future::new();
/// let setter = fut.clone();
/// // Callback-style code completes it later.
/// ferrio_core::Handle::current().spawn(async move {
///     ferrio_core::sleep(Duration::from_millis(1)).await;
///     setter.set_result(42).unwrap();
/// });
/// let waiter = fut.clone();
/// let other = ferrio_core::spawn(async move { waiter.await });
/// assert_eq!(fut.clone().await.unwrap(), 42);
/// assert_eq!(other.await.unwrap().unwrap(), 42);
/// assert!(fut.done());
/// assert!(fut.set_result(0).is_err(), "set twice");
/// # });
/// ```
pub struct Future<T> {
    inner: Arc<Inner<T>>,
    /// This handle's waiter slot, once it was polled.
    key: Option<usize>,
}

impl<T> Future<T> {
    /// A new pending future. Inside a runtime its done callbacks will run on it.
    pub fn new() -> Future<T> {
        Future {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    outcome: Outcome::Pending,
                    waiters: Slab::new(),
                    callbacks: Vec::new(),
                }),
                rt: Handle::try_current(),
            }),
            key: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing user-defined runs under the lock, so poisoning cannot leave the
        // state half-changed.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the future is done: a value, an error, or cancelled.
    pub fn done(&self) -> bool {
        !matches!(self.lock().outcome, Outcome::Pending)
    }

    /// Whether the future was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(
            self.lock().outcome,
            Outcome::Error(FutureError::Cancelled { .. })
        )
    }

    /// The error, if the future failed or was cancelled (asyncio's `exception()`,
    /// which raises `CancelledError` for a cancelled one).
    pub fn error(&self) -> Option<FutureError> {
        match &self.lock().outcome {
            Outcome::Error(e) => Some(e.clone()),
            _ => None,
        }
    }
}

impl<T: Send + 'static> Future<T> {
    /// Completes the future with `value` (asyncio's `set_result`).
    ///
    /// # Errors
    ///
    /// [`InvalidStateError`] when the future is already done; `value` is dropped.
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        self.complete(Outcome::Value(value))
    }

    /// Completes the future with an error (asyncio's `set_exception`).
    ///
    /// # Errors
    ///
    /// [`InvalidStateError`] when the future is already done.
    pub fn set_error(
        &self,
        error: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Result<(), InvalidStateError> {
        let error: Arc<dyn StdError + Send + Sync> = Arc::from(error.into());
        self.complete(Outcome::Error(FutureError::Failed(error)))
    }

    /// Cancels the future (asyncio's `cancel()`): `true` if it was pending and is
    /// now cancelled, `false` if it was already done.
    pub fn cancel(&self) -> bool {
        self.complete(Outcome::Error(FutureError::Cancelled { message: None }))
            .is_ok()
    }

    /// Cancels the future with a message (asyncio's `cancel(msg)`).
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.complete(Outcome::Error(FutureError::Cancelled {
            message: Some(message.into()),
        }))
        .is_ok()
    }

    fn complete(&self, outcome: Outcome<T>) -> Result<(), InvalidStateError> {
        let (wakers, callbacks) = {
            let mut state = self.lock();
            if !matches!(state.outcome, Outcome::Pending) {
                drop(state);
                // The rejected value is dropped outside the lock.
                drop(outcome);
                return Err(InvalidStateError { done: true });
            }
            state.outcome = outcome;
            let wakers: Vec<Waker> = state
                .waiters
                .iter_mut()
                .filter_map(|(_, w)| w.take())
                .collect();
            (wakers, std::mem::take(&mut state.callbacks))
        };
        for w in wakers {
            w.wake();
        }
        for cb in callbacks {
            self.schedule_callback(cb);
        }
        Ok(())
    }

    fn schedule_callback(&self, cb: Callback<T>) {
        let handle = self.inner.rt.clone().or_else(Handle::try_current);
        let fut = Future {
            inner: self.inner.clone(),
            key: None,
        };
        match handle {
            Some(handle)
                if !handle
                    .shared
                    .closed
                    .load(std::sync::atomic::Ordering::Acquire) =>
            {
                // Like asyncio's call_soon: after what is already ready, in the
                // order the callbacks were added.
                let job = CallbackJob(cb, fut);
                handle.spawn(async move { job.run() }).detach();
            }
            _ => cb(&fut),
        }
    }

    /// Calls `callback` with the future once it is done (asyncio's
    /// `add_done_callback`): scheduled on the loop that created the future, like
    /// asyncio's `call_soon`, in the order the callbacks were added (at once if it is
    /// already done); outside any loop it runs on the thread that completes the
    /// future (or here, if it is done).
    pub fn add_done_callback(&self, callback: impl FnOnce(&Future<T>) + Send + 'static) {
        let callback: Callback<T> = Box::new(callback);
        let mut state = self.lock();
        if matches!(state.outcome, Outcome::Pending) {
            state.callbacks.push(callback);
            return;
        }
        drop(state);
        self.schedule_callback(callback);
    }
}

/// Sends a callback and its future to the loop. `Future<T>` and the boxed callback
/// are `Send` when `T` is.
struct CallbackJob<T>(Callback<T>, Future<T>);

impl<T> CallbackJob<T> {
    fn run(self) {
        (self.0)(&self.1)
    }
}

impl<T: Clone> Future<T> {
    /// The value, or why there is none (asyncio's `result()`).
    ///
    /// # Errors
    ///
    /// `Err(Ok(FutureError))` when the future failed or was cancelled;
    /// `Err(Err(InvalidStateError))` when it is not done yet.
    #[allow(clippy::type_complexity)]
    pub fn result(&self) -> Result<T, Result<FutureError, InvalidStateError>> {
        match &self.lock().outcome {
            Outcome::Pending => Err(Err(InvalidStateError { done: false })),
            Outcome::Value(v) => Ok(v.clone()),
            Outcome::Error(e) => Err(Ok(e.clone())),
        }
    }
}

impl<T> Default for Future<T> {
    fn default() -> Self {
        Future::new()
    }
}

impl<T> Clone for Future<T> {
    /// Another handle to the same future (with its own waiter slot).
    fn clone(&self) -> Self {
        Future {
            inner: self.inner.clone(),
            key: None,
        }
    }
}

impl<T> Drop for Future<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = {
                let mut state = self.lock();
                state.waiters.try_remove(key)
            };
            drop(waker);
        }
    }
}

impl<T> Unpin for Future<T> {}

impl<T: Clone> std::future::Future for Future<T> {
    type Output = Result<T, FutureError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = this.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        match &state.outcome {
            Outcome::Value(v) => return Poll::Ready(Ok(v.clone())),
            Outcome::Error(e) => return Poll::Ready(Err(e.clone())),
            Outcome::Pending => {}
        }
        match this.key {
            Some(key) => match state.waiters.get_mut(key) {
                Some(Some(w)) if w.will_wake(cx.waker()) => {}
                Some(slot) => *slot = Some(cx.waker().clone()),
                None => this.key = Some(state.waiters.insert(Some(cx.waker().clone()))),
            },
            None => this.key = Some(state.waiters.insert(Some(cx.waker().clone()))),
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.lock().outcome {
            Outcome::Pending => "pending",
            Outcome::Value(_) => "finished",
            Outcome::Error(FutureError::Cancelled { .. }) => "cancelled",
            Outcome::Error(FutureError::Failed(_)) => "failed",
        };
        f.debug_struct("Future")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
