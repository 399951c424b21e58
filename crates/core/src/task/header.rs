//! The per-task header kept in the task allocation (async-task's metadata), and the
//! future wrapper that every spawned future runs inside.
//!
//! # Task state machine
//!
//! ```text
//!            spawn                 poll returns Pending
//!   ─────────────▶ Scheduled ──run──▶ Running ─────────────────▶ Waiting
//!                    ▲  ▲               │  │                       │
//!                    │  └──────wake─────┼──┼───────────────────────┘
//!                    │                  │  │ woken while running (yield_now):
//!                    └──────────────────┘  │ rescheduled once the poll returns
//!                                          ▼
//!            poll returns Ready / panics / sees a cancel request
//!                                       Finished
//! ```
//!
//! - The scheduler stores `Scheduled` when it queues the runnable; the wrapper stores
//!   `Running` before polling and `Waiting` or `Finished` after. Only one thread polls
//!   a task at a time, and async-task calls the scheduler for a wake that arrived
//!   during the poll only after the poll returned, so plain stores suffice.
//! - Cancellation is a flag in the header. [`Task::cancel`](crate::Task::cancel) sets
//!   it and wakes the task through the waker the runtime's registry holds; the next
//!   poll drops the inner future (its destructors run inside the task) and completes
//!   the task with [`TaskError::Cancelled`].
//! - A panic in a poll is caught here: the inner future is dropped and the task
//!   completes with [`TaskError::Panicked`]. The payload reports itself when dropped
//!   unretrieved.
//! - The task leaves the registry when the wrapper is dropped, which async-task does
//!   right after the last poll (it only clears its `alive` flag; the registry
//!   sweeps), so `all_tasks()` lists exactly the live futures.

use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::error::{PanicPayload, TaskError, UnretrievedPanic};
use super::TaskId;
use crate::runtime::shared::Shared;

/// Where a task is in its life. See the [state machine](crate::task) diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Queued to run.
    Scheduled,
    /// Being polled right now.
    Running,
    /// Waiting to be woken.
    Waiting,
    /// Done: completed, panicked, or cancelled.
    Finished,
}

impl TaskState {
    fn from_u8(v: u8) -> TaskState {
        match v {
            0 => TaskState::Scheduled,
            1 => TaskState::Running,
            2 => TaskState::Waiting,
            _ => TaskState::Finished,
        }
    }
}

/// A point-in-time view of one task, as [`all_tasks`](crate::all_tasks) and
/// [`current_task`](crate::current_task) give it.
///
/// # Examples
///
/// ```
/// use ferrio_core::{current_task, TaskBuilder, TaskState};
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = TaskBuilder::new().name("worker").spawn(async {
///     current_task().expect("inside a task")
/// });
/// let snap = task.await.unwrap();
/// assert_eq!(snap.name.as_deref(), Some("worker"));
/// assert_eq!(snap.state, TaskState::Running);
/// assert_eq!(snap.polls, 1);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct TaskSnapshot {
    /// The task's id.
    pub id: TaskId,
    /// The task's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// Its state when the snapshot was taken.
    pub state: TaskState,
    /// Where it was spawned (`#[track_caller]`).
    pub location: &'static Location<'static>,
    /// When it was spawned.
    pub spawned_at: Instant,
    /// How many times it was polled.
    pub polls: u64,
}

impl TaskSnapshot {
    /// How long ago the task was spawned.
    pub fn age(&self) -> Duration {
        self.spawned_at.elapsed()
    }
}

pub(crate) const SCHEDULED: u8 = 0;
const RUNNING: u8 = 1;
const WAITING: u8 = 2;
const FINISHED: u8 = 3;

/// The metadata of every task, stored in its async-task allocation.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) spawned_at: Instant,
    state: AtomicU8,
    polls: AtomicU64,
    cancel_requested: AtomicBool,
    /// The future has not been dropped yet.
    alive: AtomicBool,
    /// The task's key in its runtime's registry, written once before the task is
    /// first scheduled.
    pub(crate) registry_key: AtomicUsize,
    /// The runtime the task belongs to. The schedule function is a zero-sized fn
    /// that finds the runtime here (no per-schedule reference-count guard).
    pub(crate) rt: Arc<Shared>,
}

impl Header {
    pub(crate) fn new(
        rt: &Arc<Shared>,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
    ) -> Header {
        Header {
            id: TaskId::next(),
            name,
            location,
            spawned_at: crate::runtime::context::coarse_now(),
            state: AtomicU8::new(SCHEDULED),
            polls: AtomicU64::new(0),
            cancel_requested: AtomicBool::new(false),
            alive: AtomicBool::new(true),
            registry_key: AtomicUsize::new(usize::MAX),
            rt: rt.clone(),
        }
    }

    pub(crate) fn rt(&self) -> &Shared {
        &self.rt
    }

    #[inline]
    pub(crate) fn set_scheduled(&self) {
        self.state.store(SCHEDULED, Ordering::Relaxed);
    }

    pub(crate) fn state(&self) -> TaskState {
        TaskState::from_u8(self.state.load(Ordering::Relaxed))
    }

    /// Whether the task's future still exists.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Asks the task to stop at its next poll.
    pub(crate) fn request_cancel(&self) {
        self.cancel_requested.store(true, Ordering::Release);
    }

    /// Whether cancellation was requested (by [`Task::cancel`](crate::Task::cancel),
    /// a task group or shutdown).
    pub(crate) fn cancel_requested(&self) -> bool {
        self.cancel_requested.load(Ordering::Acquire)
    }

    pub(crate) fn snapshot(&self) -> TaskSnapshot {
        TaskSnapshot {
            id: self.id,
            name: self.name.clone(),
            state: self.state(),
            location: self.location,
            spawned_at: self.spawned_at,
            polls: self.polls.load(Ordering::Relaxed),
        }
    }
}

thread_local! {
    static CURRENT_TASK: Cell<*const Header> = const { Cell::new(std::ptr::null()) };
}

/// A snapshot of the task being polled on this thread, if any.
pub(crate) fn current_snapshot() -> Option<TaskSnapshot> {
    CURRENT_TASK.with(|c| {
        let ptr = c.get();
        // SAFETY: the pointer is set only for the duration of a poll of the task
        // whose header it points to, and that header outlives the poll.
        (!ptr.is_null()).then(|| unsafe { (*ptr).snapshot() })
    })
}

/// Hooks for the main future of `block_on`, which the runtime polls itself rather
/// than through async-task (`runtime/main_task.rs`), so that it still shows in
/// `current_task()`/`all_tasks()` with its state and poll count.
impl Header {
    /// Marks the start of a poll of the main future; the guard marks its end.
    pub(crate) fn begin_main_poll(&self) -> MainPollGuard<'_> {
        self.state.store(RUNNING, Ordering::Relaxed);
        self.polls
            .store(self.polls.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        let prev = CURRENT_TASK.with(|c| c.replace(self));
        MainPollGuard { header: self, prev }
    }

    /// The main future is gone: it leaves the registry.
    pub(crate) fn finish_main(&self) {
        self.state.store(FINISHED, Ordering::Relaxed);
        self.alive.store(false, Ordering::Release);
        self.rt().registry.retire(self);
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
        self.header.state.store(WAITING, Ordering::Relaxed);
    }
}

/// Restores the previous current task when a poll ends, even by unwinding.
struct CurrentTaskGuard(*const Header);

impl Drop for CurrentTaskGuard {
    fn drop(&mut self) {
        let _ = CURRENT_TASK.try_with(|c| c.set(self.0));
    }
}

pin_project! {
    /// Wraps a spawned future: tracks its state, honours cancellation, catches its
    /// panics, and removes the task from the registry when dropped.
    pub(crate) struct TaskFuture<F> {
        header: NonNull<Header>,
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for TaskFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            drop_inner(this.future);
            // SAFETY: the header lives in the task allocation that also holds this
            // future, so it outlives it.
            let header = unsafe { this.header.as_ref() };
            header.state.store(FINISHED, Ordering::Relaxed);
            header.alive.store(false, Ordering::Release);
            header.rt().registry.retire(header);
        }
    }
}

// SAFETY: `header` points into the task allocation and is only read (Header is
// Sync); the future itself is Send by the bound.
unsafe impl<F: Send> Send for TaskFuture<F> {}

impl<F> TaskFuture<F> {
    pub(crate) fn new(header: &Header, future: F) -> Self {
        TaskFuture {
            header: NonNull::from(header),
            future: Some(future),
        }
    }
}

/// Drops the inner future, containing a panicking destructor.
fn drop_inner<F>(future: Pin<&mut Option<F>>) -> Option<Box<dyn std::any::Any + Send>> {
    if future.is_none() {
        return None;
    }
    let mut future = future;
    catch_unwind(AssertUnwindSafe(|| future.set(None))).err()
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Result<F::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // SAFETY: see `PinnedDrop` above: the header outlives the future.
        let header = unsafe { this.header.as_ref() };
        let mut future = this.future;
        if header.cancel_requested.load(Ordering::Acquire) {
            header.state.store(FINISHED, Ordering::Relaxed);
            return Poll::Ready(match drop_inner(future) {
                Some(panic) => Err(panicked(header, panic)),
                None => Err(TaskError::Cancelled),
            });
        }
        header.state.store(RUNNING, Ordering::Relaxed);
        header
            .polls
            .store(header.polls.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        let hook = header.rt().poll_hook.as_ref();
        let started = hook.map(|hook| {
            hook.before_poll(&header.snapshot());
            Instant::now()
        });
        let result = {
            let _restore = CurrentTaskGuard(CURRENT_TASK.with(|c| c.replace(header)));
            catch_unwind(AssertUnwindSafe(|| match future.as_mut().as_pin_mut() {
                Some(f) => f.poll(cx),
                None => panic!("a finished task was polled"),
            }))
        };
        if let (Some(hook), Some(started)) = (hook, started) {
            hook.after_poll(header.id, started.elapsed());
        }
        match result {
            Ok(Poll::Pending) => {
                header.state.store(WAITING, Ordering::Relaxed);
                Poll::Pending
            }
            Ok(Poll::Ready(value)) => {
                header.state.store(FINISHED, Ordering::Relaxed);
                match drop_inner(future) {
                    Some(panic) => Poll::Ready(Err(panicked(header, panic))),
                    None => Poll::Ready(Ok(value)),
                }
            }
            Err(panic) => {
                header.state.store(FINISHED, Ordering::Relaxed);
                // The destructor's own panic, if any, is secondary: keep the first.
                drop(drop_inner(future));
                Poll::Ready(Err(panicked(header, panic)))
            }
        }
    }
}

fn panicked(header: &Header, payload: Box<dyn std::any::Any + Send>) -> TaskError {
    TaskError::Panicked(PanicPayload::new(
        payload,
        Some(UnretrievedPanic {
            id: header.id,
            name: header.name.clone(),
            location: header.location,
            hook: header.rt().panic_hook.clone(),
        }),
    ))
}
