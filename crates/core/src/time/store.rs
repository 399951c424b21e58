//! The timer store: an indexed binary min-heap for near deadlines, coarse buckets
//! for far ones, over one slab of entries.
//!
//! A deadline more than about a second out (in a bucket past the horizon) goes into
//! the bucket of its [`BUCKET_SHIFT`]-sized slice of time: insert and cancel are then
//! O(1) (a push, or a swap-remove that fixes the moved timer's position) and leave
//! the heap alone. That is the life of most far timers, such as an HTTP server's
//! header-read timeout, armed for tens of seconds and cancelled as soon as the
//! headers arrive. A bucket moves into the heap once time comes within one bucket
//! of it, before any of its deadlines is due, so timers fire in deadline order and
//! never early; the heap gives near deadlines their exact order.
//!
//! Near insert, cancel and update are O(log n). The earliest deadline is O(1): the
//! heap's, or a bucket's earliest insert when that comes first (a lower bound once
//! that timer was cancelled, until the bucket moves into the heap, which costs at
//! most one early look at the timers per bucket). Every entry remembers its place, so
//! a dropped `Sleep` removes its timer at once (no tombstones pile up). Keys carry a
//! generation so a stale key (its timer fired and the slot was reused) can never
//! touch another timer.

use std::collections::BTreeMap;
use std::task::Waker;

use slab::Slab;

/// A bucket spans `1 << BUCKET_SHIFT` ticks (nanoseconds): about 1.07 s.
const BUCKET_SHIFT: u32 = 30;

/// `Entry::bucket` of a timer in the heap.
const IN_HEAP: u64 = u64::MAX;

/// No deadline (ticks stop one below it).
const NO_TICK: u64 = u64::MAX;

/// Empty bucket vectors kept for reuse, so a bucket that comes and goes with one
/// timer (one connection's timeout) does not allocate each time.
const SPARE_BUCKETS: usize = 8;

/// Identifies one registered timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    slot: usize,
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    /// The bucket's index, or `IN_HEAP`.
    bucket: u64,
    waker: Waker,
}

#[derive(Debug)]
struct Bucket {
    /// The earliest deadline inserted (not raised when that timer is cancelled).
    min: u64,
    timers: Vec<(u64, usize)>,
}

/// Deadlines are `u64` ticks (nanoseconds since the runtime's time base).
#[derive(Debug)]
pub(crate) struct TimerStore {
    heap: Vec<(u64, usize)>,
    buckets: BTreeMap<u64, Bucket>,
    /// Deadlines in buckets up to this one go to the heap; every bucket in
    /// `buckets` is past it.
    horizon: u64,
    /// The first bucket's `min` (`NO_TICK` without buckets).
    far_min: u64,
    far_len: usize,
    spare: Vec<Vec<(u64, usize)>>,
    entries: Slab<Entry>,
    /// Each slot's position in the heap or in its bucket's vector. Apart from the
    /// entries: a sift updates one position per level, and a dense vector of
    /// positions keeps those writes in fewer cache lines than the entries.
    positions: Vec<usize>,
    next_generation: u64,
}

impl Default for TimerStore {
    fn default() -> TimerStore {
        TimerStore {
            heap: Vec::new(),
            buckets: BTreeMap::new(),
            // Tick 0 is the runtime's start: the heap takes the first two buckets.
            horizon: 1,
            far_min: NO_TICK,
            far_len: 0,
            spare: Vec::new(),
            entries: Slab::new(),
            positions: Vec::new(),
            next_generation: 0,
        }
    }
}

impl TimerStore {
    pub(crate) fn new() -> TimerStore {
        TimerStore::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len() + self.far_len
    }

    /// The earliest deadline, or a lower bound of it when a bucket's earliest timer
    /// was cancelled (see the module's notes).
    pub(crate) fn peek(&self) -> Option<u64> {
        let near = self.heap.first().map_or(NO_TICK, |&(t, _)| t);
        let next = near.min(self.far_min);
        (next != NO_TICK).then_some(next)
    }

    pub(crate) fn insert(&mut self, tick: u64, waker: Waker) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let bucket = tick >> BUCKET_SHIFT;
        let slot = self.entries.insert(Entry {
            generation,
            bucket: IN_HEAP,
            waker,
        });
        if slot >= self.positions.len() {
            self.positions.resize(slot + 1, 0);
        }
        if bucket <= self.horizon {
            let pos = self.heap.len();
            self.heap.push((tick, slot));
            self.sift_up(pos);
            return TimerKey { slot, generation };
        }
        let far = match self.buckets.entry(bucket) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(Bucket {
                min: tick,
                timers: self.spare.pop().unwrap_or_default(),
            }),
        };
        far.min = far.min.min(tick);
        let pos = far.timers.len();
        far.timers.push((tick, slot));
        self.positions[slot] = pos;
        self.entries[slot].bucket = bucket;
        self.far_len += 1;
        self.far_min = self.far_min.min(tick);
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
        let bucket = self.get_mut(key)?.bucket;
        let pos = self.positions[key.slot];
        let entry = self.entries.remove(key.slot);
        if bucket == IN_HEAP {
            self.remove_from_heap(pos);
        } else {
            self.remove_from_bucket(bucket, pos);
        }
        Some(entry.waker)
    }

    fn remove_from_heap(&mut self, pos: usize) {
        let last = self.heap.pop().expect("a timer in the heap");
        if pos < self.heap.len() {
            // The last element fills the hole; it moves one way at most.
            self.heap[pos] = last;
            if pos > 0 && self.heap[(pos - 1) / 2].0 > last.0 {
                self.sift_up(pos);
            } else {
                self.sift_down(pos);
            }
        }
    }

    fn remove_from_bucket(&mut self, bucket: u64, pos: usize) {
        self.far_len -= 1;
        let far = self.buckets.get_mut(&bucket).expect("a timer's bucket");
        far.timers.swap_remove(pos);
        if let Some(&(_, moved)) = far.timers.get(pos) {
            self.positions[moved] = pos;
            return;
        }
        if !far.timers.is_empty() {
            return;
        }
        let far = self.buckets.remove(&bucket).expect("found just above");
        if self.spare.len() < SPARE_BUCKETS {
            self.spare.push(far.timers);
        }
        if far.min == self.far_min {
            self.far_min = self.first_bucket_min();
        }
    }

    fn first_bucket_min(&self) -> u64 {
        self.buckets
            .first_key_value()
            .map_or(NO_TICK, |(_, far)| far.min)
    }

    /// Moves every bucket that `now` has come within one bucket of into the heap,
    /// so its deadlines are there, in order, before any of them is due.
    fn advance(&mut self, now: u64) {
        let horizon = (now >> BUCKET_SHIFT) + 1;
        if horizon <= self.horizon {
            return;
        }
        self.horizon = horizon;
        while let Some(first) = self.buckets.first_entry() {
            if *first.key() > horizon {
                break;
            }
            let mut far = first.remove();
            self.far_len -= far.timers.len();
            for (tick, slot) in far.timers.drain(..) {
                let pos = self.heap.len();
                self.entries[slot].bucket = IN_HEAP;
                self.heap.push((tick, slot));
                self.sift_up(pos);
            }
            if self.spare.len() < SPARE_BUCKETS {
                self.spare.push(far.timers);
            }
        }
        self.far_min = self.first_bucket_min();
    }

    /// Pops the earliest timer if its deadline is at or before `now`.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(u64, Waker)> {
        self.advance(now);
        let &(tick, slot) = self.heap.first()?;
        if tick > now {
            return None;
        }
        let entry = self.entries.remove(slot);
        self.pop_root();
        Some((tick, entry.waker))
    }

    /// Drops every timer (shutdown).
    pub(crate) fn clear(&mut self) -> Vec<Waker> {
        self.heap.clear();
        self.buckets.clear();
        self.far_len = 0;
        self.far_min = NO_TICK;
        self.positions.clear();
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
            self.positions[above.1] = pos;
            pos = parent;
        }
        self.heap[pos] = item;
        self.positions[item.1] = pos;
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
            self.positions[below.1] = pos;
            pos = child;
        }
        self.heap[pos] = item;
        self.positions[item.1] = pos;
    }

    /// Removes the root. The hole goes down to a leaf along the smaller children
    /// (one comparison a level, where a sift-down makes two), and the last element
    /// fills it from there; it rarely climbs, being one of the latest deadlines.
    fn pop_root(&mut self) {
        let Some(last) = self.heap.pop() else {
            return;
        };
        let len = self.heap.len();
        if len == 0 {
            return;
        }
        let mut pos = 0;
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
            self.heap[pos] = below;
            self.positions[below.1] = pos;
            pos = child;
        }
        self.heap[pos] = last;
        self.sift_up(pos);
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

    /// Nanoseconds in a second.
    const SEC: u64 = 1_000_000_000;

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..1_000_000).prop_map(Op::Insert),
            3 => (0u64..60 * SEC).prop_map(Op::Insert),
            1 => (0u64..u64::MAX / 2).prop_map(Op::Insert),
            2 => any::<usize>().prop_map(Op::Cancel),
            2 => (0u64..500_000).prop_map(Op::Advance),
            2 => (0u64..5 * SEC).prop_map(Op::Advance),
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

    fn in_heap(store: &TimerStore, key: TimerKey) -> bool {
        store.entries[key.slot].bucket == super::IN_HEAP
    }

    #[test]
    fn far_timers_fire_in_deadline_order() {
        let mut store = TimerStore::new();
        let ticks = [
            40 * SEC,
            3 * SEC,
            30 * SEC + 1,
            30 * SEC,
            3 * SEC + 500,
            90 * SEC,
            30 * SEC,
            2,
        ];
        for tick in ticks {
            store.insert(tick, waker());
        }
        assert_eq!(store.peek(), Some(2));
        assert_eq!(drain(&mut store, 3 * SEC + 499), [2, 3 * SEC]);
        assert_eq!(
            drain(&mut store, 30 * SEC),
            [3 * SEC + 500, 30 * SEC, 30 * SEC]
        );
        assert_eq!(store.peek(), Some(30 * SEC + 1));
        assert_eq!(
            drain(&mut store, u64::MAX - 1),
            [30 * SEC + 1, 40 * SEC, 90 * SEC]
        );
        assert_eq!(store.len(), 0);
        assert_eq!(store.peek(), None);
    }

    #[test]
    fn a_far_timer_is_bucketed_and_cancels_without_the_heap() {
        let mut store = TimerStore::new();
        let near = store.insert(SEC / 2, waker());
        let far = store.insert(30 * SEC, waker());
        assert!(in_heap(&store, near));
        assert!(!in_heap(&store, far));
        assert_eq!(store.heap.len(), 1);
        assert_eq!(store.len(), 2);
        assert!(store.remove(far).is_some());
        assert!(store.remove(far).is_none());
        assert!(!store.contains(far));
        assert_eq!(store.len(), 1);
        assert_eq!(store.heap.len(), 1);
        assert!(store.buckets.is_empty());
        assert_eq!(store.peek(), Some(SEC / 2));
        assert_eq!(drain(&mut store, u64::MAX - 1), [SEC / 2]);
    }

    #[test]
    fn a_bucket_moves_into_the_heap_before_its_deadlines_are_due() {
        let mut store = TimerStore::new();
        let key = store.insert(10 * SEC, waker());
        let later = store.insert(10 * SEC + 7, waker());
        assert!(!in_heap(&store, key));
        // Within one bucket of the deadline: moved, not fired.
        assert_eq!(drain(&mut store, 9 * SEC), Vec::<u64>::new());
        assert!(in_heap(&store, key));
        assert!(in_heap(&store, later));
        assert!(store.contains(key));
        assert_eq!(store.peek(), Some(10 * SEC));
        // Cancel in the heap after the move.
        assert!(store.remove(later).is_some());
        assert_eq!(drain(&mut store, 10 * SEC - 1), Vec::<u64>::new());
        assert_eq!(drain(&mut store, 10 * SEC), [10 * SEC]);
        assert!(!store.contains(key));
        // Once time moved on, a deadline a second out goes straight to the heap.
        let next = store.insert(11 * SEC, waker());
        assert!(in_heap(&store, next));
    }

    #[test]
    fn the_earliest_far_deadline_is_a_lower_bound_after_its_cancel() {
        let mut store = TimerStore::new();
        let first = store.insert(20 * SEC, waker());
        store.insert(20 * SEC + 100, waker());
        assert!(store.remove(first).is_some());
        // Never later than the real earliest deadline.
        assert_eq!(store.peek(), Some(20 * SEC));
        // A look at that time moves the bucket, and the bound becomes exact.
        assert_eq!(drain(&mut store, 20 * SEC), Vec::<u64>::new());
        assert_eq!(store.peek(), Some(20 * SEC + 100));
    }

    #[test]
    fn thousands_of_far_timers_with_two_thirds_cancelled() {
        let mut store = TimerStore::new();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let timers: Vec<(u64, TimerKey)> = (0..6000)
            .map(|_| {
                let tick = 3 * SEC + next() % (100 * SEC);
                (tick, store.insert(tick, waker()))
            })
            .collect();
        assert!(timers.iter().all(|&(_, k)| !in_heap(&store, k)));
        let mut kept = Vec::new();
        for (i, &(tick, key)) in timers.iter().enumerate() {
            if i % 3 == 0 {
                kept.push(tick);
            } else {
                assert!(store.remove(key).is_some());
            }
        }
        assert_eq!(store.len(), kept.len());
        assert!(store.heap.is_empty());
        kept.sort_unstable();
        assert!(store.peek() <= kept.first().copied());
        // Fired in steps of a quarter second, as a loop looks at its timers.
        let mut fired = Vec::new();
        let mut now = 0;
        while store.len() > 0 {
            now += SEC / 4;
            let due = drain(&mut store, now);
            assert!(due.iter().all(|&t| t <= now && t + SEC / 4 > now));
            fired.extend(due);
        }
        assert_eq!(fired, kept);
        assert!(timers.iter().all(|&(_, k)| !store.contains(k)));
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
                        // The runtime's ticks stop one below `u64::MAX`.
                        let tick = now.saturating_add(delay).min(u64::MAX - 1);
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
                // Exact, or a lower bound left by a cancelled far timer.
                let first = model.keys().next().map(|&(t, _)| t);
                prop_assert_eq!(store.peek().is_some(), first.is_some());
                prop_assert!(store.peek() <= first);
            }
        }
    }
}
