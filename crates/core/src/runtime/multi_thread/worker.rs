//! A worker thread: its run loop, how it finds a task, spins, and parks.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;

use async_task::Runnable;

use super::queue::Local;
use super::{watch, Pool};
use crate::driver::Driver;
use crate::runtime::context::{self, Role};
use crate::runtime::shared::Shared;
use crate::runtime::step::{self, MAINTENANCE_INTERVAL};
use crate::task::Header;

const MAX_LIFO_STREAK: u32 = 3;
/// Rounds an idle worker looks for work before parking (see `Worker::spin`).
const SPIN_ROUNDS: u32 = 16;

thread_local! {
    /// The owner handle of the local queue of the worker this thread is: the only
    /// handle that pushes to that queue, so whatever runs on this thread (the
    /// worker loop, or a waker called from a task it polls) reaches it here.
    static OWNER: RefCell<Option<Owner>> = const { RefCell::new(None) };
}

struct Owner {
    /// The pool the queue belongs to, compared, never dereferenced.
    pool: *const Pool,
    local: Local,
}

/// Runs `f` with this thread's owner handle when this thread is one of `pool`'s
/// workers. `f` must not run user code (drop a task, poll): a waker it calls
/// would find the handle borrowed.
pub(super) fn with_local<R>(pool: &Pool, f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    OWNER
        .try_with(|owner| {
            let mut owner = owner.try_borrow_mut().ok()?;
            let owner = owner.as_mut().filter(|o| std::ptr::eq(o.pool, pool))?;
            Some(f(&mut owner.local))
        })
        .ok()
        .flatten()
}

/// Queues `runnable` on this thread's local queue; hands it back when this thread
/// is not one of `pool`'s workers or the queue is full.
pub(super) fn push_local(pool: &Pool, runnable: Runnable<Header>) -> Result<(), Runnable<Header>> {
    let mut runnable = Some(runnable);
    match with_local(pool, |local| {
        local.push(runnable.take().expect("pushed once"))
    }) {
        Some(pushed) => pushed,
        None => Err(runnable.take().expect("not pushed")),
    }
}

/// Moves a fair share of the injector (its length divided among the workers, at
/// most half the free room) to this worker's local queue. Returns how many moved.
pub(super) fn pull_injector(pool: &Pool) -> usize {
    let mut overflow = None;
    let moved = with_local(pool, |local| {
        let room = local.room() / 2;
        let share = pool.injector.len() / pool.workers.len() + 1;
        let mut moved = 0;
        while moved < room.min(share) {
            let Ok(r) = pool.injector.pop() else {
                break;
            };
            if let Err(r) = local.push(r) {
                overflow = Some(r);
                break;
            }
            moved += 1;
        }
        moved
    });
    if let Some(r) = overflow {
        pool.push_injector(r);
    }
    moved.unwrap_or(0)
}

/// Takes this thread's owner handle away (`block_in_place` hands it to another
/// thread); `None` when this thread is not one of `pool`'s workers.
pub(super) fn take_owner(pool: &Pool) -> Option<Local> {
    OWNER
        .try_with(|owner| {
            let mut owner = owner.try_borrow_mut().ok()?;
            if !owner.as_ref().is_some_and(|o| std::ptr::eq(o.pool, pool)) {
                return None;
            }
            owner.take().map(|o| o.local)
        })
        .ok()
        .flatten()
}

/// Gives this thread the owner handle `local` of one of `pool`'s queues back.
pub(super) fn put_owner(pool: &Pool, local: Local) {
    OWNER.with(|o| {
        *o.borrow_mut() = Some(Owner {
            pool: std::ptr::from_ref(pool),
            local,
        })
    });
}

/// Gives the owner handle up when the worker ends (even by a panic), before the
/// runtime it belongs to can be freed.
struct OwnerGuard;

impl Drop for OwnerGuard {
    fn drop(&mut self) {
        let owner = OWNER.try_with(|o| o.borrow_mut().take()).ok().flatten();
        drop(owner);
    }
}

pub(super) struct Worker<'a> {
    pub(super) shared: &'a Shared,
    pub(super) pool: &'a Pool,
    pub(super) index: usize,
    tick: u32,
    lifo_streak: u32,
    searching: bool,
    pub(super) rng: fastrand::Rng,
    /// What the driver holder's last look saw of each worker.
    seen: Vec<watch::Look>,
}

/// The body of worker thread `index`, owning local queue `local`.
pub(super) fn run(shared: &Arc<Shared>, index: usize, local: Local) {
    let _enter = context::enter(shared, Role::Worker(index));
    shared.registry.claim(index);
    let pool = shared.pool();
    debug_assert!(local.is_for(&pool.workers[index].queue));
    OWNER.with(|o| {
        *o.borrow_mut() = Some(Owner {
            pool: std::ptr::from_ref(pool),
            local,
        })
    });
    let _owner = OwnerGuard;
    let mut worker = Worker {
        shared,
        pool,
        index,
        tick: 0,
        lifo_streak: 0,
        searching: false,
        rng: fastrand::Rng::with_seed(index as u64 + 1),
        seen: Vec::new(),
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
                let driver = self.pool.idle.take_driver();
                step::maintenance(self.shared, driver);
                if driver {
                    self.pool.idle.release_driver();
                }
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
            if self.pool.idle.stop_search() {
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
            if !pool.idle.try_search() {
                return None;
            }
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

    /// The next task to run. Inline in the run loop, where a yield-heavy load
    /// finds nearly every task in the LIFO slot or the local queue; the
    /// maintenance turns, which look at the injector first, and every search
    /// past the local queue are out of line.
    #[inline]
    fn find_task(&mut self) -> Option<Runnable<Header>> {
        if !self.tick.is_multiple_of(MAINTENANCE_INTERVAL) {
            if let Some(r) = self.take_local() {
                return Some(r);
            }
        }
        self.find_task_anywhere()
    }

    /// The LIFO slot (unless its streak is used up: then its task goes behind the
    /// others), then the local queue.
    #[inline(always)]
    fn take_local(&mut self) -> Option<Runnable<Header>> {
        let me = &self.pool.workers[self.index];
        if self.lifo_streak < MAX_LIFO_STREAK {
            if let Some(r) = me.lifo.take() {
                self.lifo_streak += 1;
                return Some(r);
            }
        } else {
            self.demote_lifo();
        }
        self.lifo_streak = 0;
        me.queue.pop()
    }

    /// The LIFO slot's streak is used up: its task goes behind the others.
    #[cold]
    fn demote_lifo(&self) {
        if let Some(r) = self.pool.workers[self.index].lifo.take() {
            self.pool.push_local(r);
        }
    }

    /// [`find_task`](Self::find_task) past this worker's own LIFO slot and queue
    /// (on a maintenance turn, the injector first, then those two).
    #[inline(never)]
    fn find_task_anywhere(&mut self) -> Option<Runnable<Header>> {
        let pool = self.pool;
        if self.tick.is_multiple_of(MAINTENANCE_INTERVAL) {
            if let Ok(r) = pool.injector.pop() {
                return Some(r);
            }
            if let Some(r) = self.take_local() {
                return Some(r);
            }
        }
        if !pool.injector.is_empty() && pull_injector(pool) > 0 {
            if let Some(r) = pool.workers[self.index].queue.pop() {
                return Some(r);
            }
        }
        if let Ok(r) = pool.injector.pop() {
            return Some(r);
        }
        self.steal()
    }

    fn park(&mut self) {
        let pool = self.pool;
        let shared = self.shared;
        if context::fire_due_in_order(shared) > 0 {
            return;
        }
        // Before sleeping, the tasks of this worker that ended on others: a
        // worker that spawned a burst and then only waits would keep them.
        shared.registry.drain_retired(self.index);
        let me = &pool.workers[self.index];
        let mut parked = false;
        let mut left_for_stuck = false;
        let has_work = || pool.has_work() || pool.shutdown.load(Ordering::SeqCst);
        let searching = std::mem::take(&mut self.searching);
        let index = self.index;
        let seen = &mut self.seen;
        self.searching = pool.idle.park(index, searching, has_work, |on_driver| {
            parked = true;
            if on_driver {
                left_for_stuck = watch::park_in_driver(shared, pool, index, seen);
            } else {
                if pool.all_idle() && shared.auto_advance {
                    // The driver holder waits with no deadline while others run;
                    // now that everyone sleeps it may let the virtual clock jump.
                    shared.driver.unpark();
                }
                me.parker.park(None);
            }
        });
        if left_for_stuck {
            // This worker is off to run the stuck task and has given the driver
            // up: another sleeper takes the watch over (it parks in the driver
            // after its search), or a task that the stolen one spawns before a
            // long poll of its own would wait for that poll.
            pool.notify_parked(shared);
        }
        if parked {
            step::after_park(shared);
        }
    }
}
