//! Stealing: an idle worker takes work from the others, starting at a random
//! victim so thieves spread out.

use async_task::Runnable;

use super::worker::Worker;
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
}
