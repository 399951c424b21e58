//! The driver holder's watch over tasks stuck behind a long poll.
//!
//! A task woken by the task running on a worker goes to that worker's LIFO slot,
//! and no sleeper is notified: message ping-pong would otherwise pay a wake-up
//! (and lose its cache) per message. The price is that a worker that stays in one
//! poll for long (a blocking call) holds its LIFO task back while idle workers
//! sleep. So while some workers run, the sleeper that holds the driver wakes every
//! [`WATCH`] and looks at the others' LIFO slots: a task found in the same slot at
//! two looks in a row waited a whole period, and the holder leaves its park to
//! steal it (`steal.rs`). A woken task then waits at most about two periods for an
//! idle worker; a busy pool pays one look per period and nothing per message. (A
//! task that ran and was woken into the same slot again between two looks is
//! taken for stuck: one needless steal, nothing worse.) Tasks queued elsewhere
//! need no watch: pushing to a local queue or the injector notifies a sleeper.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Pool;
use crate::runtime::shared::Shared;
use crate::runtime::step;

/// How often the driver holder looks at the running workers.
const WATCH: Duration = Duration::from_millis(4);

/// Parks worker `index`, which holds the driver, in it: until the next timer, an
/// unpark or I/O; and while other workers run, no longer than until a look finds
/// a task stuck in a LIFO slot. `seen` keeps the slots' tasks between looks.
pub(super) fn park_in_driver(shared: &Shared, pool: &Pool, index: usize, seen: &mut Vec<usize>) {
    // Shutdown counts as work: its unpark may be consumed by the driver polls of
    // the idle check, which must then see the flag instead of parking again.
    let has_work = || pool.has_work() || pool.shutdown.load(Ordering::SeqCst);
    seen.clear();
    seen.extend(pool.workers.iter().map(|w| w.lifo.peek()));
    let alone = || pool.all_idle();
    loop {
        if pool.idle.park_unwatched() {
            // No worker runs: nothing to watch. A worker woken from here on
            // unparks this one, which then watches it (`Idle::woke_unwatched`).
            step::park_in_driver(shared, alone, None, has_work);
            pool.idle.end_unwatched();
            return;
        }
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
        if stuck(pool, index, seen) || woken {
            return;
        }
    }
}

/// Whether a worker other than `index` holds the same LIFO task as at the
/// previous look; records the slots for the next look.
fn stuck(pool: &Pool, index: usize, seen: &mut [usize]) -> bool {
    let mut found = false;
    for (i, (w, seen)) in pool.workers.iter().zip(seen.iter_mut()).enumerate() {
        let task = w.lifo.peek();
        if i != index && task != 0 && task == *seen {
            found = true;
        }
        *seen = task;
    }
    found
}
