//! The errors of [`channel`](super).

use std::error::Error;
use std::fmt;

send_error! {
    /// Every receiver is gone; the value comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel;
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = channel::bounded(1);
    /// drop(rx);
    /// let err = tx.send("lost?").await.unwrap_err();
    /// assert_eq!(err.into_inner(), "lost?");
    /// # });
    /// ```
    "sending on a closed channel"
}

/// `try_send` could not send; the value comes back.
///
/// # Examples
///
/// ```
/// use ferrio_sync::channel::{self, TrySendError};
/// let (tx, _rx) = channel::bounded(1);
/// tx.try_send(1).unwrap();
/// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

    /// Whether the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
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

unit_error! {
    /// Every sender is gone and the channel is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel::{self, RecvError};
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = channel::unbounded::<u8>();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Err(RecvError));
    /// # });
    /// ```
    RecvError: "receiving on a closed, empty channel"
}

try_recv_error! {
    /// `try_recv` found no value.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_sync::channel::{self, TryRecvError};
    /// let (tx, rx) = channel::unbounded::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    {
        /// The channel is empty for now.
        Empty: "channel is empty",
        /// Every sender is gone and the channel is empty.
        Closed: "receiving on a closed, empty channel",
    }
}
