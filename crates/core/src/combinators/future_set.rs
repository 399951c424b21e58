//! The engine under `gather`, `try_gather`, `as_completed` and `wait`: a fixed set of
//! futures, each with its own waker, polled only when that waker fired.
//!
//! Polling every future on every wake-up costs O(n) per wake, O(n²) for a gather of
//! n futures that finish one by one; with 10 000 futures that dominates. Instead each
//! future `i` gets a waker that pushes `i` onto a shared ready queue (at most once
//! until it is polled again, guarded by a per-future flag) and wakes the owner. A
//! poll of the set drains the queue and touches only the futures that asked.
//!
//! # Memory
//!
//! The futures live in one pinned boxed slice. The wakers cost no allocation of their
//! own: all of them point into one table of [`WakerSlot`]s inside the shared state, and
//! a waker's reference count is the shared state's `Arc` count. So a set of n futures
//! makes three allocations, whatever n is (plus the ready queue's blocks).

use std::future::Future;
use std::mem::ManuallyDrop;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use concurrent_queue::ConcurrentQueue;

/// State shared between a [`FutureSet`] and the wakers it hands to its futures.
struct Shared {
    /// Indices whose waker fired since they were last polled.
    ready: ConcurrentQueue<usize>,
    /// True once the owner was woken and has not polled since: later child wakes
    /// skip the owner's waker.
    owner_notified: AtomicBool,
    /// The waker of the task that polls the set.
    owner: Mutex<Option<Waker>>,
    /// One per future; each future's waker points at its slot.
    slots: Box<[WakerSlot]>,
}

/// What the waker of future `index` points at.
struct WakerSlot {
    /// The `Shared` this slot lives in (a pointer into the `Arc` allocation).
    shared: *const Shared,
    index: usize,
    /// True while `index` sits in the ready queue (or awaits its first poll), so a
    /// future that is woken many times is queued once.
    queued: AtomicBool,
}

// SAFETY: `shared` points at the `Shared` that contains this slot and is dereferenced
// only while a strong count of that `Arc` is held (by a waker or by the set); it is
// never used to mutate anything but atomics and the mutex-guarded owner waker, which
// are thread-safe. The other fields are `Send + Sync`.
unsafe impl Send for WakerSlot {}
// SAFETY: see the `Send` impl: every access through `&WakerSlot` is to atomics or
// through the pointer to a thread-safe `Shared`.
unsafe impl Sync for WakerSlot {}

impl Shared {
    fn wake_index(&self, index: usize) {
        if !self.slots[index].queued.swap(true, Ordering::AcqRel) {
            // An unbounded queue only refuses a push when closed, and it is never closed.
            let _ = self.ready.push(index);
            self.wake_owner();
        }
    }

    fn wake_owner(&self) {
        if !self.owner_notified.swap(true, Ordering::AcqRel) {
            let owner = self.owner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(waker) = owner.as_ref() {
                waker.wake_by_ref();
            }
        }
    }
}

/// The waker vtable of a set's futures. The data pointer is a `*const WakerSlot`
/// inside an `Arc<Shared>`; each owned waker holds one strong count of that `Arc`.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` comes from this vtable, so it points at a `WakerSlot` in a live
    // `Shared` (the waker being cloned keeps it alive, or the set does for a borrowed
    // one); the new waker takes its own strong count.
    unsafe {
        let slot = &*(data as *const WakerSlot);
        Arc::increment_strong_count(slot.shared);
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is an owned waker of this vtable: wake through it, then release
    // its strong count, as `wake` consumes the waker.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` comes from this vtable and the waker it belongs to keeps the
    // `Shared` containing the slot alive for the duration of this call.
    unsafe {
        let slot = &*(data as *const WakerSlot);
        (*slot.shared).wake_index(slot.index);
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` is an owned waker of this vtable, holding one strong count; the
    // pointer is read out of the slot before the count (maybe the last) is released.
    unsafe {
        let shared = (*(data as *const WakerSlot)).shared;
        Arc::decrement_strong_count(shared);
    }
}

/// A fixed, indexed set of futures, each polled only after its own waker fired.
///
/// A finished future is dropped at once, so its resources go back before the rest
/// finish.
pub(crate) struct FutureSet<F> {
    futures: Pin<Box<[Option<F>]>>,
    shared: Arc<Shared>,
    /// Futures never polled yet are `0..n` and are swept in order by this cursor
    /// instead of being pushed onto the queue one by one.
    first_poll_cursor: usize,
    remaining: usize,
    /// The owner waker last stored in `shared.owner`.
    registered: Option<Waker>,
}

impl<F: Future> FutureSet<F> {
    /// Takes every future of `iter`, in order; index `i` is the `i`-th future.
    pub(crate) fn new(iter: impl IntoIterator<Item = F>) -> Self {
        let futures: Box<[Option<F>]> = iter.into_iter().map(Some).collect();
        let len = futures.len();
        let shared = Arc::new_cyclic(|weak| {
            let shared = weak.as_ptr();
            Shared {
                ready: ConcurrentQueue::unbounded(),
                owner_notified: AtomicBool::new(false),
                owner: Mutex::new(None),
                slots: (0..len)
                    .map(|index| WakerSlot {
                        shared,
                        index,
                        queued: AtomicBool::new(true),
                    })
                    .collect(),
            }
        });
        FutureSet {
            futures: Box::into_pin(futures),
            shared,
            first_poll_cursor: 0,
            remaining: len,
            registered: None,
        }
    }

    /// How many futures the set was built from.
    pub(crate) fn len(&self) -> usize {
        self.shared.slots.len()
    }

    /// How many futures have not finished yet.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// Drops every future that has not finished (cancelling it, for a plain future).
    pub(crate) fn clear(&mut self) {
        for index in 0..self.len() {
            slot(&mut self.futures, index).set(None);
        }
        self.remaining = 0;
    }

    /// Takes out every future that has not finished, in index order, leaving the set
    /// empty.
    pub(crate) fn take_unfinished(&mut self) -> Vec<F>
    where
        F: Unpin,
    {
        self.remaining = 0;
        let futures: &mut [Option<F>] = Pin::get_mut(self.futures.as_mut());
        futures.iter_mut().filter_map(Option::take).collect()
    }

    #[cold]
    fn queue_all_pending(&mut self) {
        for index in 0..self.first_poll_cursor.min(self.len()) {
            if slot(&mut self.futures, index).is_some()
                && !self.shared.slots[index].queued.swap(true, Ordering::AcqRel)
            {
                let _ = self.shared.ready.push(index);
            }
        }
    }

    fn next_ready_index(&mut self) -> Option<usize> {
        if self.first_poll_cursor < self.len() {
            let index = self.first_poll_cursor;
            self.first_poll_cursor += 1;
            return Some(index);
        }
        self.shared.ready.pop().ok()
    }

    /// Polls the futures that were woken and returns the first one that finishes, as
    /// `(index, output)`; `Ready(None)` once all have finished.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        let mut next = None;
        match self.poll_each(cx, |index, output| {
            next = Some((index, output));
            ControlFlow::Break(())
        }) {
            Poll::Ready(()) => Poll::Ready(next),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Polls the futures that were woken, handing each output to `on_output` as its
    /// future finishes. Returns `Ready` once every future has finished or `on_output`
    /// broke off, `Pending` when the rest wait for a wake-up.
    ///
    /// Polls at most `len` pending futures per call, then yields (waking itself) so a
    /// set full of futures that wake themselves cannot starve the rest of the loop.
    pub(crate) fn poll_each(
        &mut self,
        cx: &mut Context<'_>,
        mut on_output: impl FnMut(usize, F::Output) -> ControlFlow<()>,
    ) -> Poll<()> {
        if self.remaining == 0 {
            return Poll::Ready(());
        }
        self.register_owner(cx.waker());
        if crate::task::propagate::is_probing() {
            // An expired timeout probes its work: every child that waits is reached,
            // so every task awaited here is cancelled, not only the woken ones.
            self.queue_all_pending();
        }
        let budget = self.len();
        let mut polled = 0;
        while let Some(index) = self.next_ready_index() {
            // Cleared before polling: a wake during or after this poll queues it again.
            self.shared.slots[index]
                .queued
                .store(false, Ordering::Release);
            let mut future = slot(&mut self.futures, index);
            let Some(running) = future.as_mut().as_pin_mut() else {
                // A late wake of a future that already finished.
                continue;
            };
            let waker = borrowed_waker(&self.shared, index);
            if let Poll::Ready(output) = running.poll(&mut Context::from_waker(&waker)) {
                future.set(None);
                self.remaining -= 1;
                if on_output(index, output).is_break() || self.remaining == 0 {
                    return Poll::Ready(());
                }
                continue;
            }
            polled += 1;
            if polled >= budget {
                if self.first_poll_cursor < self.len() || !self.shared.ready.is_empty() {
                    // More is ready: come back after the rest of the loop had a turn.
                    cx.waker().wake_by_ref();
                }
                return Poll::Pending;
            }
        }
        Poll::Pending
    }

    fn register_owner(&mut self, waker: &Waker) {
        // The owner is nearly always the same task: compare against our own copy and
        // skip the lock.
        if !self
            .registered
            .as_ref()
            .is_some_and(|current| current.will_wake(waker))
        {
            self.registered = Some(waker.clone());
            *self.shared.owner.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker.clone());
        }
        // After the waker is in place: a child woken from now on wakes the owner again.
        // A swap, not a store: reading the flag a child set acquires that child's
        // push, so the drain that follows sees it.
        self.shared.owner_notified.swap(false, Ordering::AcqRel);
    }
}

/// The waker of future `index`, borrowed from the set's own strong count: it is never
/// dropped (so it releases no count) and lives only while `shared` is borrowed.
/// Futures that keep it clone it, which takes a count of their own.
fn borrowed_waker(shared: &Arc<Shared>, index: usize) -> ManuallyDrop<Waker> {
    let data = &shared.slots[index] as *const WakerSlot as *const ();
    // SAFETY: `data` points at a slot of a `Shared` kept alive by `shared` for as long
    // as the returned value is used (it does not outlive the caller's poll), and the
    // vtable's functions keep the `RawWaker` contract (thread-safe wake, balanced
    // strong counts). Wrapping it in `ManuallyDrop` means the count it never took is
    // never released.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) })
}

/// Projects the pinned slice to its `index`-th element.
fn slot<F>(futures: &mut Pin<Box<[Option<F>]>>, index: usize) -> Pin<&mut Option<F>> {
    // SAFETY: the slice is pinned inside its box, which is never moved out of,
    // reallocated or resized while the set lives; projecting to one element keeps that
    // element at its address, so it stays pinned. Elements are only ever replaced
    // through `Pin::set`, which drops the old value in place.
    unsafe {
        let slice = futures.as_mut().get_unchecked_mut();
        Pin::new_unchecked(&mut slice[index])
    }
}

#[cfg(test)]
mod tests {
    //! Runtime-free checks of the waker table, small enough for miri
    //! (`cargo +nightly miri test -p ferrio-core --lib combinators`).

    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    /// Counts how often the owner was woken.
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A future that parks its waker in `stash` and finishes once `go` is set.
    fn parked(
        stash: Arc<Mutex<Vec<Waker>>>,
        go: Arc<AtomicBool>,
        value: usize,
    ) -> impl Future<Output = usize> {
        std::future::poll_fn(move |cx| {
            if go.load(Ordering::SeqCst) {
                return Poll::Ready(value);
            }
            stash.lock().unwrap().push(cx.waker().clone());
            Poll::Pending
        })
    }

    #[test]
    fn wakers_outlive_the_set_and_wake_from_other_threads() {
        let stash = Arc::new(Mutex::new(Vec::new()));
        let go = Arc::new(AtomicBool::new(false));
        let mut set = FutureSet::new((0..4).map(|i| parked(stash.clone(), go.clone(), i)));
        let owner = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let owner_waker = Waker::from(owner.clone());
        let mut cx = Context::from_waker(&owner_waker);

        assert!(set.poll_next(&mut cx).is_pending());
        assert_eq!(stash.lock().unwrap().len(), 4);

        // Wake two futures from another thread, one by value and one by reference,
        // and a clone of a clone.
        go.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = std::mem::take(&mut *stash.lock().unwrap());
        let mut wakers = wakers.into_iter();
        let first = wakers.next().unwrap();
        let second = wakers.next().unwrap().clone();
        std::thread::spawn(move || {
            first.wake();
            second.wake_by_ref();
            let third = second.clone();
            drop(second);
            third.wake();
        })
        .join()
        .unwrap();
        assert_eq!(
            owner.0.load(Ordering::SeqCst),
            1,
            "one owner wake for a burst"
        );

        let mut finished = Vec::new();
        while let Poll::Ready(Some((index, value))) = set.poll_next(&mut cx) {
            assert_eq!(index, value);
            finished.push(index);
        }
        finished.sort();
        assert_eq!(finished, vec![0, 1]);
        assert_eq!(set.remaining(), 2);

        // The set goes away while two wakers are still held; waking them is harmless
        // and dropping them frees the shared state.
        drop(set);
        let rest: Vec<Waker> = wakers.collect();
        for waker in &rest {
            waker.wake_by_ref();
        }
        drop(rest);
    }

    #[test]
    fn a_self_waking_future_yields_after_the_budget() {
        let mut polls = 0;
        let mut set = FutureSet::new([std::future::poll_fn(|cx| {
            polls += 1;
            if polls == 5 {
                return Poll::Ready(polls);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })]);
        let owner = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let owner_waker = Waker::from(owner.clone());
        let mut cx = Context::from_waker(&owner_waker);
        let mut rounds = 0;
        let output = loop {
            rounds += 1;
            if let Poll::Ready(Some((_, value))) = set.poll_next(&mut cx) {
                break value;
            }
        };
        assert_eq!(output, 5);
        // One poll per round: the budget of a one-future set is one poll.
        assert_eq!(rounds, 5);
    }

    #[test]
    fn clear_and_take_unfinished_empty_the_set() {
        let mut set = FutureSet::new((0..3).map(|_| std::future::pending::<()>()));
        let noop = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&noop);
        assert!(set.poll_next(&mut cx).is_pending());
        let taken = set.take_unfinished();
        assert_eq!((taken.len(), set.remaining()), (3, 0));
        assert!(set.poll_next(&mut cx).is_ready());

        let mut set = FutureSet::new((0..3).map(|_| std::future::pending::<()>()));
        assert!(set.poll_next(&mut cx).is_pending());
        set.clear();
        assert!(matches!(set.poll_next(&mut cx), Poll::Ready(None)));
    }
}
