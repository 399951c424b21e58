//! A worker's local run queue: a bounded ring that only its owner pushes to and
//! that any worker may pop from (the owner runs from it, the others steal).
//!
//! [`local`] makes one queue as a pair of handles, after tokio's: [`Local`], the
//! only handle that pushes (one per queue, not `Clone`, pushing takes `&mut`), held
//! by the worker thread that owns the queue; and [`Steal`], shared by every
//! thread, which pops.
//!
//! Indices grow forever (u64, never wrap in practice); the slot of index `i` is
//! `i % capacity`, with the capacity a power of two so that this is a mask: a
//! division by a capacity known only at run time cost two `div` instructions per
//! yield (one push, one pop), tens of cycles each. The owner writes slot `tail`
//! and then publishes `tail + 1` (Release); a popper reads `head`, checks
//! `head < tail` (Acquire), reads the slot, and claims it by moving `head` from
//! `head` to `head + 1` with a CAS. The owner
//! overwrites a slot only after seeing `head` move past it (its Acquire load pairs
//! with the popper's AcqRel CAS, which came after the popper's read), so a claimed
//! value is always the one written for that index.
//!
//! Pushing costs two loads and two stores; popping two loads and a CAS.

use std::ptr::NonNull;
use std::sync::Arc;

use async_task::Runnable;

use crate::loom::{AtomicPtr, AtomicU64, Ordering};
use crate::task::Header;

/// A new queue of at least `capacity` runnables (rounded up to a power of two):
/// the owner's handle and the shared one.
pub(super) fn local(capacity: usize) -> (Local, Steal) {
    let inner = Arc::new(Inner(RawQueue::new(capacity)));
    (Local(inner.clone()), Steal(inner))
}

/// The owner's handle: the only one that pushes.
pub(super) struct Local(Arc<Inner>);

/// Every thread's handle: pops (the owner to run, the others to steal).
pub(super) struct Steal(Arc<Inner>);

impl Local {
    /// Appends `runnable`; hands it back when the queue is full.
    pub(super) fn push(&mut self, runnable: Runnable<Header>) -> Result<(), Runnable<Header>> {
        // SAFETY: `local` makes one `Local` per queue and it cannot be cloned, so
        // `&mut self` makes this the queue's only pusher, whatever thread holds it.
        // A rejected pointer came from `into_raw` just above and goes back whole.
        unsafe { self.0 .0.push(runnable.into_raw()) }.map_err(|p| unsafe { Runnable::from_raw(p) })
    }

    /// Free slots. Only the owner pushes, so the room it sees can only grow until
    /// it pushes again.
    pub(super) fn room(&self) -> usize {
        self.0 .0.capacity() as usize - self.0 .0.len()
    }

    /// Whether `steal` is this queue's shared handle.
    pub(super) fn is_for(&self, steal: &Steal) -> bool {
        Arc::ptr_eq(&self.0, &steal.0)
    }
}

impl Steal {
    /// Takes the oldest runnable.
    pub(super) fn pop(&self) -> Option<Runnable<Header>> {
        self.0.pop()
    }

    /// Takes the oldest runnable to run it, and moves half of the rest to `dst`
    /// (what does not fit goes to `overflow`).
    pub(super) fn steal_into(
        &self,
        dst: &mut Local,
        mut overflow: impl FnMut(Runnable<Header>),
    ) -> Option<Runnable<Header>> {
        let first = self.pop()?;
        let half = self.len() / 2;
        for _ in 0..half {
            let Some(r) = self.pop() else {
                break;
            };
            if let Err(r) = dst.push(r) {
                overflow(r);
                break;
            }
        }
        Some(first)
    }

    /// How many runnables are queued (a snapshot).
    pub(super) fn len(&self) -> usize {
        self.0 .0.len()
    }

    /// Whether the queue is empty (a snapshot).
    pub(super) fn is_empty(&self) -> bool {
        self.0 .0.is_empty()
    }

    /// How many runnables were ever taken from the queue, or `None` while it is
    /// empty (a snapshot): the same number twice means no one took a task between.
    pub(super) fn taken_while_waiting(&self) -> Option<u64> {
        let head = self.0 .0.head.0.load(Ordering::Acquire);
        let tail = self.0 .0.tail.0.load(Ordering::Acquire);
        (head < tail).then_some(head)
    }
}

/// The ring, typed: it owns the runnables left in it when both handles are gone.
struct Inner(RawQueue);

impl Inner {
    fn pop(&self) -> Option<Runnable<Header>> {
        // SAFETY: every pointer in the ring came from `Runnable::into_raw` (`push`
        // above), and the CAS in `pop` hands each one to exactly one popper.
        self.0.pop().map(|p| unsafe { Runnable::from_raw(p) })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        while let Some(r) = self.pop() {
            drop(r);
        }
    }
}

/// The ring of raw task pointers.
struct RawQueue {
    head: CachePadded<AtomicU64>,
    tail: CachePadded<AtomicU64>,
    slots: Box<[AtomicPtr<()>]>,
    /// `slots.len() - 1`; the length is a power of two.
    mask: u64,
}

#[repr(align(128))]
struct CachePadded<T>(T);

impl RawQueue {
    fn new(capacity: usize) -> RawQueue {
        let capacity = capacity.max(1).next_power_of_two();
        RawQueue {
            head: CachePadded(AtomicU64::new(0)),
            tail: CachePadded(AtomicU64::new(0)),
            slots: (0..capacity)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            mask: capacity as u64 - 1,
        }
    }

    fn capacity(&self) -> u64 {
        self.mask + 1
    }

    /// The slot of index `index`.
    #[inline]
    fn slot(&self, index: u64) -> &AtomicPtr<()> {
        &self.slots[(index & self.mask) as usize]
    }

    /// Appends `ptr`; gives it back when the queue is full.
    ///
    /// # Safety
    ///
    /// Only one thread at a time may push to a given queue (its owner).
    unsafe fn push(&self, ptr: NonNull<()>) -> Result<(), NonNull<()>> {
        let tail = self.tail.0.load(Ordering::Relaxed);
        let head = self.head.0.load(Ordering::Acquire);
        if tail - head >= self.capacity() {
            return Err(ptr);
        }
        self.slot(tail).store(ptr.as_ptr(), Ordering::Relaxed);
        self.tail.0.store(tail + 1, Ordering::Release);
        Ok(())
    }

    /// Takes the oldest pointer; any thread may call it.
    fn pop(&self) -> Option<NonNull<()>> {
        let mut head = self.head.0.load(Ordering::Acquire);
        loop {
            let tail = self.tail.0.load(Ordering::Acquire);
            if head >= tail {
                return None;
            }
            let ptr = self.slot(head).load(Ordering::Relaxed);
            match self.head.0.compare_exchange_weak(
                head,
                head + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return NonNull::new(ptr),
                Err(actual) => head = actual,
            }
        }
    }

    fn len(&self) -> usize {
        let tail = self.tail.0.load(Ordering::Acquire);
        let head = self.head.0.load(Ordering::Acquire);
        tail.saturating_sub(head) as usize
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use std::ptr::NonNull;

    use loom::sync::Arc;
    use loom::thread;

    use super::RawQueue;

    fn ptr(n: usize) -> NonNull<()> {
        NonNull::new(n as *mut ()).unwrap()
    }

    /// The owner pushes while a thief steals and the owner pops: every pointer
    /// comes out exactly once.
    #[test]
    fn local_queue_hands_each_task_to_exactly_one_popper() {
        loom::model(|| {
            let q = Arc::new(RawQueue::new(2));
            let thief = {
                let q = q.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..2 {
                        if let Some(p) = q.pop() {
                            got.push(p.as_ptr() as usize);
                        }
                    }
                    got
                })
            };
            let mut got = Vec::new();
            let mut rejected = Vec::new();
            for n in 1..=3 {
                // SAFETY: this thread is the only pusher.
                if let Err(p) = unsafe { q.push(ptr(n)) } {
                    rejected.push(p.as_ptr() as usize);
                }
            }
            while let Some(p) = q.pop() {
                got.push(p.as_ptr() as usize);
            }
            got.extend(thief.join().unwrap());
            got.extend(rejected);
            got.sort_unstable();
            assert_eq!(got, [1, 2, 3]);
        });
    }
}
