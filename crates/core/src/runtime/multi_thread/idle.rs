//! Who is asleep and who is searching: the bookkeeping that decides whom new work
//! wakes.
//!
//! # The protocol
//!
//! A worker with nothing to run may first become a *searcher* (at most half the
//! workers search at once) and look for work a while. When it gives up it stops
//! searching, registers as sleeping, issues a SeqCst fence, and looks at every
//! queue once more before it parks ([`Idle::park`]). A scheduler pushes work, issues
//! a SeqCst fence ([`Idle::notify`]), and then reads the counts: when a searcher
//! exists it wakes no one (the searcher finds the work), else it takes one sleeper
//! off the list and makes it a searcher. The two fences order the two sides: either
//! the scheduler sees the sleeper (or the searcher), or the sleeper sees the work.
//! A searcher that finds work stops searching and, if it was the last one, notifies
//! again ([`Idle::stop_search`]): there may be more.
//!
//! Exactly one sleeper holds the driver ([`Idle::take_driver`]) and parks in it; the
//! others park on their own parkers. A notification prefers a sleeper that is not
//! in the driver, so the driver keeps a thread parked in it for I/O and timers.
//!
//! The loom models at the end of this file explore these steps on every
//! interleaving.

use crate::loom::{fence, lock, AtomicBool, AtomicUsize, Mutex, Ordering};

/// Whom to wake after [`Idle::notify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wake {
    /// The sleeper parked in the driver.
    Driver,
    /// The sleeper parked on the parker of this worker.
    Parker(usize),
}

/// On cache lines of its own: every worker swaps `driver_taken` at each
/// maintenance (every 61 tasks) and the searcher and sleeper counts change as
/// workers come and go, while the pool fields beside it (`shutdown`, read every
/// turn of every worker's loop) are read-only in steady state. Sharing a line, each
/// of those writes cost every other worker a cache miss on its next turn.
#[repr(align(128))]
pub(super) struct Idle {
    /// Indexes of sleeping workers.
    sleepers: Mutex<Vec<usize>>,
    num_sleeping: AtomicUsize,
    num_searching: AtomicUsize,
    /// Some sleeping worker holds the driver (or a worker polls it in maintenance).
    driver_taken: AtomicBool,
    /// The driver holder parks with no deadline because every worker slept when
    /// it looked, so it watches no other worker (`watch.rs`).
    unwatched: AtomicBool,
    /// The driver holder is parked watching the running workers (`watch.rs`):
    /// a task queued on a worker without notifying anyone will be found.
    watching: AtomicBool,
    workers: Box<[Sleeper]>,
}

/// One worker's sleep state; changed only under the `sleepers` lock.
struct Sleeper {
    /// In the list of sleepers.
    sleeping: AtomicBool,
    /// Parked in the driver rather than on its own parker.
    on_driver: AtomicBool,
}

impl Idle {
    pub(super) fn new(workers: usize) -> Idle {
        Idle {
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            num_sleeping: AtomicUsize::new(0),
            num_searching: AtomicUsize::new(0),
            driver_taken: AtomicBool::new(false),
            unwatched: AtomicBool::new(false),
            watching: AtomicBool::new(false),
            workers: (0..workers)
                .map(|_| Sleeper {
                    sleeping: AtomicBool::new(false),
                    on_driver: AtomicBool::new(false),
                })
                .collect(),
        }
    }

    /// Called after queueing work: picks a sleeper to wake, unless a worker is
    /// already searching (it will find the work) or none sleeps. The chosen one
    /// counts as a searcher from here on; the caller unparks it.
    pub(super) fn notify(&self) -> Option<Wake> {
        // Pairs with the fence in `park`.
        fence(Ordering::SeqCst);
        if self.num_searching.load(Ordering::SeqCst) != 0
            || self.num_sleeping.load(Ordering::SeqCst) == 0
        {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        if self.num_searching.load(Ordering::SeqCst) != 0 || sleepers.is_empty() {
            return None;
        }
        let pos = sleepers
            .iter()
            .rposition(|&i| !self.workers[i].on_driver.load(Ordering::Relaxed))
            .unwrap_or(sleepers.len() - 1);
        let index = sleepers.swap_remove(pos);
        let w = &self.workers[index];
        w.sleeping.store(false, Ordering::Relaxed);
        self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
        self.num_searching.fetch_add(1, Ordering::SeqCst);
        Some(if w.on_driver.load(Ordering::Relaxed) {
            Wake::Driver
        } else {
            Wake::Parker(index)
        })
    }

    /// Makes the caller a searcher, unless half the workers search already.
    pub(super) fn try_search(&self) -> bool {
        let searching = self.num_searching.load(Ordering::SeqCst);
        if 2 * searching >= self.workers.len() {
            return false;
        }
        self.num_searching.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A searcher found work; `true` when it was the last searcher, which then
    /// notifies (there may be more work, and no one else is looking).
    pub(super) fn stop_search(&self) -> bool {
        self.num_searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Takes the driver if no one holds it; `true` when the caller now holds it.
    pub(super) fn take_driver(&self) -> bool {
        !self.driver_taken.swap(true, Ordering::Acquire)
    }

    /// Gives the driver back.
    pub(super) fn release_driver(&self) {
        self.driver_taken.store(false, Ordering::Release);
    }

    /// Worker `index` goes to sleep: it gives up the searcher role (if
    /// `searching`), registers as sleeping, takes the driver if no one holds it,
    /// and calls `park(on_driver)` unless `has_work` (called after the fence) finds
    /// work. Returns whether it is a searcher now (a notifier chose it).
    pub(super) fn park(
        &self,
        index: usize,
        searching: bool,
        has_work: impl FnOnce() -> bool,
        park: impl FnOnce(bool),
    ) -> bool {
        let on_driver = self.take_driver();
        {
            let mut sleepers = lock(&self.sleepers);
            if searching {
                self.num_searching.fetch_sub(1, Ordering::SeqCst);
            }
            let w = &self.workers[index];
            w.on_driver.store(on_driver, Ordering::Relaxed);
            w.sleeping.store(true, Ordering::Relaxed);
            sleepers.push(index);
            self.num_sleeping.fetch_add(1, Ordering::SeqCst);
        }
        // Pairs with the fence in `notify`.
        fence(Ordering::SeqCst);
        if !has_work() {
            park(on_driver);
        }
        if on_driver {
            self.release_driver();
        }
        !self.wake(index)
    }

    /// Takes worker `index` off the list of sleepers; `false` when a notifier
    /// already did, and so made it a searcher.
    fn wake(&self, index: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let w = &self.workers[index];
        if !w.sleeping.load(Ordering::Relaxed) {
            return false;
        }
        w.sleeping.store(false, Ordering::Relaxed);
        if let Some(pos) = sleepers.iter().position(|&i| i == index) {
            sleepers.swap_remove(pos);
        }
        self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
        true
    }

    /// The driver holder is about to park unwatched; `true` when every worker
    /// still sleeps, so it may. Pairs with [`Idle::woke_unwatched`]: both sides
    /// write, then read the other's variable, all SeqCst, so either the holder
    /// sees a worker leave its sleep and watches, or the notifier sees the flag
    /// and unparks the holder.
    pub(super) fn park_unwatched(&self) -> bool {
        self.unwatched.store(true, Ordering::SeqCst);
        if self.num_sleeping.load(Ordering::SeqCst) == self.workers.len() {
            return true;
        }
        self.unwatched.store(false, Ordering::SeqCst);
        false
    }

    /// The driver holder left its unwatched park.
    pub(super) fn end_unwatched(&self) {
        self.unwatched.store(false, Ordering::SeqCst);
    }

    /// A notifier woke a worker on its own parker (after `num_sleeping` went
    /// down): whether the driver holder parks unwatched and must be unparked to
    /// start watching the running worker.
    pub(super) fn woke_unwatched(&self) -> bool {
        self.unwatched.load(Ordering::SeqCst)
    }

    /// The driver holder starts (`true`) or stops (`false`) watching the running
    /// workers from its park.
    pub(super) fn set_watching(&self, watching: bool) {
        self.watching.store(watching, Ordering::Release);
    }

    /// Whether the driver holder is parked watching the running workers (a
    /// snapshot): only then may a worker queue a task for itself without waking
    /// anyone. When no sleeper watches (the holder left its park, or sleepers sit
    /// on their own parkers because the driver was taken when they parked), a task
    /// left unannounced behind a long poll would wait for that poll to end.
    pub(super) fn watching(&self) -> bool {
        self.watching.load(Ordering::Acquire)
    }

    /// Whether worker `index` is still on the list of sleepers (no notifier chose
    /// it); a snapshot.
    pub(super) fn is_sleeping(&self, index: usize) -> bool {
        self.workers[index].sleeping.load(Ordering::Relaxed)
    }

    /// How many workers sleep (a snapshot).
    pub(super) fn num_sleeping(&self) -> usize {
        self.num_sleeping.load(Ordering::SeqCst)
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    //! The pool of `worker.rs` with its queues reduced to a counter of queued
    //! tasks, its parkers and driver real thread parkers, and the real [`Idle`].
    //! A lost wake-up leaves every worker parked with work queued: loom reports
    //! the deadlock. The worker that takes the last task stops the pool, as
    //! shutdown does, so that no correct run ends with a parked worker.

    use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use loom::sync::Arc;
    use loom::thread;

    use super::{Idle, Wake};
    use crate::driver::{Driver, ThreadParker};

    struct Pool {
        idle: Idle,
        queued: AtomicUsize,
        taken: AtomicUsize,
        total: usize,
        stopped: AtomicBool,
        parkers: Vec<ThreadParker>,
        driver: ThreadParker,
    }

    impl Pool {
        fn new(workers: usize, total: usize) -> Pool {
            Pool {
                idle: Idle::new(workers),
                queued: AtomicUsize::new(0),
                taken: AtomicUsize::new(0),
                total,
                stopped: AtomicBool::new(false),
                parkers: (0..workers).map(|_| ThreadParker::new()).collect(),
                driver: ThreadParker::new(),
            }
        }

        /// `Pool::schedule` from outside the workers.
        fn push(&self) {
            self.queued.fetch_add(1, SeqCst);
            self.notify();
        }

        fn notify(&self) {
            match self.idle.notify() {
                Some(Wake::Driver) => self.driver.unpark(),
                Some(Wake::Parker(i)) => self.parkers[i].unpark(),
                None => {}
            }
        }

        fn try_take(&self) -> bool {
            let mut n = self.queued.load(SeqCst);
            while n > 0 {
                match self.queued.compare_exchange(n, n - 1, SeqCst, SeqCst) {
                    Ok(_) => {
                        if self.taken.fetch_add(1, SeqCst) + 1 == self.total {
                            self.stop();
                        }
                        return true;
                    }
                    Err(actual) => n = actual,
                }
            }
            false
        }

        /// `Pool::stop`.
        fn stop(&self) {
            self.stopped.store(true, SeqCst);
            for p in &self.parkers {
                p.unpark();
            }
            self.driver.unpark();
        }

        /// `Worker::run` and `Worker::park`, minus timers, spinning and stealing.
        fn worker(&self, index: usize, mut searching: bool) {
            loop {
                if self.stopped.load(SeqCst) {
                    return;
                }
                if self.try_take() {
                    if std::mem::take(&mut searching) && self.idle.stop_search() {
                        self.notify();
                    }
                    continue;
                }
                let has_work = || self.queued.load(SeqCst) > 0 || self.stopped.load(SeqCst);
                searching = self.idle.park(index, searching, has_work, |on_driver| {
                    if on_driver {
                        self.driver.park(None);
                    } else {
                        self.parkers[index].park(None);
                    }
                });
            }
        }
    }

    fn run(workers: usize, tasks: usize, first_searching: bool) {
        loom::model(move || {
            let pool = Arc::new(Pool::new(workers, tasks));
            if first_searching {
                assert!(pool.idle.try_search());
            }
            let threads: Vec<_> = (0..workers)
                .map(|index| {
                    let pool = pool.clone();
                    let searching = first_searching && index == 0;
                    thread::spawn(move || pool.worker(index, searching))
                })
                .collect();
            for _ in 0..tasks {
                pool.push();
            }
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(pool.taken.load(SeqCst), tasks);
        });
    }

    /// A task queued while the only worker goes to sleep: the scheduler sees the
    /// sleeper, or the sleeper sees the task.
    #[test]
    fn notify_versus_park() {
        run(1, 1, false);
    }

    /// The scheduler skips the wake because a worker searches: the searcher gives
    /// up its role before its last look, so it sees the task or the scheduler sees
    /// no searcher and wakes it.
    #[test]
    fn notify_versus_a_searcher_giving_up() {
        run(1, 1, true);
    }

    /// Two workers, one searching, one in the driver or on its parker, two tasks:
    /// a searcher that finds work notifies when it was the last one, so the
    /// second task is never stranded.
    #[test]
    fn two_workers_two_tasks() {
        run(2, 2, true);
    }
}
