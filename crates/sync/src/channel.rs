//! A multi-producer, multi-consumer channel that closes itself, over [`Queue`].
//!
//! [`Queue`] never closes, as in asyncio. A channel adds what Rust code usually wants:
//! when the last [`Sender`] drops, receivers drain what is left and then get
//! [`RecvError`]; when the last [`Receiver`] drops, sends fail and give the value back.
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

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::queue::{Queue, TryGetError, TryPutError};

/// A channel holding at most `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0 (use [`unbounded`] for no limit).
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "a bounded channel needs a capacity of at least 1"
    );
    with_queue(Queue::new(capacity))
}

/// A channel with no limit on the values it holds.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    with_queue(Queue::new(0))
}

fn with_queue<T>(queue: Queue<T>) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        queue,
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    queue: Queue<T>,
    senders: AtomicUsize,
    receivers: AtomicUsize,
}

/// The sending half; clone it for more producers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half; clone it for more consumers. Each value goes to one receiver.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if every receiver is gone.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.shared
            .queue
            .put(value)
            .await
            .map_err(|shut| SendError(shut.into_inner()))
    }

    /// Sends `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.shared
            .queue
            .put_nowait(value)
            .map_err(|err| match err {
                TryPutError::Full(value) => TrySendError::Full(value),
                TryPutError::ShutDown(value) => TrySendError::Closed(value),
            })
    }

    /// How many values wait in the channel.
    pub fn len(&self) -> usize {
        self.shared.queue.qsize()
    }

    /// Whether no value waits in the channel.
    pub fn is_empty(&self) -> bool {
        self.shared.queue.empty()
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.queue.is_shut_down()
    }
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting while the channel is empty.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once every sender is gone and the channel is empty.
    pub async fn recv(&self) -> Result<T, RecvError> {
        self.shared.queue.get().await.map_err(|_| RecvError)
    }

    /// Receives a value if one is there now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], or [`TryRecvError::Closed`] once every sender is gone
    /// and the channel is empty.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.shared.queue.get_nowait().map_err(|err| match err {
            TryGetError::Empty => TryRecvError::Empty,
            TryGetError::ShutDown => TryRecvError::Closed,
        })
    }

    /// How many values wait in the channel.
    pub fn len(&self) -> usize {
        self.shared.queue.qsize()
    }

    /// Whether no value waits in the channel.
    pub fn is_empty(&self) -> bool {
        self.shared.queue.empty()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Receivers drain what is left, then see the channel closed.
            self.shared.queue.shutdown(false);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Nobody can receive any more: drop what is queued, fail the senders.
            self.shared.queue.shutdown(true);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// Every receiver is gone; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> Error for SendError<T> {}

/// `try_send` could not send; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The channel is full.
    Full(T),
    /// Every receiver is gone.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(value) | Self::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("channel is full"),
            Self::Closed(_) => f.write_str("sending on a closed channel"),
        }
    }
}

impl<T> Error for TrySendError<T> {}

/// Every sender is gone and the channel is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on a closed, empty channel")
    }
}

impl Error for RecvError {}

/// `try_recv` found no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// The channel is empty for now.
    Empty,
    /// Every sender is gone and the channel is empty.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("channel is empty"),
            Self::Closed => f.write_str("receiving on a closed, empty channel"),
        }
    }
}

impl Error for TryRecvError {}
