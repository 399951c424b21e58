//! A worker's local run queue: a bounded ring that only its owner pushes to and
//! that any worker may pop from (the owner runs from it, the others steal).
//!
//! Indices grow forever (u64, never wrap in practice); the slot of index `i` is
//! `i % capacity`. The owner writes slot `tail` and then publishes `tail + 1`
//! (Release); a popper reads `head`, checks `head < tail` (Acquire), reads the slot,
//! and claims it by moving `head` from `head` to `head + 1` with a CAS. The owner
//! overwrites a slot only after seeing `head` move past it (its Acquire load pairs
//! with the popper's AcqRel CAS, which came after the popper's read), so a claimed
//! value is always the one written for that index.
//!
//! Pushing costs two loads and two stores; popping two loads and a CAS.
//!
//! Public only so the loom models in `tests/loom.rs` can reach it under `cfg(loom)`.
#![cfg_attr(not(loom), allow(unreachable_pub))]

use std::ptr::NonNull;

use crate::loom::{AtomicPtr, AtomicU64, Ordering};

/// The ring of raw task pointers.
pub struct RawQueue {
    head: CachePadded<AtomicU64>,
    tail: CachePadded<AtomicU64>,
    slots: Box<[AtomicPtr<()>]>,
}

#[repr(align(128))]
struct CachePadded<T>(T);

impl RawQueue {
    /// An empty queue of `capacity` slots.
    pub fn new(capacity: usize) -> RawQueue {
        RawQueue {
            head: CachePadded(AtomicU64::new(0)),
            tail: CachePadded(AtomicU64::new(0)),
            slots: (0..capacity.max(1))
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
        }
    }

    fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Appends `ptr`; gives it back when the queue is full.
    ///
    /// # Safety
    ///
    /// Only one thread (the owner) may ever push to a given queue.
    pub unsafe fn push(&self, ptr: NonNull<()>) -> Result<(), NonNull<()>> {
        let tail = self.tail.0.load(Ordering::Relaxed);
        let head = self.head.0.load(Ordering::Acquire);
        if tail - head >= self.capacity() {
            return Err(ptr);
        }
        self.slots[(tail % self.capacity()) as usize].store(ptr.as_ptr(), Ordering::Relaxed);
        self.tail.0.store(tail + 1, Ordering::Release);
        Ok(())
    }

    /// Takes the oldest pointer; any thread may call it.
    pub fn pop(&self) -> Option<NonNull<()>> {
        let mut head = self.head.0.load(Ordering::Acquire);
        loop {
            let tail = self.tail.0.load(Ordering::Acquire);
            if head >= tail {
                return None;
            }
            let ptr = self.slots[(head % self.capacity()) as usize].load(Ordering::Relaxed);
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

    /// How many pointers are queued (a snapshot).
    pub fn len(&self) -> usize {
        let tail = self.tail.0.load(Ordering::Acquire);
        let head = self.head.0.load(Ordering::Acquire);
        tail.saturating_sub(head) as usize
    }

    /// Whether the queue is empty (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
