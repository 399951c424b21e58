//! The single-thread loop, asyncio's model: one thread runs every task, `!Send`
//! futures allowed.
//!
//! # One turn of the loop
//!
//! 1. Move tasks scheduled from other threads (the injector) to the ready queue.
//! 2. Run the tasks that are ready *now*, in FIFO order; a task woken during this
//!    turn, including one that yields, runs in the next turn. So `yield_now` lets
//!    every other ready task run once before the yielder resumes. The main future
//!    (the one given to `block_on`) is a task here: it sits in the same queue (see
//!    `main_task.rs`). Every 61 polls the loop fires due timers and polls the
//!    driver without blocking, so an always-ready task, main included, cannot
//!    starve timers or I/O.
//! 3. Fire the timers that are due, so they run after what was ready (asyncio
//!    moves due timer handles to the ready queue at the next turn).
//! 4. If nothing is ready: compute the next timer deadline, park the driver until
//!    then (or let a virtual clock jump there), and fire the due timers.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};

use async_task::Runnable;
use concurrent_queue::ConcurrentQueue;

use super::context::{self, Ctx, Role};
use super::main_task::{MainCancelled, MainExit, MainTask, MainWake};
use super::shared::Shared;
use super::step::{self, MAINTENANCE_INTERVAL};
use crate::loom::{self as sync, fence};
use crate::task::Header;

pub(crate) struct LoopQueue {
    /// Tasks scheduled from other threads, or while no `block_on` runs the loop.
    pub(crate) injector: ConcurrentQueue<Runnable<Header>>,
    /// Whether a wake from another thread must unpark the loop.
    parked: ParkFlag,
    /// Who drives the runtime now: nobody, a `block_on` running the loop, or a
    /// `Handle::block_on` guest that fires timers and parks in the driver while
    /// nobody runs the loop.
    pub(crate) driving: AtomicU8,
    /// A `block_on` waits for a guest to give the driver back.
    pub(crate) wanted: AtomicBool,
    /// Guests waiting while the loop runs elsewhere: woken when it stops, so that
    /// one of them drives the timers and I/O it waits on.
    pub(crate) guests: Mutex<Vec<Waker>>,
}

pub(crate) const FREE: u8 = 0;
pub(crate) const LOOP: u8 = 1;
pub(crate) const GUEST: u8 = 2;

impl LoopQueue {
    pub(crate) fn new() -> LoopQueue {
        LoopQueue {
            injector: ConcurrentQueue::unbounded(),
            parked: ParkFlag::new(),
            driving: AtomicU8::new(FREE),
            wanted: AtomicBool::new(false),
            guests: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn schedule(&self, shared: &Shared, runnable: Runnable<Header>, ctx: Option<&Ctx>) {
        match ctx {
            Some(c) if c.is(shared, Role::Loop) => {
                c.local.borrow_mut().push_back(Ready::Task(runnable))
            }
            _ => self.inject(shared, runnable),
        }
    }

    /// Unparks the loop if it is parked (after something was queued for it).
    pub(crate) fn wake_loop(&self, shared: &Shared) {
        self.parked.notify(|| shared.driver.unpark());
    }

    fn inject(&self, shared: &Shared, runnable: Runnable<Header>) {
        if let Err(e) = self.injector.push(runnable) {
            // The injector is never closed; keep the task rather than lose it.
            drop(e.into_inner());
            unreachable!("the loop's injector is never closed");
        }
        self.wake_loop(shared);
    }
}

/// The loop's side of "either the loop sees the work, or the waker sees the loop
/// parked": the loop raises the flag, fences, and looks at its queues once more
/// before it parks; a waker queues, fences, and unparks the loop when it sees the
/// flag. Between the two SeqCst fences one side sees the other's write.
pub(crate) struct ParkFlag(sync::AtomicBool);

impl ParkFlag {
    pub(crate) fn new() -> ParkFlag {
        ParkFlag(sync::AtomicBool::new(false))
    }

    /// Parks with `park` unless `busy` says work arrived; a wake after the flag
    /// went up unparks it.
    pub(crate) fn park(&self, busy: impl Fn() -> bool, park: impl FnOnce()) {
        self.0.store(true, sync::Ordering::SeqCst);
        fence(sync::Ordering::SeqCst);
        if !busy() {
            park();
        }
        self.0.store(false, sync::Ordering::SeqCst);
    }

    /// Called after queueing work for the loop: `unpark` runs when the loop may be
    /// parked (or about to park without having seen the work).
    pub(crate) fn notify(&self, unpark: impl FnOnce()) {
        fence(sync::Ordering::SeqCst);
        if self.0.load(sync::Ordering::SeqCst) {
            unpark();
        }
    }
}

/// An entry of the loop's ready queue: a task, or the main future of `block_on`
/// (which is not an async-task allocation: it lives on the caller's stack).
pub(crate) enum Ready {
    Task(Runnable<Header>),
    Main,
}

/// Gives the ready queue back to the injector when `block_on` ends (even by a
/// panic), so the tasks run in the next `block_on` or are cancelled at shutdown.
struct LoopExit<'a> {
    ctx: &'a Ctx,
    queue: &'a LoopQueue,
}

impl Drop for LoopExit<'_> {
    fn drop(&mut self) {
        let mut local = self.ctx.local.borrow_mut();
        for r in local.drain(..) {
            if let Ready::Task(r) = r {
                let _ = self.queue.injector.push(r);
            }
        }
        free_driver(self.queue);
    }
}

/// Gives the driver up (the loop stopped, or a guest's wait ended) and wakes the
/// guests waiting for it, so that one of them drives the timers and I/O they wait
/// on.
pub(crate) fn free_driver(queue: &LoopQueue) {
    queue.driving.store(FREE, Ordering::SeqCst);
    let guests = std::mem::take(&mut *lock(&queue.guests));
    for g in guests {
        g.wake();
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn block_on<F: Future>(
    shared: &Arc<Shared>,
    queue: &LoopQueue,
    future: F,
    location: &'static Location<'static>,
) -> Result<F::Output, MainCancelled> {
    let _enter = context::enter(shared, Role::Loop);
    loop {
        match queue
            .driving
            .compare_exchange(FREE, LOOP, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => break,
            Err(LOOP) => panic!(
                "this single-thread runtime is already running a `block_on` on another thread"
            ),
            Err(_) => {
                // A `Handle::block_on` guest holds the driver while nobody runs the
                // loop: it gives it back at its next wake-up.
                queue.wanted.store(true, Ordering::SeqCst);
                shared.driver.unpark();
                std::thread::yield_now();
            }
        }
    }
    queue.wanted.store(false, Ordering::SeqCst);
    // This thread runs the loop now (not before the check above: a `block_on`
    // refused there would take the shard from the thread that runs it).
    shared.registry.claim(context::LOOP_SHARD);
    context::with_ctx(|ctx| {
        let ctx = ctx.expect("the context exists while block_on runs");
        let _exit = LoopExit { ctx, queue };
        run_loop(shared, queue, ctx, future, location)
    })
}

fn run_loop<F: Future>(
    shared: &Arc<Shared>,
    queue: &LoopQueue,
    ctx: &Ctx,
    future: F,
    location: &'static Location<'static>,
) -> Result<F::Output, MainCancelled> {
    let main = MainTask::register(
        shared,
        location,
        MainWake::Loop {
            queued: AtomicBool::new(true),
            remote: AtomicBool::new(false),
        },
    );
    let _main_exit = MainExit(&main);
    let MainWake::Loop { queued, remote } = &main.wake else {
        unreachable!("built just above");
    };
    let waker = Waker::from(main.clone());
    let mut cx = Context::from_waker(&waker);
    // The main task runs in a copy of the calling thread's context (contextvars).
    let future = crate::contextvars::Scoped::copy_current(future);
    let mut future = pin!(Some(future));
    // The main task runs first, then whatever earlier `block_on` calls left queued.
    ctx.local.borrow_mut().push_front(Ready::Main);
    // Counts down to the next maintenance: a decrement and a compare to zero
    // per poll instead of a modulo.
    let mut until_maintenance: u32 = MAINTENANCE_INTERVAL;
    loop {
        drain_injector(queue, remote, &ctx.local);
        let ready = ctx.local.borrow().len();
        if ready == 0 {
            park(shared, queue, ctx, remote);
            continue;
        }
        for _ in 0..ready {
            let Some(item) = ctx.local.borrow_mut().pop_front() else {
                break;
            };
            match item {
                Ready::Task(runnable) => {
                    runnable.run();
                }
                Ready::Main => {
                    queued.store(false, Ordering::Release);
                    if let Some(out) = main.poll(future.as_mut(), &mut cx) {
                        return out;
                    }
                }
            }
            // Every poll counts, the main future's included: an always-ready main
            // cannot starve timers or I/O either.
            until_maintenance -= 1;
            if until_maintenance == 0 {
                until_maintenance = MAINTENANCE_INTERVAL;
                step::maintenance(shared, true);
            }
        }
        if shared.time.has_timers() {
            shared.time.fire_due();
        }
    }
}

fn drain_injector(
    queue: &LoopQueue,
    main_remote: &AtomicBool,
    local: &std::cell::RefCell<VecDeque<Ready>>,
) {
    if main_remote.load(Ordering::Relaxed) && main_remote.swap(false, Ordering::AcqRel) {
        local.borrow_mut().push_back(Ready::Main);
    }
    if queue.injector.is_empty() {
        return;
    }
    let mut local = local.borrow_mut();
    while let Ok(r) = queue.injector.pop() {
        local.push_back(Ready::Task(r));
    }
}

fn park(shared: &Shared, queue: &LoopQueue, ctx: &Ctx, main_remote: &AtomicBool) {
    if shared.time.fire_due() > 0 {
        return;
    }
    shared.registry.drain_retired(context::LOOP_SHARD);
    let busy = || {
        !queue.injector.is_empty()
            || main_remote.load(Ordering::SeqCst)
            || !ctx.local.borrow().is_empty()
    };
    queue
        .parked
        .park(busy, || step::park_in_driver(shared, || true, None, busy));
    step::after_park(shared);
}

#[cfg(all(test, loom))]
mod loom_models {
    //! The loop's park (`ParkFlag::park`, as `park` calls it) against wakes from
    //! other threads (`ParkFlag::notify`, as `wake_loop` calls it), with the
    //! injector reduced to a counter and the driver a thread parker. A lost wake
    //! leaves the loop parked with work queued: loom reports the deadlock.

    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use loom::sync::Arc;
    use loom::thread;

    use super::ParkFlag;
    use crate::driver::{Driver, ThreadParker};

    fn run(wakers: usize) {
        loom::model(move || {
            let flag = Arc::new(ParkFlag::new());
            let driver = Arc::new(ThreadParker::new());
            let queued = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..wakers)
                .map(|_| {
                    let (flag, driver, queued) = (flag.clone(), driver.clone(), queued.clone());
                    thread::spawn(move || {
                        queued.fetch_add(1, SeqCst);
                        flag.notify(|| driver.unpark());
                    })
                })
                .collect();
            let mut ran = 0;
            while ran < wakers {
                let n = queued.swap(0, SeqCst);
                if n == 0 {
                    flag.park(|| queued.load(SeqCst) > 0, || driver.park(None));
                }
                ran += n;
            }
            for t in threads {
                t.join().unwrap();
            }
        });
    }

    #[test]
    fn a_wake_from_another_thread_is_never_lost() {
        run(1);
    }

    #[test]
    fn wakes_from_two_threads_are_never_lost() {
        run(2);
    }
}
