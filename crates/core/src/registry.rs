//! The registry of a runtime's tasks: what `all_tasks()` lists, what `cancel()`
//! wakes, and what shutdown cancels.
//!
//! One shard per thread that spawns (each worker, the loop thread, and one shared
//! by every other thread), so spawning takes only its own thread's uncontended
//! lock. A finished task is not removed by whichever thread finishes it (that would
//! contend on the shard's lock): it clears its `alive` flag and drops its key into
//! the shard's lock-free list of retired keys, which the shard's owner removes on
//! its next spawn.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::task::Waker;

use concurrent_queue::ConcurrentQueue;
use slab::Slab;

use crate::task::{Header, TaskId, TaskSnapshot};

const SLOT_BITS: u32 = 40;

struct Entry {
    header: NonNull<Header>,
    /// Keeps the task allocation (and so `header`) alive, and wakes the task to
    /// deliver a cancel request.
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
    /// Cleared at the end of shutdown: late tasks are not kept (their waker would
    /// keep the runtime alive through the task's header).
    closed: bool,
}

#[repr(align(128))]
struct Shard {
    inner: Mutex<ShardInner>,
    /// Slots of tasks whose future was dropped, to remove on the next insert.
    retired: ConcurrentQueue<usize>,
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
}

impl Registry {
    pub(crate) fn new(shards: usize) -> Registry {
        Registry {
            shards: (0..shards.max(1))
                .map(|_| Shard {
                    inner: Mutex::new(ShardInner {
                        entries: Slab::new(),
                        closed: false,
                    }),
                    retired: ConcurrentQueue::unbounded(),
                })
                .collect(),
        }
    }

    /// The shard for threads that are not the runtime's own.
    pub(crate) fn external_shard(&self) -> usize {
        self.shards.len() - 1
    }

    /// Adds a freshly spawned task to `shard`; `waker` is its own waker.
    pub(crate) fn insert(&self, shard: usize, header: &Header, waker: Waker) {
        let shard = shard.min(self.shards.len() - 1);
        let mut dead = Vec::new();
        {
            let mut inner = lock(&self.shards[shard].inner);
            if inner.closed {
                drop(inner);
                drop(waker);
                return;
            }
            self.remove_retired(shard, &mut inner, &mut dead);
            let slot = inner.entries.insert(Entry {
                header: NonNull::from(header),
                waker,
            });
            header
                .registry_key
                .store(shard << SLOT_BITS | slot, Ordering::Relaxed);
        }
        // Dropping a waker may free a task and run user destructors: not under the
        // lock.
        drop(dead);
    }

    /// Removes the retired entries of `shard` (loops call it between polls, so a
    /// thread that stops spawning does not keep finished tasks alive).
    pub(crate) fn collect(&self, shard: usize) {
        let shard = shard.min(self.shards.len() - 1);
        if self.shards[shard].retired.is_empty() {
            return;
        }
        let mut dead = Vec::new();
        {
            let mut inner = lock(&self.shards[shard].inner);
            self.remove_retired(shard, &mut inner, &mut dead);
        }
        drop(dead);
    }

    fn remove_retired(&self, shard: usize, inner: &mut ShardInner, dead: &mut Vec<Entry>) {
        let retired = &self.shards[shard].retired;
        while let Ok(slot) = retired.pop() {
            if inner
                .entries
                .get(slot)
                .is_some_and(|e| !e.header().is_alive())
            {
                dead.push(inner.entries.remove(slot));
            }
        }
    }

    /// Marks a task's entry for removal (its future was dropped). Lock-free.
    pub(crate) fn retire(&self, header: &Header) {
        let key = header.registry_key.load(Ordering::Relaxed);
        if let Some(shard) = self.shards.get(key >> SLOT_BITS) {
            let _ = shard.retired.push(key & ((1 << SLOT_BITS) - 1));
        }
    }

    fn with_entry<R>(&self, header: &Header, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        let key = header.registry_key.load(Ordering::Relaxed);
        let shard = self.shards.get(key >> SLOT_BITS)?;
        let inner = lock(&shard.inner);
        let entry = inner.entries.get(key & ((1 << SLOT_BITS) - 1))?;
        std::ptr::eq(entry.header.as_ptr(), header).then(|| f(entry))
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

    /// Requests cancellation of the live task `id` and wakes it; `false` when there
    /// is none, or when it finished before the request could take effect.
    pub(crate) fn cancel_by_id(&self, id: TaskId) -> bool {
        let waker = self.shards.iter().find_map(|shard| {
            let inner = lock(&shard.inner);
            inner.entries.iter().find_map(|(_, e)| {
                let header = e.header();
                (header.id == id && header.is_alive()).then(|| {
                    header
                        .request_cancel()
                        .then(|| (e.waker.clone(), header as *const Header))
                })
            })
        });
        // Found, and the request took effect (the task had not finished first).
        match waker.flatten() {
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

    /// A clone of a live task's own waker, to wake it once the caller released its
    /// locks; `None` when its future is gone.
    pub(crate) fn waker(&self, header: &Header) -> Option<Waker> {
        if !header.is_alive() {
            return None;
        }
        self.with_entry(header, |e| e.waker.clone())
    }

    /// Requests cancellation of every live task and wakes them all. Returns how many
    /// there were.
    pub(crate) fn cancel_all(&self) -> usize {
        let mut wakers = Vec::new();
        for shard in self.shards.iter() {
            let inner = lock(&shard.inner);
            for (_, e) in inner.entries.iter() {
                let header = e.header();
                if header.is_alive() {
                    header.request_cancel();
                    wakers.push(e.waker.clone());
                }
            }
        }
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
                let mut inner = lock(&shard.inner);
                inner.closed = true;
                std::mem::take(&mut inner.entries)
            };
            drop(entries);
        }
    }

    /// How many tasks still have their future.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let inner = lock(&s.inner);
                inner
                    .entries
                    .iter()
                    .filter(|(_, e)| e.header().is_alive())
                    .count()
            })
            .sum()
    }

    /// Snapshots of the live tasks, by id.
    pub(crate) fn snapshots(&self) -> Vec<TaskSnapshot> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let inner = lock(&shard.inner);
            out.extend(
                inner
                    .entries
                    .iter()
                    .map(|(_, e)| e.header())
                    .filter(|h| h.is_alive())
                    .map(Header::snapshot),
            );
        }
        out.sort_by_key(|s| s.id);
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
