//! The driver holder's watch over tasks stuck behind a long poll.
//!
//! A task woken by the task running on a worker goes to that worker's LIFO slot,
//! and no sleeper is notified: message ping-pong would otherwise pay a wake-up
//! (and lose its cache) per message. Likewise a task spawned on a worker with
//! nothing else waiting goes to its local queue unannounced: the spawner's worker
//! runs it next, and a chain of tasks that each spawn the next stays on one core
//! instead of hopping at every link. The price is that a worker that stays in one
//! poll for long (a blocking call) holds such a task back while idle workers
//! sleep. So while some workers run, the sleeper that holds the driver wakes every
//! [`WATCH`] and looks at the others: a task found in the same LIFO slot at two
//! looks in a row, or a local queue that held tasks at both looks and gave none
//! out between them, waited a whole period, and the holder leaves its park to
//! steal (`steal.rs`), waking another sleeper to take the watch over. Such a task
//! then waits about two periods for an idle worker; a busy pool pays one look per
//! period and nothing per message or spawn. (A task that ran and was woken into
//! the same slot again between two looks is taken for stuck: one needless steal,
//! nothing worse.)
//!
//! The watch is there only while the holder is parked in it
//! ([`Idle::watching`](super::idle::Idle::watching)); a spawn skips its
//! notification only then. With no one watching (the holder left its park, or
//! the others sleep on their own parkers because the driver was taken when they
//! parked) a spawn or a LIFO wake notifies a sleeper, as any push to a local queue
//! where others already wait, or to the injector, does; the sleeper it wakes parks
//! in the driver again after its search and watches.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Pool, WorkerShared};
use crate::runtime::shared::Shared;
use crate::runtime::step;

/// How often the driver holder looks at the running workers.
const WATCH: Duration = Duration::from_millis(4);

/// What a look saw of one worker.
#[derive(Clone, Copy)]
pub(super) struct Look {
    /// The address of the task in its LIFO slot (0 when empty).
    lifo: usize,
    /// How many tasks its local queue had given out, if it held any.
    queue: Option<u64>,
}

impl Look {
    fn of(worker: &WorkerShared) -> Look {
        Look {
            lifo: worker.lifo.peek(),
            queue: worker.queue.taken_while_waiting(),
        }
    }

    /// Whether a task waited through the whole period between `earlier` and this
    /// look.
    fn stuck_since(self, earlier: Look) -> bool {
        (self.lifo != 0 && self.lifo == earlier.lifo)
            || (self.queue.is_some() && self.queue == earlier.queue)
    }
}

/// Parks worker `index`, which holds the driver, in it: until the next timer, an
/// unpark or I/O; and while other workers run, no longer than until a look finds
/// a task stuck behind a long poll. `seen` keeps the looks between periods.
/// Returns whether it left for a stuck task: the caller then hands the watch on.
pub(super) fn park_in_driver(
    shared: &Shared,
    pool: &Pool,
    index: usize,
    seen: &mut Vec<Look>,
) -> bool {
    // Shutdown counts as work: its unpark may be consumed by the driver polls of
    // the idle check, which must then see the flag instead of parking again.
    let has_work = || pool.has_work() || pool.shutdown.load(Ordering::SeqCst);
    seen.clear();
    seen.extend(pool.workers.iter().map(Look::of));
    let alone = || pool.all_idle();
    let _stop_watching = StopWatching(pool);
    loop {
        if pool.idle.park_unwatched() {
            // No worker runs: nothing to watch. A worker woken from here on
            // unparks this one, which then watches it (`Idle::woke_unwatched`).
            pool.idle.set_watching(false);
            step::park_in_driver(shared, alone, None, has_work);
            pool.idle.end_unwatched();
            return false;
        }
        // Up from here until this function returns, the looks between periods
        // included: a wake that found it down during a look would unpark this
        // holder every period of a busy ping-pong (1.11x its wall time, measured).
        pool.idle.set_watching(true);
        let start = Instant::now();
        step::park_in_driver(shared, alone, Some(WATCH), has_work);
        let me = &pool.workers[index];
        let woken = start.elapsed() < WATCH
            || !pool.idle.is_sleeping(index)
            || pool.shutdown.load(Ordering::SeqCst)
            || !pool.injector.is_empty()
            || me.lifo.is_occupied()
            || !me.queue.is_empty();
        // The look runs every round, so `seen` stays one period old.
        if stuck(pool, index, seen) {
            return true;
        }
        if woken {
            return false;
        }
    }
}

/// Clears [`Idle::watching`](super::idle::Idle::watching) when the holder leaves
/// its park, whichever way.
struct StopWatching<'a>(&'a Pool);

impl Drop for StopWatching<'_> {
    fn drop(&mut self) {
        self.0.idle.set_watching(false);
    }
}

/// Whether a worker other than `index` holds a task that waited since the
/// previous look; records the looks for the next one.
fn stuck(pool: &Pool, index: usize, seen: &mut [Look]) -> bool {
    let mut found = false;
    for (i, (w, seen)) in pool.workers.iter().zip(seen.iter_mut()).enumerate() {
        let look = Look::of(w);
        if i != index && look.stuck_since(*seen) {
            found = true;
        }
        *seen = look;
    }
    found
}
