//! A broadcast channel: every [`Receiver`] gets a clone of every value sent after it
//! subscribed.
//!
//! The channel keeps the last `capacity` values. A receiver that falls further behind
//! than that does not block the senders: its next receive returns
//! [`RecvError::Lagged`] with the number of values it missed, and it goes on from the
//! oldest value still kept. A value is dropped as soon as every receiver has seen it
//! (or when newer values push it out). When every sender is gone, receivers get what
//! is left and then [`RecvError::Closed`]. Receiving is cancellation-safe: a dropped
//! [`recv`](Receiver::recv) future takes nothing.
//!
//! # Examples
//!
//! ```
//! use ferrio_sync::broadcast::{self, RecvError};
//! # futures_lite::future::block_on(async {
//! let (tx, mut rx1) = broadcast::channel(2);
//! let mut rx2 = tx.subscribe();
//! tx.send("a").unwrap();
//! assert_eq!(rx1.recv().await, Ok("a"));
//! assert_eq!(rx2.recv().await, Ok("a"));
//! for v in ["b", "c", "d"] {
//!     tx.send(v).unwrap();
//! }
//! // rx1 missed "b": only the last two values are kept.
//! assert_eq!(rx1.recv().await, Err(RecvError::Lagged(1)));
//! assert_eq!(rx1.recv().await, Ok("c"));
//! # });
//! ```

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::loom::{lock, Mutex, MutexGuard};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// A broadcast channel keeping the last `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = ferrio_sync::broadcast::channel(16);
/// assert_eq!(tx.send(1), Ok(1), "one receiver got it");
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "a broadcast channel needs a capacity of at least 1"
    );
    let shared = Arc::new(Mutex::new(State {
        slots: VecDeque::with_capacity(capacity.min(4096)),
        head: 0,
        capacity,
        senders: 1,
        receivers: 1,
        parked: WaitQueue::new(),
    }));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver {
            shared,
            next: 0,
            id: None,
        },
    )
}

struct Slot<T> {
    /// Dropped once every receiver counted in `unread` has read it.
    value: Option<T>,
    unread: usize,
}

struct State<T> {
    /// The kept values, oldest first; `slots[0]` has the sequence number `head`.
    slots: VecDeque<Slot<T>>,
    head: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    parked: WaitQueue,
}

impl<T> State<T> {
    fn tail(&self) -> u64 {
        self.head + self.slots.len() as u64
    }

    /// Marks the slots from `from` on as read by one receiver fewer, dropping values
    /// nobody else will read (returned, to drop outside the lock).
    fn forget_reader(&mut self, from: u64) -> Vec<T> {
        let start = from.saturating_sub(self.head) as usize;
        let mut dropped = Vec::new();
        for slot in self.slots.iter_mut().skip(start) {
            slot.unread -= 1;
            if slot.unread == 0 {
                dropped.extend(slot.value.take());
            }
        }
        dropped
    }
}

/// The value at `next` for one receiver (advancing `next`), a lag, or `None` if
/// nothing was sent since its last receive.
fn take<T: Clone>(next: &mut u64, state: &mut State<T>) -> Option<Result<T, TryRecvError>> {
    if *next < state.head {
        let missed = state.head - *next;
        *next = state.head;
        return Some(Err(TryRecvError::Lagged(missed)));
    }
    let index = usize::try_from(*next - state.head).ok()?;
    let slot = state.slots.get_mut(index)?;
    // Clone before changing anything, so a panicking `clone` leaves the state whole.
    let value = if slot.unread == 1 {
        slot.value.take()
    } else {
        slot.value.clone()
    };
    slot.unread -= 1;
    *next += 1;
    Some(Ok(value.expect("a value unread by this receiver is kept")))
}

type Shared<T> = Arc<Mutex<State<T>>>;

fn state<T>(shared: &Shared<T>) -> MutexGuard<'_, State<T>> {
    lock(shared)
}

/// The sending half; clone it for more producers.
///
/// # Examples
///
/// ```
/// let (tx, _rx) = ferrio_sync::broadcast::channel::<u8>(4);
/// let tx2 = tx.clone();
/// assert_eq!(tx2.receiver_count(), 1);
/// ```
pub struct Sender<T> {
    shared: Shared<T>,
}

/// One subscriber: it sees every value sent after it subscribed, in order.
///
/// It is a [`Stream`] of `Result<T, RecvError>` whose only errors are
/// [`RecvError::Lagged`]; the stream ends where `recv` would return
/// [`RecvError::Closed`].
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// # futures_lite::future::block_on(async {
/// let (tx, rx) = ferrio_sync::broadcast::channel(4);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// drop(tx);
/// let all: Vec<_> = rx.collect().await;
/// assert_eq!(all, [Ok(1), Ok(2)]);
/// # });
/// ```
pub struct Receiver<T> {
    shared: Shared<T>,
    /// The sequence number of the next value to receive.
    next: u64,
    /// Where it parks.
    id: Option<WaiterId>,
}

impl<T: Clone> Sender<T> {
    /// Sends `value` to every current receiver, returning how many there are.
    ///
    /// It never waits: if the channel already keeps `capacity` values, the oldest
    /// one is dropped and receivers that had not read it will learn they lagged.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if there is no receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::broadcast::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut wakers = Wakers::new();
        let pushed_out;
        let receivers;
        {
            let mut state = state(&self.shared);
            if state.receivers == 0 {
                return Err(SendError(value));
            }
            receivers = state.receivers;
            state.slots.push_back(Slot {
                value: Some(value),
                unread: receivers,
            });
            pushed_out = if state.slots.len() > state.capacity {
                state.head += 1;
                state.slots.pop_front()
            } else {
                None
            };
            state.parked.drain_all(&mut wakers);
        }
        drop(pushed_out);
        wakers.wake();
        Ok(receivers)
    }

    /// A new receiver that sees every value sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = ferrio_sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = state(&self.shared);
        state.receivers += 1;
        let next = state.tail();
        Receiver {
            shared: Arc::clone(&self.shared),
            next,
            id: None,
        }
    }
}

impl<T> Sender<T> {
    /// How many receivers there are now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::broadcast::channel::<u8>(4);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        state(&self.shared).receivers
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting until one is sent.
    ///
    /// Cancellation-safe: dropping the future takes no value.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] with the number of values this receiver missed (the next
    /// receive returns the oldest value still kept); [`RecvError::Closed`] once every
    /// sender is gone and every value was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::broadcast::{self, RecvError};
    /// # futures_lite::future::block_on(async {
    /// let (tx, mut rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Ok(1));
    /// assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// # });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { receiver: self }
    }

    /// Receives the next value if there is one now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], [`TryRecvError::Lagged`] or [`TryRecvError::Closed`],
    /// as for [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::broadcast::{self, TryRecvError};
    /// let (tx, mut rx) = broadcast::channel::<u8>(4);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = state(&self.shared);
        match take(&mut self.next, &mut state) {
            Some(got) => got,
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let mut state = state(&self.shared);
        if let Some(got) = take(&mut self.next, &mut state) {
            if let Some(id) = self.id.take() {
                state.parked.remove(id);
            }
            return Poll::Ready(got.map_err(|err| match err {
                TryRecvError::Lagged(n) => RecvError::Lagged(n),
                _ => RecvError::Closed,
            }));
        }
        if state.senders == 0 {
            if let Some(id) = self.id.take() {
                state.parked.remove(id);
            }
            return Poll::Ready(Err(RecvError::Closed));
        }
        match self.id {
            Some(id) if state.parked.contains(id) => state.parked.update_waker(id, cx.waker()),
            _ => self.id = Some(state.parked.push(cx.waker())),
        }
        Poll::Pending
    }

    /// A new receiver that sees every value sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = ferrio_sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut fresh = rx.resubscribe();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(fresh.try_recv().is_err());
    /// ```
    pub fn resubscribe(&self) -> Self {
        let mut state = state(&self.shared);
        state.receivers += 1;
        let next = state.tail();
        Self {
            shared: Arc::clone(&self.shared),
            next,
            id: None,
        }
    }
}

impl<T> Receiver<T> {
    /// How many kept values this receiver has not received yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::broadcast::channel(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let state = state(&self.shared);
        (state.tail() - self.next.max(state.head)) as usize
    }

    /// Whether this receiver has received every kept value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = ferrio_sync::broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn unpark(&mut self) {
        if let Some(id) = self.id.take() {
            state(&self.shared).parked.remove(id);
        }
    }
}

impl<T: Clone> Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.get_mut().poll_recv(cx) {
            Poll::Ready(Err(RecvError::Closed)) => Poll::Ready(None),
            Poll::Ready(got) => Poll::Ready(Some(got)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        state(&self.shared).senders += 1;
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut wakers = Wakers::new();
        {
            let mut state = state(&self.shared);
            state.senders -= 1;
            if state.senders == 0 {
                state.parked.drain_all(&mut wakers);
            }
        }
        wakers.wake();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let dropped = {
            let mut state = state(&self.shared);
            if let Some(id) = self.id.take() {
                state.parked.remove(id);
            }
            state.receivers -= 1;
            state.forget_reader(self.next)
        };
        drop(dropped);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.receiver.unpark();
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

send_error! {
    /// There is no receiver; the value comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::broadcast::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().to_string(), "broadcasting with no receiver");
    /// ```
    "broadcasting with no receiver"
}

/// Why [`Receiver::recv`] returned no value.
///
/// # Examples
///
/// ```
/// use ferrio_sync::broadcast::{self, RecvError};
/// let (tx, mut rx) = broadcast::channel(1);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// # futures_lite::future::block_on(async {
/// assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
/// assert_eq!(rx.recv().await, Ok(2));
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvError {
    /// Every sender is gone and this receiver has received every kept value.
    Closed,
    /// The receiver fell behind and missed this many values.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("broadcast channel closed"),
            Self::Lagged(n) => write!(f, "receiver lagged and missed {n} values"),
        }
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
///
/// # Examples
///
/// ```
/// use ferrio_sync::broadcast::{self, TryRecvError};
/// let (tx, mut rx) = broadcast::channel::<u8>(1);
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryRecvError {
    /// Nothing new was sent.
    Empty,
    /// Every sender is gone and this receiver has received every kept value.
    Closed,
    /// The receiver fell behind and missed this many values.
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no new value"),
            Self::Closed => f.write_str("broadcast channel closed"),
            Self::Lagged(n) => write!(f, "receiver lagged and missed {n} values"),
        }
    }
}

impl Error for TryRecvError {}

/// With the `sink` feature: a broadcast [`Sender`] is a `Sink` that never waits (a
/// send pushes out the oldest value instead), failing only when no receiver is left.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "sink")] {
/// use futures_sink::Sink;
/// use std::pin::Pin;
/// let (mut tx, mut rx) = ferrio_sync::broadcast::channel(4);
/// Pin::new(&mut tx).start_send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// # }
/// ```
#[cfg(feature = "sink")]
impl<T: Clone> futures_sink::Sink<T> for Sender<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        self.send(item).map(drop)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}
