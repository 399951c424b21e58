//! Tasks: the [`Task`] handle, [`TaskHandle`], their errors, ids, states and
//! snapshots, the task [`Builder`], and cancellation ([`catch_cancel`], [`commit`]).
//!
//! Every task is an `async-task` allocation whose metadata is a small header (id,
//! name, spawn location, spawn time, state, poll count, cancellation word). The
//! scheduling state machine is written down in `header.rs`:
//!
//! ```text
//! Scheduled ──run──▶ Running ──Pending──▶ Waiting ──wake──▶ Scheduled
//!                       └──Ready / panic / delivered cancel──▶ Finished
//! ```
//!
//! # Cancellation: asyncio's model, Rust's safety
//!
//! ```text
//!  cancel(msg) ──▶ request pending ──next poll of the task──▶ delivery
//!      │ (refused: false, if the outcome            │
//!      │  is decided or the task committed)         ├─ no catch region: the future is
//!      │                                            │  dropped at its await ─────────┐
//!      │                                            └─ innermost catch region: its   │
//!      │                                               inner future is dropped, it   │
//!      │                                               resolves to Err(Cancelled) ─┐ │
//!      │                                                                           │ │
//!      │        clean-up (may await) ◀───────────────────────────────────────────┘ │
//!      │          ├─ reraise ──▶ request pending again (next region out, or end) ──┤
//!      │          └─ uncancel / go on ──▶ the task runs on, may return a value     │
//!      │                                                                           ▼
//!      │                       awaited tasks cancelled, same message, awaited ──▶ Finished
//!      │                                                                    (Cancelled(msg))
//! ```
//!
//! - **Request.** [`Task::cancel`], [`Task::cancel_with`] and [`TaskHandle::cancel_with`]
//!   set a pending request in the header's cancellation word with one atomic
//!   compare-and-swap against the completion, which sets the outcome in the same word.
//!   So `cancel()` returns `true` exactly when the request takes effect and `false`
//!   (the value is kept) when the outcome was already decided. On the multi-thread
//!   executor a request can race a poll running on another worker: from outside a
//!   task, `cancel()` waits for that poll to end and the value it returns wins
//!   (answer `false`); from inside a task it does not wait when the target is itself
//!   waiting in a `cancel()` (two tasks cancelling each other), and the request then
//!   wins over the value. A poll that panics is decided by the same rule: a request
//!   that stood before it (or was confirmed) and was not delivered to a region makes
//!   the task end cancelled, its panic reported as never retrieved; one that lost
//!   the race leaves the panic as the outcome (answer `false`). Each accepted
//!   request counts in [`TaskHandle::cancelling`]; [`TaskHandle::uncancel`] takes
//!   one back.
//! - **The main task** of `block_on` follows the same machine: a request
//!   ([`Handle::cancel_task`](crate::Handle::cancel_task), the facade's Ctrl-C)
//!   reaches its catch regions, and when it ends cancelled `try_block_on` gives
//!   [`MainCancelled`](crate::MainCancelled).
//! - **Delivery** happens at the start of the task's next poll, that is at an await:
//!   code between two awaits is never interrupted, and a task woken and cancelled at
//!   the same time does not run past its await.
//! - **Catch point.** [`catch_cancel`] marks a region; the innermost region being
//!   awaited receives a request that was pending when the poll began. It drops its
//!   inner future and resolves to `Err(`[`Cancelled`]`)` with the message.
//! - **Clean-up, re-raise or suppress.** After the region the task may `.await`
//!   freely. [`Cancelled::reraise`] makes the request pending again (asyncio's bare
//!   `raise`): the next region out receives it, or the task ends cancelled and
//!   awaiting it gives [`TaskError::Cancelled`] with the message. Not re-raising
//!   (asyncio's `uncancel()` and going on) lets the task run on and return a value.
//! - **Propagation.** A delivery drops futures inside a context in which every
//!   unfinished [`Task`] that was being awaited (directly, through `gather`, `wait`,
//!   `as_completed`, `wait_for`/`timeout`, or a `TaskGroup`'s children) is cancelled
//!   with the same message instead of detached; the region (or the task's end, or
//!   the expired timeout) then waits until those tasks ended: inner clean-up first.
//!   Outside such a drop, dropping a `Task` detaches it, as asyncio keeps a task
//!   running when its reference goes.
//! - **Timeouts.** An expired [`timeout`](crate::timeout)/[`wait_for`](crate::wait_for)
//!   whose work has catch regions in the task delivers to them (its own region,
//!   just outside, gets a re-raise). Otherwise it polls the work once more while
//!   *probing*: every unfinished [`Task`] that poll reaches is cancelled instead of
//!   dropped, and the timeout waits for them; if all of them suppressed the request
//!   and returned values, the work runs on with those values and its result is
//!   returned (asyncio's `wait_for` on a task that catches and returns); if one ended
//!   cancelled, the work is dropped at its await and `Err(Elapsed)` returned.
//! - **Task groups.** A child failure cancels the siblings and interrupts the body:
//!   [`TaskGroup::scope`](crate::combinators::TaskGroup::scope) with a request the
//!   scope's own region catches; a group from `TaskGroup::new()` only at a catch
//!   region the creating task opened after `new()` (the interruption is addressed to
//!   that region alone, so it never drops a task), taken back by `join`.
//! - **Shield.** [`shield`](crate::shield) never counts its task as awaited, so a
//!   cancellation of the waiter (or a timeout's probe) leaves the task running.
//! - **Commit.** [`commit`] makes the rest of a task uncancellable (how a scheduled
//!   callback decides to run), so `cancel()` answers `false` from then on.
//!
//! Cost: a task that uses none of this pays a 32-bit cancellation word in its
//! header (the shared part's pointer takes the word that holds the spawn location
//! until then), one atomic swap and one load per poll and one compare-and-swap
//! when it completes; handles, messages, callbacks and regions allocate the task's
//! shared part on first use. An awaited task's `Pending` checks one thread-local (the
//! timeout probe).

mod catch;
pub(crate) mod current;
mod error;
mod handle;
pub(crate) mod header;
mod id;
mod meta;
pub(crate) mod propagate;
pub(crate) mod shared;
mod shared_task;
mod snapshot;
pub(crate) mod task_future;

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

pub use catch::{catch_cancel, commit, CatchCancel, Reraise};
pub use error::{Cancelled, PanicPayload, PanicReport, TaskError, UnretrievedPanicHook};
pub use handle::{TaskHandle, TaskOutcome, WaitDone};
pub(crate) use header::Header;
pub use id::TaskId;
pub use shared_task::SharedTask;
pub use snapshot::{TaskSnapshot, TaskState};

use crate::runtime::{context, Handle};

type RawTask<T> = async_task::FallibleTask<Result<T, TaskError>, Header>;

/// A handle to a spawned task: await it for the task's value.
///
/// `Task<T>` is a `Future` whose output is `Result<T, TaskError>`: `Ok` with the
/// value, or an error saying the task was cancelled or panicked (with the payload).
///
/// **Dropping a `Task` detaches it**: the task keeps running to completion, as an
/// asyncio task does when nobody holds a reference to it. Call [`cancel`](Task::cancel)
/// to stop it. If a detached task panics, the panic is reported on stderr ("Task
/// exception was never retrieved") or through the runtime's
/// [`on_unretrieved_panic`](crate::Builder::on_unretrieved_panic) hook.
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = ferrio_core::spawn(async { 40 + 2 });
/// assert_eq!(task.await.unwrap(), 42);
///
/// let task = ferrio_core::spawn(std::future::pending::<()>());
/// assert!(task.cancel());
/// assert!(task.await.unwrap_err().is_cancelled());
/// # });
/// ```
#[must_use = "dropping a Task detaches it; call .detach() to make that explicit"]
pub struct Task<T> {
    /// Detached, and so dropped, only by `Drop`.
    raw: ManuallyDrop<RawTask<T>>,
    /// The header in the task allocation, which `raw` keeps alive.
    header: NonNull<Header>,
    slot: Slot<T>,
}

/// What a [`Task`] handle knows of its task's result (one enum, so `Task<u64>`
/// is four words: the result's tag has room for the other cases).
enum Slot<T> {
    /// Not polled while unfinished.
    Idle,
    /// Polled while unfinished: someone awaits it, so a cancellation that drops the
    /// handle travels on to the task (see `propagate`).
    Awaited,
    /// The result, taken from the task by `poll_ready` and not handed out yet.
    Ready(Result<T, TaskError>),
    /// The result was handed out; polling again is a bug.
    Consumed,
}

// SAFETY: `header` points into the allocation `raw` keeps alive; the header is Sync.
// The other fields are Send when T is.
unsafe impl<T: Send> Send for Task<T> {}
// SAFETY: `&Task` only reads the header (Sync) and checks `raw`'s state through
// async-task's atomics; the output is reached only through `&mut self`.
unsafe impl<T: Send> Sync for Task<T> {}

impl<T> Unpin for Task<T> {}

impl<T> Task<T> {
    pub(crate) fn from_raw(task: async_task::Task<Result<T, TaskError>, Header>) -> Self {
        let header = NonNull::from(task.metadata());
        Task {
            raw: ManuallyDrop::new(task.fallible()),
            header,
            slot: Slot::Idle,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: `raw` (never dropped before `self`) keeps the task allocation, and
        // so the header in it, alive.
        unsafe { self.header.as_ref() }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.header().id
    }

    /// The task's name, if it was spawned with one through [`Builder::name`].
    pub fn name(&self) -> Option<&str> {
        self.header().name().map(|name| &**name)
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.header().location()
    }

    /// Whether the task has finished (completed, panicked, or cancelled): awaiting it
    /// will not wait.
    pub fn is_finished(&self) -> bool {
        matches!(self.slot, Slot::Ready(_) | Slot::Consumed) || self.raw.is_finished()
    }

    /// A snapshot of the task (state, poll count, age...).
    pub fn snapshot(&self) -> TaskSnapshot {
        let mut snap = self.header().snapshot();
        if self.is_finished() {
            snap.state = TaskState::Finished;
        }
        snap
    }

    /// Requests cancellation: the task's future is dropped at its next await (its
    /// destructors run on the runtime; the tasks it awaits are cancelled too) and
    /// awaiting the task then gives [`TaskError::Cancelled`], unless a
    /// [`catch_cancel`] region receives the request.
    ///
    /// The answer is the truth. `true`: the request takes effect (the task ends
    /// cancelled, or a catch region receives it). `false`: it was refused because the
    /// task already finished (or [`commit`]ted), and its value is kept.
    ///
    /// On the multi-thread executor the task may be in the middle of a poll on
    /// another worker. Called from outside a task (the main future, a foreign
    /// thread), `cancel` then waits for that poll to end: if it finished the task,
    /// the value wins and the answer is `false`. Called from inside a task it does
    /// not wait (two tasks cancelling each other must not deadlock): the request
    /// stands and wins over the value that poll may return. The same rule decides
    /// a poll that panics: a request that stood before it (or was confirmed during
    /// it) and was not delivered to a catch region makes the task end cancelled, and
    /// the panic is reported as never retrieved; one that lost the race (answer
    /// `false`) leaves the panic as the outcome.
    pub fn cancel(&self) -> bool {
        self.header().cancel_request(None)
    }

    /// [`cancel`](Task::cancel) with a message (asyncio's `task.cancel(msg)`):
    /// awaiting the task gives [`TaskError::Cancelled`] carrying it, and a catch
    /// region receives it in its [`Cancelled`].
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.header().cancel_request(Some(message.into()))
    }

    /// A cloneable, `Send + Sync` [`TaskHandle`] to this task, for anyone to cancel,
    /// inspect or await its end while this `Task` keeps the value.
    pub fn handle(&self) -> TaskHandle {
        TaskHandle {
            shared: self.header().shared(),
        }
    }

    /// Cancels the task as part of the cancellation being delivered on this thread
    /// (its message, its clean-up awaited), or plainly outside one.
    pub(crate) fn cancel_propagated(&self) {
        match propagate::current_message() {
            Some(message) => propagate::cancel_into_context(self.header(), message),
            None => {
                self.cancel();
            }
        }
    }

    /// No longer counts as awaited: dropping the handle then detaches even inside a
    /// cancellation (used by `shield` and by `wait` for the tasks it hands back).
    pub(crate) fn unmark_awaited(&mut self) {
        if matches!(self.slot, Slot::Awaited) {
            self.slot = Slot::Idle;
        }
    }

    /// Lets the task run on with no handle. Same as dropping the handle, said out
    /// loud.
    pub fn detach(mut self) {
        // `Drop` detaches the raw task.
        self.unmark_awaited();
    }

    /// Polls for completion without taking the result; once this returns `Ready`,
    /// [`try_result`](Task::try_result) gives the result. Used by combinators that
    /// hand back finished tasks (`wait`).
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if matches!(self.slot, Slot::Ready(_) | Slot::Consumed) {
            return Poll::Ready(());
        }
        match self.poll_raw(cx) {
            Poll::Ready(out) => {
                self.slot = Slot::Ready(out);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Polls the task itself (its output not yet taken nor stored).
    #[inline]
    fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        match Pin::new(&mut *self.raw).poll(cx) {
            Poll::Ready(Some(Ok(value))) => Poll::Ready(Ok(value)),
            Poll::Ready(out) => Poll::Ready(Err(self.task_error(out))),
            Poll::Pending => {
                self.slot = Slot::Awaited;
                // An expired timeout probing its work cancels the tasks it awaits.
                propagate::on_awaited_pending(self.header());
                Poll::Pending
            }
        }
    }

    #[cold]
    fn task_error(&self, out: Option<Result<T, TaskError>>) -> TaskError {
        match out {
            Some(Err(TaskError::Panicked(mut payload))) => {
                payload.disarm();
                TaskError::Panicked(payload)
            }
            Some(Err(TaskError::Cancelled(c))) => TaskError::Cancelled(c),
            Some(Ok(_)) => unreachable!("values are handled by the caller"),
            // The future was dropped before it finished (shutdown).
            None => TaskError::Cancelled(Cancelled::from_message(self.header().message())),
        }
    }

    /// The task's result if it has finished, taking it out of the handle; `None` if
    /// it is still running or the result was already taken.
    pub fn try_result(&mut self) -> Option<Result<T, TaskError>> {
        if matches!(self.slot, Slot::Idle | Slot::Awaited) && self.is_finished() {
            let mut cx = Context::from_waker(noop_waker());
            let _ = self.poll_ready(&mut cx);
        }
        if !matches!(self.slot, Slot::Ready(_)) {
            return None;
        }
        match std::mem::replace(&mut self.slot, Slot::Consumed) {
            Slot::Ready(out) => Some(out),
            _ => unreachable!("checked just above"),
        }
    }

    /// The result [`poll_ready`](Task::poll_ready) saw, without taking it: `None`
    /// until `poll_ready` returned `Ready` (or once the result was taken). Lets
    /// `wait(.., ReturnWhen::FirstException)` classify a finished task and still hand
    /// it back with its result inside.
    pub fn peek_result(&self) -> Option<&Result<T, TaskError>> {
        match &self.slot {
            Slot::Ready(out) => Some(out),
            _ => None,
        }
    }
}

/// A waker that does nothing, for polling a finished task.
fn noop_waker() -> &'static Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    static NOOP: std::sync::OnceLock<Waker> = std::sync::OnceLock::new();
    NOOP.get_or_init(|| Waker::from(Arc::new(Noop)))
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Stored by `poll_ready` (a combinator looked first), or straight from the
        // task: the value is moved once.
        let out = match &self.slot {
            Slot::Idle | Slot::Awaited => match self.poll_raw(cx) {
                Poll::Ready(out) => out,
                Poll::Pending => return Poll::Pending,
            },
            Slot::Ready(_) => match std::mem::replace(&mut self.slot, Slot::Consumed) {
                Slot::Ready(out) => out,
                _ => unreachable!("matched just above"),
            },
            Slot::Consumed => panic!("a Task was polled after it returned its result"),
        };
        self.slot = Slot::Consumed;
        Poll::Ready(out)
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        // SAFETY: taken once, here; `self.raw` is not used after.
        let raw = unsafe { ManuallyDrop::take(&mut self.raw) };
        // Dropped by a cancellation of its awaiter: the request travels on. (`raw`
        // keeps the header alive meanwhile.)
        if matches!(self.slot, Slot::Awaited) && !raw.is_finished() {
            propagate::on_awaited_drop(self.header());
        }
        raw.detach();
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Spawns a task with options: a name for introspection and reports.
///
/// # Examples
///
/// ```
/// use ferrio_core::TaskBuilder;
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = TaskBuilder::new().name("fetcher").spawn(async { 7 });
/// assert_eq!(task.name(), Some("fetcher"));
/// assert_eq!(task.await.unwrap(), 7);
/// # });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<Arc<str>>,
}

impl Builder {
    /// A builder with no name set.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task (asyncio's `create_task(..., name=...)`).
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns `future` on the runtime running on this thread.
    ///
    /// # Panics
    ///
    /// Outside a runtime; see [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        context::with_current(|rt| rt.spawn(future, self.name, location), "ferrio::spawn")
    }

    /// Spawns `future` on the runtime `handle` refers to, from any thread.
    #[track_caller]
    pub fn spawn_on<F>(self, handle: &Handle, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.shared.spawn(future, self.name, Location::caller())
    }

    /// Spawns a `!Send` future on the single-thread loop running on this thread.
    ///
    /// # Panics
    ///
    /// Outside a single-thread loop; see [`spawn_local`](crate::spawn_local).
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let location = Location::caller();
        context::spawn_local(future, self.name, location)
    }
}
