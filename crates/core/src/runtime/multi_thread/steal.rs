//! Stealing: an idle worker takes work from the others, starting at a random
//! victim so thieves spread out.

use async_task::Runnable;

use super::queue::Steal;
use super::worker::{self, Worker};
use crate::task::Header;

impl Worker<'_> {
    /// Steals half of another worker's local queue (running the first task), or
    /// failing that another worker's LIFO task.
    pub(super) fn steal(&mut self) -> Option<Runnable<Header>> {
        let workers = &self.pool.workers;
        let n = workers.len();
        let start = self.rng.usize(..n);
        for k in 0..n {
            let victim = (start + k) % n;
            if victim == self.index || workers[victim].queue.is_empty() {
                continue;
            }
            if let Some(r) = self.steal_into_local(&workers[victim].queue) {
                return Some(r);
            }
        }
        for k in 0..n {
            let victim = (start + k) % n;
            if victim != self.index {
                if let Some(r) = workers[victim].lifo.take() {
                    return Some(r);
                }
            }
        }
        None
    }

    /// Takes `victim`'s oldest task to run it, and moves half of the rest to this
    /// worker's local queue.
    fn steal_into_local(&self, victim: &Steal) -> Option<Runnable<Header>> {
        let pool = self.pool;
        let mut overflow = Vec::new();
        let stolen = match worker::with_local(pool, |local| {
            victim.steal_into(local, |r| overflow.push(r))
        }) {
            Some(stolen) => stolen,
            // Not one of this pool's workers (cannot happen): take one, move none.
            None => victim.pop(),
        };
        for r in overflow {
            pool.push_injector(r);
        }
        stolen
    }
}
