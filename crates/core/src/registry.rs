//! The registry of a runtime's live tasks: what `all_tasks()` lists, what `cancel()`
//! wakes, and what shutdown cancels.
//!
//! Sharded by task id, so spawning never takes one global lock: each shard is a
//! small mutex over a slab, and two workers contend only when their tasks' ids
//! share a shard.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::task::Waker;

use slab::Slab;

use crate::task::{Header, TaskSnapshot};

struct Entry {
    header: NonNull<Header>,
    /// Keeps the task allocation (and so `header`) alive, and wakes the task to
    /// deliver a cancel request.
    waker: Waker,
}

// SAFETY: the header is Sync and kept alive by the waker next to it.
unsafe impl Send for Entry {}

#[repr(align(128))]
struct Shard {
    entries: Mutex<Slab<Entry>>,
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
    mask: usize,
}

impl Registry {
    pub(crate) fn new(shards: usize) -> Registry {
        let n = shards.max(1).next_power_of_two();
        Registry {
            shards: (0..n)
                .map(|_| Shard {
                    entries: Mutex::new(Slab::new()),
                })
                .collect(),
            mask: n - 1,
        }
    }

    fn shard(&self, header: &Header) -> &Mutex<Slab<Entry>> {
        &self.shards[header.id.as_u64() as usize & self.mask].entries
    }

    /// Adds a freshly spawned task; `waker` is its own waker.
    pub(crate) fn insert(&self, header: &Header, waker: Waker) {
        let key = lock(self.shard(header)).insert(Entry {
            header: NonNull::from(header),
            waker,
        });
        header.registry_key.store(key, Ordering::Relaxed);
    }

    /// Removes a task whose future was dropped.
    pub(crate) fn remove(&self, header: &Header) {
        let key = header.registry_key.load(Ordering::Relaxed);
        let entry = {
            let mut shard = lock(self.shard(header));
            match shard.get(key) {
                Some(e) if std::ptr::eq(e.header.as_ptr(), header) => Some(shard.remove(key)),
                _ => None,
            }
        };
        // The waker may hold the last reference but one: drop it outside the lock.
        drop(entry);
    }

    /// Wakes a live task; `false` when it is no longer live.
    pub(crate) fn wake(&self, header: &Header) -> bool {
        let key = header.registry_key.load(Ordering::Relaxed);
        let waker = {
            let shard = lock(self.shard(header));
            match shard.get(key) {
                Some(e) if std::ptr::eq(e.header.as_ptr(), header) => Some(e.waker.clone()),
                _ => None,
            }
        };
        match waker {
            Some(w) => {
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
        for shard in self.shards.iter() {
            let shard = lock(&shard.entries);
            for (_, e) in shard.iter() {
                // SAFETY: the entry's waker keeps the header alive.
                unsafe { e.header.as_ref() }.request_cancel();
                wakers.push(e.waker.clone());
            }
        }
        let n = wakers.len();
        for w in wakers {
            w.wake();
        }
        n
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(&s.entries).len()).sum()
    }

    pub(crate) fn snapshots(&self) -> Vec<TaskSnapshot> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = lock(&shard.entries);
            // SAFETY: the entry's waker keeps the header alive.
            out.extend(
                shard
                    .iter()
                    .map(|(_, e)| unsafe { e.header.as_ref() }.snapshot()),
            );
        }
        out.sort_by_key(|s| s.id);
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
