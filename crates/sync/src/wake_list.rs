//! The waiter list of the channels: parked tasks in arrival order, woken oldest first,
//! where a woken task leaves the list at once.
//!
//! Unlike [`WaitQueue`](crate::wait_queue::WaitQueue), nothing is reserved for the
//! woken task: whoever polls first takes the value (a woken task that finds nothing
//! parks again at the back). That is the throughput model of async-channel and tokio's
//! channels, and it means a woken task is out of the list, so a future that still
//! holds an id missing from the list was woken; if it is dropped before taking its
//! turn, its owner passes the wake-up on with [`WakeList::notify_one`].

use std::collections::VecDeque;
use std::task::Waker;

/// A parked task's place; ids grow, so the list stays sorted by id.
pub(crate) type Slot = Option<u64>;

#[derive(Debug, Default)]
pub(crate) struct WakeList {
    list: VecDeque<(u64, Waker)>,
    next_id: u64,
}

impl WakeList {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.list.binary_search_by_key(&id, |(i, _)| *i).ok()
    }

    /// Parks the task of `slot`, or refreshes its waker if it is still parked.
    pub(crate) fn register(&mut self, slot: &mut Slot, waker: &Waker) {
        if let Some(pos) = slot.and_then(|id| self.position(id)) {
            let stored = &mut self.list[pos].1;
            if !stored.will_wake(waker) {
                stored.clone_from(waker);
            }
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.list.push_back((id, waker.clone()));
        *slot = Some(id);
    }

    /// Unparks the task of `slot`. Returns `true` if it had been woken and not parked
    /// again: the caller decides whether to pass that wake-up on.
    pub(crate) fn remove(&mut self, slot: &mut Slot) -> bool {
        let Some(id) = slot.take() else {
            return false;
        };
        match self.position(id) {
            Some(pos) => {
                self.list.remove(pos);
                false
            }
            None => true,
        }
    }

    /// Takes the oldest parked task out of the list and returns its waker.
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        self.list.pop_front().map(|(_, waker)| waker)
    }

    /// Takes every parked task out of the list.
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        self.list.drain(..).map(|(_, waker)| waker).collect()
    }
}
