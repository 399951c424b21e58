//! The future wrapper that every spawned future runs inside, and the same poll
//! bookkeeping for the main future of `block_on`, which the runtime polls itself.
//! The states they store are drawn in `header.rs`.
//!
//! - A panic in a poll is caught here: the inner future is dropped and the task
//!   completes with [`TaskError::Panicked`]. The payload reports itself when dropped
//!   unretrieved.
//! - The task leaves the registry when the wrapper is dropped, which async-task does
//!   right after the last poll, so `all_tasks()` lists exactly the live futures.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use super::current::{CurrentTaskGuard, CURRENT_TASK};
use super::error::{Cancelled, PanicPayload, TaskError, UnretrievedPanic};
use super::header::{Header, CONFIRMED, IN_REGION, OUT_CANCELLED, OUT_PANICKED, PENDING, REJECTED};
use super::meta::{FINISHED, WAITING};
use super::propagate;

/// Hooks for the main future of `block_on`, which the runtime polls itself rather
/// than through async-task (`runtime/main_task.rs`), so that it still shows in
/// `current_task()`/`all_tasks()` with its state and poll count.
impl Header {
    /// Marks the start of a poll of the main future; the guard marks its end.
    /// Returns the cancellation word the poll begins with; with catch regions, tells
    /// them whether they may take a request in this poll (as for a spawned task).
    pub(crate) fn begin_main_poll(&self) -> (MainPollGuard<'_>, u32) {
        // SeqCst store, then load: as in `TaskFuture::poll` (see `settle_unconfirmed`).
        self.begin_poll();
        let start = self.cancel.load(Ordering::SeqCst);
        if start & IN_REGION != 0 {
            note_regions(self, start);
        }
        let prev = CURRENT_TASK.with(|c| c.replace(self));
        (MainPollGuard { header: self, prev }, start)
    }

    /// The main future is gone: its outcome is published (cancelled if nothing was
    /// decided: it was dropped by a panic or a shutdown) and it leaves the registry.
    pub(crate) fn finish_main(&self) {
        self.decide(|_| {
            if std::thread::panicking() {
                OUT_PANICKED
            } else {
                OUT_CANCELLED
            }
        });
        self.set_gone();
        if self.shared_if_any().is_some() {
            let word = self.cancel.load(Ordering::SeqCst);
            self.shared().complete(word);
        }
        self.rt().registry.remove(self);
    }

    /// The main task waits for the tasks its delivered request cancelled down the
    /// chain: `Ready` once they all ended (its outcome is then decided: cancelled).
    pub(crate) fn poll_main_drain(&self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(shared) = self.shared_if_any() {
            if shared.poll_draining(cx).is_pending() {
                return Poll::Pending;
            }
        }
        self.decide(|_| OUT_CANCELLED);
        Poll::Ready(())
    }
}

/// Ends a poll of the main future (see [`Header::begin_main_poll`]).
pub(crate) struct MainPollGuard<'a> {
    header: &'a Header,
    prev: *const Header,
}

impl Drop for MainPollGuard<'_> {
    fn drop(&mut self) {
        let _ = CURRENT_TASK.try_with(|c| c.set(self.prev));
        self.header.set_state(WAITING, Ordering::Relaxed);
    }
}

/// Wraps a spawned future: tracks its state, honours cancellation, catches its
/// panics, and removes the task from the registry when dropped.
///
/// Whether the inner future was dropped is the lowest bit of the header pointer (a
/// header is 8-aligned): an `Option` around it would cost the task a word, as
/// async blocks offer no niche.
pub(crate) struct TaskFuture<F> {
    /// The header, with `GONE` set once the inner future was dropped.
    header: *const Header,
    /// Pinned with the `TaskFuture`: never moved, dropped in place once.
    future: ManuallyDrop<F>,
}

/// In `TaskFuture::header`: the inner future was dropped.
const GONE: usize = 1;

// SAFETY: `header` points into the task allocation and is only read (Header is
// Sync); the future itself is Send by the bound.
unsafe impl<F: Send> Send for TaskFuture<F> {}

impl<F> TaskFuture<F> {
    pub(crate) fn new(header: &Header, future: F) -> Self {
        TaskFuture {
            header,
            future: ManuallyDrop::new(future),
        }
    }

    /// The tagged header pointer. Read through `&mut` only: a shared reference to
    /// the whole `TaskFuture` would be a read of a self-referential future that
    /// may still hold borrows into itself.
    fn tagged(self: &mut Pin<&mut Self>) -> *const Header {
        // SAFETY: a field read; nothing is moved.
        unsafe { self.as_mut().get_unchecked_mut() }.header
    }

    /// The header behind a tagged pointer. The lifetime is not tied to the
    /// `TaskFuture`: the header lives in the task allocation that also holds it,
    /// so it outlives it.
    fn header<'a>(tagged: *const Header) -> &'a Header {
        // SAFETY: see above; clearing the tag bit gives back the header's address.
        unsafe { &*tagged.map_addr(|a| a & !GONE) }
    }

    fn is_gone(tagged: *const Header) -> bool {
        tagged.addr() & GONE != 0
    }

    /// Drops the inner future in place, containing a panicking destructor.
    fn drop_inner(self: Pin<&mut Self>) -> Option<Box<dyn std::any::Any + Send>> {
        // SAFETY: nothing is moved out; the inner future is dropped in place.
        let this = unsafe { self.get_unchecked_mut() };
        if Self::is_gone(this.header) {
            return None;
        }
        // Marked first: a destructor that panics is not run again (as with drop
        // glue, whatever it left undropped is leaked).
        this.header = this.header.map_addr(|a| a | GONE);
        // SAFETY: the inner future exists (not `GONE` above) and is dropped once,
        // in place, as its pinning requires.
        catch_unwind(AssertUnwindSafe(|| unsafe {
            ManuallyDrop::drop(&mut this.future)
        }))
        .err()
    }
}

impl<F> Drop for TaskFuture<F> {
    fn drop(&mut self) {
        // SAFETY: a `TaskFuture` is pinned for its whole life (async-task keeps it
        // in the task allocation); this drop does not move it.
        drop(unsafe { Pin::new_unchecked(&mut *self) }.drop_inner());
        let header = Self::header(self.header);
        // Dropped before it finished (shutdown, or its runtime went away): it
        // ends cancelled.
        header.decide(|_| OUT_CANCELLED);
        header.set_gone();
        if header.shared_if_any().is_some() {
            let word = header.cancel.load(Ordering::SeqCst);
            header.shared().complete(word);
        }
        header.rt().registry.remove(header);
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Result<F::Output, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let tagged = self.tagged();
        let header = Self::header(tagged);
        if Self::is_gone(tagged) {
            // A delivered request waits for the tasks it cancelled down the chain.
            return poll_drain(header, cx);
        }
        // SeqCst store, then load: a canceller that does not see this poll running
        // made its request visible to the load below (see `settle_unconfirmed`).
        // A poll that delivers a request counts too, as the main task's does.
        let running = header.begin_poll();
        let start = header.cancel.load(Ordering::SeqCst);
        if start & (PENDING | IN_REGION) != 0 {
            if start & IN_REGION == 0 {
                return deliver(header, self, cx);
            }
            note_regions(header, start);
        }
        let hook = header.rt().poll_hook.as_ref();
        let started = hook.map(|hook| {
            hook.before_poll(&header.snapshot());
            Instant::now()
        });
        let result = {
            let _restore = CurrentTaskGuard(CURRENT_TASK.with(|c| c.replace(header)));
            // SAFETY: the inner future exists (not `GONE` above, and only the
            // poller drops it) and is structurally pinned: it is never moved out
            // of its `TaskFuture`, only dropped in place by `drop_inner`.
            let inner = unsafe { self.as_mut().map_unchecked_mut(|this| &mut *this.future) };
            catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
        };
        if let (Some(hook), Some(started)) = (hook, started) {
            hook.after_poll(header.id, started.elapsed());
        }
        match result {
            Ok(Poll::Pending) => {
                header.end_poll_waiting(running);
                Poll::Pending
            }
            Ok(Poll::Ready(value)) => {
                if let Some(panic) = self.drop_inner() {
                    drop(value);
                    return end_with_panic(header, start, panic);
                }
                let keep = header.decide_value(start);
                header.set_state(FINISHED, Ordering::Release);
                if keep {
                    Poll::Ready(Ok(value))
                } else {
                    drop(value);
                    Poll::Ready(Err(TaskError::Cancelled(Cancelled::from_message(
                        header.message(),
                    ))))
                }
            }
            Err(panic) => {
                // The destructor's own panic, if any, is secondary: keep the first.
                drop(self.drop_inner());
                end_with_panic(header, start, panic)
            }
        }
    }
}

/// Ends a task whose poll (or whose future's destructor) panicked. A request that
/// stood before the poll began, or was confirmed during it, and was not delivered to
/// a catch region has already been answered `true`: the task ends cancelled and the
/// panic is reported as never retrieved, so the answer stays the truth. A request
/// that merely raced the poll from outside loses (answer `false`, the panic is the
/// outcome).
#[cold]
fn end_with_panic<T>(
    header: &Header,
    start: u32,
    panic: Box<dyn std::any::Any + Send>,
) -> Poll<Result<T, TaskError>> {
    let word = header.decide(|cur| {
        if cur & PENDING == 0 {
            OUT_PANICKED
        } else if start & PENDING != 0 || cur & CONFIRMED != 0 {
            OUT_CANCELLED
        } else {
            OUT_PANICKED | REJECTED
        }
    });
    header.set_state(FINISHED, Ordering::Release);
    match word {
        Some(word) if word & OUT_CANCELLED != 0 => {
            // Dropped armed: the payload reports itself (stderr or the hook).
            drop(armed_payload(header, panic));
            Poll::Ready(Err(TaskError::Cancelled(Cancelled::from_message(
                header.message(),
            ))))
        }
        _ => Poll::Ready(Err(panicked(header, panic))),
    }
}

/// A poll of a task with catch regions: whether they may take a request in it.
#[cold]
fn note_regions(header: &Header, start: u32) {
    if let Some(shared) = header.shared_if_any() {
        shared
            .deliverable
            .store(start & PENDING != 0, Ordering::Relaxed);
    }
}

/// Delivers a pending request to a task outside any catch region: its future is
/// dropped, and the tasks it was awaiting are cancelled with the same message.
#[cold]
fn deliver<F, T>(
    header: &Header,
    future: Pin<&mut TaskFuture<F>>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, TaskError>> {
    let message = header.message();
    let (panic, drained) = {
        let _restore = CurrentTaskGuard(CURRENT_TASK.with(|c| c.replace(header)));
        propagate::dropping(message.clone(), || future.drop_inner())
    };
    if let Some(panic) = panic {
        // The request was pending when this poll began: it stands (the destructor's
        // panic is reported, not returned).
        return end_with_panic(header, PENDING, panic);
    }
    if !drained.is_empty() {
        header.shared().lock().draining = drained;
        return poll_drain(header, cx);
    }
    header.decide(|_| OUT_CANCELLED);
    header.set_state(FINISHED, Ordering::Release);
    Poll::Ready(Err(TaskError::Cancelled(Cancelled::from_message(message))))
}

/// Waits until the tasks a delivered request cancelled have finished, then ends
/// the task cancelled (asyncio: inner clean-up first).
fn poll_drain<T>(header: &Header, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
    let shared = header.shared();
    if shared.poll_draining(cx).is_pending() {
        header.set_state(WAITING, Ordering::Release);
        return Poll::Pending;
    }
    header.decide(|_| OUT_CANCELLED);
    header.set_state(FINISHED, Ordering::Release);
    Poll::Ready(Err(TaskError::Cancelled(Cancelled::from_message(
        header.message(),
    ))))
}

/// The payload of a task's panic, armed to report itself if nobody retrieves it.
fn armed_payload(header: &Header, payload: Box<dyn std::any::Any + Send>) -> PanicPayload {
    PanicPayload::new(
        payload,
        Some(UnretrievedPanic {
            id: header.id,
            name: header.name().cloned(),
            location: header.location(),
            hook: header.rt().panic_hook.clone(),
        }),
    )
}

fn panicked(header: &Header, payload: Box<dyn std::any::Any + Send>) -> TaskError {
    let payload = armed_payload(header, payload);
    if let Some(shared) = header.shared_if_any() {
        shared.lock().panic_message = payload.message().map(Arc::from);
    }
    TaskError::Panicked(payload)
}
