//! The single-thread loop, asyncio's model: one thread runs every task, `!Send`
//! futures allowed.
//!
//! # One turn of the loop
//!
//! 1. Poll the main future (the one given to `block_on`) if it was woken.
//! 2. Move tasks scheduled from other threads (the injector) to the ready queue.
//! 3. Run the tasks that are ready *now*, in FIFO order; a task woken during this
//!    turn, including one that yields, runs in the next turn. So `yield_now` lets
//!    every other ready task run once before the yielder resumes. Every 61 tasks the
//!    loop fires due timers and polls the driver without blocking, so an
//!    always-ready task cannot starve timers or I/O.
//! 4. If nothing is ready: compute the next timer deadline, park the driver until
//!    then (or let a virtual clock jump there), and fire the due timers.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_task::Runnable;
use concurrent_queue::ConcurrentQueue;

use super::context::{self, Ctx, Role};
use super::shared::Shared;
use crate::clock::IdleAction;
use crate::driver;
use crate::task::Header;

/// How many tasks run between two looks at the timers and the driver.
pub(crate) const MAINTENANCE_INTERVAL: u32 = 61;

pub(crate) struct LoopQueue {
    /// Tasks scheduled from other threads, or while no `block_on` runs the loop.
    pub(crate) injector: ConcurrentQueue<Runnable<Header>>,
    /// The loop is parked in the driver: a wake from another thread must unpark it.
    parked: AtomicBool,
    /// A `block_on` runs the loop right now.
    running: AtomicBool,
}

impl LoopQueue {
    pub(crate) fn new() -> LoopQueue {
        LoopQueue {
            injector: ConcurrentQueue::unbounded(),
            parked: AtomicBool::new(false),
            running: AtomicBool::new(false),
        }
    }

    pub(crate) fn schedule(&self, shared: &Shared, runnable: Runnable<Header>, ctx: Option<&Ctx>) {
        match ctx {
            Some(c) if c.is(shared, Role::Loop) => c.local.borrow_mut().push_back(runnable),
            _ => self.inject(shared, runnable),
        }
    }

    fn inject(&self, shared: &Shared, runnable: Runnable<Header>) {
        if let Err(e) = self.injector.push(runnable) {
            // The injector is never closed; keep the task rather than lose it.
            drop(e.into_inner());
            unreachable!("the loop's injector is never closed");
        }
        // Pairs with the fence in `park`: either the loop sees the task, or we see
        // that it parked.
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) {
            shared.driver.unpark();
        }
    }
}

struct MainWaker {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if let super::shared::Scheduler::Current(q) = &self.shared.scheduler {
            if q.parked.load(Ordering::SeqCst) {
                self.shared.driver.unpark();
            }
        }
    }
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
            let _ = self.queue.injector.push(r);
        }
        self.queue.running.store(false, Ordering::Release);
    }
}

pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, queue: &LoopQueue, future: F) -> F::Output {
    let _enter = context::enter(shared, Role::Loop);
    if queue.running.swap(true, Ordering::AcqRel) {
        panic!("this single-thread runtime is already running a `block_on` on another thread");
    }
    let _driver = driver::enter(shared.driver.clone());
    context::with_ctx(|ctx| {
        let ctx = ctx.expect("the context exists while block_on runs");
        let _exit = LoopExit { ctx, queue };
        run_loop(shared, queue, ctx, future)
    })
}

fn run_loop<F: Future>(shared: &Arc<Shared>, queue: &LoopQueue, ctx: &Ctx, future: F) -> F::Output {
    let main = Arc::new(MainWaker {
        woken: AtomicBool::new(true),
        shared: shared.clone(),
    });
    let waker = Waker::from(main.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut tick: u32 = 0;
    loop {
        if main.woken.swap(false, Ordering::AcqRel) {
            if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
        }
        drain_injector(queue, &ctx.local);
        let ready = ctx.local.borrow().len();
        if ready == 0 {
            if !main.woken.load(Ordering::Acquire) {
                park(shared, queue, ctx, &main);
            }
            continue;
        }
        for _ in 0..ready {
            let Some(runnable) = ctx.local.borrow_mut().pop_front() else {
                break;
            };
            runnable.run();
            tick = tick.wrapping_add(1);
            if tick.is_multiple_of(MAINTENANCE_INTERVAL) {
                context::refresh_coarse_now();
                shared.registry.collect(0);
                shared.time.fire_due();
                shared.driver.park(Some(Duration::ZERO));
            }
        }
        if shared.time.has_timers() {
            shared.time.fire_due();
        }
    }
}

fn drain_injector(queue: &LoopQueue, local: &std::cell::RefCell<VecDeque<Runnable<Header>>>) {
    if queue.injector.is_empty() {
        return;
    }
    let mut local = local.borrow_mut();
    while let Ok(r) = queue.injector.pop() {
        local.push_back(r);
    }
}

fn park(shared: &Shared, queue: &LoopQueue, ctx: &Ctx, main: &MainWaker) {
    if shared.time.fire_due() > 0 {
        return;
    }
    let deadline = shared.time.parking();
    queue.parked.store(true, Ordering::SeqCst);
    fence(Ordering::SeqCst);
    let busy = !queue.injector.is_empty()
        || main.woken.load(Ordering::SeqCst)
        || !ctx.local.borrow().is_empty();
    if !busy {
        match shared.time.clock.idle(deadline) {
            IdleAction::Advanced => shared.driver.park(Some(Duration::ZERO)),
            IdleAction::Park(timeout) => shared.driver.park(timeout),
        }
    }
    queue.parked.store(false, Ordering::SeqCst);
    context::refresh_coarse_now();
    shared.time.unparked();
    shared.time.fire_due();
}
