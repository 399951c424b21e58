//! `TaskGroup`: structured concurrency, asyncio's `async with TaskGroup() as tg:`.
//!
//! # How it works
//!
//! Every child runs inside a wrapper future that owns a guard. The wrapper catches the
//! child's panic, stores an `Ok` value in the child's result slot (read through its
//! [`GroupTask`] handle) and hands an `Err` or a panic to the group. The guard, dropped
//! when the wrapper finishes *or* is cancelled (even before its first poll), removes the
//! child from the group's live count and wakes `join`. So `join` returns only once every
//! child's future has been dropped: no child outlives the group.
//!
//! The first failure switches the group to *aborting*: the failing child's wrapper
//! cancels every sibling through its [`Task`] handle (outside the group's lock, since a
//! cancelled task may be dropped at once and its guard takes the lock), and spawning
//! into the group is refused from then on.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_lite::FutureExt;
use slab::Slab;

use crate::task::current::current_header;
use crate::task::shared::TaskShared;
use crate::{Task, TaskBuilder, TaskHandle, TaskId};

mod error;
mod scope;

pub use error::{ChildFailure, FailureKind, GroupClosed, GroupTaskError, TaskGroupError};

/// A group of child tasks that live no longer than the group, asyncio's `TaskGroup`.
///
/// - [`spawn`](TaskGroup::spawn) starts a child at once (on the current runtime) and
///   returns a [`GroupTask`] handle to its value. Children return `Result<T, E>`, one
///   error type `E` per group, any `T` per child.
/// - [`join`](TaskGroup::join) waits until every child has finished and returns `Ok(())`,
///   or the first failure as a [`TaskGroupError`]: which child, and whether it returned
///   `Err` or panicked. Failures that happened afterwards (a sibling that failed before
///   its cancellation landed) ride along in [`TaskGroupError::later`].
/// - The first failure cancels every other child at once, whether or not `join` is being
///   awaited; the group then refuses new children.
/// - Dropping the group (including dropping an unfinished `join`, which owns it) cancels
///   every child that is still running.
/// - Cancelling one child through its handle is not a failure: the others carry on.
/// - Children that start siblings use a [`GroupSpawner`] ([`TaskGroup::spawner`]);
///   `!Send` children run on the single-thread loop through
///   [`spawn_local`](TaskGroup::spawn_local).
///
/// As in asyncio, the first failure also interrupts the code that owns the group
/// (the task that called [`new`](TaskGroup::new), until it awaits
/// [`join`](TaskGroup::join)), where it can be caught: when that task is awaiting a
/// [`catch_cancel`](crate::task::catch_cancel) region opened after the group was
/// created, the region resolves to `Err(Cancelled)`; the owner cleans up, goes on
/// to `join`, which takes the interruption back (asyncio's `uncancel` in
/// `__aexit__`) and returns the group's error. Without such a region the owner is
/// not interrupted (dropping its whole future would lose the group's error, which
/// in asyncio `__aexit__` turns the `CancelledError` into): it learns of the
/// failure at `join`. If the region re-raises, the owner ends cancelled and the
/// group, dropped with it, cancels its children. [`TaskGroup::scope`], which owns
/// the body, interrupts it at any await and also reports the body's own error.
///
/// # Examples
///
/// ```
/// use ferrio_core::{Runtime, combinators::TaskGroup};
/// # let runtime = Runtime::new().unwrap();
/// runtime.block_on(async {
///     let group = TaskGroup::<std::io::Error>::new();
///     let a = group.spawn(async { Ok(1) });
///     let b = group.spawn(async { Ok("two") });
///     group.join().await.unwrap();
///     assert_eq!(a.await.unwrap(), 1);
///     assert_eq!(b.await.unwrap(), "two");
/// });
/// ```
pub struct TaskGroup<E> {
    shared: Arc<GroupShared<E>>,
}

struct GroupShared<E> {
    state: Mutex<GroupState<E>>,
}

struct GroupState<E> {
    /// Children still running, keyed by their slot in the group.
    children: Slab<ChildEntry>,
    /// Children whose future has not been dropped yet (includes children whose handle
    /// was already taken out of `children` to be cancelled).
    live: usize,
    /// How many children were spawned; the next child's index.
    spawned: usize,
    phase: Phase,
    failure: Option<TaskGroupError<E>>,
    join_waker: Option<Waker>,
    /// The task running the body of a [`TaskGroup::scope`]: a child failure cancels it.
    owner: Option<TaskHandle>,
    /// The group cancelled the owner (once).
    owner_cancelled: bool,
    /// The task that created a group with [`TaskGroup::new`] and the first id of the
    /// catch regions opened after that (inside the body, until `join` is awaited):
    /// a child failure interrupts such a region.
    body: Option<(Arc<TaskShared>, u64)>,
    /// The body's region that the group interrupted, whose request `join` takes back.
    body_interrupted: Option<Arc<TaskShared>>,
}

struct ChildEntry {
    /// Spawn order; tells this child from a later one that reuses its slab key.
    index: usize,
    /// `None` until `spawn` returned, or once the handle was taken out to cancel it.
    task: Option<Task<()>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Aborting,
    Closed,
}

impl<E> GroupShared<E> {
    fn lock(&self) -> MutexGuard<'_, GroupState<E>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the failure of the child at `key`; the first one aborts the group and
    /// cancels the other children.
    fn fail(&self, key: usize, failure: ChildFailure<E>) {
        let to_cancel = {
            let mut state = self.lock();
            match &mut state.failure {
                Some(first) => {
                    first.later.push(failure);
                    return;
                }
                None => {
                    state.failure = Some(TaskGroupError {
                        first: failure,
                        later: Vec::new(),
                    });
                }
            }
            let owner = match state.owner.clone() {
                Some(owner) if !state.owner_cancelled => {
                    state.owner_cancelled = true;
                    Some(owner)
                }
                _ => None,
            };
            if owner.is_none() {
                // Under the group's lock, so `join` (which ends the body) orders with it.
                if let Some((body, base)) = state.body.take() {
                    if body.interrupt_region_since(base) {
                        state.body_interrupted = Some(body);
                    }
                }
            }
            (state.abort(Some(key)), owner)
        };
        let (to_cancel, owner) = to_cancel;
        cancel_all(to_cancel);
        // asyncio: the first failure also interrupts the body at its current await.
        if let Some(owner) = owner {
            owner.cancel();
        }
    }
}

impl<E> GroupState<E> {
    /// Enters the aborting phase and takes every child handle out (but `spare`'s, the
    /// failing child that is finishing by itself), to be cancelled once the lock is
    /// released.
    fn abort(&mut self, spare: Option<usize>) -> Vec<Task<()>> {
        if self.phase == Phase::Running {
            self.phase = Phase::Aborting;
        }
        self.children
            .iter_mut()
            .filter(|(key, _)| Some(*key) != spare)
            .filter_map(|(_, child)| child.task.take())
            .collect()
    }
}

fn cancel_all(tasks: Vec<Task<()>>) {
    for task in tasks {
        // Inside a cancellation of the group's owner, with its message, and the
        // owner's catch region waits for the children's clean-up.
        task.cancel_propagated();
        // Dropping the handle detaches it; the guard inside still reports the child's end.
    }
}

/// Unregisters a child when its wrapper future is dropped, finished or cancelled, and
/// marks its result slot cancelled if the child never finished.
struct ChildGuard<T, E> {
    group: Arc<GroupShared<E>>,
    slot: Arc<ResultSlot<T>>,
    key: usize,
}

impl<T, E> Drop for ChildGuard<T, E> {
    fn drop(&mut self) {
        self.slot.cancel_if_pending();
        let (handle, waker) = {
            let mut state = self.group.lock();
            let handle = state
                .children
                .try_remove(self.key)
                .and_then(|child| child.task);
            state.live -= 1;
            let waker = if state.live == 0 {
                state.join_waker.take()
            } else {
                None
            };
            (handle, waker)
        };
        // Outside the lock: dropping a handle or waking may run foreign code.
        drop(handle);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A child's place in the group, taken before its task is spawned.
struct Reservation<T, E> {
    key: usize,
    index: usize,
    slot: Arc<ResultSlot<T>>,
    guard: ChildGuard<T, E>,
}

impl<E: Send + 'static> GroupShared<E> {
    /// Counts a new child in, or hands `future` back if the group is closing.
    fn reserve<T, F>(
        self: &Arc<Self>,
        future: F,
    ) -> Result<(F, Reservation<T, E>), GroupClosed<F>> {
        let (key, index) = {
            let mut state = self.lock();
            if state.phase != Phase::Running {
                let aborting = state.phase == Phase::Aborting;
                return Err(GroupClosed { future, aborting });
            }
            let index = state.spawned;
            state.spawned += 1;
            state.live += 1;
            (
                state.children.insert(ChildEntry { index, task: None }),
                index,
            )
        };
        let slot = Arc::new(ResultSlot::new());
        let guard = ChildGuard {
            group: self.clone(),
            slot: slot.clone(),
            key,
        };
        Ok((
            future,
            Reservation {
                key,
                index,
                slot,
                guard,
            },
        ))
    }

    /// Stores the handle of a child spawned (outside the lock: a runtime that is
    /// shutting down may drop the child at once, and its guard takes the lock) and
    /// returns the child's handle.
    fn attach<T>(
        self: &Arc<Self>,
        key: usize,
        index: usize,
        slot: Arc<ResultSlot<T>>,
        task: Task<()>,
    ) -> GroupTask<T> {
        let id = task.id();
        let orphan = {
            let mut state = self.lock();
            let running = state.phase == Phase::Running;
            match state.children.get_mut(key) {
                Some(child) if child.index == index && running => {
                    child.task = Some(task);
                    None
                }
                // The group started aborting (or was dropped) while this child was being
                // spawned, or the child already finished.
                _ => Some(task),
            }
        };
        if let Some(task) = orphan {
            task.cancel();
        }
        GroupTask {
            slot,
            group: self.clone() as Arc<dyn CancelChild>,
            key,
            id,
            index,
        }
    }

    #[track_caller]
    fn try_spawn<T, F>(
        self: &Arc<Self>,
        builder: TaskBuilder,
        future: F,
    ) -> Result<GroupTask<T>, GroupClosed<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        let (future, child) = self.reserve(future)?;
        let task = builder.spawn(run_child(future, child.guard, child.index));
        Ok(self.attach(child.key, child.index, child.slot, task))
    }

    #[track_caller]
    fn try_spawn_local<T, F>(
        self: &Arc<Self>,
        builder: TaskBuilder,
        future: F,
    ) -> Result<GroupTask<T>, GroupClosed<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        let (future, child) = self.reserve(future)?;
        let task = builder.spawn_local(run_child(future, child.guard, child.index));
        Ok(self.attach(child.key, child.index, child.slot, task))
    }
}

/// Spawns into a [`TaskGroup`] from anywhere, typically from inside one of its
/// children; see [`TaskGroup::spawner`].
pub struct GroupSpawner<E> {
    shared: Arc<GroupShared<E>>,
}

impl<E> Clone for GroupSpawner<E> {
    fn clone(&self) -> Self {
        GroupSpawner {
            shared: self.shared.clone(),
        }
    }
}

impl<E: Send + 'static> GroupSpawner<E> {
    /// Starts `future` as a child of the group; see [`TaskGroup::spawn`].
    ///
    /// # Panics
    ///
    /// If the group is closing or gone; [`try_spawn`](GroupSpawner::try_spawn) returns
    /// the future instead.
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        match self.shared.try_spawn(TaskBuilder::new(), future) {
            Ok(task) => task,
            Err(closed) => panic!("{closed}; spawn into a TaskGroup only while it is running"),
        }
    }

    /// Starts a child returning a plain value; see [`TaskGroup::spawn_value`].
    ///
    /// # Panics
    ///
    /// As [`spawn`](GroupSpawner::spawn).
    #[track_caller]
    pub fn spawn_value<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(async move { Ok(future.await) })
    }

    /// Starts `future` as a child of the group, or hands it back if the group is
    /// closing or gone.
    ///
    /// # Errors
    ///
    /// [`GroupClosed`] when a child failed, `join` finished, or the group was dropped.
    #[track_caller]
    pub fn try_spawn<T, F>(&self, future: F) -> Result<GroupTask<T>, GroupClosed<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.shared.try_spawn(TaskBuilder::new(), future)
    }
}

impl<E> fmt::Debug for GroupSpawner<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupSpawner").finish_non_exhaustive()
    }
}

impl<E: Send + 'static> TaskGroup<E> {
    /// An empty group. Children are spawned onto the runtime running on the calling
    /// thread when [`spawn`](TaskGroup::spawn) is called.
    pub fn new() -> Self {
        TaskGroup {
            shared: Arc::new(GroupShared {
                state: Mutex::new(GroupState {
                    children: Slab::new(),
                    live: 0,
                    spawned: 0,
                    phase: Phase::Running,
                    failure: None,
                    join_waker: None,
                    owner: None,
                    owner_cancelled: false,
                    body: current_header().map(|owner| {
                        let shared = owner.shared();
                        let base = shared.region_base();
                        (shared, base)
                    }),
                    body_interrupted: None,
                }),
            }),
        }
    }

    /// Starts `future` as a child task at once and returns a handle to its value
    /// (asyncio's `tg.create_task(coro)`).
    ///
    /// # Panics
    ///
    /// If the group is closing (a child failed, or `join` finished), with a message
    /// saying so; [`try_spawn`](TaskGroup::try_spawn) returns the future instead. Also
    /// panics outside a runtime, like [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        match self.try_spawn(future) {
            Ok(task) => task,
            Err(closed) => panic!("{closed}; spawn into a TaskGroup only while it is running"),
        }
    }

    /// Starts a child that returns a plain value rather than a `Result`: it can only
    /// fail by panicking (asyncio's children may return anything).
    ///
    /// # Panics
    ///
    /// As [`spawn`](TaskGroup::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_core::{combinators::TaskGroup, Runtime};
    /// # Runtime::new().unwrap().block_on(async {
    /// let group = TaskGroup::<std::io::Error>::new();
    /// let child = group.spawn_value(async { 6 * 7 });
    /// group.join().await.unwrap();
    /// assert_eq!(child.await.unwrap(), 42);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_value<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(async move { Ok(future.await) })
    }

    /// Alias of [`spawn`](TaskGroup::spawn), asyncio's name.
    #[track_caller]
    pub fn create_task<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(future)
    }

    /// Like [`spawn`](TaskGroup::spawn), but a closing group hands the future back in
    /// a [`GroupClosed`] error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`GroupClosed`] if a child has failed (the group is cancelling its children) or
    /// `join` has finished.
    #[track_caller]
    pub fn try_spawn<T, F>(&self, future: F) -> Result<GroupTask<T>, GroupClosed<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.shared.try_spawn(TaskBuilder::new(), future)
    }

    /// Like [`spawn`](TaskGroup::spawn), giving the child a name for introspection and
    /// reports (asyncio's `create_task(coro, name=...)`).
    ///
    /// # Panics
    ///
    /// As [`spawn`](TaskGroup::spawn).
    #[track_caller]
    pub fn spawn_named<T, F>(&self, name: impl Into<Arc<str>>, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        match self.shared.try_spawn(TaskBuilder::new().name(name), future) {
            Ok(task) => task,
            Err(closed) => panic!("{closed}; spawn into a TaskGroup only while it is running"),
        }
    }

    /// Starts a `!Send` future as a child on the single-thread loop running on this
    /// thread (asyncio's model: children may hold `Rc`s and `RefCell`s).
    ///
    /// # Panics
    ///
    /// If the group is closing, like [`spawn`](TaskGroup::spawn), or when not called
    /// from the single-thread loop, like [`spawn_local`](crate::spawn_local).
    #[track_caller]
    pub fn spawn_local<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        match self.shared.try_spawn_local(TaskBuilder::new(), future) {
            Ok(task) => task,
            Err(closed) => panic!("{closed}; spawn into a TaskGroup only while it is running"),
        }
    }

    /// A cloneable handle that spawns into this group, for children that start
    /// siblings (asyncio children capture `tg` for the same purpose). It does not keep
    /// the group open: once the group is dropped or joined, spawning through it fails
    /// with [`GroupClosed`].
    pub fn spawner(&self) -> GroupSpawner<E> {
        GroupSpawner {
            shared: self.shared.clone(),
        }
    }

    /// How many children have not finished yet.
    pub fn len(&self) -> usize {
        self.shared.lock().live
    }

    /// True when no child is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every child has finished, then closes the group.
    ///
    /// Children may still spawn into the group (through a handle they were given) while
    /// `join` waits, as in asyncio; once a child fails, the rest are cancelled and `join`
    /// returns after their cancellation completed.
    ///
    /// # Errors
    ///
    /// The first failure: which child, and its `Err` or panic payload; later failures in
    /// [`TaskGroupError::later`]. A child cancelled through its own handle is not a failure.
    pub async fn join(self) -> Result<(), TaskGroupError<E>> {
        std::future::poll_fn(|cx| self.poll_join(cx)).await
    }

    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<(), TaskGroupError<E>>> {
        let mut state = self.shared.lock();
        // The body ended: a failure from now on no longer interrupts the owner.
        state.body = None;
        if state.live > 0 {
            match &state.join_waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => state.join_waker = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        state.phase = Phase::Closed;
        let failure = state.failure.take();
        let interrupted = state.body_interrupted.take();
        drop(state);
        if let Some(owner) = interrupted {
            // asyncio's `uncancel()` in `__aexit__`: the interruption was the group's,
            // and what the owner sees is the group's error.
            owner.uncancel();
        }
        Poll::Ready(match failure {
            Some(failure) => Err(failure),
            None => Ok(()),
        })
    }
}

impl<E: Send + 'static> Default for TaskGroup<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Drop for TaskGroup<E> {
    fn drop(&mut self) {
        let to_cancel = {
            let mut state = self.shared.lock();
            let handles = state.abort(None);
            state.phase = Phase::Closed;
            state.body = None;
            (handles, state.body_interrupted.take())
        };
        let (to_cancel, interrupted) = to_cancel;
        if let Some(owner) = interrupted {
            owner.uncancel();
        }
        cancel_all(to_cancel);
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("TaskGroup")
            .field("live", &state.live)
            .field("phase", &state.phase)
            .field("failed", &state.failure.is_some())
            .finish()
    }
}

/// The wrapper every child runs in. `guard` is moved in, so it is dropped with the
/// wrapper even if the child is cancelled before its first poll.
async fn run_child<T, E, F>(future: F, guard: ChildGuard<T, E>, index: usize)
where
    F: Future<Output = Result<T, E>>,
{
    let outcome = AssertUnwindSafe(future).catch_unwind().await;
    let kind = match outcome {
        Ok(Ok(value)) => {
            guard.slot.finish(SlotState::Ready(value));
            return;
        }
        Ok(Err(error)) => FailureKind::Error(error),
        Err(payload) => error::panic_kind(payload),
    };
    let id = crate::current_task().map(|snapshot| snapshot.id);
    // The group learns of the failure before the handle does, so whoever sees the
    // handle fail also sees the group aborting.
    guard
        .group
        .fail(guard.key, ChildFailure { index, id, kind });
    guard.slot.finish(SlotState::Failed);
}

/// Lets a [`GroupTask`] cancel its child without knowing the group's error type.
trait CancelChild: Send + Sync {
    fn cancel_child(&self, key: usize, index: usize) -> bool;
}

impl<E: Send> CancelChild for GroupShared<E> {
    fn cancel_child(&self, key: usize, index: usize) -> bool {
        let task = {
            let mut state = self.lock();
            match state.children.get_mut(key) {
                // The key may have been reused by a later child: check the index.
                Some(child) if child.index == index => child.task.take(),
                _ => None,
            }
        };
        // Outside the lock: the cancelled child's guard takes it.
        task.is_some_and(|task| task.cancel())
    }
}

/// A handle to one child of a [`TaskGroup`]. Await it for the child's `Ok` value.
///
/// Dropping the handle does nothing to the child; the group owns it.
pub struct GroupTask<T> {
    slot: Arc<ResultSlot<T>>,
    group: Arc<dyn CancelChild>,
    key: usize,
    id: TaskId,
    index: usize,
}

impl<T> GroupTask<T> {
    /// The child's task id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The child's position in spawn order within its group (0 for the first).
    pub fn index(&self) -> usize {
        self.index
    }

    /// True once the child finished, failed or was cancelled.
    pub fn is_finished(&self) -> bool {
        !matches!(*self.slot.lock(), SlotState::Pending(_))
    }

    /// Cancels this child only; its siblings and the group carry on (asyncio: a
    /// cancelled child is not a failure). Returns false, a no-op, if it already ended.
    pub fn cancel(&self) -> bool {
        !self.is_finished() && self.group.cancel_child(self.key, self.index)
    }
}

impl<T> Future for GroupTask<T> {
    type Output = Result<T, GroupTaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match &mut *state {
            SlotState::Pending(waker) => {
                match waker {
                    Some(current) if current.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            SlotState::Failed => Poll::Ready(Err(GroupTaskError::Failed)),
            SlotState::Cancelled => Poll::Ready(Err(GroupTaskError::Cancelled)),
            SlotState::Taken => panic!("`GroupTask` polled after it completed"),
            SlotState::Ready(_) => match std::mem::replace(&mut *state, SlotState::Taken) {
                SlotState::Ready(value) => Poll::Ready(Ok(value)),
                _ => unreachable!(),
            },
        }
    }
}

impl<T> fmt::Debug for GroupTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTask")
            .field("id", &self.id)
            .field("index", &self.index)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Where a child's value waits for its handle.
struct ResultSlot<T> {
    state: Mutex<SlotState<T>>,
}

enum SlotState<T> {
    Pending(Option<Waker>),
    Ready(T),
    Failed,
    Cancelled,
    Taken,
}

impl<T> ResultSlot<T> {
    fn new() -> Self {
        ResultSlot {
            state: Mutex::new(SlotState::Pending(None)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish(&self, outcome: SlotState<T>) {
        let previous = std::mem::replace(&mut *self.lock(), outcome);
        if let SlotState::Pending(Some(waker)) = previous {
            waker.wake();
        }
    }

    fn cancel_if_pending(&self) {
        let waker = {
            let mut state = self.lock();
            match &mut *state {
                SlotState::Pending(waker) => {
                    let waker = waker.take();
                    *state = SlotState::Cancelled;
                    waker
                }
                _ => None,
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
