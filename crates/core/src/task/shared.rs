//! The part of a task that outlives its future and that many may hold: what
//! [`TaskHandle`](super::TaskHandle)s, cancel messages, done callbacks, awaiters of
//! completion and catch regions need. Allocated on first use only, so a task that
//! uses none of them pays one null pointer in its header.
//!
//! # Safety model
//!
//! `TaskShared` points back at the task's header. The header is alive as long as the
//! task's future is (the registry holds a waker, the allocation cannot go away under
//! the future), and the future's drop marks the shared part done *under its lock*
//! before the header may go. So: whoever holds the lock and sees `done == None` may
//! read the header until it releases the lock.

use std::fmt;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use slab::Slab;

use super::handle::TaskHandle;
use super::header::{
    CancelMode, Header, CONFIRMED, COUNT_ONE, COUNT_SHIFT, DONE, IN_REGION, PENDING, REJECTED,
};
use super::TaskId;
use crate::runtime::shared::Shared;

type Callback = Box<dyn FnOnce(&TaskHandle) + Send + 'static>;

pub(crate) struct TaskShared {
    pub(crate) id: TaskId,
    pub(crate) name: Option<Arc<str>>,
    /// Where the task was spawned (the header's link points here once this part
    /// exists, in place of the location).
    pub(crate) location: &'static Location<'static>,
    /// Valid while `inner.done` is `None`, read under the lock (module doc).
    header: NonNull<Header>,
    rt: Arc<Shared>,
    /// A request was pending when the current poll of the task began, so a catch
    /// region may take it in this poll. One made during the poll waits for the next
    /// (requests land at awaits, as in asyncio), also when it came from another thread.
    pub(crate) deliverable: AtomicBool,
    /// The poll count above the header's low field: how many times that field
    /// wrapped (see `Header::polls`).
    pub(crate) polls_high: AtomicU64,
    inner: Mutex<Inner>,
}

// SAFETY: `header` is dereferenced only under the lock while the task is not done
// (module doc), and `Header` is `Sync`; every other field is `Send + Sync`.
unsafe impl Send for TaskShared {}
// SAFETY: as for `Send`.
unsafe impl Sync for TaskShared {}

pub(crate) struct Inner {
    /// The final cancellation word once the outcome is decided and published.
    pub(crate) done: Option<u32>,
    /// The message of the latest request (or of a re-raise).
    pub(crate) message: Option<Arc<str>>,
    pub(crate) panic_message: Option<Arc<str>>,
    waiters: Slab<Waker>,
    callbacks: Vec<Callback>,
    /// Registered catch regions, innermost last.
    regions: Vec<(u64, Waker)>,
    next_region: u64,
    /// Tasks a delivered request cancelled down the await chain, awaited before the
    /// task ends cancelled.
    pub(crate) draining: Vec<DoneWaiter>,
    /// A region that a task group interrupts (its body's catch point): it resolves
    /// to `Err(Cancelled)` at its next poll; nothing else of the task is touched.
    interrupted_region: Option<u64>,
}

impl Inner {
    pub(crate) fn innermost_region_waker(&self) -> Option<Waker> {
        self.regions.last().map(|(_, w)| w.clone())
    }
}

/// What a delivered request hands to a catch region.
pub(crate) struct Delivery {
    pub(crate) message: Option<Arc<str>>,
}

impl TaskShared {
    pub(crate) fn new(header: &Header, name: Option<Arc<str>>) -> Self {
        TaskShared {
            id: header.id,
            name,
            location: header.location(),
            header: NonNull::from(header),
            rt: header.rt_arc().clone(),
            deliverable: AtomicBool::new(false),
            polls_high: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                done: None,
                message: None,
                panic_message: None,
                waiters: Slab::new(),
                callbacks: Vec::new(),
                regions: Vec::new(),
                next_region: 0,
                draining: Vec::new(),
                interrupted_region: None,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The header, while the lock `inner` is held and the task is not done.
    fn header<'a>(&'a self, inner: &MutexGuard<'_, Inner>) -> Option<&'a Header> {
        if inner.done.is_some() {
            return None;
        }
        // SAFETY: not done, under the lock: the header is alive (module doc).
        Some(unsafe { self.header.as_ref() })
    }

    /// The cancellation word now (the final one once done).
    pub(crate) fn word(&self) -> u32 {
        let inner = self.lock();
        match self.header(&inner) {
            Some(header) => header.cancel.load(Ordering::SeqCst),
            None => inner.done.unwrap_or(DONE),
        }
    }

    /// Publishes the outcome: wakes the awaiters of completion, then runs the done
    /// callbacks in the order they were added (asyncio's order).
    pub(crate) fn complete(self: &Arc<Self>, word: u32) {
        let (waiters, callbacks) = {
            let mut inner = self.lock();
            if inner.done.is_some() {
                return;
            }
            inner.done = Some(word | DONE);
            let waiters: Vec<Waker> = inner.waiters.drain().collect();
            (waiters, std::mem::take(&mut inner.callbacks))
        };
        for waker in waiters {
            waker.wake();
        }
        if !callbacks.is_empty() {
            let handle = TaskHandle {
                shared: self.clone(),
            };
            for callback in callbacks {
                run_callback(callback, &handle);
            }
        }
    }

    /// `cancel()` through a handle: the same protocol as `Task::cancel`.
    pub(crate) fn cancel(&self, message: Option<Arc<str>>) -> bool {
        let (wake, keep_alive, mode, last_word) = {
            let mut inner = self.lock();
            let Some(header) = self.header(&inner) else {
                return false;
            };
            let mode = CancelMode::begin(header);
            if header.try_request(mode.extra()).is_err() {
                mode.abandon();
                return false;
            }
            if message.is_some() {
                inner.message = message;
            }
            // The task's own waker keeps its allocation, and so the header, alive
            // once the lock is released.
            let task_waker = header.rt().registry.waker(header);
            let last_word = header.cancel.load(Ordering::SeqCst);
            (inner.innermost_region_waker(), task_waker, mode, last_word)
        };
        match (&wake, &keep_alive) {
            (Some(region), _) => region.wake_by_ref(),
            (None, Some(task)) => task.wake_by_ref(),
            (None, None) => {}
        }
        match keep_alive {
            // SAFETY: the waker holds a reference on the task allocation.
            Some(_guard) => mode.finish(unsafe { self.header.as_ref() }),
            None => {
                mode.abandon();
                // No waker: the future was already dropped (the poll in flight
                // finished the task right after the request), or the registry is
                // closed. The word read under the lock above tells which.
                last_word & DONE == 0 || last_word & REJECTED == 0
            }
        }
    }

    /// asyncio's `uncancel()`: one request fewer; at zero, a request not yet delivered
    /// is withdrawn. Returns how many remain.
    pub(crate) fn uncancel(&self) -> u32 {
        let inner = self.lock();
        let Some(header) = self.header(&inner) else {
            return inner.done.unwrap_or(0) >> COUNT_SHIFT;
        };
        let mut cur = header.cancel.load(Ordering::SeqCst);
        loop {
            if cur & DONE != 0 {
                return cur >> COUNT_SHIFT;
            }
            let mut next = cur;
            if next >> COUNT_SHIFT > 0 {
                next -= COUNT_ONE;
            }
            if next >> COUNT_SHIFT == 0 {
                next &= !(PENDING | CONFIRMED);
            }
            match header
                .cancel
                .compare_exchange_weak(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next >> COUNT_SHIFT,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Adds a done callback; one added after the end runs soon, as a tiny task.
    #[track_caller]
    pub(crate) fn add_callback(self: &Arc<Self>, callback: Callback) {
        {
            let mut inner = self.lock();
            if inner.done.is_none() {
                inner.callbacks.push(callback);
                return;
            }
        }
        let handle = TaskHandle {
            shared: self.clone(),
        };
        let task = self.rt.spawn(
            async move { run_callback(callback, &handle) },
            None,
            Location::caller(),
        );
        task.detach();
    }

    /// Polls for the end of the task; `key` is this waiter's slot.
    pub(crate) fn poll_done(&self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut inner = self.lock();
        if let Some(word) = inner.done {
            *key = None;
            return Poll::Ready(word);
        }
        match key.and_then(|k| inner.waiters.get_mut(k)) {
            Some(waker) => {
                if !waker.will_wake(cx.waker()) {
                    *waker = cx.waker().clone();
                }
            }
            None => *key = Some(inner.waiters.insert(cx.waker().clone())),
        }
        Poll::Pending
    }

    fn forget_waiter(&self, key: usize) {
        let mut inner = self.lock();
        if inner.done.is_none() {
            inner.waiters.try_remove(key);
        }
    }

    /// Polls the tasks a delivered request is waiting for.
    pub(crate) fn poll_draining(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut draining = std::mem::take(&mut self.lock().draining);
        draining.retain_mut(|waiter| waiter.poll(cx).is_pending());
        if draining.is_empty() {
            return Poll::Ready(());
        }
        self.lock().draining = draining;
        Poll::Pending
    }

    /// Registers a catch region of the running task; `None` once the task is done.
    pub(crate) fn push_region(&self, waker: &Waker) -> Option<u64> {
        let mut inner = self.lock();
        let header = self.header(&inner)?;
        if header.cancel.fetch_or(IN_REGION, Ordering::SeqCst) & IN_REGION == 0 {
            // This poll began with no region, so with no pending request.
            self.deliverable.store(false, Ordering::Relaxed);
        }
        let id = inner.next_region;
        inner.next_region += 1;
        inner.regions.push((id, waker.clone()));
        Some(id)
    }

    /// The id the next region will get: regions registered from now on have ids at
    /// least this.
    pub(crate) fn region_base(&self) -> u64 {
        self.lock().next_region
    }

    /// At a timeout's expiry: when catch regions registered since `base` are active
    /// (inside the timeout's work), registers the timeout as a region just outside
    /// them and requests the task's cancellation, so the innermost of them receives
    /// it (asyncio's `timeout` cancels the task). Returns the timeout's region id;
    /// `None`, changing nothing, when there is no such region.
    pub(crate) fn cancel_into_regions(&self, base: u64, waker: &Waker) -> Option<u64> {
        let (id, wake) = {
            let mut inner = self.lock();
            let header = self.header(&inner)?;
            let position = inner.regions.iter().position(|(r, _)| *r >= base)?;
            header.try_request(CONFIRMED).ok()?;
            inner.message = None;
            let id = inner.next_region;
            inner.next_region += 1;
            inner.regions.insert(position, (id, waker.clone()));
            (id, inner.innermost_region_waker())
        };
        if let Some(wake) = wake {
            wake.wake();
        }
        Some(id)
    }

    /// A task group's child failed: interrupts the group's body (asyncio cancels the
    /// task that runs `async with TaskGroup()`) when its innermost catch region was
    /// opened since `base` (inside the body). Only that region is told: it resolves
    /// to `Err(Cancelled)` at its next poll, and if it ends first the interruption
    /// vanishes with it, so a task without such a region is never dropped by it. The
    /// request counts in `cancelling()` until the group takes it back. Returns
    /// whether a region was interrupted.
    pub(crate) fn interrupt_region_since(&self, base: u64) -> bool {
        let waker = {
            let mut inner = self.lock();
            let Some(header) = self.header(&inner) else {
                return false;
            };
            let Some((id, waker)) = inner.regions.last().cloned() else {
                return false;
            };
            if id < base || inner.interrupted_region.is_some() {
                return false;
            }
            let mut cur = header.cancel.load(Ordering::SeqCst);
            loop {
                if cur & DONE != 0 {
                    return false;
                }
                match header.cancel.compare_exchange_weak(
                    cur,
                    cur + COUNT_ONE,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                ) {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
            inner.interrupted_region = Some(id);
            waker
        };
        waker.wake();
        true
    }

    /// At each poll of region `id`: takes a pending request if `id` is the innermost
    /// region, and refreshes its waker otherwise.
    pub(crate) fn region_check(&self, id: u64, waker: &Waker) -> Option<Delivery> {
        let mut inner = self.lock();
        let header = self.header(&inner)?;
        let innermost = inner.regions.last().is_some_and(|(last, _)| *last == id);
        if innermost && inner.interrupted_region == Some(id) {
            inner.interrupted_region = None;
            inner.regions.pop();
            if inner.regions.is_empty() {
                header.cancel.fetch_and(!IN_REGION, Ordering::SeqCst);
            }
            return Some(Delivery { message: None });
        }
        if innermost
            && header.cancel.load(Ordering::SeqCst) & PENDING != 0
            && self.deliverable.swap(false, Ordering::Relaxed)
        {
            header
                .cancel
                .fetch_and(!(PENDING | CONFIRMED), Ordering::SeqCst);
            inner.regions.pop();
            if inner.regions.is_empty() {
                header.cancel.fetch_and(!IN_REGION, Ordering::SeqCst);
            }
            return Some(Delivery {
                message: inner.message.clone(),
            });
        }
        if let Some((_, w)) = inner.regions.iter_mut().find(|(r, _)| *r == id) {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
        None
    }

    /// Unregisters region `id` (it finished or was dropped).
    pub(crate) fn pop_region(&self, id: u64) {
        let mut inner = self.lock();
        let Some(position) = inner.regions.iter().position(|(r, _)| *r == id) else {
            return;
        };
        inner.regions.remove(position);
        if inner.interrupted_region == Some(id) {
            inner.interrupted_region = None;
        }
        if inner.regions.is_empty() {
            self.deliverable.store(false, Ordering::Relaxed);
            if let Some(header) = self.header(&inner) {
                header.cancel.fetch_and(!IN_REGION, Ordering::SeqCst);
            }
        }
    }

    /// Re-raises a caught cancellation from inside the task: the request is pending
    /// again (with its message) and is delivered to the next region out, or ends the
    /// task.
    pub(crate) fn rearm(&self, message: Option<Arc<str>>, waker: &Waker) {
        let region = {
            let mut inner = self.lock();
            let Some(header) = self.header(&inner) else {
                return;
            };
            header
                .cancel
                .fetch_or(PENDING | CONFIRMED, Ordering::SeqCst);
            inner.message = message;
            inner.innermost_region_waker()
        };
        match region {
            Some(region) => region.wake(),
            None => waker.wake_by_ref(),
        }
    }
}

impl fmt::Debug for TaskShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskShared")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn run_callback(callback: Callback, handle: &TaskHandle) {
    // asyncio logs an exception raised by a callback and goes on; so do we.
    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(handle)))
    {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("<non-string payload>");
        eprintln!(
            "Exception in done callback of {}: {message}",
            handle.shared.id
        );
    }
}

/// Waits for the end of one task, registered in its shared part; forgets its slot
/// when dropped.
#[derive(Debug)]
pub(crate) struct DoneWaiter {
    pub(crate) shared: Arc<TaskShared>,
    key: Option<usize>,
}

impl DoneWaiter {
    pub(crate) fn new(shared: Arc<TaskShared>) -> Self {
        DoneWaiter { shared, key: None }
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<u32> {
        self.shared.poll_done(&mut self.key, cx)
    }
}

impl Drop for DoneWaiter {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.forget_waiter(key);
        }
    }
}
