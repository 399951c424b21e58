//! The multi-thread work-stealing executor.
//!
//! # Queues
//!
//! Each worker owns a bounded local queue (FIFO, stealable) and a one-task LIFO slot
//! (also stealable). A task woken by the task running on the same worker goes to the
//! LIFO slot, so message ping-pong stays hot in cache; at most three LIFO tasks run
//! in a row before the local queue gets its turn. A spawned task goes to the back of
//! the local queue (never the LIFO slot) and a sleeping worker is notified, so a busy
//! spawner's children run on another worker. A task that yields goes to the back of
//! the local queue. Wakes from outside the workers go to the global injector.
//!
//! # One turn of a worker
//!
//! Take a task: the LIFO slot, the local queue, the injector (first, every 61st turn,
//! for fairness), then steal half of another worker's queue or its LIFO task. Every
//! 61 turns, fire due timers and poll the driver without blocking (if no one holds
//! it), so always-ready tasks starve neither timers nor I/O.
//!
//! # Parking
//!
//! A worker with nothing to run first spins: it becomes a searcher (if fewer than
//! half the workers search already) and looks for work a few more rounds, yielding
//! the CPU between them, so a producer outside the workers finds it awake rather
//! than paying a wake-up per task. Then it fires due timers, gives up the searcher
//! role, registers as sleeping, re-checks every queue (the SeqCst fence pairs with
//! the one a scheduler issues after pushing, so either the scheduler sees the
//! sleeper or the sleeper sees the task),
//! then parks: exactly one sleeper holds the driver and parks in it until the next
//! timer deadline; the others park on their own parkers. New work wakes one sleeper
//! (preferring one not in the driver) unless a worker is already searching for work.

use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use async_task::Runnable;
use concurrent_queue::ConcurrentQueue;

use super::context::{self, Ctx, Role};
use super::current_thread::MAINTENANCE_INTERVAL;
use super::local_queue::RawQueue;
use super::main_task::{MainCancelled, MainExit, MainTask, MainWake};
use super::shared::Shared;
use super::work::IdleCheck;
use crate::clock::IdleAction;
use crate::driver::{Driver, ThreadParker};
use crate::task::Header;

const LOCAL_QUEUE: usize = 1024;
const MAX_LIFO_STREAK: u32 = 3;
/// Rounds an idle worker looks for work before parking (see `Worker::spin`).
const SPIN_ROUNDS: u32 = 16;

pub(crate) struct Pool {
    injector: ConcurrentQueue<Runnable<Header>>,
    workers: Box<[WorkerShared]>,
    /// Indexes of sleeping workers.
    idle: Mutex<Vec<usize>>,
    num_sleeping: AtomicUsize,
    num_searching: AtomicUsize,
    /// Some sleeping worker holds the driver.
    driver_taken: AtomicBool,
    shutdown: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// `block_on` callers currently running their future (not parked): the runtime
    /// is not idle while one is, so a virtual clock must not jump.
    active_block_ons: AtomicUsize,
}

#[repr(align(128))]
struct WorkerShared {
    queue: LocalQueue,
    lifo: AtomicPtr<()>,
    parker: ThreadParker,
    /// In the idle list; changed only under the `idle` lock.
    sleeping: AtomicBool,
    /// Parked in the driver rather than on `parker`; changed only under `idle`.
    on_driver: AtomicBool,
}

/// A worker's local queue of runnables (see `local_queue.rs`).
struct LocalQueue(RawQueue);

impl LocalQueue {
    /// # Safety
    ///
    /// Only the owning worker's thread pushes.
    unsafe fn push(&self, runnable: Runnable<Header>) -> Result<(), Runnable<Header>> {
        // SAFETY: forwarded from the caller; a rejected pointer is handed back whole.
        unsafe { self.0.push(runnable.into_raw()) }.map_err(|p| unsafe { Runnable::from_raw(p) })
    }

    fn pop(&self) -> Option<Runnable<Header>> {
        // SAFETY: every pointer in the ring came from `Runnable::into_raw`, and the
        // CAS in `pop` hands each one to exactly one popper.
        self.0.pop().map(|p| unsafe { Runnable::from_raw(p) })
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for LocalQueue {
    fn drop(&mut self) {
        while let Some(r) = self.pop() {
            drop(r);
        }
    }
}

impl WorkerShared {
    fn take_lifo(&self) -> Option<Runnable<Header>> {
        if self.lifo.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let ptr = self.lifo.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null slot holds a pointer from `Runnable::into_raw`, and the
        // swap transferred its ownership to us alone.
        NonNull::new(ptr).map(|p| unsafe { Runnable::from_raw(p) })
    }

    fn put_lifo(&self, runnable: Runnable<Header>) -> Option<Runnable<Header>> {
        let ptr = runnable.into_raw().as_ptr();
        let old = self.lifo.swap(ptr, Ordering::AcqRel);
        // SAFETY: as in `take_lifo`: the swap handed us the previous occupant.
        NonNull::new(old).map(|p| unsafe { Runnable::from_raw(p) })
    }
}

impl Drop for WorkerShared {
    fn drop(&mut self) {
        drop(self.take_lifo());
    }
}

impl Pool {
    pub(crate) fn new(workers: usize) -> Pool {
        Pool {
            injector: ConcurrentQueue::unbounded(),
            workers: (0..workers)
                .map(|_| WorkerShared {
                    queue: LocalQueue(RawQueue::new(LOCAL_QUEUE)),
                    lifo: AtomicPtr::new(std::ptr::null_mut()),
                    parker: ThreadParker::new(),
                    sleeping: AtomicBool::new(false),
                    on_driver: AtomicBool::new(false),
                })
                .collect(),
            idle: Mutex::new(Vec::with_capacity(workers)),
            num_sleeping: AtomicUsize::new(0),
            num_searching: AtomicUsize::new(0),
            driver_taken: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
            active_block_ons: AtomicUsize::new(0),
        }
    }

    pub(crate) fn worker_count(&self) -> usize {
        self.workers.len()
    }

    pub(crate) fn start(shared: &Arc<Shared>, name: &str) -> std::io::Result<()> {
        let pool = shared.pool();
        let mut threads = lock(&pool.threads);
        for index in 0..pool.workers.len() {
            let shared2 = shared.clone();
            shared.workers_alive.fetch_add(1, Ordering::SeqCst);
            super::LIVE_WORKERS.fetch_add(1, Ordering::SeqCst);
            let spawned = thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || {
                    let _alive = AliveGuard(shared2.clone());
                    run_worker(&shared2, index);
                });
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    shared.workers_alive.fetch_sub(1, Ordering::SeqCst);
                    super::LIVE_WORKERS.fetch_sub(1, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Stops and joins the workers.
    pub(crate) fn stop(&self, shared: &Shared) {
        self.shutdown.store(true, Ordering::SeqCst);
        for w in self.workers.iter() {
            w.parker.unpark();
        }
        shared.driver.unpark();
        let threads = std::mem::take(&mut *lock(&self.threads));
        let me = thread::current().id();
        for t in threads {
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }

    /// Everything still queued (shutdown).
    pub(crate) fn drain(&self) -> Vec<Runnable<Header>> {
        let mut out = Vec::new();
        while let Ok(r) = self.injector.pop() {
            out.push(r);
        }
        for w in self.workers.iter() {
            out.extend(w.take_lifo());
            while let Some(r) = w.queue.pop() {
                out.push(r);
            }
        }
        out
    }

    /// Queues on worker `index`'s local queue (the injector when it is full).
    ///
    /// # Safety
    ///
    /// The caller runs on worker `index`'s thread (only a queue's owner pushes).
    unsafe fn push_local(&self, index: usize, runnable: Runnable<Header>) {
        // SAFETY: forwarded from the caller.
        if let Err(r) = unsafe { self.workers[index].queue.push(runnable) } {
            self.push_injector(r);
        }
    }

    /// Moves a fair share of the injector (its length divided among the workers,
    /// at most half the free room) to worker `index`'s local queue.
    ///
    /// # Safety
    ///
    /// The caller runs on worker `index`'s thread.
    unsafe fn pull_injector(&self, index: usize) -> usize {
        let queue = &self.workers[index].queue;
        let room = (LOCAL_QUEUE - queue.len()) / 2;
        let share = self.injector.len() / self.workers.len() + 1;
        let mut moved = 0;
        while moved < room.min(share) {
            let Ok(r) = self.injector.pop() else {
                break;
            };
            // SAFETY: the caller is this queue's owner.
            if let Err(r) = unsafe { queue.push(r) } {
                self.push_injector(r);
                break;
            }
            moved += 1;
        }
        moved
    }

    fn push_injector(&self, runnable: Runnable<Header>) {
        if self.injector.push(runnable).is_err() {
            unreachable!("the injector is never closed");
        }
    }

    /// A newly spawned task.
    pub(crate) fn schedule_new(
        &self,
        shared: &Shared,
        runnable: Runnable<Header>,
        ctx: Option<&Ctx>,
    ) {
        match ctx.and_then(|c| c.worker_of(shared)) {
            // SAFETY: `worker_of` says this thread is worker `index`.
            Some(index) => unsafe { self.push_local(index, runnable) },
            None => self.push_injector(runnable),
        }
        self.notify_parked(shared);
    }

    /// A woken task.
    pub(crate) fn schedule(
        &self,
        shared: &Shared,
        runnable: Runnable<Header>,
        yielded: bool,
        ctx: Option<&Ctx>,
    ) {
        match ctx.and_then(|c| c.worker_of(shared)) {
            Some(index) if yielded => {
                // Tasks waiting in the injector are ready too: move a fair share of
                // them ahead of the yielder, so it resumes only after they ran.
                if !self.injector.is_empty() {
                    // SAFETY: `worker_of` says this thread is worker `index`.
                    unsafe { self.pull_injector(index) };
                }
                // No notification: this worker is between polls and runs its queue
                // itself, so nothing can be stranded behind a yield (and yields are
                // the hottest path there is).
                // SAFETY: `worker_of` says this thread is worker `index`.
                unsafe { self.push_local(index, runnable) };
                return;
            }
            // Woken by due timers: queue in deadline order (the LIFO slot would
            // run the last one first), and let sleepers help.
            Some(index) if ctx.is_some_and(|c| c.firing_timers.get()) => {
                // SAFETY: `worker_of` says this thread is worker `index`.
                unsafe { self.push_local(index, runnable) };
            }
            Some(index) => {
                let Some(displaced) = self.workers[index].put_lifo(runnable) else {
                    return;
                };
                // SAFETY: `worker_of` says this thread is worker `index`.
                unsafe { self.push_local(index, displaced) };
            }
            None => self.push_injector(runnable),
        }
        self.notify_parked(shared);
    }

    /// Wakes one sleeping worker if none is already searching for work.
    fn notify_parked(&self, shared: &Shared) {
        fence(Ordering::SeqCst);
        if self.num_searching.load(Ordering::SeqCst) != 0
            || self.num_sleeping.load(Ordering::SeqCst) == 0
        {
            return;
        }
        let target = {
            let mut idle = lock(&self.idle);
            if self.num_searching.load(Ordering::SeqCst) != 0 || idle.is_empty() {
                return;
            }
            let pos = idle
                .iter()
                .rposition(|&i| !self.workers[i].on_driver.load(Ordering::Relaxed))
                .unwrap_or(idle.len() - 1);
            let index = idle.swap_remove(pos);
            let w = &self.workers[index];
            w.sleeping.store(false, Ordering::Relaxed);
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
            self.num_searching.fetch_add(1, Ordering::SeqCst);
            (index, w.on_driver.load(Ordering::Relaxed))
        };
        match target {
            (_, true) => shared.driver.unpark(),
            (index, false) => self.workers[index].parker.unpark(),
        }
    }

    fn all_idle(&self) -> bool {
        self.num_sleeping.load(Ordering::SeqCst) == self.workers.len()
            && self.active_block_ons.load(Ordering::SeqCst) == 0
    }

    fn has_work(&self) -> bool {
        !self.injector.is_empty()
            || self
                .workers
                .iter()
                .any(|w| !w.queue.is_empty() || !w.lifo.load(Ordering::Acquire).is_null())
    }

    /// Takes this worker off the idle list; `false` when a notifier already did
    /// (and so made it a searcher).
    fn leave_idle(&self, index: usize) -> bool {
        let mut idle = lock(&self.idle);
        let w = &self.workers[index];
        if !w.sleeping.load(Ordering::Relaxed) {
            return false;
        }
        w.sleeping.store(false, Ordering::Relaxed);
        if let Some(pos) = idle.iter().position(|&i| i == index) {
            idle.swap_remove(pos);
        }
        self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
        true
    }
}

struct AliveGuard(Arc<Shared>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        if context::handed_off() {
            // The worker lives on in the thread it handed its queues to.
            return;
        }
        self.0.workers_alive.fetch_sub(1, Ordering::SeqCst);
        super::LIVE_WORKERS.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Worker<'a> {
    shared: &'a Shared,
    pool: &'a Pool,
    index: usize,
    tick: u32,
    lifo_streak: u32,
    searching: bool,
    rng: fastrand_lite::Rng,
}

fn run_worker(shared: &Arc<Shared>, index: usize) {
    let _enter = context::enter(shared, Role::Worker(index));
    let pool = shared.pool();
    let mut worker = Worker {
        shared,
        pool,
        index,
        tick: 0,
        lifo_streak: 0,
        searching: false,
        rng: fastrand_lite::Rng::new(index as u64 + 1),
    };
    worker.run();
}

impl Worker<'_> {
    fn run(&mut self) {
        loop {
            if self.pool.shutdown.load(Ordering::Acquire) {
                return;
            }
            self.tick = self.tick.wrapping_add(1);
            if self.tick.is_multiple_of(MAINTENANCE_INTERVAL) {
                self.maintenance();
            }
            match self.find_task() {
                // The last searcher to find work wakes a sleeper: there may be more.
                Some(runnable) => self.found(runnable),
                None => {
                    if let Some(runnable) = self.spin() {
                        // Counted as a searcher while spinning: the run-loop turn
                        // above hands the role on when it finds this task.
                        self.found(runnable);
                    } else {
                        self.park();
                    }
                }
            }
            // The task just run handed this worker's queues to another thread
            // (`block_in_place`): that thread is the worker now.
            if context::handed_off() {
                return;
            }
        }
    }

    /// Runs `runnable`, found while searching.
    fn found(&mut self, runnable: Runnable<Header>) {
        if self.searching {
            self.searching = false;
            if self.pool.num_searching.fetch_sub(1, Ordering::SeqCst) == 1 {
                self.pool.notify_parked(self.shared);
            }
        }
        runnable.run();
    }

    /// Before parking, looks for work a few more rounds, yielding the CPU between
    /// them: a producer outside the workers (a `block_on` spawning in a loop) then
    /// finds this worker awake instead of paying a wake-up syscall per task. The
    /// worker counts as searching while it spins (at most half the workers do), so
    /// schedulers do not wake sleepers meanwhile; `park` re-checks every queue
    /// after giving the role up, so nothing is stranded.
    fn spin(&mut self) -> Option<Runnable<Header>> {
        let pool = self.pool;
        if !self.searching {
            let searching = pool.num_searching.load(Ordering::SeqCst);
            if 2 * searching >= pool.workers.len() {
                return None;
            }
            pool.num_searching.fetch_add(1, Ordering::SeqCst);
            self.searching = true;
        }
        for round in 0..SPIN_ROUNDS {
            if round < SPIN_ROUNDS / 2 {
                for _ in 0..32 {
                    std::hint::spin_loop();
                }
            } else {
                thread::yield_now();
            }
            if pool.shutdown.load(Ordering::Acquire) {
                return None;
            }
            if let Some(r) = self.find_task() {
                return Some(r);
            }
        }
        None
    }

    fn maintenance(&mut self) {
        context::refresh_coarse_now();
        self.shared.registry.collect(self.index);
        context::fire_due_in_order(self.shared);
        if !self.pool.driver_taken.swap(true, Ordering::Acquire) {
            self.shared.driver.park(Some(Duration::ZERO));
            self.pool.driver_taken.store(false, Ordering::Release);
        }
    }

    fn find_task(&mut self) -> Option<Runnable<Header>> {
        let me = &self.pool.workers[self.index];
        if self.tick.is_multiple_of(MAINTENANCE_INTERVAL) {
            if let Ok(r) = self.pool.injector.pop() {
                return Some(r);
            }
        }
        if self.lifo_streak < MAX_LIFO_STREAK {
            if let Some(r) = me.take_lifo() {
                self.lifo_streak += 1;
                return Some(r);
            }
        } else if let Some(r) = me.take_lifo() {
            // SAFETY: this is worker `self.index`'s own thread.
            unsafe { self.pool.push_local(self.index, r) };
        }
        self.lifo_streak = 0;
        if let Some(r) = me.queue.pop() {
            return Some(r);
        }
        // SAFETY: this is worker `self.index`'s own thread.
        if !self.pool.injector.is_empty() && unsafe { self.pool.pull_injector(self.index) } > 0 {
            if let Some(r) = me.queue.pop() {
                return Some(r);
            }
        }
        if let Ok(r) = self.pool.injector.pop() {
            return Some(r);
        }
        self.steal()
    }

    fn steal(&mut self) -> Option<Runnable<Header>> {
        let n = self.pool.workers.len();
        let start = self.rng.below(n);
        let me = &self.pool.workers[self.index];
        for k in 0..n {
            let victim = (start + k) % n;
            if victim == self.index {
                continue;
            }
            let v = &self.pool.workers[victim];
            let Some(first) = v.queue.pop() else {
                continue;
            };
            let half = v.queue.len() / 2;
            for _ in 0..half {
                match v.queue.pop() {
                    Some(r) => {
                        // SAFETY: `me` is this thread's own queue.
                        if let Err(r) = unsafe { me.queue.push(r) } {
                            self.pool.push_injector(r);
                            break;
                        }
                    }
                    None => break,
                }
            }
            return Some(first);
        }
        for k in 0..n {
            let victim = (start + k) % n;
            if victim != self.index {
                if let Some(r) = self.pool.workers[victim].take_lifo() {
                    return Some(r);
                }
            }
        }
        None
    }

    fn park(&mut self) {
        let pool = self.pool;
        let shared = self.shared;
        if context::fire_due_in_order(shared) > 0 {
            return;
        }
        let me = &pool.workers[self.index];
        let on_driver = !pool.driver_taken.swap(true, Ordering::Acquire);
        {
            let mut idle = lock(&pool.idle);
            if self.searching {
                self.searching = false;
                pool.num_searching.fetch_sub(1, Ordering::SeqCst);
            }
            me.on_driver.store(on_driver, Ordering::Relaxed);
            me.sleeping.store(true, Ordering::Relaxed);
            idle.push(self.index);
            pool.num_sleeping.fetch_add(1, Ordering::SeqCst);
        }
        fence(Ordering::SeqCst);
        let all_asleep = pool.all_idle();
        if pool.has_work() || pool.shutdown.load(Ordering::SeqCst) {
            self.searching = !pool.leave_idle(self.index);
            if on_driver {
                pool.driver_taken.store(false, Ordering::Release);
            }
            return;
        }
        if on_driver {
            let deadline = shared.time.parking();
            let action = if !shared.auto_advance {
                Some(shared.time.clock.idle(deadline))
            } else if !all_asleep {
                Some(IdleAction::Park(None))
            } else {
                match shared.idle_check(|| pool.has_work()) {
                    IdleCheck::Work => None,
                    IdleCheck::InFlight => Some(IdleAction::Park(None)),
                    IdleCheck::Jump => Some(shared.time.clock.idle(deadline)),
                }
            };
            match action {
                Some(IdleAction::Advanced) => shared.driver.park(Some(Duration::ZERO)),
                Some(IdleAction::Park(timeout)) => shared.driver.park(timeout),
                None => {}
            }
            shared.time.unparked();
            pool.driver_taken.store(false, Ordering::Release);
        } else {
            if all_asleep && shared.auto_advance {
                // The driver holder waits with no deadline while others run; now
                // that everyone sleeps it may let the virtual clock jump.
                shared.driver.unpark();
            }
            me.parker.park(None);
        }
        self.searching = !pool.leave_idle(self.index);
        context::refresh_coarse_now();
        context::fire_due_in_order(shared);
    }
}

/// A tiny xorshift generator for picking steal victims.
mod fastrand_lite {
    pub(super) struct Rng(u64);

    impl Rng {
        pub(super) fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        pub(super) fn below(&mut self, n: usize) -> usize {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            (x % n as u64) as usize
        }
    }
}

/// Hands worker `index`'s queues to a new thread that runs the worker loop under
/// the same index, and makes this thread a plain one (`block_in_place`, see
/// `blocking.rs`). Returns the claim the two threads race for: the new thread runs
/// only if it claims first; this thread takes the queues back if it does. `None`
/// when the pool is stopping or no thread could be started (this thread stays the
/// worker).
pub(crate) fn hand_off(shared: &Arc<Shared>, index: usize) -> Option<Arc<AtomicBool>> {
    let pool = shared.pool();
    // Under the threads lock: `stop` sets the flag before it takes the list, so a
    // replacement is either refused here or joined there.
    let mut threads = lock(&pool.threads);
    if pool.shutdown.load(Ordering::SeqCst) {
        return None;
    }
    let claim = Arc::new(AtomicBool::new(false));
    context::leave_worker();
    let (shared2, claim2) = (shared.clone(), claim.clone());
    let name = thread::current()
        .name()
        .map_or_else(|| format!("ferrio-worker-{index}"), str::to_owned);
    let spawned = thread::Builder::new().name(name).spawn(move || {
        if claim2.swap(true, Ordering::AcqRel) {
            // The blocking call was over before this thread started.
            return;
        }
        // The live-worker count moves with the worker: the thread that handed it
        // over does not count it down when it exits.
        let _alive = AliveGuard(shared2.clone());
        run_worker(&shared2, index);
    });
    match spawned {
        Ok(t) => {
            threads.push(t);
            Some(claim)
        }
        Err(_) => {
            context::after_blocking(index, true);
            None
        }
    }
}

/// Counts a parked `block_on` caller active again. While the caller is parked it
/// does not count as active; whoever ends the park (a wake of the main task, or
/// the caller on a spurious return) counts it active again, exactly once, before
/// the caller runs, so a virtual clock never jumps while a woken caller is about to
/// look at the time.
pub(crate) fn reactivate(main: &MainTask) {
    if let MainWake::Thread { parked, .. } = &main.wake {
        if parked.swap(false, Ordering::SeqCst) {
            main.header
                .rt
                .pool()
                .active_block_ons
                .fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn park_main(main: &MainTask) {
    let MainWake::Thread { parked, .. } = &main.wake else {
        unreachable!("the multi-thread main task parks its thread");
    };
    let shared = &main.header.rt;
    let pool = shared.pool();
    parked.store(true, Ordering::SeqCst);
    pool.active_block_ons.fetch_sub(1, Ordering::SeqCst);
    if shared.auto_advance && pool.all_idle() {
        // Everyone sleeps now: the driver holder may let the clock jump.
        shared.driver.unpark();
    }
    thread::park();
    reactivate(main);
    context::refresh_coarse_now();
}

/// Counts a `block_on` caller as active while it runs.
struct Active<'a>(&'a Shared);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0
            .pool()
            .active_block_ons
            .fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) fn block_on<F: std::future::Future>(
    shared: &Arc<Shared>,
    future: F,
    location: &'static Location<'static>,
) -> Result<F::Output, MainCancelled> {
    let _enter = context::enter(shared, Role::BlockOn);
    let pool = shared.pool();
    pool.active_block_ons.fetch_add(1, Ordering::SeqCst);
    let _active = Active(shared);
    let main = MainTask::register(
        shared,
        location,
        MainWake::Thread {
            thread: thread::current(),
            parked: AtomicBool::new(false),
        },
    );
    let _main_exit = MainExit(&main);
    let waker = Waker::from(main.clone());
    let mut cx = Context::from_waker(&waker);
    // The main task runs in a copy of the calling thread's context (contextvars).
    let future = crate::contextvars::Scoped::copy_current(future);
    let mut future = std::pin::pin!(Some(future));
    let mut polls: u32 = 0;
    loop {
        if let Some(out) = main.poll(future.as_mut(), &mut cx) {
            return out;
        }
        // The main future's polls count toward the fairness rule too: one that is
        // always ready still lets due timers fire. The driver is left to the
        // workers: a worker that goes idle while this thread held it would park
        // on its own parker, and no one would be left parked in the driver to
        // see I/O or let a virtual clock jump (the last worker to sleep must own
        // it).
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(MAINTENANCE_INTERVAL) {
            context::refresh_coarse_now();
            context::fire_due_in_order(shared);
        }
        park_main(&main);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
