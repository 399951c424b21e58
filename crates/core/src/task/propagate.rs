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

use std::cell::{Cell, RefCell};
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

thread_local! {
    /// While a timeout probes its expired inner work: the task that polls it (or a
    /// non-null sentinel outside a task). Null otherwise.
    static PROBING: Cell<*const Header> = const { Cell::new(std::ptr::null()) };
    /// The tasks the current probe cancelled.
    static PROBED: RefCell<Vec<DoneWaiter>> = const { RefCell::new(Vec::new()) };
}

/// A non-null pointer that is no header: the owner of a probe outside any task.
const NO_TASK: *const Header = std::ptr::dangling();

/// Restores the enclosing probe when [`probing`] ends, even by unwinding.
struct RestoreProbe(*const Header, Vec<DoneWaiter>);

impl Drop for RestoreProbe {
    fn drop(&mut self) {
        let _ = PROBING.try_with(|p| p.set(self.0));
        let outer = std::mem::take(&mut self.1);
        let _ = PROBED.try_with(|p| *p.borrow_mut() = outer);
    }
}

/// Polls a timeout's expired inner work once (`poll_it`) so that every unfinished
/// [`Task`](crate::Task) it is awaiting, and that this poll reaches, is cancelled
/// (no message) instead of dropped: asyncio's timeout cancels the task at its
/// await, and what the awaited tasks then return (a value if they suppress the
/// cancellation) flows back into the work. Returns what `poll_it` returned and the
/// cancelled tasks, to wait for.
pub(crate) fn probing<R>(poll_it: impl FnOnce() -> R) -> (R, Vec<DoneWaiter>) {
    let owner = super::current::current_header().map_or(NO_TASK, |h| h as *const Header);
    let outer_owner = PROBING.with(|p| p.replace(owner));
    let outer = PROBED.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let restore = RestoreProbe(outer_owner, outer);
    let out = poll_it();
    let mine = PROBED.with(|p| std::mem::take(&mut *p.borrow_mut()));
    drop(restore);
    (out, mine)
}

/// Runs `poll_it` outside any probe: what [`shield`](crate::shield) protects.
pub(crate) fn unprobed<R>(poll_it: impl FnOnce() -> R) -> R {
    let outer = PROBING.with(|p| p.replace(std::ptr::null()));
    struct Back(*const Header);
    impl Drop for Back {
        fn drop(&mut self) {
            let _ = PROBING.try_with(|p| p.set(self.0));
        }
    }
    let _back = Back(outer);
    poll_it()
}

/// Whether a probe is polling on this thread, for the task that polls it: sets of
/// futures then poll every child, not only the woken ones.
pub(crate) fn is_probing() -> bool {
    let owner = PROBING.try_with(Cell::get).unwrap_or(std::ptr::null());
    !owner.is_null()
        && owner == super::current::current_header().map_or(NO_TASK, |h| h as *const Header)
}

/// An awaited task's poll returned `Pending`: inside a probe of the task polling it,
/// it is cancelled and recorded.
#[inline]
pub(crate) fn on_awaited_pending(header: &Header) {
    if PROBING.try_with(|p| !p.get().is_null()).unwrap_or(false) {
        probe_cancel(header);
    }
}

#[cold]
fn probe_cancel(header: &Header) {
    if !is_probing() {
        return;
    }
    let shared = header.shared();
    shared.cancel(None);
    let waiter = DoneWaiter::new(shared);
    let _ = PROBED.try_with(|p| p.borrow_mut().push(waiter));
}
