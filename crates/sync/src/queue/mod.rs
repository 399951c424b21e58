//! asyncio's `Queue`, `LifoQueue` and `PriorityQueue`.
//!
//! All three are one type, [`OrderedQueue`], over the [`Order`] its items leave in.
//! Its state (items, parked getters and putters, the count of unfinished tasks) sits
//! behind one short `Mutex` that is never held across user code or a wake.
//!
//! Fairness: a `put` notifies the oldest parked getter and counts the item as spoken
//! for, so a `get` arriving later cannot take it; the notified getter keeps its place
//! until it runs and takes an item (which one is decided then, as in asyncio, so a
//! priority queue still hands out the smallest). Putters wait for free slots the same
//! way. A getter or putter dropped after it was notified hands its turn to the next.
//! `get_nowait` and `put_nowait` do not wait and so ignore the order, as in asyncio.

mod error;
mod order;

pub use error::{QueueShutDown, TaskDoneError, TryGetError, TryPutError};
pub use order::{Fifo, Lifo, Order, Priority};

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::loom::{lock, Mutex};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// asyncio's `Queue`: first in, first out. See [`OrderedQueue`] for the methods.
///
/// # Examples
///
/// ```
/// use ferrio_sync::Queue;
/// # futures_lite::future::block_on(async {
/// let queue = Queue::new(2);
/// queue.put("a").await.unwrap();
/// queue.put("b").await.unwrap();
/// assert!(queue.full());
/// assert_eq!(queue.get().await.unwrap(), "a");
/// queue.task_done().unwrap();
/// assert_eq!(queue.qsize(), 1);
/// # });
/// ```
pub type Queue<T> = OrderedQueue<T, Fifo<T>>;

/// asyncio's `LifoQueue`: last in, first out. See [`OrderedQueue`] for the methods.
///
/// # Examples
///
/// ```
/// use ferrio_sync::LifoQueue;
/// let queue = LifoQueue::new(0);
/// for n in 1..=3 {
///     queue.put_nowait(n).unwrap();
/// }
/// assert_eq!(queue.get_nowait(), Ok(3));
/// ```
pub type LifoQueue<T> = OrderedQueue<T, Lifo<T>>;

/// asyncio's `PriorityQueue`: smallest item first. See [`OrderedQueue`] for the methods.
///
/// # Examples
///
/// ```
/// use ferrio_sync::PriorityQueue;
/// let queue = PriorityQueue::new(0);
/// for job in [(2, "write"), (0, "urgent"), (1, "read")] {
///     queue.put_nowait(job).unwrap();
/// }
/// assert_eq!(queue.get_nowait(), Ok((0, "urgent")));
/// ```
pub type PriorityQueue<T> = OrderedQueue<T, Priority<T>>;

/// A multi-producer, multi-consumer queue with asyncio's API, handing items out in
/// the order `O`.
///
/// Use it through [`Queue`], [`LifoQueue`] or [`PriorityQueue`]. Cloning is cheap and
/// yields another handle to the same queue. A queue never closes by itself: call
/// [`shutdown`](Self::shutdown) to end it, as in asyncio.
pub struct OrderedQueue<T, O> {
    shared: Arc<Shared<T, O>>,
}

struct Shared<T, O> {
    state: Mutex<State<T, O>>,
}

struct State<T, O> {
    items: O,
    maxsize: usize,
    getters: WaitQueue,
    putters: WaitQueue,
    joiners: WaitQueue,
    unfinished: usize,
    /// Bumped each time `unfinished` drops to zero, so a `join` woken then returns
    /// even if new items arrive before it runs (asyncio's `_finished` event).
    finished_epoch: u64,
    shut_down: bool,
    _marker: PhantomData<T>,
}

impl<T, O: Order<T>> State<T, O> {
    fn free_slots(&self) -> usize {
        if self.maxsize == 0 {
            usize::MAX
        } else {
            self.maxsize.saturating_sub(self.items.len())
        }
    }

    /// Notifies getters for items and putters for free slots not yet spoken for, oldest
    /// first. Called after every change; it keeps the invariant that whenever an item
    /// (a slot) is available and a getter (a putter) is parked, one of them is notified.
    fn notify_waiters(&mut self, wakers: &mut Wakers) {
        while self.getters.notified() < self.items.len() && self.getters.notify_one(wakers) {}
        while self.putters.notified() < self.free_slots() && self.putters.notify_one(wakers) {}
        if self.shut_down && self.items.is_empty() {
            // Nothing left to drain: every parked getter fails now.
            self.getters.drain_all(wakers);
        }
    }

    /// Whether the getter `id` (or a new getter, for `None`) may take an item now.
    fn getter_may_take(&self, id: Option<WaiterId>) -> bool {
        match id {
            Some(id) if self.getters.is_notified(id) => !self.items.is_empty(),
            _ => self.items.len() > self.getters.notified(),
        }
    }

    fn putter_may_put(&self, id: Option<WaiterId>) -> bool {
        match id {
            Some(id) if self.putters.is_notified(id) => self.free_slots() > 0,
            _ => self.free_slots() > self.putters.notified(),
        }
    }

    fn store(&mut self, item: T) {
        self.items.push(item);
        self.unfinished += 1;
    }

    fn finish_if_done(&mut self, wakers: &mut Wakers) {
        if self.unfinished == 0 {
            self.finished_epoch = self.finished_epoch.wrapping_add(1);
            self.joiners.drain_all(wakers);
        }
    }
}

impl<T> OrderedQueue<T, Fifo<T>> {
    /// A FIFO queue holding at most `maxsize` items; `0` means unbounded, as in asyncio.
    pub fn new(maxsize: usize) -> Self {
        Self::with_order(maxsize)
    }
}

impl<T> OrderedQueue<T, Lifo<T>> {
    /// A LIFO queue holding at most `maxsize` items; `0` means unbounded.
    pub fn new(maxsize: usize) -> Self {
        Self::with_order(maxsize)
    }
}

impl<T: Ord> OrderedQueue<T, Priority<T>> {
    /// A priority queue holding at most `maxsize` items; `0` means unbounded.
    pub fn new(maxsize: usize) -> Self {
        Self::with_order(maxsize)
    }
}

impl<T, O: Order<T>> OrderedQueue<T, O> {
    fn with_order(maxsize: usize) -> Self {
        let state = State {
            items: O::default(),
            maxsize,
            getters: WaitQueue::new(),
            putters: WaitQueue::new(),
            joiners: WaitQueue::new(),
            unfinished: 0,
            finished_epoch: 0,
            shut_down: false,
            _marker: PhantomData,
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
            }),
        }
    }

    fn state(&self) -> crate::loom::MutexGuard<'_, State<T, O>> {
        lock(&self.shared.state)
    }

    /// The most items the queue holds; `0` means unbounded.
    pub fn maxsize(&self) -> usize {
        self.state().maxsize
    }

    /// How many items the queue holds now.
    pub fn qsize(&self) -> usize {
        self.state().items.len()
    }

    /// Whether the queue holds no item.
    pub fn empty(&self) -> bool {
        self.state().items.is_empty()
    }

    /// Whether the queue holds `maxsize` items (never, for an unbounded queue).
    pub fn full(&self) -> bool {
        self.state().free_slots() == 0
    }

    /// Puts `item` in the queue, waiting while it is full.
    ///
    /// Parked putters are served in arrival order. Dropping the future before it
    /// completes drops the item unput and passes a pending turn on.
    ///
    /// # Errors
    ///
    /// [`QueueShutDown`] with the item, if the queue is shut down before the item is
    /// stored.
    pub fn put(&self, item: T) -> Put<'_, T, O> {
        Put {
            queue: self,
            item: Some(item),
            id: None,
        }
    }

    /// Puts `item` in the queue if there is room now.
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] if the queue holds `maxsize` items,
    /// [`TryPutError::ShutDown`] after [`shutdown`](Self::shutdown); both carry the item.
    pub fn put_nowait(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut wakers = Wakers::new();
        {
            let mut state = self.state();
            if state.shut_down {
                return Err(TryPutError::ShutDown(item));
            }
            if state.free_slots() == 0 {
                return Err(TryPutError::Full(item));
            }
            state.store(item);
            state.notify_waiters(&mut wakers);
        }
        wakers.wake();
        Ok(())
    }

    /// Removes and returns the next item, waiting while the queue is empty.
    ///
    /// Parked getters are served in arrival order. Dropping the future before it
    /// completes loses no item: the item stays queued and a pending turn passes on.
    ///
    /// # Errors
    ///
    /// [`QueueShutDown`] once the queue is shut down and empty.
    pub fn get(&self) -> Get<'_, T, O> {
        Get {
            queue: self,
            id: None,
        }
    }

    /// Removes and returns the next item if there is one now.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if the queue holds no item, [`TryGetError::ShutDown`] if it
    /// holds none and was shut down.
    pub fn get_nowait(&self) -> Result<T, TryGetError> {
        let mut wakers = Wakers::new();
        let item = {
            let mut state = self.state();
            let Some(item) = state.items.pop() else {
                return Err(if state.shut_down {
                    TryGetError::ShutDown
                } else {
                    TryGetError::Empty
                });
            };
            state.notify_waiters(&mut wakers);
            item
        };
        wakers.wake();
        Ok(item)
    }

    /// Marks one item got from the queue as processed.
    ///
    /// Each `put` counts one unfinished task; [`join`](Self::join) returns when the
    /// count is back to zero.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if called more times than items were put; the count is left
    /// unchanged.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut wakers = Wakers::new();
        {
            let mut state = self.state();
            if state.unfinished == 0 {
                return Err(TaskDoneError);
            }
            state.unfinished -= 1;
            state.finish_if_done(&mut wakers);
        }
        wakers.wake();
        Ok(())
    }

    /// How many items were put and not yet marked done with [`task_done`](Self::task_done).
    pub fn unfinished_tasks(&self) -> usize {
        self.state().unfinished
    }

    /// Waits until every item put has been marked done.
    ///
    /// Returns at once if none is unfinished.
    pub fn join(&self) -> Join<'_, T, O> {
        Join {
            queue: self,
            wait: None,
        }
    }

    /// Shuts the queue down, with asyncio 3.13's semantics.
    ///
    /// Afterwards `put` and `put_nowait` fail with a shut-down error and every parked
    /// putter fails. With `immediate == false`, getters drain the remaining items and
    /// then fail. With `immediate == true`, the remaining items are dropped (each one
    /// counting as done, so `join` returns once the items already taken are done),
    /// and every parked getter fails at once. Calling it again is harmless.
    pub fn shutdown(&self, immediate: bool) {
        let mut wakers = Wakers::new();
        let discarded = {
            let mut state = self.state();
            state.shut_down = true;
            let discarded = if immediate {
                let items = std::mem::take(&mut state.items);
                state.unfinished = state.unfinished.saturating_sub(items.len());
                state.finish_if_done(&mut wakers);
                Some(items)
            } else {
                None
            };
            state.putters.drain_all(&mut wakers);
            state.notify_waiters(&mut wakers);
            discarded
        };
        // The items' destructors run with the lock released.
        drop(discarded);
        wakers.wake();
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.state().shut_down
    }
}

impl<T, O> Clone for OrderedQueue<T, O> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Default for OrderedQueue<T, Fifo<T>> {
    /// An unbounded FIFO queue, like asyncio's `Queue()`.
    fn default() -> Self {
        Self::new(0)
    }
}

impl<T, O: Order<T>> fmt::Debug for OrderedQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Queue")
            .field("maxsize", &state.maxsize)
            .field("qsize", &state.items.len())
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .field("unfinished_tasks", &state.unfinished)
            .field("shut_down", &state.shut_down)
            .finish()
    }
}

/// The future of [`OrderedQueue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T, O: Order<T>> {
    queue: &'a OrderedQueue<T, O>,
    item: Option<T>,
    id: Option<WaiterId>,
}

// The item is moved, never pinned, so the future can move freely.
impl<T, O: Order<T>> Unpin for Put<'_, T, O> {}

impl<T, O: Order<T>> Future for Put<'_, T, O> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut wakers = Wakers::new();
        let result = {
            let mut state = this.queue.state();
            if state.shut_down {
                if let Some(id) = this.id.take() {
                    state.putters.remove(id);
                    state.notify_waiters(&mut wakers);
                }
                let item = this.item.take().expect("`Put` polled after completion");
                Poll::Ready(Err(QueueShutDown(item)))
            } else if state.putter_may_put(this.id) {
                if let Some(id) = this.id.take() {
                    state.putters.remove(id);
                }
                let item = this.item.take().expect("`Put` polled after completion");
                state.store(item);
                state.notify_waiters(&mut wakers);
                Poll::Ready(Ok(()))
            } else {
                match this.id {
                    Some(id) if state.putters.contains(id) => {
                        if state.putters.is_notified(id) {
                            // The slot it was notified for went to a `put_nowait`.
                            state.putters.clear_notified();
                        }
                        state.putters.update_waker(id, cx.waker());
                    }
                    _ => this.id = Some(state.putters.push(cx.waker())),
                }
                Poll::Pending
            }
        };
        wakers.wake();
        result
    }
}

impl<T, O: Order<T>> Drop for Put<'_, T, O> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut wakers = Wakers::new();
            {
                let mut state = self.queue.state();
                state.putters.remove(id);
                state.notify_waiters(&mut wakers);
            }
            wakers.wake();
        }
    }
}

/// The future of [`OrderedQueue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, O: Order<T>> {
    queue: &'a OrderedQueue<T, O>,
    id: Option<WaiterId>,
}

impl<T, O: Order<T>> Future for Get<'_, T, O> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut wakers = Wakers::new();
        let result = {
            let mut state = this.queue.state();
            if state.getter_may_take(this.id) {
                if let Some(id) = this.id.take() {
                    state.getters.remove(id);
                }
                let item = state.items.pop();
                state.notify_waiters(&mut wakers);
                Poll::Ready(Ok(item.expect("an available item")))
            } else if state.shut_down && state.items.is_empty() {
                if let Some(id) = this.id.take() {
                    state.getters.remove(id);
                }
                Poll::Ready(Err(QueueShutDown(())))
            } else {
                match this.id {
                    Some(id) if state.getters.contains(id) => {
                        if state.getters.is_notified(id) {
                            // The item it was notified for went to a `get_nowait`.
                            state.getters.clear_notified();
                        }
                        state.getters.update_waker(id, cx.waker());
                    }
                    _ => this.id = Some(state.getters.push(cx.waker())),
                }
                Poll::Pending
            }
        };
        wakers.wake();
        result
    }
}

impl<T, O: Order<T>> Drop for Get<'_, T, O> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut wakers = Wakers::new();
            {
                let mut state = self.queue.state();
                state.getters.remove(id);
                state.notify_waiters(&mut wakers);
            }
            wakers.wake();
        }
    }
}

/// The future of [`OrderedQueue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T, O: Order<T>> {
    queue: &'a OrderedQueue<T, O>,
    /// The registration and the finished-epoch it was made in.
    wait: Option<(WaiterId, u64)>,
}

impl<T, O: Order<T>> Future for Join<'_, T, O> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut state = this.queue.state();
        let released = match this.wait {
            Some((_, epoch)) => state.finished_epoch != epoch || state.unfinished == 0,
            None => state.unfinished == 0,
        };
        if released {
            if let Some((id, _)) = this.wait.take() {
                state.joiners.remove(id);
            }
            return Poll::Ready(());
        }
        match this.wait {
            Some((id, _)) => state.joiners.update_waker(id, cx.waker()),
            None => this.wait = Some((state.joiners.push(cx.waker()), state.finished_epoch)),
        }
        Poll::Pending
    }
}

impl<T, O: Order<T>> Drop for Join<'_, T, O> {
    fn drop(&mut self) {
        if let Some((id, _)) = self.wait {
            self.queue.state().joiners.remove(id);
        }
    }
}
