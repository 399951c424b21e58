//! The registry of a runtime's tasks: what `all_tasks()` lists, what `cancel()`
//! wakes, and what shutdown cancels.
//!
//! One shard per thread that spawns (each worker, the loop thread, and one shared
//! by every other thread), so spawning takes only its own thread's uncontended
//! lock. A task is inserted when it is spawned and removed when its future is
//! dropped (right after its last poll), each a slab operation under the shard's
//! lock: no sweep, no queue of retired keys, and an entry is exactly a live future.
//!
//! Introspection never stalls the loop: the count of live tasks is a counter per
//! shard, read without its lock, and the walks (`all_tasks()`, cancelling by id or
//! all) visit a shard a bounded chunk of slots at a time, releasing the lock
//! between chunks. A slab never moves an entry, so a task that lives through the
//! whole walk is visited exactly once; one spawned or finished during it may or
//! may not be.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// How many entries `inner` holds; written under the lock, read without it.
    len: AtomicUsize,
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
                    len: AtomicUsize::new(0),
                })
                .collect(),
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
        let mut inner = shard.inner.lock();
        if inner.closed {
            drop(inner);
            // Dropping a waker may free a task and run user code: not under the lock.
            drop(waker);
            return;
        }
        if inner.entries.vacant_key() >> self.slot_bits != 0 {
            drop(inner);
            drop(waker);
            too_many_tasks(self.slot_bits);
        }
        let slot = inner.entries.insert(Entry {
            header: NonNull::from(header),
            waker,
        });
        shard.len.store(inner.entries.len(), Ordering::Relaxed);
        drop(inner);
        let key = (index as u64) << self.slot_bits | slot as u64;
        // Fits: the shard index has `32 - slot_bits` bits, the slot was checked.
        header.registry_key.store(key as u32, Ordering::Relaxed);
    }

    /// The shard and the slot a key names.
    #[inline]
    fn locate(&self, key: u32) -> Option<(&Shard, usize)> {
        let key = u64::from(key);
        let shard = self.shards.get((key >> self.slot_bits) as usize)?;
        Some((shard, (key & ((1 << self.slot_bits) - 1)) as usize))
    }

    /// Removes a task whose future is gone (called once, from the drop of its
    /// future, or when the main task of `block_on` ends).
    #[inline(always)]
    pub(crate) fn remove(&self, header: &Header) {
        let Some((shard, slot)) = self.locate(header.registry_key.load(Ordering::Relaxed)) else {
            return;
        };
        let removed = {
            let mut inner = shard.inner.lock();
            let ours = inner
                .entries
                .get(slot)
                .is_some_and(|e| std::ptr::eq(e.header.as_ptr(), header));
            let removed = ours.then(|| inner.entries.remove(slot));
            shard.len.store(inner.entries.len(), Ordering::Relaxed);
            removed
        };
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
            .map(|s| s.len.load(Ordering::Relaxed))
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
