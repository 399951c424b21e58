//! Cancellation down the await chain.
//!
//! When a delivered request drops a future (the whole task's, a catch region's, or a
//! timeout's inner one), it does so inside [`dropping`]: every unfinished [`Task`]
//! handle that was being awaited and is dropped meanwhile cancels its task with the
//! same message instead of detaching it, and the cancelled tasks are collected so the
//! caller can wait for their clean-up before it resolves (asyncio's order). A plain
//! drop, outside `dropping`, still detaches.
//!
//! [`Task`]: crate::Task

use std::cell::RefCell;
use std::sync::Arc;

use super::header::Header;
use super::shared::DoneWaiter;

struct Dropping {
    message: Option<Arc<str>>,
    cancelled: Vec<DoneWaiter>,
}

thread_local! {
    static DROPPING: RefCell<Option<Dropping>> = const { RefCell::new(None) };
}

/// Restores the enclosing context when `dropping` ends, even by unwinding.
struct Restore(Option<Option<Dropping>>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            let _ = DROPPING.try_with(|d| d.replace(previous));
        }
    }
}

/// Runs `drop_it` (which drops a future) so that the awaited tasks dropped inside
/// are cancelled with `message`; returns what `drop_it` returned and the tasks it
/// cancelled, to wait for.
pub(crate) fn dropping<R>(
    message: Option<Arc<str>>,
    drop_it: impl FnOnce() -> R,
) -> (R, Vec<DoneWaiter>) {
    let previous = DROPPING.with(|d| {
        d.replace(Some(Dropping {
            message,
            cancelled: Vec::new(),
        }))
    });
    let mut restore = Restore(Some(previous));
    let out = drop_it();
    let mine = DROPPING.with(|d| d.replace(restore.0.take().flatten()));
    (out, mine.map(|d| d.cancelled).unwrap_or_default())
}

/// Called when an unfinished, awaited task handle is dropped: inside [`dropping`],
/// cancels the task with the context's message and records it; returns whether it
/// did (otherwise the caller detaches as usual).
pub(crate) fn on_awaited_drop(header: &Header) -> bool {
    let message = DROPPING
        .try_with(|d| d.borrow().as_ref().map(|d| d.message.clone()))
        .ok()
        .flatten();
    let Some(message) = message else {
        return false;
    };
    cancel_into_context(header, message);
    true
}

/// The message of the enclosing [`dropping`], if any: `Some(message)` inside one.
pub(crate) fn current_message() -> Option<Option<Arc<str>>> {
    DROPPING
        .try_with(|d| d.borrow().as_ref().map(|d| d.message.clone()))
        .ok()
        .flatten()
}

/// Cancels the task of `header` with `message` and records it in the enclosing
/// [`dropping`], so its clean-up is awaited. The caller keeps the header alive.
pub(crate) fn cancel_into_context(header: &Header, message: Option<Arc<str>>) {
    // Not under the RefCell borrow: cancelling wakes, and a wake may run a task here.
    let shared = header.shared();
    shared.cancel(message);
    let waiter = DoneWaiter::new(shared);
    let _ = DROPPING.try_with(|d| {
        if let Some(d) = d.borrow_mut().as_mut() {
            d.cancelled.push(waiter);
        }
    });
}
