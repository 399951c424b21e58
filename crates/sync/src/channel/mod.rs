//! A multi-producer, multi-consumer channel that closes itself.
//!
//! When the last [`Sender`] drops, receivers drain what is left and then get
//! [`RecvError`]; when the last [`Receiver`] drops, the values still queued are
//! dropped and every send fails, giving its value back.
//!
//! Parked tasks are woken in arrival order, but a woken task holds no claim: a task
//! that is already running may take the value first, and the woken one parks again.
//! This is the model of async-channel and tokio's channels and what keeps throughput
//! up under load; use [`Queue`](crate::Queue) for asyncio's strict hand-over. Receiving
//! is cancellation-safe: a dropped [`recv`](Receiver::recv) future (or a dropped
//! [`Receiver`] used as a [`Stream`]) takes no value, and a wake-up it was given passes
//! to the next parked task.
//!
//! Every [`Receiver`] is a [`Stream`]; with the `sink` feature every [`Sender`] is a
//! `futures_sink::Sink`.
//!
//! # Examples
//!
//! ```
//! use ferrio_sync::channel;
//! # futures_lite::future::block_on(async {
//! let (tx, rx) = channel::bounded(4);
//! tx.send(1).await.unwrap();
//! drop(tx);
//! assert_eq!(rx.recv().await, Ok(1));
//! assert_eq!(rx.recv().await, Err(channel::RecvError));
//! # });
//! ```

mod error;
#[cfg(feature = "sink")]
mod sink;

pub use error::{RecvError, SendError, TryRecvError, TrySendError};

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use crate::loom::{lock, Mutex, MutexGuard};
use crate::wake_list::{Slot, WakeList};

/// A channel holding at most `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0 (use [`unbounded`] for no limit).
///
/// # Examples
///
/// ```
/// use ferrio_sync::channel;
/// let (tx, rx) = channel::bounded(2);
/// tx.try_send('a').unwrap();
/// tx.try_send('b').unwrap();
/// assert!(tx.try_send('c').unwrap_err().is_full());
/// assert_eq!(rx.try_recv(), Ok('a'));
/// ```
#[track_caller]
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "a bounded channel needs a capacity of at least 1; use channel::unbounded() for no limit"
    );
    with_capacity(capacity, VecDeque::with_capacity(capacity.min(4096)))
}

/// A channel with no limit on the values it holds.
///
/// # Examples
///
/// ```
/// use ferrio_sync::channel;
/// let (tx, rx) = channel::unbounded();
/// for n in 0..1000 {
///     tx.try_send(n).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    with_capacity(usize::MAX, VecDeque::new())
}

fn with_capacity<T>(capacity: usize, items: VecDeque<T>) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items,
            capacity,
            receivers_parked: WakeList::new(),
            senders_parked: WakeList::new(),
            senders: 1,
            receivers: 1,
        }),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
            #[cfg(feature = "sink")]
            sink: sink::SinkState::default(),
        },
        Receiver { shared, slot: None },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    items: VecDeque<T>,
    /// `usize::MAX` for an unbounded channel.
    capacity: usize,
    receivers_parked: WakeList,
    senders_parked: WakeList,
    senders: usize,
    receivers: usize,
}

impl<T> Shared<T> {
    fn state(&self) -> MutexGuard<'_, State<T>> {
        lock(&self.state)
    }

    /// Takes a value, or parks the caller in `slot`.
    fn poll_recv(&self, slot: &mut Slot, waker: &Waker) -> Poll<Result<T, RecvError>> {
        let mut state = self.state();
        if let Some(value) = state.items.pop_front() {
            if slot.is_some() {
                state.receivers_parked.remove(slot);
            }
            // One slot freed: one parked sender may fill it.
            let wake = state.senders_parked.notify_one();
            drop(state);
            if let Some(waker) = wake {
                waker.wake();
            }
            return Poll::Ready(Ok(value));
        }
        if state.senders == 0 {
            state.receivers_parked.remove(slot);
            return Poll::Ready(Err(RecvError));
        }
        state.receivers_parked.register(slot, waker);
        Poll::Pending
    }

    /// Withdraws a parked receive; a wake-up it was given goes to the next receiver.
    fn cancel_recv(&self, slot: &mut Slot) {
        let mut state = self.state();
        let wake = if state.receivers_parked.remove(slot) && !state.items.is_empty() {
            state.receivers_parked.notify_one()
        } else {
            None
        };
        drop(state);
        if let Some(waker) = wake {
            waker.wake();
        }
    }

    /// Stores `value` (taken from the option only on success or closure), or parks.
    fn poll_send(
        &self,
        value: &mut Option<T>,
        slot: &mut Slot,
        waker: &Waker,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut state = self.state();
        if state.receivers == 0 {
            state.senders_parked.remove(slot);
            let value = value.take().expect("a send future polled after completion");
            return Poll::Ready(Err(SendError(value)));
        }
        if state.items.len() < state.capacity {
            if slot.is_some() {
                state.senders_parked.remove(slot);
            }
            let value = value.take().expect("a send future polled after completion");
            state.items.push_back(value);
            let wake = state.receivers_parked.notify_one();
            drop(state);
            if let Some(waker) = wake {
                waker.wake();
            }
            return Poll::Ready(Ok(()));
        }
        state.senders_parked.register(slot, waker);
        Poll::Pending
    }

    /// Withdraws a parked send; a wake-up it was given goes to the next sender.
    fn cancel_send(&self, slot: &mut Slot) {
        let mut state = self.state();
        let wake = if state.senders_parked.remove(slot) && state.items.len() < state.capacity {
            state.senders_parked.notify_one()
        } else {
            None
        };
        drop(state);
        if let Some(waker) = wake {
            waker.wake();
        }
    }
}

/// The sending half; clone it for more producers.
///
/// # Examples
///
/// ```
/// use ferrio_sync::channel;
/// # futures_lite::future::block_on(async {
/// let (tx, rx) = channel::unbounded();
/// let tx2 = tx.clone();
/// tx.send("one").await.unwrap();
/// tx2.send("two").await.unwrap();
/// assert_eq!(rx.len(), 2);
/// # });
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
    /// The value a `Sink` has accepted and not yet stored.
    #[cfg(feature = "sink")]
    sink: sink::SinkState<T>,
}

/// The receiving half; clone it for more consumers. Each value goes to one receiver.
///
/// It is a [`Stream`] of the values, ending when every sender is gone and the channel
/// is empty.
///
/// # Examples
///
/// ```
/// use ferrio_sync::channel;
/// use futures_lite::StreamExt;
/// # futures_lite::future::block_on(async {
/// let (tx, rx) = channel::bounded(8);
/// for n in 1..=3 {
///     tx.send(n).await.unwrap();
/// }
/// drop(tx);
/// let all: Vec<i32> = rx.collect().await;
/// assert_eq!(all, [1, 2, 3]);
/// # });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Where this receiver parks when used as a `Stream`.
    slot: Slot,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full.
    ///
    /// Dropping the future before it completes drops the value unsent.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel;
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = channel::bounded(1);
    /// tx.send(5).await.unwrap();
    /// assert_eq!(rx.recv().await, Ok(5));
    /// # });
    /// ```
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            shared: &self.shared,
            value: Some(value),
            slot: None,
        }
    }

    /// Sends `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel;
    /// let (tx, rx) = channel::bounded(1);
    /// assert!(tx.try_send(1).is_ok());
    /// drop(rx);
    /// assert!(tx.try_send(2).unwrap_err().is_closed());
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut slot = None;
        let mut value = Some(value);
        match self.shared.poll_send(&mut value, &mut slot, Waker::noop()) {
            Poll::Ready(Ok(())) => Ok(()),
            Poll::Ready(Err(SendError(value))) => Err(TrySendError::Closed(value)),
            Poll::Pending => {
                self.shared.state().senders_parked.remove(&mut slot);
                Err(TrySendError::Full(value.expect("a value not sent")))
            }
        }
    }

    /// How many values wait in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = ferrio_sync::channel::unbounded();
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.state().items.len()
    }

    /// Whether no value waits in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = ferrio_sync::channel::bounded::<u8>(1);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shared.state().items.is_empty()
    }

    /// Whether every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::channel::bounded::<u8>(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state().receivers == 0
    }
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting while the channel is empty.
    ///
    /// Cancellation-safe: dropping the future takes no value.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once every sender is gone and the channel is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel;
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = channel::unbounded();
    /// tx.send("hi").await.unwrap();
    /// assert_eq!(rx.recv().await, Ok("hi"));
    /// # });
    /// ```
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            shared: &self.shared,
            slot: None,
        }
    }

    /// Receives a value if one is there now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], or [`TryRecvError::Closed`] once every sender is gone
    /// and the channel is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel::{self, TryRecvError};
    /// let (tx, rx) = channel::unbounded();
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = self.shared.state();
        match state.items.pop_front() {
            Some(value) => {
                let wake = state.senders_parked.notify_one();
                drop(state);
                if let Some(waker) = wake {
                    waker.wake();
                }
                Ok(value)
            }
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// How many values wait in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::channel::unbounded();
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.state().items.len()
    }

    /// Whether no value waits in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = ferrio_sync::channel::unbounded::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shared.state().items.is_empty()
    }

    /// Whether every sender is gone (values may still wait to be received).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::channel::unbounded();
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state().senders == 0
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.shared
            .poll_recv(&mut this.slot, cx.waker())
            .map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.state().senders += 1;
        Self {
            shared: Arc::clone(&self.shared),
            #[cfg(feature = "sink")]
            sink: sink::SinkState::default(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.state().receivers += 1;
        Self {
            shared: Arc::clone(&self.shared),
            slot: None,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        #[cfg(feature = "sink")]
        self.sink.cancel(&self.shared);
        let mut state = self.shared.state();
        state.senders -= 1;
        if state.senders == 0 {
            // Receivers drain what is left, then see the channel closed.
            let wakers = state.receivers_parked.take_all();
            drop(state);
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.slot.is_some() {
            self.shared.cancel_recv(&mut self.slot);
        }
        let mut state = self.shared.state();
        state.receivers -= 1;
        if state.receivers == 0 {
            // Nobody can receive any more: drop what is queued, fail the senders.
            let items = std::mem::take(&mut state.items);
            let wakers = state.senders_parked.take_all();
            drop(state);
            // The values' destructors run with the lock released.
            drop(items);
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The future of [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<'a, T> {
    shared: &'a Shared<T>,
    value: Option<T>,
    slot: Slot,
}

// The value is moved, never pinned, so the future can move freely.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.shared
            .poll_send(&mut this.value, &mut this.slot, cx.waker())
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if self.slot.is_some() {
            self.shared.cancel_send(&mut self.slot);
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<'a, T> {
    shared: &'a Shared<T>,
    slot: Slot,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.shared.poll_recv(&mut this.slot, cx.waker())
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        if self.slot.is_some() {
            self.shared.cancel_recv(&mut self.slot);
        }
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}
