//! The registry of a runtime's tasks: what `all_tasks()` lists, what `cancel()`
//! wakes, and what shutdown cancels.
//!
//! One shard per thread that spawns (each worker, the loop thread, and one shared
//! by every other thread), so spawning takes only its own thread's uncontended
//! lock. A task is inserted when it is spawned and removed when its future is
//! dropped (right after its last poll), each a slab operation under the shard's
//! lock: no sweep.
//!
//! A task often ends on another thread than the one that spawned it (a worker
//! stole it). Taking the owner's lock there made the two workers of
//! `spawn_many` spin on each other's lock a sixth of their time. Such a removal
//! retires the slot instead: it appends it to the shard's retired list (a lock
//! of its own, which only other threads and a batch drain take), and the owner
//! removes the entries once [`DRAIN_AT`] gathered and before it parks, as do
//! walks and shutdown. The
//! shared external shard has no one owner: a removal there takes its lock if
//! free and retires only if not. A retired entry stays in the slab until
//! removed (its task is no longer alive, so walks skip it; its allocation, not
//! its future, is kept), but leaves the count at once: the count is one word
//! that every insert, removal and retirement changes with one atomic add, so it
//! is exact at every moment.
//!
//! Introspection never stalls the loop: the count of live tasks is a counter per
//! shard, read without its lock, and the walks (`all_tasks()`, cancelling by id or
//! all) visit a shard a bounded chunk of slots at a time, releasing the lock
//! between chunks. A slab never moves an entry, so a task that lives through the
//! whole walk is visited exactly once; one spawned or finished during it may or
//! may not be.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::task::Waker;
use std::time::Instant;

use slab::Slab;

use crate::spin_lock::SpinLock;
use crate::task::{Header, TaskId, TaskSnapshot};

/// At most this many shards, so a task's key (shard and slot) fits the header's 32
/// bits with room for the slots: threads past the last shard but one share the last.
const MAX_SHARDS: usize = 256;

/// Slots a walk visits per lock hold: short enough that a spawn or completion on
/// the loop waits microseconds, long enough that the lock is not taken per task.
const CHUNK: usize = 256;
/// Slots (free ones included) a walk scans per lock hold: a slab keeps its size
/// after a burst of tasks ended, and scanning its free slots is cheap but not free.
const SCAN: usize = 16 * CHUNK;
/// Retired entries removed per lock hold; their wakers are dropped once the lock
/// is released (dropping one may free its task and run user code).
const DRAIN: usize = 16;
/// Retired slots at which an insert removes them: in batches, so the owner
/// takes the retired list's lock once per batch, not once per task, and at most
/// this many ended tasks keep their allocation (not their future) a while.
const DRAIN_AT: usize = 32;
/// The key of a task that was never inserted (its runtime had closed).
pub(crate) const UNREGISTERED: u32 = u32::MAX;

struct Entry {
    header: NonNull<Header>,
    /// The task's own waker, to deliver a cancel request. Its count also keeps
    /// alive a task that nothing else could wake (detached, pending on nothing):
    /// without it async-task would free such a task without dropping its future,
    /// and shutdown could not cancel it.
    waker: Waker,
}

// SAFETY: the header is Sync and kept alive by the waker next to it.
unsafe impl Send for Entry {}

impl Entry {
    fn header(&self) -> &Header {
        // SAFETY: the waker next to it keeps the task allocation alive.
        unsafe { self.header.as_ref() }
    }
}

struct ShardInner {
    entries: Slab<Entry>,
    /// Set at the end of shutdown: late tasks are not kept (their waker would keep
    /// the runtime alive through the task's header).
    closed: bool,
}

#[repr(align(128))]
struct Shard {
    inner: SpinLock<ShardInner>,
    /// How many live tasks `inner` holds (retired entries are not counted), read
    /// without the lock. Below zero only after `close`, when a task forgotten
    /// there retires (reads take it as zero).
    len: AtomicIsize,
    /// The thread that runs as this shard's worker or loop ([`this_thread`],
    /// set by [`Registry::claim`]); none for the external shard.
    owner: AtomicUsize,
    /// Slots whose task ended on another thread, for the owner to remove.
    retired: Retired,
}

/// A shard's retired slots, on their own cache line: the other threads write it,
/// the owner reads the count on each insert and takes the slots in batches.
#[repr(align(128))]
struct Retired {
    /// How many slots `slots` holds, read without its lock.
    count: AtomicUsize,
    slots: SpinLock<Vec<usize>>,
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
    /// The low bits of a key, which give the slot; the high ones give the shard.
    slot_bits: u32,
}

impl Registry {
    pub(crate) fn new(shards: usize) -> Registry {
        let shards = shards.clamp(1, MAX_SHARDS);
        let shard_bits = usize::BITS - (shards - 1).leading_zeros();
        Registry {
            slot_bits: u32::BITS - shard_bits,
            shards: (0..shards)
                .map(|_| Shard {
                    inner: SpinLock::new(ShardInner {
                        entries: Slab::new(),
                        closed: false,
                    }),
                    len: AtomicIsize::new(0),
                    owner: AtomicUsize::new(0),
                    retired: Retired {
                        count: AtomicUsize::new(0),
                        slots: SpinLock::new(Vec::new()),
                    },
                })
                .collect(),
        }
    }

    /// Makes this thread the owner of shard `index`: it now runs as that worker
    /// or as the loop, and spawns there. Threads past the last shard but one
    /// share the external one, which has no owner.
    pub(crate) fn claim(&self, index: usize) {
        if index < self.external_shard() {
            self.shards[index]
                .owner
                .store(this_thread(), Ordering::Relaxed);
        }
    }

    /// Removes shard `index`'s retired entries, if any: its owner does so before
    /// it parks, so a burst that ended on other threads is not kept while it
    /// sleeps.
    pub(crate) fn drain_retired(&self, index: usize) {
        let shard = &self.shards[index.min(self.external_shard())];
        if shard.retired.count.load(Ordering::Relaxed) != 0 {
            shard.drain_retired();
        }
    }

    /// The shard for threads that are not the runtime's own.
    pub(crate) fn external_shard(&self) -> usize {
        self.shards.len() - 1
    }

    /// Adds a freshly spawned task to `shard`; `waker` is its own waker.
    #[inline(always)]
    pub(crate) fn insert(&self, shard: usize, header: &Header, waker: Waker) {
        let index = shard.min(self.shards.len() - 1);
        let shard = &self.shards[index];
        if shard.retired.count.load(Ordering::Relaxed) >= DRAIN_AT {
            shard.drain_retired();
        }
        let mut inner = shard.inner.lock();
        if inner.closed {
            drop(inner);
            // Dropping a waker may free a task and run user code: not under the lock.
            drop(waker);
            return;
        }
        // The last slot's key would be `UNREGISTERED`.
        if (inner.entries.vacant_key() + 1) >> self.slot_bits != 0 {
            drop(inner);
            drop(waker);
            too_many_tasks(self.slot_bits);
        }
        let slot = inner.entries.insert(Entry {
            header: NonNull::from(header),
            waker,
        });
        shard.len.fetch_add(1, Ordering::Relaxed);
        drop(inner);
        let key = (index as u64) << self.slot_bits | slot as u64;
        // Fits: the shard index has `32 - slot_bits` bits, the slot was checked.
        header.registry_key.store(key as u32, Ordering::Relaxed);
    }

    /// The shard and the slot a key names.
    #[inline]
    fn locate(&self, key: u32) -> Option<(&Shard, usize)> {
        self.locate_indexed(key)
            .map(|(_, shard, slot)| (shard, slot))
    }

    /// The shard's index, the shard and the slot a key names.
    #[inline]
    fn locate_indexed(&self, key: u32) -> Option<(usize, &Shard, usize)> {
        let key = u64::from(key);
        let index = (key >> self.slot_bits) as usize;
        let shard = self.shards.get(index)?;
        Some((index, shard, (key & ((1 << self.slot_bits) - 1)) as usize))
    }

    /// Removes a task whose future is gone (called once, from the drop of its
    /// future, or when the main task of `block_on` ends). Off the shard's own
    /// thread, the slot is retired for that thread to remove (see the module
    /// docs).
    #[inline(always)]
    pub(crate) fn remove(&self, header: &Header) {
        let key = header.registry_key.load(Ordering::Relaxed);
        let Some((index, shard, slot)) = self.locate_indexed(key) else {
            return;
        };
        let inner = if shard.owner.load(Ordering::Relaxed) == this_thread() {
            Some(shard.inner.lock())
        } else if index == self.external_shard() {
            // Shared by every other thread: no one drains it often, so whoever
            // finds it free removes the entry.
            shard.inner.try_lock()
        } else {
            None
        };
        let Some(mut inner) = inner else {
            // A task never inserted has no slot to retire (under the lock, the
            // check below finds it is not there).
            if key != UNREGISTERED {
                shard.retire(slot);
            }
            return;
        };
        let ours = inner
            .entries
            .get(slot)
            .is_some_and(|e| std::ptr::eq(e.header.as_ptr(), header));
        let removed = ours.then(|| {
            shard.len.fetch_sub(1, Ordering::Relaxed);
            inner.entries.remove(slot)
        });
        drop(inner);
        // Not under the lock, as in `insert` (the caller still holds a reference
        // to the task, so this does not free it).
        drop(removed);
    }

    /// A clone of a live task's own waker, to wake it once the caller released its
    /// locks; `None` when its future is gone.
    pub(crate) fn waker(&self, header: &Header) -> Option<Waker> {
        if !header.is_alive() {
            return None;
        }
        let (shard, slot) = self.locate(header.registry_key.load(Ordering::Relaxed))?;
        let inner = shard.inner.lock();
        let entry = inner.entries.get(slot)?;
        std::ptr::eq(entry.header.as_ptr(), header).then(|| entry.waker.clone())
    }

    /// Wakes a live task; `false` when its future is gone.
    pub(crate) fn wake(&self, header: &Header) -> bool {
        match self.waker(header) {
            Some(w) => {
                w.wake();
                true
            }
            None => false,
        }
    }

    /// Visits every entry, a chunk at a time under each shard's lock; `visit`
    /// returns `false` to stop. Between chunks the lock is released, and when the
    /// shard's thread waited for it meanwhile, left alone as long as the chunk
    /// held it (the lock is not fair), so spawns and completions keep going.
    fn walk(&self, mut visit: impl FnMut(&Entry) -> bool) {
        for shard in self.shards.iter() {
            if shard.retired.count.load(Ordering::Relaxed) != 0 {
                shard.drain_retired();
            }
            let mut slot = 0;
            loop {
                let inner = shard.inner.lock();
                let held = Instant::now();
                // An empty shard has nothing to visit, however many free slots a
                // past burst left in its slab (shutdown walks every shard). Checked
                // under the lock: shutdown's ordering against a racing spawn rests
                // on it (see `Shared::start`).
                if inner.entries.is_empty() {
                    break;
                }
                let end = inner.entries.capacity();
                let (mut visited, mut scanned) = (0, 0);
                while slot < end && visited < CHUNK && scanned < SCAN {
                    if let Some(entry) = inner.entries.get(slot) {
                        visited += 1;
                        if !visit(entry) {
                            return;
                        }
                    }
                    slot += 1;
                    scanned += 1;
                }
                let contended = shard.inner.has_waiters();
                drop(inner);
                if slot >= end {
                    break;
                }
                if contended {
                    // The shard's thread waited for this chunk: leave it the lock
                    // as long as the chunk held it, so that a walk takes at most
                    // about half of its time (a waiter spins, it does not queue).
                    let resume = held + held.elapsed() * 2;
                    while Instant::now() < resume {
                        std::thread::yield_now();
                    }
                }
            }
        }
    }

    /// Requests cancellation of the live task `id` and wakes it; `false` when there
    /// is none, or when it finished before the request could take effect.
    pub(crate) fn cancel_by_id(&self, id: TaskId) -> bool {
        let mut found = None;
        self.walk(|e| {
            let header = e.header();
            if header.id == id && header.is_alive() {
                found = Some(
                    header
                        .request_cancel()
                        .then(|| (e.waker.clone(), header as *const Header)),
                );
                return false;
            }
            true
        });
        // Found, and the request took effect (the task had not finished first).
        match found.flatten() {
            Some((w, header)) => {
                // SAFETY: the waker `w` holds a reference on the task (its
                // allocation, or the main task's `Arc`), which keeps the header alive.
                unsafe { &*header }.wake_region();
                w.wake();
                true
            }
            None => false,
        }
    }

    /// Requests cancellation of every live task and wakes them all. Returns how many
    /// there were.
    pub(crate) fn cancel_all(&self) -> usize {
        let mut wakers = Vec::new();
        self.walk(|e| {
            let header = e.header();
            if header.is_alive() {
                header.request_cancel();
                wakers.push(e.waker.clone());
            }
            true
        });
        let n = wakers.len();
        for w in wakers {
            w.wake();
        }
        n
    }

    /// Forgets every task and admits no more (end of shutdown).
    pub(crate) fn close(&self) {
        for shard in self.shards.iter() {
            let entries = {
                let mut inner = shard.inner.lock();
                inner.closed = true;
                shard.len.store(0, Ordering::Relaxed);
                // Its slots name nothing now.
                let mut retired = shard.retired.slots.lock();
                retired.clear();
                shard.retired.count.store(0, Ordering::Relaxed);
                std::mem::take(&mut inner.entries)
            };
            drop(entries);
        }
    }

    /// How many tasks still have their future: a sum of per-shard counters, taking
    /// no lock.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed).max(0) as usize)
            .sum()
    }

    /// Snapshots of the live tasks, by id.
    pub(crate) fn snapshots(&self) -> Vec<TaskSnapshot> {
        let mut out = Vec::with_capacity(self.len());
        self.walk(|e| {
            let header = e.header();
            if header.is_alive() {
                out.push(header.snapshot());
            }
            true
        });
        out.sort_unstable_by_key(|s| s.id);
        out
    }
}

impl Shard {
    /// Leaves `slot` for the owner (or a walk) to remove: its task ended on
    /// another thread, or on the external shard while its lock was held.
    fn retire(&self, slot: usize) {
        self.len.fetch_sub(1, Ordering::Relaxed);
        let mut slots = self.retired.slots.lock();
        slots.push(slot);
        self.retired.count.store(slots.len(), Ordering::Relaxed);
    }

    /// Removes the retired entries, [`DRAIN`] per lock hold, dropping them (their
    /// wakers) with the lock released.
    #[cold]
    #[inline(never)]
    fn drain_retired(&self) {
        loop {
            let mut removed: [Option<Entry>; DRAIN] = [const { None }; DRAIN];
            let mut taken = 0;
            {
                let mut inner = self.inner.lock();
                let mut slots = self.retired.slots.lock();
                while taken < DRAIN {
                    let Some(slot) = slots.pop() else {
                        break;
                    };
                    // The slot is still the retired task's: only this removal
                    // frees it, and `close` leaves an empty slab that no insert
                    // refills.
                    removed[taken] = inner.entries.try_remove(slot);
                    taken += 1;
                }
                self.retired.count.store(slots.len(), Ordering::Relaxed);
            }
            drop(removed);
            if taken < DRAIN {
                return;
            }
        }
    }
}

/// This thread's identity, one load of a thread-local's address: a removal made
/// by the thread that inserts into the shard takes the lock, any other retires.
#[inline(always)]
fn this_thread() -> usize {
    thread_local! {
        static MARK: u8 = const { 0 };
    }
    MARK.with(|mark| std::ptr::from_ref(mark).addr())
}

/// A key has no room for the slot: a thread holds more live tasks than the
/// header's 32-bit key can name (hundreds of millions, or sixteen million with
/// the most shards).
#[cold]
#[inline(never)]
fn too_many_tasks(slot_bits: u32) -> ! {
    panic!(
        "more than {} live tasks spawned from one runtime thread",
        1u64 << slot_bits
    );
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::mpsc;
    use std::thread::JoinHandle;
    use std::time::Duration;

    use super::{Registry, DRAIN_AT};
    use crate::runtime::context::LOOP_SHARD;
    use crate::runtime::{Builder, Handle};

    /// Entries in the slabs, retired ones included (what `len` leaves out).
    fn slab_entries(registry: &Registry) -> usize {
        registry
            .shards
            .iter()
            .map(|s| s.inner.lock().entries.len())
            .sum()
    }

    fn retired(registry: &Registry) -> usize {
        registry
            .shards
            .iter()
            .map(|s| s.retired.slots.lock().len())
            .sum()
    }

    /// Another thread holding every shard's lock until the returned sender
    /// releases it (or ten seconds pass: a deadline, not a hang, should a removal
    /// wait for the lock, which would keep the loop from ever sending). Its join
    /// answers whether it was released in time.
    fn hold_every_shard(handle: &Handle) -> (mpsc::Sender<()>, JoinHandle<bool>) {
        let (locked_tx, locked_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let handle = handle.clone();
        let holder = std::thread::spawn(move || {
            let registry = &handle.shared().registry;
            let guards: Vec<_> = registry.shards.iter().map(|s| s.inner.lock()).collect();
            locked_tx.send(()).unwrap();
            let released = release_rx.recv_timeout(Duration::from_secs(10));
            drop(guards);
            released.is_ok()
        });
        locked_rx.recv().unwrap();
        (release_tx, holder)
    }

    /// A task that ends off its shard's thread while the shard's lock is held
    /// does not wait for it: its slot is retired, no longer counted at once,
    /// never listed, and removed by the next walk, or by a spawn into that shard
    /// once `DRAIN_AT` gathered.
    #[test]
    fn a_task_ending_off_its_shard_retires_and_is_removed_later() {
        let rt = Builder::new_current_thread().build().unwrap();
        let handle = rt.handle();
        // Spawned from another thread: into the external shard, which the loop
        // does not own.
        let spawn_elsewhere = |values: std::ops::Range<usize>| {
            let handle = handle.clone();
            std::thread::spawn(move || values.map(|v| handle.spawn(async move { v })).collect())
                .join()
                .unwrap()
        };
        rt.block_on(async {
            let registry = &handle.shared().registry;

            // Removed by a walk.
            let tasks: Vec<_> = spawn_elsewhere(7..8);
            assert_eq!(registry.len(), 2, "the main task and the spawned one");
            let (release, holder) = hold_every_shard(&handle);
            // The task runs and ends on the loop while the other thread holds
            // every shard.
            for task in tasks {
                assert_eq!(task.await.unwrap(), 7);
            }
            assert_eq!(registry.len(), 1, "the ended task is no longer counted");
            assert_eq!(retired(registry), 1);
            release.send(()).unwrap();
            assert!(holder.join().unwrap(), "the removal waited for the lock");
            assert_eq!(slab_entries(registry), 2);
            assert_eq!(
                registry.snapshots().len(),
                1,
                "only the main task is listed"
            );
            assert_eq!((retired(registry), slab_entries(registry)), (0, 1));

            // Removed by spawns, once enough gathered.
            let tasks: Vec<_> = spawn_elsewhere(0..DRAIN_AT);
            let (release, holder) = hold_every_shard(&handle);
            for (i, task) in tasks.into_iter().enumerate() {
                assert_eq!(task.await.unwrap(), i);
            }
            release.send(()).unwrap();
            assert!(holder.join().unwrap(), "the removal waited for the lock");
            assert_eq!((registry.len(), retired(registry)), (1, DRAIN_AT));
            let next: Vec<_> = spawn_elsewhere(9..10);
            assert_eq!((retired(registry), slab_entries(registry)), (0, 2));
            for task in next {
                assert_eq!(task.await.unwrap(), 9);
            }
            assert_eq!(registry.len(), 1);
        });
        assert_eq!(handle.metrics().live_tasks, 0);
    }

    /// On a shard that has an owner (a worker's, or the loop's), a task that ends
    /// on another thread retires its slot even when the lock is free; the owner
    /// removes the slots once `DRAIN_AT` gathered, and before it parks.
    #[test]
    fn an_owned_shard_removes_what_ended_elsewhere_in_batches_and_before_parking() {
        let rt = Builder::new_current_thread().build().unwrap();
        let handle = rt.handle();
        rt.block_on(async {
            let registry = &handle.shared().registry;
            // Another thread takes the loop's shard over: the tasks the loop runs
            // now end off their shard's owner.
            let other = handle.clone();
            std::thread::spawn(move || other.shared().registry.claim(LOOP_SHARD))
                .join()
                .unwrap();
            for i in 0..DRAIN_AT {
                assert_eq!(handle.spawn(async move { i }).await.unwrap(), i);
            }
            assert_eq!((registry.len(), retired(registry)), (1, DRAIN_AT));
            assert_eq!(slab_entries(registry), 1 + DRAIN_AT);

            let next = handle.spawn(async { 7 });
            assert_eq!((retired(registry), slab_entries(registry)), (0, 2));
            assert_eq!(next.await.unwrap(), 7);
            assert_eq!((registry.len(), retired(registry)), (1, 1));

            // Nothing is ready: the loop parks, and removes the slot first.
            crate::time::sleep(Duration::from_millis(1)).await;
            assert_eq!((retired(registry), slab_entries(registry)), (0, 1));
        });
    }

    /// A `block_on` refused because another thread runs the loop does not take
    /// the loop's shard: the tasks that end on the loop afterwards still leave it
    /// under its lock, retiring nothing.
    #[test]
    fn a_refused_block_on_leaves_the_loop_its_shard() {
        let rt = std::sync::Arc::new(Builder::new_current_thread().build().unwrap());
        let (refused_tx, refused_rx) = mpsc::channel::<bool>();
        let running = {
            let rt = rt.clone();
            std::thread::spawn(move || {
                let handle = rt.handle();
                let other = rt.clone();
                rt.block_on(async move {
                    let registry = &handle.shared().registry;
                    // Another thread tries to run the loop too, while this one does.
                    let refused = std::thread::spawn(move || {
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            other.block_on(async {})
                        }))
                        .is_err()
                    })
                    .join()
                    .unwrap();
                    refused_tx.send(refused).unwrap();
                    for i in 0..10 {
                        assert_eq!(handle.spawn(async move { i }).await.unwrap(), i);
                        assert_eq!(retired(registry), 0, "task {i} retired its slot");
                    }
                    assert_eq!(slab_entries(registry), 1);
                })
            })
        };
        let refused = refused_rx.recv_timeout(Duration::from_secs(10));
        running.join().unwrap();
        assert_eq!(refused, Ok(true), "the second block_on was not refused");
    }

    /// A worker that spawned a burst which other workers ran keeps none of the
    /// ended tasks once it sleeps: it removes its retired slots before parking.
    #[test]
    fn a_worker_removes_its_retired_slots_before_it_sleeps() {
        const TASKS: usize = 20_000;
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let handle = rt.handle();
        let body = rt.spawn(async move {
            let registry = &handle.shared().registry;
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    crate::spawn(async move {
                        crate::yield_now().await;
                        i
                    })
                })
                .collect();
            for (i, task) in tasks.into_iter().enumerate() {
                assert_eq!(task.await.unwrap(), i);
            }
            let waited = std::time::Instant::now();
            while retired(registry) != 0 {
                assert!(
                    waited.elapsed() < Duration::from_secs(10),
                    "{} ended tasks still kept by idle workers",
                    retired(registry)
                );
                crate::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(slab_entries(registry), registry.len());
        });
        rt.block_on(body).unwrap();
    }
}
