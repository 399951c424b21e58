//! The errors of the queue family, named after asyncio's exceptions.

use std::error::Error;
use std::fmt;

/// `put_nowait` could not store the item; the item comes back inside.
///
/// asyncio raises `QueueFull` or `QueueShutDown` here.
///
/// # Examples
///
/// ```
/// use ferrio_sync::{Queue, TryPutError};
/// let queue = Queue::new(1);
/// queue.put_nowait(1).unwrap();
/// assert!(matches!(queue.put_nowait(2), Err(TryPutError::Full(2))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (asyncio's `QueueFull`).
    Full(T),
    /// The queue was shut down (asyncio's `QueueShutDown`).
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// The item that was not stored.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, Self::ShutDown(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("queue is full"),
            Self::ShutDown(_) => f.write_str("queue is shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

/// `get_nowait` found nothing to return.
///
/// asyncio raises `QueueEmpty` or `QueueShutDown` here.
///
/// # Examples
///
/// ```
/// use ferrio_sync::{Queue, TryGetError};
/// let queue = Queue::<u8>::new(0);
/// assert_eq!(queue.get_nowait(), Err(TryGetError::Empty));
/// queue.shutdown(false);
/// assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryGetError {
    /// The queue holds no item (asyncio's `QueueEmpty`).
    Empty,
    /// The queue was shut down and holds no item (asyncio's `QueueShutDown`).
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("queue is empty"),
            Self::ShutDown => f.write_str("queue is shut down and empty"),
        }
    }
}

impl Error for TryGetError {}

/// The queue was shut down (asyncio's `QueueShutDown`).
///
/// From `put`, it carries the item back; from `get`, it carries `()`.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Queue;
/// # futures_lite::future::block_on(async {
/// let queue = Queue::new(1);
/// queue.shutdown(false);
/// assert_eq!(queue.put("late").await.unwrap_err().into_inner(), "late");
/// assert!(queue.get().await.is_err());
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> QueueShutDown<T> {
    /// The item that was not stored (`()` for a failed `get`).
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> Error for QueueShutDown<T> {}

/// `task_done` was called more times than items were put (asyncio's `ValueError`).
///
/// # Examples
///
/// ```
/// use ferrio_sync::{Queue, TaskDoneError};
/// let queue = Queue::<u8>::new(0);
/// assert_eq!(queue.task_done(), Err(TaskDoneError));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl Error for TaskDoneError {}
