//! What a runtime's threads, tasks and handles share: the scheduler, the driver, the
//! timers, the task registry, and the hooks.

use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_task::{Runnable, ScheduleInfo, WithInfo};

use super::context::{self, Ctx};
use super::current_thread::{LoopQueue, Ready};
use super::multi_thread::Pool;
use super::{Flavor, PollHook};
use crate::contextvars::Scoped;
use crate::driver::Driver;
use crate::registry::Registry;
use crate::task::task_future::TaskFuture;
use crate::task::{Header, Task, UnretrievedPanicHook};
use crate::time::TimeShared;

pub(crate) enum Scheduler {
    Current(LoopQueue),
    Multi(Pool),
}

pub(crate) struct Shared {
    pub(crate) scheduler: Scheduler,
    pub(crate) driver: Arc<dyn Driver>,
    pub(crate) time: TimeShared,
    pub(crate) registry: Registry,
    pub(crate) poll_hook: Option<Arc<dyn PollHook>>,
    pub(crate) panic_hook: Option<UnretrievedPanicHook>,
    /// Shutdown began: new tasks are cancelled before their first poll.
    pub(crate) closed: AtomicBool,
    /// Shutdown finished: nothing runs the queues any more, so a late wake runs the
    /// task (to its cancellation) right where it is scheduled.
    pub(crate) finished: AtomicBool,
    pub(crate) workers_alive: AtomicUsize,
    /// The clock jumps to the next timer when the runtime is idle.
    pub(crate) auto_advance: bool,
    /// Live [`WorkGuard`](super::WorkGuard)s: real work that holds the clock.
    pub(crate) in_flight: AtomicUsize,
    /// Spawned tasks run their first step inside the spawn call (asyncio's
    /// `eager_task_factory`).
    pub(crate) eager: bool,
    /// Wakers of the threads inside `Handle::block_on`: shutdown wakes them, so
    /// that they fire their timers themselves from then on.
    pub(crate) guests: std::sync::Mutex<Vec<std::task::Waker>>,
}

impl Shared {
    pub(crate) fn flavor(&self) -> Flavor {
        match self.scheduler {
            Scheduler::Current(_) => Flavor::CurrentThread,
            Scheduler::Multi(_) => Flavor::MultiThread,
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        match &self.scheduler {
            Scheduler::Multi(p) => p,
            Scheduler::Current(_) => unreachable!("not a multi-thread runtime"),
        }
    }

    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
    ) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(future, name, location, self.eager)
    }

    /// [`spawn`](Shared::spawn), eager or not whatever the runtime's default.
    #[inline]
    pub(crate) fn spawn_with<F>(
        self: &Arc<Self>,
        future: F,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
        eager: bool,
    ) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Every task runs in a copy of its spawner's context (contextvars).
        let future = Scoped::copy_current(future);
        let (runnable, task) = async_task::Builder::new()
            .metadata(Header::new(self, location))
            .spawn(
                move |h: &Header| TaskFuture::new(h, future),
                WithInfo(schedule_task),
            );
        runnable.metadata().set_name(name);
        self.start(runnable, eager);
        Task::from_raw(task)
    }

    pub(crate) fn spawn_local<F>(
        self: &Arc<Self>,
        future: F,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
    ) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let future = Scoped::copy_current(future);
        let (runnable, task) = async_task::Builder::new()
            .metadata(Header::new(self, location))
            .spawn_local(
                move |h: &Header| TaskFuture::new(h, future),
                WithInfo(schedule_task),
            );
        runnable.metadata().set_name(name);
        self.start(runnable, self.eager);
        Task::from_raw(task)
    }

    #[inline]
    fn start(&self, runnable: Runnable<Header>, eager: bool) {
        context::with_ctx(|ctx| {
            if let Some(c) = ctx.filter(|c| c.is(self, context::Role::Loop)) {
                // The loop's own thread: `block_on` borrows the runtime, and
                // shutdown needs it exclusively, so neither `closed` nor `finished`
                // can be set, and no late-push check is needed.
                debug_assert!(!self.closed.load(Ordering::Relaxed));
                self.registry
                    .insert(c.registry_shard(), runnable.metadata(), runnable.waker());
                if eager {
                    if let Some(_depth) = c.enter_eager() {
                        runnable.run();
                        return;
                    }
                }
                c.local.borrow_mut().push_back(Ready::Task(runnable));
                return;
            }
            self.start_elsewhere(runnable, eager, ctx);
        })
    }

    /// [`start`](Shared::start) off the loop's own thread: a worker, another
    /// thread, or another runtime's thread. Out of line, so that a spawn on the loop
    /// inlines to its own path alone.
    #[inline(never)]
    fn start_elsewhere(&self, runnable: Runnable<Header>, eager: bool, ctx: Option<&Ctx>) {
        let header = runnable.metadata();
        let shard = match ctx {
            Some(c) if c.holds(self) => c.registry_shard(),
            _ => self.registry.external_shard(),
        };
        self.registry.insert(shard, header, runnable.waker());
        if self.closed.load(Ordering::Acquire) {
            header.request_cancel();
        }
        if self.finished.load(Ordering::Acquire) {
            run_after_shutdown(runnable);
            return;
        }
        if eager {
            if let Some(c) = ctx.filter(|c| c.runs(self)) {
                if let Some(_depth) = c.enter_eager() {
                    // The first step runs here, inside the spawn call; a wake
                    // during it queues the task as usual.
                    runnable.run();
                    return;
                }
            }
        }
        let from_outside = self.outside(ctx);
        match &self.scheduler {
            Scheduler::Current(q) => q.schedule(self, runnable, ctx),
            Scheduler::Multi(p) => p.schedule_new(self, runnable, ctx),
        }
        if from_outside {
            self.catch_late_push();
        }
    }

    /// Queues a woken task.
    fn schedule(&self, runnable: Runnable<Header>, yielded: bool, ctx: Option<&Ctx>) {
        runnable.metadata().set_scheduled();
        if self.finished.load(Ordering::Acquire) {
            run_after_shutdown(runnable);
            return;
        }
        let from_outside = self.outside(ctx);
        match &self.scheduler {
            Scheduler::Current(q) => q.schedule(self, runnable, ctx),
            Scheduler::Multi(p) => p.schedule(self, runnable, yielded, ctx),
        }
        if from_outside {
            self.catch_late_push();
        }
    }

    /// Whether this thread could race shutdown: it neither runs the runtime's tasks
    /// nor is the thread shutting it down. Only such a thread (a blocking-pool
    /// thread finishing a job, a foreign waker) can queue a task while shutdown
    /// drains the queues for the last time.
    #[inline]
    fn outside(&self, ctx: Option<&Ctx>) -> bool {
        !ctx.is_some_and(|c| c.runs(self) || c.is(self, context::Role::Shutdown))
    }

    /// After a push from outside: if shutdown finished meanwhile, its last drain may
    /// have missed the task, which would then sit in a queue of the runtime it holds
    /// (its header owns an `Arc<Shared>`), and the runtime with its driver's
    /// descriptors would never be freed. Pairs with the fence in shutdown after
    /// `finished` is set: either that drain sees the push, or this load sees
    /// `finished` and the task is drained here.
    #[cold]
    fn catch_late_push(&self) {
        fence(Ordering::SeqCst);
        if self.finished.load(Ordering::Relaxed) {
            for late in self.drain() {
                run_after_shutdown(late);
            }
        }
    }

    /// Takes every queued task out of the scheduler's queues.
    pub(crate) fn drain(&self) -> Vec<Runnable<Header>> {
        match &self.scheduler {
            Scheduler::Current(q) => {
                let mut out = Vec::new();
                while let Ok(r) = q.injector.pop() {
                    out.push(r);
                }
                out
            }
            Scheduler::Multi(p) => p.drain(),
        }
    }

    /// Wakes whoever is parked in the driver, so it re-reads its timers.
    pub(crate) fn unpark_driver(&self) {
        self.driver.unpark();
    }
}

/// The schedule function of every task: zero-sized, so async-task takes no extra
/// reference on the task per schedule; the runtime is found in the task's header.
#[inline]
fn schedule_task(runnable: Runnable<Header>, info: ScheduleInfo) {
    let ptr = Arc::as_ptr(&runnable.metadata().rt);
    if let Err(runnable) = context::push_on_loop(ptr, runnable) {
        schedule_elsewhere(runnable, info);
    }
}

/// [`schedule_task`] off its own loop's thread: a multi-thread runtime, another
/// thread, or another runtime's thread. Out of line, so that the loop's own wakes
/// inline to the push alone.
#[inline(never)]
fn schedule_elsewhere(runnable: Runnable<Header>, info: ScheduleInfo) {
    let ptr = Arc::as_ptr(&runnable.metadata().rt);
    let yielded = info.woken_while_running;
    context::with_ctx(|ctx| match ctx {
        Some(c) if c.holds(ptr) => {
            // SAFETY: this thread's context holds an `Arc` to this runtime for as
            // long as it runs it, so the runtime outlives this call even if the
            // task (and the `Arc` in its header) is freed by another thread right
            // after the push.
            let rt = unsafe { &*ptr };
            rt.schedule(runnable, yielded, ctx);
        }
        _ => {
            // A wake from elsewhere: own a reference for the duration of the call.
            let rt = runnable.metadata().rt.clone();
            rt.schedule(runnable, yielded, ctx);
        }
    })
}

thread_local! {
    /// Tasks met after shutdown while this thread already runs one of them: run by
    /// that outer call, one after another, instead of inside each other.
    static LATE: std::cell::RefCell<Option<std::collections::VecDeque<Runnable<Header>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs a task spawned or woken after shutdown finished, to its cancellation (its
/// future is dropped, its destructors run). A destructor may spawn again, and that
/// task's destructor again, any number of times: the first call on a thread runs
/// them all in a loop, so the stack stays bounded however long the chain is.
fn run_after_shutdown(runnable: Runnable<Header>) {
    let queued = LATE.with(|late| match late.borrow_mut().as_mut() {
        Some(queue) => {
            queue.push_back(runnable);
            None
        }
        None => Some(runnable),
    });
    let Some(first) = queued else {
        return;
    };
    /// Ends the trampoline even if a destructor panics through it; what is left
    /// is dropped (a dropped `Runnable` cancels its task).
    struct Trampoline;
    impl Drop for Trampoline {
        fn drop(&mut self) {
            let left = LATE.with(|late| late.borrow_mut().take());
            drop(left);
        }
    }
    LATE.with(|late| *late.borrow_mut() = Some(std::collections::VecDeque::new()));
    let _trampoline = Trampoline;
    first.run();
    while let Some(next) = LATE.with(|late| late.borrow_mut().as_mut().and_then(|q| q.pop_front()))
    {
        next.run();
    }
}
