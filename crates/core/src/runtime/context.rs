//! The per-thread runtime context: which runtime this thread belongs to, in which
//! role, and (on the single-thread loop's thread) the loop's ready queue.
//!
//! It is the one thread-local that says "the current runtime": spawning, timers and
//! the driver (the reactor's I/O types find theirs through
//! [`driver::with_current`](crate::driver::with_current)) all read it. Executors
//! enter it on every thread they run; [`Handle::enter`](crate::Handle::enter) enters
//! it on any other thread.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Instant;

use async_task::Runnable;

use super::current_thread::Ready;
use super::shared::Shared;
use crate::driver::Driver;
use crate::task::{Header, Task};

/// The registry shard of the single-thread loop's thread.
pub(crate) const LOOP_SHARD: usize = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Not running any runtime (the handle may still be set by `Handle::enter`).
    Outside,
    /// Running the single-thread loop.
    Loop,
    /// A worker of the multi-thread executor.
    Worker(usize),
    /// Blocking on a future of the multi-thread executor.
    BlockOn,
    /// Cancelling leftover tasks at shutdown.
    Shutdown,
    /// A former worker inside `block_in_place`: its queues went to another thread.
    Blocking,
}

/// Where a `block_in_place` call runs.
pub(crate) enum Place {
    /// On worker `index` of this runtime.
    Worker(Arc<Shared>, usize),
    /// On the single-thread loop.
    Loop,
    /// On a thread whose blocking stalls no runtime thread: a multi-thread
    /// `block_on`, a `Handle::block_on` or `Handle::enter` thread, a former worker
    /// already inside `block_in_place`, a shutdown.
    Harmless,
    /// Outside any runtime.
    Nowhere,
}

pub(crate) struct Ctx {
    rt: RefCell<Option<Arc<Shared>>>,
    rt_ptr: Cell<*const Shared>,
    role: Cell<Role>,
    /// This thread runs a runtime (a loop, a worker, a `block_on`, a shutdown),
    /// whatever handle was entered on top of it: a nested `block_on` would
    /// deadlock.
    running: Cell<bool>,
    /// How many contexts are entered on this thread: a guard dropped while a later
    /// one still lives would restore the wrong runtime.
    depth: Cell<u32>,
    /// The single-thread loop's ready queue, while this thread runs the loop.
    pub(crate) local: RefCell<VecDeque<Ready>>,
    /// This thread is firing due timers: the tasks they wake queue in deadline
    /// order (a worker's LIFO slot would run the last one first).
    pub(crate) firing_timers: Cell<bool>,
    /// Nesting depth of eager first steps (an eager task spawning eager tasks).
    eager_depth: Cell<u32>,
    /// This worker thread handed its queues to another thread in `block_in_place`:
    /// it leaves the worker loop when the task it runs returns.
    handed_off: Cell<bool>,
}

thread_local! {
    static CTX: Ctx = const {
        Ctx {
            rt: RefCell::new(None),
            rt_ptr: Cell::new(std::ptr::null()),
            role: Cell::new(Role::Outside),
            running: Cell::new(false),
            depth: Cell::new(0),
            local: RefCell::new(VecDeque::new()),
            firing_timers: Cell::new(false),
            eager_depth: Cell::new(0),
            handed_off: Cell::new(false),
        }
    };
}

thread_local! {
    /// A recent reading of the clock, refreshed by the loops between polls: spawning
    /// stamps a task's birth with it instead of reading the clock every time.
    static COARSE_NOW: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Refreshes this thread's cached time (loops call it after parking and between
/// batches of polls).
pub(crate) fn refresh_coarse_now() {
    let _ = COARSE_NOW.try_with(|c| c.set(Some(Instant::now())));
}

/// The cached time on a runtime thread, else the real time.
pub(crate) fn coarse_now() -> Instant {
    COARSE_NOW
        .try_with(Cell::get)
        .ok()
        .flatten()
        .unwrap_or_else(Instant::now)
}

/// Runs `f` with this thread's context (`None` during thread teardown).
///
/// `f` is called outside the thread-local's accessor, not inside it: moving `f`
/// in and out of an `Option` to call it on either branch cost every spawn and
/// wake a copy of its captures.
#[inline(always)]
pub(crate) fn with_ctx<R>(f: impl FnOnce(Option<&Ctx>) -> R) -> R {
    let ctx = CTX.try_with(std::ptr::from_ref).ok();
    // SAFETY: the accessor succeeded, so this thread's `Ctx` is not destroyed yet,
    // and a thread-local is destroyed only by its own thread after the code
    // running on it returns: `f` runs on this thread now, so the `Ctx` outlives
    // the call. (From inside another thread-local's destructor, `Ctx`'s own runs
    // after that destructor returns.)
    f(ctx.map(|c| unsafe { &*c }))
}

impl Ctx {
    #[inline]
    pub(crate) fn is(&self, shared: &Shared, role: Role) -> bool {
        std::ptr::eq(self.rt_ptr.get(), shared) && self.role.get() == role
    }

    /// Whether this thread's context holds (a strong reference to) `shared`.
    #[inline]
    pub(crate) fn holds(&self, shared: *const Shared) -> bool {
        std::ptr::eq(self.rt_ptr.get(), shared)
    }

    /// The registry shard of this thread's spawns: its own as a worker or as the
    /// loop thread; the shared external one otherwise.
    #[inline]
    pub(crate) fn registry_shard(&self) -> usize {
        match self.role.get() {
            Role::Worker(i) => i,
            Role::Loop => LOOP_SHARD,
            _ => usize::MAX,
        }
    }

    /// Whether this thread runs `shared`'s tasks now (the loop, a worker, or a
    /// multi-thread `block_on`), so a task may take its first step here.
    #[inline]
    pub(crate) fn runs(&self, shared: &Shared) -> bool {
        std::ptr::eq(self.rt_ptr.get(), shared)
            && matches!(
                self.role.get(),
                Role::Loop | Role::Worker(_) | Role::BlockOn
            )
    }

    /// Enters an eager first step; `None` past the nesting limit (the task is then
    /// queued instead, so a chain of eager spawns cannot overflow the stack).
    pub(crate) fn enter_eager(&self) -> Option<EagerDepth<'_>> {
        let depth = self.eager_depth.get();
        if depth >= MAX_EAGER_DEPTH {
            return None;
        }
        self.eager_depth.set(depth + 1);
        Some(EagerDepth(&self.eager_depth))
    }

    #[inline]
    pub(crate) fn worker_of(&self, shared: &Shared) -> Option<usize> {
        match self.role.get() {
            Role::Worker(i) if std::ptr::eq(self.rt_ptr.get(), shared) => Some(i),
            _ => None,
        }
    }
}

/// Queues a woken or new task of the runtime at `rt` on this thread's ready queue
/// when this thread runs that runtime's single-thread loop: the common wake (a task
/// woken by another task, a timer or I/O of its own loop) then costs one
/// thread-local read and a push. `Err` gives the task back for the general path
/// (another thread, another runtime, a multi-thread runtime).
///
/// No late-push check is needed here: a thread in the `Loop` role is inside
/// `block_on`, which borrows the runtime, so shutdown (which needs it exclusively)
/// cannot have finished.
#[inline]
pub(crate) fn push_on_loop(
    rt: *const Shared,
    runnable: Runnable<Header>,
) -> Result<(), Runnable<Header>> {
    let mut slot = Some(runnable);
    let _ = CTX.try_with(|c| {
        if std::ptr::eq(c.rt_ptr.get(), rt) && c.role.get() == Role::Loop {
            if let Some(runnable) = slot.take() {
                runnable.metadata().set_scheduled();
                c.local.borrow_mut().push_back(Ready::Task(runnable));
            }
        }
    });
    match slot {
        None => Ok(()),
        Some(runnable) => Err(runnable),
    }
}

/// Where a `block_in_place` call on this thread runs.
pub(crate) fn place() -> Place {
    with_ctx(|c| {
        let Some(c) = c else {
            return Place::Nowhere;
        };
        let rt = c.rt.borrow();
        match (c.role.get(), rt.as_ref()) {
            (Role::Worker(i), Some(rt)) => Place::Worker(rt.clone(), i),
            (Role::Loop, Some(_)) => Place::Loop,
            (_, Some(_)) => Place::Harmless,
            (_, None) => Place::Nowhere,
        }
    })
}

/// This thread stops being a worker, for `block_in_place` (its queues are being
/// handed to another thread).
pub(crate) fn leave_worker() {
    with_ctx(|c| {
        if let Some(c) = c {
            c.role.set(Role::Blocking);
        }
    });
}

/// After `block_in_place`: this thread is worker `index` again (it took its queues
/// back), or leaves the worker loop when the current task returns (`handed_off`).
pub(crate) fn after_blocking(index: usize, reclaimed: bool) {
    with_ctx(|c| {
        if let Some(c) = c {
            if reclaimed {
                c.role.set(Role::Worker(index));
                if let Some(rt) = c.rt.borrow().as_ref() {
                    rt.registry.claim(index);
                }
            } else {
                c.handed_off.set(true);
            }
        }
    });
}

/// Whether this worker thread handed its queues away (see `after_blocking`).
#[inline]
pub(crate) fn handed_off() -> bool {
    CTX.try_with(|c| c.handed_off.get()).unwrap_or(false)
}

/// Fires the due timers of `shared` from a runtime thread, so that the tasks they
/// wake are queued in deadline order. Returns how many fired.
pub(crate) fn fire_due_in_order(shared: &Shared) -> usize {
    if !shared.time.has_timers() {
        return 0;
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = CTX.try_with(|c| c.firing_timers.set(false));
        }
    }
    let _ = CTX.try_with(|c| c.firing_timers.set(true));
    let _reset = Reset;
    shared.time.fire_due()
}

/// How deep eager first steps may nest on one thread.
const MAX_EAGER_DEPTH: u32 = 16;

/// Leaves an eager first step (even by unwinding).
pub(crate) struct EagerDepth<'a>(&'a Cell<u32>);

impl Drop for EagerDepth<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// Restores the previous context on drop.
pub(crate) struct EnterGuard {
    prev_rt: Option<Arc<Shared>>,
    prev_role: Role,
    prev_running: bool,
    prev_now: Option<Instant>,
    /// The depth this guard made; it must be the innermost one when dropped.
    depth: u32,
}

const OUT_OF_ORDER: &str = "`EnterGuard`s of `Handle::enter` were dropped out of order: drop \
     them in the reverse order they were created (a guard kept in a struct or held \
     across an `.await` can outlive a later one)";

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev_rt.take();
        let now = self.prev_now;
        let restored = CTX.try_with(|c| {
            if c.depth.get() != self.depth {
                return false;
            }
            c.depth.set(self.depth - 1);
            c.rt_ptr
                .set(prev.as_ref().map_or(std::ptr::null(), Arc::as_ptr));
            *c.rt.borrow_mut() = prev;
            c.role.set(self.prev_role);
            c.running.set(self.prev_running);
            true
        });
        let _ = COARSE_NOW.try_with(|c| c.set(now));
        if restored == Ok(false) && !std::thread::panicking() {
            panic!("{OUT_OF_ORDER}");
        }
    }
}

const NESTED: &str = "Cannot block on a ferrio runtime from a thread that is already running \
     one (a runtime worker or a `block_on`/`ferrio::run` call): it would deadlock. \
     Use `.await` or `spawn` inside the runtime instead.";

/// Makes `shared` this thread's runtime: the one place that writes the context.
fn swap(shared: &Arc<Shared>, role: Role, running: bool) -> EnterGuard {
    CTX.with(|c| {
        let prev_role = c.role.replace(role);
        let prev_running = c.running.replace(running);
        c.rt_ptr.set(Arc::as_ptr(shared));
        let prev_rt = c.rt.borrow_mut().replace(shared.clone());
        let depth = c.depth.get() + 1;
        c.depth.set(depth);
        // A thread that runs the runtime keeps a cached time fresh; any other
        // thread must read the clock (a foreign thread would never refresh it).
        let prev_now = COARSE_NOW.try_with(|n| n.get()).ok().flatten();
        if role == Role::Outside {
            let _ = COARSE_NOW.try_with(|n| n.set(None));
        } else {
            refresh_coarse_now();
        }
        EnterGuard {
            prev_rt,
            prev_role,
            prev_running,
            prev_now,
            depth,
        }
    })
}

/// Makes `shared` this thread's runtime in `role`.
///
/// # Panics
///
/// When this thread already runs a runtime and `role` is not `Shutdown`.
#[track_caller]
pub(crate) fn enter(shared: &Arc<Shared>, role: Role) -> EnterGuard {
    debug_assert!(role != Role::Outside, "use enter_handle");
    if role != Role::Shutdown && is_running() {
        panic!("{NESTED}");
    }
    swap(shared, role, true)
}

/// Makes `shared` the runtime that `spawn`, timers and I/O find on this thread,
/// without running it ([`Handle::enter`](crate::Handle::enter)). On a thread that
/// already runs `shared` the role stays (a worker stays that worker).
pub(crate) fn enter_handle(shared: &Arc<Shared>) -> EnterGuard {
    let (role, running) = with_ctx(|c| match c {
        Some(c) if c.holds(Arc::as_ptr(shared)) => (c.role.get(), c.running.get()),
        Some(c) => (Role::Outside, c.running.get()),
        None => (Role::Outside, false),
    });
    swap(shared, role, running)
}

/// Enters `shared` on a foreign thread that blocks on a future of its own
/// ([`Handle::block_on`](crate::Handle::block_on)): spawns go to the runtime's
/// queues, and a nested `block_on` panics.
///
/// # Panics
///
/// When this thread already runs a runtime.
#[track_caller]
pub(crate) fn enter_guest(shared: &Arc<Shared>) -> EnterGuard {
    if is_running() {
        panic!(
            "`Handle::block_on` was called from a thread that runs a ferrio runtime (a \
             task, a worker, or inside `block_on`/`ferrio::run`): blocking it would stall \
             the runtime or deadlock. Use `.await` here, or call it from a thread of your \
             own (`std::thread::spawn`, or `to_thread`)."
        );
    }
    swap(shared, Role::Outside, true)
}

/// Whether this thread is running a runtime (a worker or inside `block_on`).
pub(crate) fn is_running() -> bool {
    with_ctx(|c| c.is_some_and(|c| c.running.get()))
}

/// Calls `f` with the driver of this thread's runtime, or `None` outside any.
pub(crate) fn with_driver<R>(f: impl FnOnce(Option<&Arc<dyn Driver>>) -> R) -> R {
    let mut f = Some(f);
    let done = CTX.try_with(|c| {
        let rt = c.rt.borrow();
        (f.take().expect("called once"))(rt.as_ref().map(|rt| &rt.driver))
    });
    match done {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

#[track_caller]
fn outside(what: &str) -> ! {
    panic!(
        "`{what}` was called outside a ferrio runtime. Start one and run your async code \
         inside it: `ferrio::run(async {{ ... }})` (or `Runtime::block_on`)."
    )
}

/// Calls `f` with the runtime of this thread.
///
/// # Panics
///
/// Outside a runtime, with a message naming `what` and the fix.
#[track_caller]
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Shared>) -> R, what: &str) -> R {
    let mut f = Some(f);
    let done = CTX.try_with(|c| {
        let rt = c.rt.borrow();
        rt.as_ref().map(|rt| (f.take().expect("called once"))(rt))
    });
    match done {
        Ok(Some(r)) => r,
        _ => outside(what),
    }
}

/// The runtime of this thread.
#[track_caller]
pub(crate) fn current(what: &str) -> Arc<Shared> {
    // A `match`, not `unwrap_or_else`: a closure would lose the caller's location.
    match try_current() {
        Some(rt) => rt,
        None => outside(what),
    }
}

/// Calls `f` with the runtime of this thread, or `None` outside one, borrowed from
/// the context: no reference count changes. `f` runs inside the context's borrow,
/// so entering or leaving a runtime in it panics.
#[inline]
pub(crate) fn with_try_current<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    let mut f = Some(f);
    let done = CTX.try_with(|c| (f.take().expect("called once"))(c.rt.borrow().as_ref()));
    match done {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

pub(crate) fn try_current() -> Option<Arc<Shared>> {
    CTX.try_with(|c| c.rt.borrow().clone()).ok().flatten()
}

#[track_caller]
pub(crate) fn spawn_local<F>(
    future: F,
    name: Option<Arc<str>>,
    location: &'static Location<'static>,
) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let rt = CTX.try_with(|c| {
        (c.role.get() == Role::Loop)
            .then(|| c.rt.borrow().clone())
            .flatten()
    });
    match rt {
        Ok(Some(rt)) => rt.spawn_local(future, name, location),
        _ => panic!(
            "`ferrio::spawn_local` needs the single-thread loop: call it from inside \
             `ferrio::run(...)` or `Runtime::block_on` on a current-thread runtime \
             (a multi-thread runtime only runs `Send` futures; use `spawn`)."
        ),
    }
}
