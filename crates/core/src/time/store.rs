//! The timer store: an indexed binary min-heap of deadlines over a slab of entries.
//!
//! Insert, cancel and update are O(log n); the earliest deadline is O(1). Every
//! entry remembers its heap position, so a dropped `Sleep` removes its timer at once
//! (no tombstones pile up). Keys carry a generation so a stale key (its timer fired
//! and the slot was reused) can never touch another timer.

use std::task::Waker;

use slab::Slab;

/// Identifies one registered timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    slot: usize,
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    heap_pos: usize,
    waker: Waker,
}

/// Deadlines are `u64` ticks (nanoseconds since the runtime's time base).
#[derive(Debug, Default)]
pub(crate) struct TimerStore {
    heap: Vec<(u64, usize)>,
    entries: Slab<Entry>,
    next_generation: u64,
}

impl TimerStore {
    pub(crate) fn new() -> TimerStore {
        TimerStore::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// The earliest deadline.
    pub(crate) fn peek(&self) -> Option<u64> {
        self.heap.first().map(|&(t, _)| t)
    }

    pub(crate) fn insert(&mut self, tick: u64, waker: Waker) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let pos = self.heap.len();
        let slot = self.entries.insert(Entry {
            generation,
            heap_pos: pos,
            waker,
        });
        self.heap.push((tick, slot));
        self.sift_up(pos);
        TimerKey { slot, generation }
    }

    fn get_mut(&mut self, key: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(key.slot)
            .filter(|e| e.generation == key.generation)
    }

    /// Whether the timer is still registered (has not fired or been cancelled).
    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.entries
            .get(key.slot)
            .is_some_and(|e| e.generation == key.generation)
    }

    /// Replaces the waker of a registered timer; `false` when it is gone.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.get_mut(key) {
            Some(e) => {
                if !e.waker.will_wake(waker) {
                    e.waker = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    /// Removes a timer; `None` when it already fired or was removed.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        let pos = self.get_mut(key)?.heap_pos;
        let entry = self.entries.remove(key.slot);
        let last = self.heap.len() - 1;
        self.heap.swap(pos, last);
        self.heap.pop();
        if pos < self.heap.len() {
            let slot = self.heap[pos].1;
            self.entries[slot].heap_pos = pos;
            self.sift_down(pos);
            self.sift_up(pos);
        }
        Some(entry.waker)
    }

    /// Pops the earliest timer if its deadline is at or before `now`.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(u64, Waker)> {
        let &(tick, slot) = self.heap.first()?;
        if tick > now {
            return None;
        }
        let generation = self.entries[slot].generation;
        let waker = self.remove(TimerKey { slot, generation })?;
        Some((tick, waker))
    }

    /// Drops every timer (shutdown).
    pub(crate) fn clear(&mut self) -> Vec<Waker> {
        self.heap.clear();
        self.entries.drain().map(|e| e.waker).collect()
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.heap[parent].0 <= self.heap[pos].0 {
                break;
            }
            self.swap(parent, pos);
            pos = parent;
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].0 < self.heap[left].0 {
                right
            } else {
                left
            };
            if self.heap[pos].0 <= self.heap[child].0 {
                break;
            }
            self.swap(pos, child);
            pos = child;
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        let sa = self.heap[a].1;
        let sb = self.heap[b].1;
        self.entries[sa].heap_pos = a;
        self.entries[sb].heap_pos = b;
    }
}
