//! `futures_sink::Sink` for [`Sender`], behind the `sink` feature.
//!
//! The sink holds at most one accepted value: `start_send` stores it, and
//! `poll_ready`, `poll_flush` and `poll_close` move it into the channel, waiting for
//! room, so `poll_ready` returning `Ready(Ok)` always means the next value is accepted.

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures_sink::Sink;

use super::{SendError, Sender, Shared};
use crate::wake_list::Slot;

/// The value a sink accepted and has not stored yet, and where it parks.
pub(super) struct SinkState<T> {
    /// Reached only through `&mut` (`Mutex::get_mut`, no locking): the mutex is
    /// there so that a `Sender<T>` stays `Sync` for every `T: Send`, as it is
    /// without the `sink` feature.
    pending: Mutex<Option<T>>,
    slot: Slot,
}

// The pending value is moved, never pinned, so a `Sender` can move freely.
impl<T> Unpin for SinkState<T> {}

impl<T> Default for SinkState<T> {
    fn default() -> Self {
        Self {
            pending: Mutex::new(None),
            slot: None,
        }
    }
}

/// The pending value, through exclusive access (never locks; a poisoned mutex
/// cannot happen, as no code runs while it is "held").
fn pending_of<T>(pending: &mut Mutex<Option<T>>) -> &mut Option<T> {
    pending.get_mut().unwrap_or_else(|e| e.into_inner())
}

impl<T> SinkState<T> {
    /// Withdraws a parked flush; the pending value (if any) is dropped unsent.
    pub(super) fn cancel(&mut self, shared: &Shared<T>) {
        if self.slot.is_some() {
            shared.cancel_send(&mut self.slot);
        }
    }

    fn poll_flush(
        &mut self,
        shared: &Shared<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let pending = pending_of(&mut self.pending);
        if pending.is_none() {
            return Poll::Ready(Ok(()));
        }
        shared.poll_send(pending, &mut self.slot, cx.waker())
    }
}

/// With the `sink` feature: a [`Sender`] is a `Sink` of values.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "sink")] {
/// use ferrio_sync::channel;
/// use futures_lite::{future, StreamExt};
/// use futures_sink::Sink;
/// use std::pin::Pin;
/// # future::block_on(async {
/// let (mut tx, rx) = channel::bounded(1);
/// future::poll_fn(|cx| Pin::new(&mut tx).poll_ready(cx)).await.unwrap();
/// Pin::new(&mut tx).start_send(7).unwrap();
/// future::poll_fn(|cx| Pin::new(&mut tx).poll_flush(cx)).await.unwrap();
/// drop(tx);
/// assert_eq!(rx.collect::<Vec<_>>().await, [7]);
/// # });
/// # }
/// ```
impl<T> Sink<T> for Sender<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.sink.poll_flush(&this.shared, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        if this.is_closed() {
            return Err(SendError(item));
        }
        let pending = pending_of(&mut this.sink.pending);
        assert!(
            pending.is_none(),
            "Sink::start_send called without poll_ready returning Ready(Ok) first"
        );
        *pending = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.sink.poll_flush(&this.shared, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Other senders may still be alive: closing one sink only flushes it; the
        // channel closes when the last sender drops.
        let this = self.get_mut();
        this.sink.poll_flush(&this.shared, cx)
    }
}
