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
        let last = self.heap.pop().expect("a registered timer is in the heap");
        if pos < self.heap.len() {
            // The last element fills the hole; it moves one way at most.
            self.heap[pos] = last;
            if pos > 0 && self.heap[(pos - 1) / 2].0 > last.0 {
                self.sift_up(pos);
            } else {
                self.sift_down(pos);
            }
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

    // Both sifts move a hole instead of swapping: the moving element is written
    // once, at its final position, and each step updates one entry's position.

    fn sift_up(&mut self, mut pos: usize) {
        let item = self.heap[pos];
        while pos > 0 {
            let parent = (pos - 1) / 2;
            let above = self.heap[parent];
            if above.0 <= item.0 {
                break;
            }
            self.heap[pos] = above;
            self.entries[above.1].heap_pos = pos;
            pos = parent;
        }
        self.heap[pos] = item;
        self.entries[item.1].heap_pos = pos;
    }

    fn sift_down(&mut self, mut pos: usize) {
        let len = self.heap.len();
        let item = self.heap[pos];
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
            let below = self.heap[child];
            if item.0 <= below.0 {
                break;
            }
            self.heap[pos] = below;
            self.entries[below.1].heap_pos = pos;
            pos = child;
        }
        self.heap[pos] = item;
        self.entries[item.1].heap_pos = pos;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::task::Waker;

    use proptest::prelude::*;

    use super::{TimerKey, TimerStore};

    fn waker() -> Waker {
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        Waker::from(std::sync::Arc::new(Noop))
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64),
        Cancel(usize),
        Advance(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..1_000_000).prop_map(Op::Insert),
            1 => (0u64..u64::MAX / 2).prop_map(Op::Insert),
            2 => any::<usize>().prop_map(Op::Cancel),
            2 => (0u64..500_000).prop_map(Op::Advance),
            1 => (0u64..u64::MAX / 4).prop_map(Op::Advance),
        ]
    }

    fn drain(store: &mut TimerStore, now: u64) -> Vec<u64> {
        std::iter::from_fn(|| store.pop_due(now).map(|(t, _)| t)).collect()
    }

    #[test]
    fn fires_in_deadline_order() {
        let mut store = TimerStore::new();
        for tick in [50, 10, 40, 20, 30, 0, 60] {
            store.insert(tick, waker());
        }
        assert_eq!(drain(&mut store, 35), [0, 10, 20, 30]);
        assert_eq!(drain(&mut store, u64::MAX), [40, 50, 60]);
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn cancelling_a_middle_timer_keeps_the_rest_in_order() {
        let mut store = TimerStore::new();
        let keys: Vec<TimerKey> = (0..15u64).map(|i| store.insert(i * 10, waker())).collect();
        // Index 5 sits inside the heap, with both a parent and children.
        assert!(store.remove(keys[5]).is_some());
        assert!(store.remove(keys[5]).is_none());
        assert!(!store.contains(keys[5]));
        let rest: Vec<u64> = (0..15u64).filter(|&i| i != 5).map(|i| i * 10).collect();
        assert_eq!(drain(&mut store, u64::MAX), rest);
    }

    #[test]
    fn many_equal_deadlines_all_fire_and_cancel() {
        let mut store = TimerStore::new();
        let keys: Vec<TimerKey> = (0..1000).map(|_| store.insert(7, waker())).collect();
        for key in keys.iter().step_by(3) {
            assert!(store.remove(*key).is_some());
        }
        let left = keys.len() - keys.iter().step_by(3).count();
        assert_eq!(drain(&mut store, 6), Vec::<u64>::new());
        assert_eq!(drain(&mut store, 7), vec![7; left]);
        assert!(keys.iter().all(|&k| !store.contains(k)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

        /// The store fires exactly the timers a BTreeMap model says are due, in
        /// deadline order, across huge time jumps; cancelled timers never fire.
        #[test]
        fn store_matches_a_btreemap_model(ops in proptest::collection::vec(op(), 1..200)) {
            let mut store = TimerStore::new();
            let mut model: BTreeMap<(u64, u64), TimerKey> = BTreeMap::new();
            let mut keys: Vec<(u64, u64, TimerKey)> = Vec::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            for op in ops {
                match op {
                    Op::Insert(delay) => {
                        let tick = now.saturating_add(delay);
                        let key = store.insert(tick, waker());
                        model.insert((tick, seq), key);
                        keys.push((tick, seq, key));
                        seq += 1;
                    }
                    Op::Cancel(i) if !keys.is_empty() => {
                        let (tick, s, key) = keys[i % keys.len()];
                        let in_model = model.remove(&(tick, s)).is_some();
                        prop_assert_eq!(store.remove(key).is_some(), in_model);
                        prop_assert!(!store.contains(key));
                    }
                    Op::Cancel(_) => {}
                    Op::Advance(by) => {
                        now = now.saturating_add(by);
                        let mut fired = Vec::new();
                        while let Some((tick, _)) = store.pop_due(now) {
                            fired.push(tick);
                        }
                        let due: Vec<u64> = model
                            .range(..=(now, u64::MAX))
                            .map(|(&(t, _), _)| t)
                            .collect();
                        model.retain(|&(t, _), _| t > now);
                        prop_assert_eq!(fired, due);
                    }
                }
                prop_assert_eq!(store.len(), model.len());
                prop_assert_eq!(store.peek(), model.keys().next().map(|&(t, _)| t));
            }
        }
    }
}
