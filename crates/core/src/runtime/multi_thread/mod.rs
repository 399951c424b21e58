//! The multi-thread work-stealing executor.
//!
//! # Queues
//!
//! Each worker owns a bounded local queue (FIFO, stealable; `queue.rs`) and a
//! one-task LIFO slot (also stealable; `lifo.rs`). A task woken by the task running
//! on the same worker goes to the LIFO slot, so message ping-pong stays hot in
//! cache; at most three LIFO tasks run in a row before the local queue gets its
//! turn. A spawned task goes to the back of the local queue (never the LIFO slot);
//! a sleeping worker is notified when other tasks already wait on this worker (or
//! no sleeper watches, below), so a busy spawner's children run on another worker,
//! while a task that spawns one successor (a chain) keeps it on its own core. A
//! task that yields goes to the back of the local queue. Wakes from outside the
//! workers go to the global injector.
//!
//! # One turn of a worker (`worker.rs`)
//!
//! Take a task: the LIFO slot, the local queue, the injector (first, every 61st turn,
//! for fairness), then steal half of another worker's queue or its LIFO task
//! (`steal.rs`). Every 61 turns, fire due timers and poll the driver without
//! blocking (if no one holds it), so always-ready tasks starve neither timers nor
//! I/O.
//!
//! # Parking
//!
//! A worker with nothing to run first spins: it becomes a searcher (if fewer than
//! half the workers search already) and looks for work a few more rounds, yielding
//! the CPU between them, so a producer outside the workers finds it awake rather
//! than paying a wake-up per task. Then it fires due timers, gives up the searcher
//! role, registers as sleeping, re-checks every queue, and parks: exactly one
//! sleeper holds the driver and parks in it until the next timer deadline; the
//! others park on their own parkers. New work wakes one sleeper (preferring one not
//! in the driver) unless a worker is already searching for work. `idle.rs` gives
//! the protocol and why no wake-up is lost. A task woken into the LIFO slot, or
//! spawned onto a worker with nothing else waiting, notifies no one while the
//! driver holder watches; while workers run, the sleeper in the driver looks
//! every few milliseconds for such a task stuck behind a long poll and steals it
//! (`watch.rs`).
//!
//! # `block_on`
//!
//! The caller's thread polls the main future and parks on itself (`block_on.rs`);
//! the workers run everything else.

mod block_on;
mod idle;
mod lifo;
mod queue;
mod steal;
mod watch;
mod worker;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use async_task::Runnable;
use concurrent_queue::ConcurrentQueue;

pub(crate) use self::block_on::{block_on, reactivate};
use self::idle::{Idle, Wake};
use self::lifo::LifoSlot;
use self::queue::{Local, Steal};
use super::context::Ctx;
use super::shared::Shared;
use crate::driver::{Driver, ThreadParker};
use crate::task::Header;

const LOCAL_QUEUE: usize = 1024;

pub(crate) struct Pool {
    injector: ConcurrentQueue<Runnable<Header>>,
    workers: Box<[WorkerShared]>,
    /// The owner handles of the local queues, until `start` hands each to its
    /// worker thread.
    owners: Mutex<Vec<Option<Local>>>,
    idle: Idle,
    shutdown: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// `block_on` callers currently running their future (not parked): the runtime
    /// is not idle while one is, so a virtual clock must not jump.
    active_block_ons: AtomicUsize,
}

/// What the other threads see of a worker.
#[repr(align(128))]
struct WorkerShared {
    queue: Steal,
    lifo: LifoSlot,
    parker: ThreadParker,
}

impl Pool {
    pub(crate) fn new(workers: usize) -> Pool {
        let (owners, workers): (Vec<_>, Vec<_>) = (0..workers)
            .map(|_| {
                let (local, steal) = queue::local(LOCAL_QUEUE);
                let shared = WorkerShared {
                    queue: steal,
                    lifo: LifoSlot::new(),
                    parker: ThreadParker::new(),
                };
                (Some(local), shared)
            })
            .unzip();
        Pool {
            injector: ConcurrentQueue::unbounded(),
            idle: Idle::new(workers.len()),
            workers: workers.into_boxed_slice(),
            owners: Mutex::new(owners),
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
            let Some(local) = lock(&pool.owners)[index].take() else {
                continue;
            };
            let shared2 = shared.clone();
            shared.workers_alive.fetch_add(1, Ordering::SeqCst);
            super::LIVE_WORKERS.fetch_add(1, Ordering::SeqCst);
            let spawned = thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || {
                    let _alive = AliveGuard(shared2.clone());
                    worker::run(&shared2, index, local);
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
            out.extend(w.lifo.take());
            while let Some(r) = w.queue.pop() {
                out.push(r);
            }
        }
        out
    }

    /// Queues on this thread's local queue when it is one of this pool's workers
    /// (the injector otherwise, or when the queue is full). Inline: every yield
    /// and most wakes on a worker come here.
    #[inline]
    fn push_local(&self, runnable: Runnable<Header>) {
        if let Err(r) = worker::push_local(self, runnable) {
            self.push_injector(r);
        }
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
            Some(index) => {
                let me = &self.workers[index];
                let waiting = !me.queue.is_empty() || me.lifo.is_occupied();
                self.push_local(runnable);
                // Nothing else waits here: this worker runs the new task as soon
                // as the spawner's poll ends. Waking a sleeper for it would only
                // have the two race for it, and a chain of tasks that each spawn
                // the next would hop between cores at every link.
                if !waiting {
                    self.notify_unless_watched(shared);
                    return;
                }
            }
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
            Some(_) if yielded => {
                // Tasks waiting in the injector are ready too: move a fair share of
                // them ahead of the yielder, so it resumes only after they ran.
                if !self.injector.is_empty() {
                    worker::pull_injector(self);
                }
                // No notification: this worker is between polls and runs its queue
                // itself, so nothing can be stranded behind a yield (and yields are
                // the hottest path there is).
                self.push_local(runnable);
                return;
            }
            // Woken by due timers: queue in deadline order (the LIFO slot would
            // run the last one first), and let sleepers help.
            Some(_) if ctx.is_some_and(|c| c.firing_timers.get()) => {
                self.push_local(runnable);
            }
            Some(index) => {
                let Some(displaced) = self.workers[index].lifo.put(runnable) else {
                    self.notify_unless_watched(shared);
                    return;
                };
                self.push_local(displaced);
            }
            None => self.push_injector(runnable),
        }
        self.notify_parked(shared);
    }

    /// After queueing a task on this worker's own LIFO slot or queue with nothing
    /// else waiting there: this worker runs it when its current poll ends, so a
    /// sleeper is needed only if that poll runs long. While the driver holder
    /// watches (`watch.rs`) it finds such a task; otherwise one sleeper is woken,
    /// which parks in the driver again after its search and watches. Best effort
    /// without a fence (nothing is lost if it misses a sleeper that registers right
    /// now: the task is this worker's own), and two plain loads when someone
    /// watches or no one sleeps: message ping-pong comes through here.
    #[inline]
    fn notify_unless_watched(&self, shared: &Shared) {
        if !self.idle.watching() && self.idle.num_sleeping() > 0 {
            self.notify_parked(shared);
        }
    }

    /// Wakes one sleeping worker if none is already searching for work.
    fn notify_parked(&self, shared: &Shared) {
        match self.idle.notify() {
            Some(Wake::Driver) => shared.driver.unpark(),
            Some(Wake::Parker(index)) => {
                self.workers[index].parker.unpark();
                if self.idle.woke_unwatched() {
                    shared.driver.unpark();
                }
            }
            None => {}
        }
    }

    fn all_idle(&self) -> bool {
        self.idle.num_sleeping() == self.workers.len()
            && self.active_block_ons.load(Ordering::SeqCst) == 0
    }

    fn has_work(&self) -> bool {
        !self.injector.is_empty()
            || self
                .workers
                .iter()
                .any(|w| !w.queue.is_empty() || w.lifo.is_occupied())
    }
}

struct AliveGuard(Arc<Shared>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        if super::context::handed_off() {
            // The worker lives on in the thread it handed its queue to.
            return;
        }
        self.0.workers_alive.fetch_sub(1, Ordering::SeqCst);
        super::LIVE_WORKERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hands worker `index`'s queue to a new thread that runs the worker loop under
/// the same index, and makes this thread a plain one (`block_in_place`, see
/// `blocking.rs`): the owner handle waits in `owners` for whichever thread takes
/// it first, the new one or this one in [`take_back`]. `false` when this thread
/// is not that worker, the pool is stopping, or no thread could be started (this
/// thread then stays the worker).
pub(crate) fn hand_off(shared: &Arc<Shared>, index: usize) -> bool {
    let pool = shared.pool();
    // Under the threads lock: `stop` sets the flag before it takes the list, so a
    // new thread is either refused here or joined there.
    let mut threads = lock(&pool.threads);
    if pool.shutdown.load(Ordering::SeqCst) {
        return false;
    }
    let Some(local) = worker::take_owner(pool) else {
        return false;
    };
    super::context::leave_worker();
    lock(&pool.owners)[index] = Some(local);
    let shared2 = shared.clone();
    let name = thread::current()
        .name()
        .map_or_else(|| format!("ferrio-worker-{index}"), str::to_owned);
    let spawned = thread::Builder::new().name(name).spawn(move || {
        let Some(local) = lock(&shared2.pool().owners)[index].take() else {
            // The blocking call was over before this thread started.
            return;
        };
        // The live-worker count moves with the queue: the thread that handed it
        // over does not count it down when it exits.
        let _alive = AliveGuard(shared2.clone());
        worker::run(&shared2, index, local);
    });
    match spawned {
        Ok(t) => {
            threads.push(t);
            true
        }
        Err(_) => {
            let back = take_back(shared, index);
            super::context::after_blocking(index, back);
            false
        }
    }
}

/// After the blocking call: takes worker `index`'s queue back if the new thread
/// has not taken it yet. `true` when this thread is the worker again.
pub(crate) fn take_back(shared: &Shared, index: usize) -> bool {
    let pool = shared.pool();
    let Some(local) = lock(&pool.owners)[index].take() else {
        return false;
    };
    worker::put_owner(pool, local);
    true
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
