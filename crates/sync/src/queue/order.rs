//! The three orders a queue can hand items out in: FIFO, LIFO and priority.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

mod sealed {
    pub trait Sealed {}
}

/// The order in which a [`Queue`](super::Queue) hands out its items.
///
/// Implemented by [`Fifo`] (asyncio's `Queue`), [`Lifo`] (`LifoQueue`) and
/// [`Priority`] (`PriorityQueue`); the trait is sealed.
pub trait Order<T>: sealed::Sealed + Default {
    /// Stores one item.
    fn push(&mut self, item: T);
    /// Removes the next item to hand out.
    fn pop(&mut self) -> Option<T>;
    /// How many items are stored.
    fn len(&self) -> usize;
    /// Whether no item is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// First in, first out: asyncio's `Queue`.
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

/// Last in, first out: asyncio's `LifoQueue`.
#[derive(Debug)]
pub struct Lifo<T>(Vec<T>);

/// Smallest first, as asyncio's `PriorityQueue` (a `heapq`); equal items in no set
/// order.
#[derive(Debug)]
pub struct Priority<T>(BinaryHeap<Reverse<T>>);

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self(VecDeque::new())
    }
}

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Ord> Default for Priority<T> {
    fn default() -> Self {
        Self(BinaryHeap::new())
    }
}

impl<T> sealed::Sealed for Fifo<T> {}
impl<T> sealed::Sealed for Lifo<T> {}
impl<T> sealed::Sealed for Priority<T> {}

impl<T> Order<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T> Order<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T: Ord> Order<T> for Priority<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}
