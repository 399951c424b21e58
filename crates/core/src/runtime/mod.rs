//! Runtimes: the [`Builder`], the [`Runtime`] that owns the threads, and the
//! [`Handle`] that reaches it from anywhere.

mod blocking;
pub(crate) mod context;
pub(crate) mod current_thread;
mod guest;
pub(crate) mod main_task;
pub(crate) mod multi_thread;
pub(crate) mod shared;
pub(crate) mod step;
mod work;

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock};
use crate::driver::{Driver, ThreadParker};
use crate::registry::Registry;
use crate::task::{PanicReport, Task, TaskId, TaskSnapshot};
use crate::time::TimeShared;
pub use blocking::block_in_place;
use current_thread::LoopQueue;
pub use main_task::MainCancelled;
use multi_thread::Pool;
use shared::{Scheduler, Shared};
pub use work::WorkGuard;

pub(crate) static LIVE_WORKERS: AtomicUsize = AtomicUsize::new(0);
static LIVE_RUNTIMES: AtomicUsize = AtomicUsize::new(0);

/// Which executor a runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// The single-thread loop (asyncio's model): every task runs on the thread that
    /// calls `block_on`; `!Send` futures allowed through `spawn_local`.
    CurrentThread,
    /// The work-stealing executor on N worker threads.
    MultiThread,
}

/// Observes every poll of every task; for debug tooling (slow-callback detection).
/// When no hook is set the cost is one branch per poll.
pub trait PollHook: Send + Sync + 'static {
    /// Called on the polling thread right before the task is polled.
    fn before_poll(&self, task: &TaskSnapshot);
    /// Called on the polling thread right after the poll, with its duration.
    fn after_poll(&self, id: TaskId, elapsed: Duration);
}

/// Configures and builds a [`Runtime`].
///
/// # Examples
///
/// ```
/// use ferrio_core::{Builder, Flavor};
///
/// let rt = Builder::new()
///     .flavor(Flavor::MultiThread)
///     .worker_threads(2)
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { ferrio_core::spawn(async { 5 }).await.unwrap() }), 5);
/// ```
pub struct Builder {
    flavor: Flavor,
    worker_threads: Option<usize>,
    driver: Option<Arc<dyn Driver>>,
    clock: Option<Arc<dyn Clock>>,
    poll_hook: Option<Arc<dyn PollHook>>,
    panic_hook: Option<crate::task::UnretrievedPanicHook>,
    thread_name: String,
    eager: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// A builder for the single-thread loop with the thread-parker driver and the
    /// system clock.
    pub fn new() -> Builder {
        Builder {
            flavor: Flavor::CurrentThread,
            worker_threads: None,
            driver: None,
            clock: None,
            poll_hook: None,
            panic_hook: None,
            thread_name: "ferrio-worker".into(),
            eager: false,
        }
    }

    /// A builder for the single-thread loop.
    pub fn new_current_thread() -> Builder {
        Builder::new()
    }

    /// A builder for the multi-thread executor.
    pub fn new_multi_thread() -> Builder {
        Builder::new().flavor(Flavor::MultiThread)
    }

    /// Chooses the executor.
    pub fn flavor(mut self, flavor: Flavor) -> Builder {
        self.flavor = flavor;
        self
    }

    /// Number of worker threads of the multi-thread executor (default: the number of
    /// available cores). Ignored by the single-thread loop.
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    pub fn worker_threads(mut self, n: usize) -> Builder {
        assert!(
            n > 0,
            "a multi-thread runtime needs at least one worker thread"
        );
        self.worker_threads = Some(n);
        self
    }

    /// The driver idle threads park in (the I/O reactor plugs in here). Default: a
    /// [`ThreadParker`].
    pub fn driver(mut self, driver: Arc<dyn Driver>) -> Builder {
        self.driver = Some(driver);
        self
    }

    /// The clock timers read. Default: [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Builder {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// A hook called around every task poll (debug mode).
    pub fn on_task_poll(mut self, hook: Arc<dyn PollHook>) -> Builder {
        self.poll_hook = Some(hook);
        self
    }

    /// Replaces the default report (a line on stderr) of a panic nobody retrieved
    /// from its task.
    pub fn on_unretrieved_panic(
        mut self,
        hook: impl Fn(&PanicReport) + Send + Sync + 'static,
    ) -> Builder {
        self.panic_hook = Some(Arc::new(hook));
        self
    }

    /// Eager tasks (asyncio 3.12's `eager_task_factory`; default off): a task
    /// spawned from a thread that runs this runtime (a task, the main future, a
    /// callback) takes its first step at once, inside the `spawn` call, before the
    /// spawner goes on. A task that finishes in that step never touches the ready
    /// queue. [`spawn_eager`](crate::spawn_eager) is the per-spawn form.
    ///
    /// # Ordering change
    ///
    /// By default a spawned task runs after the tasks that were already ready
    /// (FIFO). An eager task's first step runs before all of them, and before the
    /// rest of its spawner's step: in `spawn(a); spawn(b); log("spawner")`, `a`
    /// and `b` log first (up to their first real wait). Only what follows the first
    /// wait is queued as usual. A spawn from outside the runtime's threads (a
    /// foreign thread through a [`Handle`]) is never eager, nor are eager steps
    /// nested more than 16 deep (those are queued).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let rt = ferrio_core::Builder::new().eager_tasks(true).build().unwrap();
    /// let log = rt.block_on(async {
    ///     let log = Arc::new(Mutex::new(Vec::new()));
    ///     let l = log.clone();
    ///     let t = ferrio_core::spawn(async move { l.lock().unwrap().push("child") });
    ///     log.lock().unwrap().push("spawner");
    ///     assert!(t.is_finished(), "it finished inside spawn");
    ///     let out = log.lock().unwrap().clone();
    ///     out
    /// });
    /// assert_eq!(log, ["child", "spawner"]);
    /// ```
    pub fn eager_tasks(mut self, eager: bool) -> Builder {
        self.eager = eager;
        self
    }

    /// Name prefix of the worker threads (default `ferrio-worker`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Builds the runtime; for the multi-thread flavour, starts its workers.
    ///
    /// # Errors
    ///
    /// When a worker thread cannot be spawned.
    pub fn build(self) -> io::Result<Runtime> {
        let driver = self
            .driver
            .unwrap_or_else(|| Arc::new(ThreadParker::new()) as Arc<dyn Driver>);
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let auto_advance = clock.advances_when_idle();
        let (scheduler, shards) = match self.flavor {
            Flavor::CurrentThread => (Scheduler::Current(LoopQueue::new()), 2),
            Flavor::MultiThread => {
                let n = self
                    .worker_threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                (Scheduler::Multi(Pool::new(n)), n + 1)
            }
        };
        let shared = Arc::new(Shared {
            scheduler,
            driver,
            time: TimeShared::new(clock),
            registry: Registry::new(shards),
            poll_hook: self.poll_hook,
            panic_hook: self.panic_hook,
            closed: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            workers_alive: AtomicUsize::new(0),
            auto_advance,
            in_flight: AtomicUsize::new(0),
            eager: self.eager,
            guests: std::sync::Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&shared);
        shared.time.clock.on_advance(Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.unpark_driver();
            }
        }));
        LIVE_RUNTIMES.fetch_add(1, Ordering::SeqCst);
        let rt = Runtime { shared };
        if let Scheduler::Multi(_) = rt.shared.scheduler {
            Pool::start(&rt.shared, &self.thread_name)?;
        }
        Ok(rt)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .finish_non_exhaustive()
    }
}

/// A ferrio runtime: an executor, its timers, and its driver.
///
/// Dropping it shuts it down: leftover tasks are cancelled (their destructors run),
/// worker threads are joined, and [`Driver::shutdown`] is called.
///
/// # Examples
///
/// ```
/// let rt = ferrio_core::Runtime::new().unwrap();
/// let out = rt.block_on(async {
///     let t = ferrio_core::spawn(async { 1 + 1 });
///     t.await.unwrap()
/// });
/// assert_eq!(out, 2);
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    /// A single-thread loop with the default driver and clock.
    ///
    /// # Errors
    ///
    /// Never for this flavour; the `Result` matches [`Builder::build`].
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Runs `future` to completion on this runtime, driving the loop (single-thread
    /// flavour) or waiting while the workers run the tasks (multi-thread). Callable
    /// several times; tasks left over from one call keep running in the next.
    ///
    /// `future` is the *main task*, as asyncio's `run` makes its coroutine one: it
    /// is listed first by [`all_tasks`](crate::all_tasks) (spawned at the caller's
    /// line), it is [`current_task`](crate::current_task) while it runs, its polls
    /// count toward the fairness rule like any task's, and it can be cancelled
    /// through [`Handle::cancel_task`]. It may still borrow locals and need not be
    /// `Send`: it runs on the calling thread.
    ///
    /// # Panics
    ///
    /// When called from a thread that is already running a ferrio runtime (a worker,
    /// or inside another `block_on`): that would deadlock. When the main task is
    /// cancelled (asyncio's `run` raises `CancelledError`): its future is dropped at
    /// its current await, then `block_on` panics saying so; use
    /// [`try_block_on`](Runtime::try_block_on) to get that as an error instead.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self.try_block_on_at(future, Location::caller()) {
            Ok(v) => v,
            Err(MainCancelled) => panic!(
                "ferrio: the main task was cancelled, so block_on has no value to return \
                 (asyncio's run raises CancelledError); use try_block_on to handle it"
            ),
        }
    }

    /// [`block_on`](Runtime::block_on), with the cancellation of the main task as
    /// `Err(MainCancelled)` instead of a panic.
    ///
    /// ```
    /// let rt = ferrio_core::Runtime::new().unwrap();
    /// let out = rt.try_block_on(async {
    ///     let main = ferrio_core::current_task().unwrap().id;
    ///     ferrio_core::Handle::current().cancel_task(main);
    ///     ferrio_core::yield_now().await;
    ///     unreachable!("cancelled at the await above");
    /// });
    /// assert_eq!(out, Err(ferrio_core::MainCancelled));
    /// ```
    #[track_caller]
    pub fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, MainCancelled> {
        self.try_block_on_at(future, Location::caller())
    }

    /// [`try_block_on`](Runtime::try_block_on) with the main task's spawn site given
    /// (for layers that run the caller's future on its behalf, as `ferrio::run`).
    pub fn try_block_on_at<F: Future>(
        &self,
        future: F,
        location: &'static Location<'static>,
    ) -> Result<F::Output, MainCancelled> {
        match &self.shared.scheduler {
            Scheduler::Current(q) => current_thread::block_on(&self.shared, q, future, location),
            Scheduler::Multi(_) => multi_thread::block_on(&self.shared, future, location),
        }
    }

    /// Spawns a task on this runtime (from any thread).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, None, Location::caller())
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// Counters: live tasks, live worker threads, pending timers.
    pub fn metrics(&self) -> Metrics {
        self.handle().metrics()
    }

    fn shutdown(&mut self) {
        let shared = &self.shared;
        if shared.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Scheduler::Multi(pool) = &shared.scheduler {
            pool.stop(shared);
        }
        {
            let _enter = context::enter(shared, context::Role::Shutdown);
            // Cancel what is left, run it to its end, and again for what its
            // destructors spawned. The rounds are bounded so that destructors that
            // spawn without end cannot hold shutdown for ever in this phase; past
            // them, every late spawn or wake runs to its cancellation at once,
            // through one loop per thread (`run_after_shutdown`), with bounded stack
            // at any depth.
            for _ in 0..SHUTDOWN_ROUNDS {
                shared.registry.cancel_all();
                let queued = shared.drain();
                let n = queued.len();
                for r in queued {
                    r.run();
                }
                if n == 0 && shared.registry.len() == 0 {
                    break;
                }
            }
            shared.time.clear();
            shared.finished.store(true, Ordering::SeqCst);
            // Pairs with `Shared::catch_late_push`: a push from outside that this
            // drain misses sees `finished` and drains the queue itself.
            std::sync::atomic::fence(Ordering::SeqCst);
            guest::wake_all(shared);
            shared.registry.close();
            for r in shared.drain() {
                r.run();
            }
        }
        shared.driver.shutdown();
        LIVE_RUNTIMES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Cancel-and-run rounds of shutdown before late tasks run at once (see
/// `Runtime::shutdown`).
const SHUTDOWN_ROUNDS: usize = 64;

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.shared.flavor())
            .finish_non_exhaustive()
    }
}

/// A cheap, clonable reference to a runtime, usable from any thread.
///
/// # Examples
///
/// ```
/// let rt = ferrio_core::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let task = std::thread::spawn(move || handle.spawn(async { 3 })).join().unwrap();
/// assert_eq!(rt.block_on(task).unwrap(), 3);
/// ```
#[derive(Clone)]
// Transparent: `with_current` lends the context's `Arc<Shared>` as a `&Handle`.
#[repr(transparent)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

#[cfg(all(test, not(loom)))]
impl Handle {
    /// The runtime's state, for the unit tests of its parts.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Handle {
    /// The runtime running on this thread.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message naming the fix (`ferrio::run`).
    #[track_caller]
    pub fn current() -> Handle {
        Handle {
            shared: context::current("Handle::current"),
        }
    }

    /// The runtime running on this thread, if any.
    pub fn try_current() -> Option<Handle> {
        context::try_current().map(|shared| Handle { shared })
    }

    /// Calls `f` with the handle of the runtime on this thread, or `None` outside
    /// one, lent rather than cloned: [`try_current`](Handle::try_current) for a
    /// caller that only looks at the runtime (its clock, say) on a hot path, without
    /// touching its reference count.
    ///
    /// # Panics
    ///
    /// When `f` enters or leaves a runtime on this thread (`Handle::enter`,
    /// `block_on`): the handle it was lent would change under it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_core::Handle;
    ///
    /// assert!(Handle::with_current(|h| h.is_none()));
    /// let rt = ferrio_core::Runtime::new().unwrap();
    /// let now = rt.block_on(async { Handle::with_current(|h| h.map(Handle::now)) });
    /// assert!(now.is_some());
    /// ```
    pub fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
        context::with_try_current(|shared| {
            // SAFETY: `Handle` is `repr(transparent)` over `Arc<Shared>`, so a
            // reference to the one is a valid reference to the other, for the same
            // lifetime (the context's borrow, which outlives `f`).
            f(shared.map(|s| unsafe { &*std::ptr::from_ref(s).cast::<Handle>() }))
        })
    }

    /// Spawns a task on the runtime, from any thread.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, None, Location::caller())
    }

    /// The runtime's current time (its clock may be virtual).
    pub fn now(&self) -> Instant {
        self.shared.time.now()
    }

    /// The runtime's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.time.clock
    }

    /// The runtime's driver.
    pub fn driver(&self) -> &Arc<dyn Driver> {
        &self.shared.driver
    }

    /// Which executor the runtime uses.
    pub fn flavor(&self) -> Flavor {
        self.shared.flavor()
    }

    /// Snapshots of the runtime's live tasks.
    pub fn all_tasks(&self) -> Vec<TaskSnapshot> {
        self.shared.registry.snapshots()
    }

    /// Counters: live tasks, live worker threads, pending timers. After the runtime
    /// was dropped, all are zero.
    pub fn metrics(&self) -> Metrics {
        Metrics {
            flavor: self.shared.flavor(),
            live_tasks: self.shared.registry.len(),
            worker_threads: self.shared.workers_alive.load(Ordering::SeqCst),
            configured_workers: match &self.shared.scheduler {
                Scheduler::Current(_) => 0,
                Scheduler::Multi(p) => p.worker_count(),
            },
            timers: self.shared.time.len(),
            closed: self.shared.closed.load(Ordering::SeqCst),
        }
    }

    /// A guard that keeps a self-advancing virtual clock still while it lives: for
    /// real work in flight outside the runtime's tasks (see [`WorkGuard`] for the
    /// rule). The facade's `to_thread` and `run_in_executor` take one per job.
    pub fn work_guard(&self) -> WorkGuard {
        WorkGuard::new(self.shared.clone())
    }

    /// Requests the cancellation of the live task `id` of this runtime, the main
    /// task of `block_on` included, and wakes it: its innermost
    /// [`catch_cancel`](crate::task::catch_cancel) region receives the request, or,
    /// with none, its future is dropped at its current await. Returns `false` when
    /// no live task has that id.
    ///
    /// ```
    /// # ferrio_core::Runtime::new().unwrap().block_on(async {
    /// let t = ferrio_core::spawn(std::future::pending::<()>());
    /// assert!(ferrio_core::Handle::current().cancel_task(t.id()));
    /// assert!(t.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn cancel_task(&self, id: TaskId) -> bool {
        self.shared.registry.cancel_by_id(id)
    }

    /// Enters the runtime on this thread until the guard drops: `spawn`, timers and
    /// the reactor's I/O types then work on a thread that does not run the runtime
    /// (a thread of your own, a callback of a C library), as they do inside it.
    /// Spawned tasks run on the runtime; I/O objects register with its driver.
    ///
    /// Entering does not run anything: the runtime's own threads (its workers, or
    /// the thread inside `Runtime::block_on` for the single-thread loop) run the
    /// tasks, fire the timers and poll the driver. To wait for a future here, use
    /// [`block_on`](Handle::block_on).
    ///
    /// Guards nest: dropping one restores the runtime that was entered before it.
    ///
    /// # Panics
    ///
    /// The guard panics when dropped while a guard created after it on the same
    /// thread still lives (guards must be dropped in the reverse order; keeping one
    /// in a struct or across an `.await` can break that).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ferrio_core::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     // A plain thread: `spawn` finds the runtime through the guard.
    ///     ferrio_core::spawn(async { 6 * 7 })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _inner: context::enter_handle(&self.shared),
            _handle: std::marker::PhantomData,
        }
    }

    /// Runs `future` to completion on the calling thread, with the runtime
    /// entered (as [`enter`](Handle::enter) does): inside it, `spawn` puts tasks on
    /// the runtime, and timers and I/O work. For a thread that is not one of the
    /// runtime's (a thread of your own, a synchronous callback).
    ///
    /// The future is polled on this thread (it may borrow locals and need not be
    /// `Send`). On the multi-thread flavour the workers fire its timers and poll the
    /// driver. On the single-thread flavour the thread running the loop does that;
    /// while no thread runs it, this thread fires the timers and polls the driver
    /// itself, but the runtime's tasks wait for the next `Runtime::block_on`: a
    /// future that awaits a task needs the loop running somewhere. If the runtime
    /// shuts down meanwhile, this thread fires the future's timers itself from
    /// then on; its I/O fails (the driver is shut down).
    ///
    /// # Panics
    ///
    /// When called from a thread that runs a ferrio runtime (inside a task, a
    /// worker, or `block_on`/`ferrio::run`): blocking there would stall the runtime
    /// or deadlock; `.await` the future instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = ferrio_core::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    /// let handle = rt.handle();
    /// let out = std::thread::spawn(move || {
    ///     handle.block_on(async {
    ///         ferrio_core::sleep(Duration::from_millis(5)).await;
    ///         ferrio_core::spawn(async { 2 }).await.unwrap() + 1
    ///     })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(out, 3);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        guest::block_on(&self.shared, future)
    }

    /// Whether both handles refer to the same runtime.
    pub fn ptr_eq(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.shared.flavor())
            .finish_non_exhaustive()
    }
}

/// The runtime entered on this thread while it lives; from [`Handle::enter`].
///
/// Not `Send`: it restores this thread's previous runtime when dropped.
#[must_use = "the runtime stays entered only while the guard lives"]
pub struct EnterGuard<'a> {
    _inner: context::EnterGuard,
    _handle: std::marker::PhantomData<(&'a Handle, *const ())>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// A runtime's counters, from [`Handle::metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// The executor.
    pub flavor: Flavor,
    /// Tasks whose future is still alive.
    pub live_tasks: usize,
    /// Worker threads still running.
    pub worker_threads: usize,
    /// Worker threads the runtime was built with (0 for the single-thread loop).
    pub configured_workers: usize,
    /// Timers registered and not yet fired.
    pub timers: usize,
    /// The runtime has shut down (or is shutting down).
    pub closed: bool,
}

/// Process-wide counters, across every runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// ferrio worker threads alive in the process.
    pub worker_threads: usize,
    /// Runtimes built and not yet shut down.
    pub runtimes: usize,
}

/// Process-wide counters: worker threads and runtimes alive.
pub fn stats() -> Stats {
    Stats {
        worker_threads: LIVE_WORKERS.load(Ordering::SeqCst),
        runtimes: LIVE_RUNTIMES.load(Ordering::SeqCst),
    }
}

/// Whether this thread is running a ferrio runtime (a worker or inside
/// `block_on`).
pub fn in_runtime() -> bool {
    context::is_running()
}
