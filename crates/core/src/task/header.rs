//! The per-task header kept in the task allocation (async-task's metadata): its
//! state words (the meta word, the cancellation word) and the cancel protocol on
//! them. The wrapper every spawned future runs inside is in `task_future.rs`, the
//! current-task thread-local in `current.rs`.
//!
//! # Task state machine
//!
//! ```text
//!            spawn                 poll returns Pending
//!   ─────────────▶ Scheduled ──run──▶ Running ─────────────────▶ Waiting
//!                    ▲  ▲               │  │                       │
//!                    │  └──────wake─────┼──┼───────────────────────┘
//!                    │                  │  │ woken while running (yield_now):
//!                    └──────────────────┘  │ rescheduled once the poll returns
//!                                          ▼
//!            poll returns Ready / panics / sees a cancel request
//!                                       Finished
//! ```
//!
//! - The scheduler stores `Scheduled` when it queues the runnable; the wrapper stores
//!   `Running` before polling and `Waiting` or `Finished` after. Only one thread polls
//!   a task at a time, and async-task calls the scheduler for a wake that arrived
//!   during the poll only after the poll returned, so plain stores suffice. The
//!   state shares one meta word with the alive flag, the poll count and the spawn
//!   time, which the same hands write (whoever holds the task's `Runnable`), so a
//!   load and a store update it; a poll's first store is a SeqCst swap.
//! - Cancellation is a word in the header (pending request, outcome, catch regions,
//!   request count); see the [task module](crate::task) for its state machine.
//!   [`Task::cancel`](crate::Task::cancel) sets a request and wakes the task through
//!   the waker the runtime's registry holds; the next poll delivers it.

use std::panic::Location;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::current::current_header;
use super::meta::{
    epoch, publish_carry, read_polls, spawn_ms, ALIVE, FINISHED, POLL_ONE, RUNNING, SCHEDULED,
    SPAWN_MAX_MS, SPAWN_SHIFT, STATE_MASK, WAITING,
};
use super::shared::TaskShared;
use super::snapshot::{TaskSnapshot, TaskState};
use super::TaskId;
use crate::loom::AtomicU64;
use crate::runtime::shared::Shared;

// The cancellation word (`Header::cancel`). See the module doc of `task` for the
// state machine these bits encode.
/// The outcome is decided: the inner future finished, panicked, or was dropped.
pub(crate) const DONE: u32 = 1;
/// A cancel request not yet delivered.
pub(crate) const PENDING: u32 = 1 << 1;
/// The pending request was made where the task could not be running it (inside a
/// task, at shutdown, a re-raise): it takes effect even against a value the poll in
/// flight returns.
pub(crate) const CONFIRMED: u32 = 1 << 2;
/// At least one catch region is registered: requests are delivered to the innermost.
pub(crate) const IN_REGION: u32 = 1 << 3;
/// Outcome bits, with `DONE`.
pub(crate) const OUT_CANCELLED: u32 = 1 << 4;
pub(crate) const OUT_PANICKED: u32 = 1 << 5;
/// The task made itself uncancellable (`task::commit`): requests are refused.
pub(crate) const COMMITTED: u32 = 1 << 6;
/// This task is inside a `cancel()` that waits for another task's poll to end; a
/// task cancelling it then does not wait in turn (no cycle of waits can form).
const SETTLING: u32 = 1 << 7;
/// With `DONE`: the task ended with a request still undelivered that lost to the
/// value of the poll in flight (its `cancel()` answers false).
pub(crate) const REJECTED: u32 = 1 << 8;
/// `cancelling()`: how many requests were made and not `uncancel`led.
pub(crate) const COUNT_SHIFT: u32 = 9;
pub(crate) const COUNT_ONE: u32 = 1 << COUNT_SHIFT;

/// The metadata of every task, stored in its async-task allocation: five words, as
/// every spawn pays for them (`tests/task_size.rs` in the facade bounds the total).
pub(crate) struct Header {
    pub(crate) id: TaskId,
    /// State, alive flag, poll count (low bits) and spawn time; see `SCHEDULED`...
    meta: AtomicU64,
    /// The cancellation word: `DONE`, `PENDING`... and the request count.
    pub(crate) cancel: AtomicU32,
    /// The task's key in its runtime's registry, written once before the task is
    /// first scheduled.
    pub(crate) registry_key: AtomicU32,
    /// Where the task was spawned until the shared part exists, then the shared
    /// part, which keeps the location: one word for both, `SHARED` set for the
    /// shared part. The shared part is what handles, messages, done callbacks and
    /// catch regions need, allocated on their first use, so plain tasks pay
    /// nothing; the header owns one strong count of it. (The location is read only
    /// off the hot paths: snapshots and reports.)
    link: AtomicPtr<u8>,
    /// The runtime the task belongs to. The schedule function is a zero-sized fn
    /// that finds the runtime here (no per-schedule reference-count guard).
    pub(crate) rt: Arc<Shared>,
}

/// In `Header::link`: it points to the shared part, not to the spawn location
/// (both are 8-aligned, so the lowest address bit is free).
const SHARED: usize = 1;

impl Drop for Header {
    fn drop(&mut self) {
        if let Some(shared) = shared_in(*self.link.get_mut()) {
            // SAFETY: a tagged link came from `Arc::into_raw` in
            // `Header::shared_named`, and the header owns that one strong count.
            drop(unsafe { Arc::from_raw(shared) });
        }
    }
}

/// The shared part a link points to, if it is tagged.
#[inline]
fn shared_in(link: *mut u8) -> Option<*const TaskShared> {
    (link.addr() & SHARED != 0).then(|| link.map_addr(|a| a & !SHARED).cast_const().cast())
}

impl Header {
    #[inline]
    pub(crate) fn new(rt: &Arc<Shared>, location: &'static Location<'static>) -> Header {
        Header {
            id: TaskId::next(),
            meta: AtomicU64::new(
                spawn_ms(crate::runtime::context::coarse_now()) << SPAWN_SHIFT | ALIVE | SCHEDULED,
            ),
            cancel: AtomicU32::new(0),
            registry_key: AtomicU32::new(crate::registry::UNREGISTERED),
            link: AtomicPtr::new(std::ptr::from_ref(location).cast_mut().cast()),
            rt: rt.clone(),
        }
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        let link = self.link.load(Ordering::Acquire);
        match shared_in(link) {
            // SAFETY: a tagged link is an `Arc<TaskShared>` the header owns until
            // it is dropped.
            Some(shared) => unsafe { (*shared).location },
            // SAFETY: an untagged link is the `&'static Location` the header was
            // made with.
            None => unsafe { &*link.cast_const().cast::<Location<'static>>() },
        }
    }

    pub(crate) fn rt(&self) -> &Shared {
        &self.rt
    }

    pub(crate) fn rt_arc(&self) -> &Arc<Shared> {
        &self.rt
    }

    /// Stores a new state, keeping the rest of the meta word. Only the task's
    /// poller calls it (the thread that holds its `Runnable`, or the `block_on`
    /// thread for the main task), so no other write can fall in between.
    #[inline]
    pub(super) fn set_state(&self, state: u64, order: Ordering) {
        let meta = self.meta.load(Ordering::Relaxed);
        self.meta.store(meta & !STATE_MASK | state, order);
    }

    /// Called by the schedule function, which holds the `Runnable`.
    #[inline]
    pub(crate) fn set_scheduled(&self) {
        self.set_state(SCHEDULED, Ordering::Relaxed);
    }

    /// Marks the start of a poll: `Running`, one poll more. SeqCst, and followed by
    /// the caller's SeqCst load of the cancellation word: a canceller that does not
    /// see this poll running made its request visible to that load (see
    /// `settle_unconfirmed`). Returns the word stored, which stays the word until
    /// the poller stores again (see `end_poll_waiting`).
    #[inline]
    pub(super) fn begin_poll(&self) -> u64 {
        let meta = self.meta.load(Ordering::Relaxed);
        let (running, wrapped) = (meta & !STATE_MASK | RUNNING).overflowing_add(POLL_ONE);
        if wrapped {
            self.carry_poll(running);
        } else {
            self.meta.swap(running, Ordering::SeqCst);
        }
        running
    }

    /// `begin_poll` when the count's field wrapped: one more in the shared part.
    /// `CARRY` is up from the wrap until that is done, so a reader never pairs the
    /// wrapped field with the old high count (see `polls`).
    #[cold]
    #[inline(never)]
    fn carry_poll(&self, running: u64) {
        publish_carry(&self.meta, running, || {
            self.shared().polls_high.fetch_add(1, Ordering::Release);
        });
    }

    /// Ends a poll that returned `Pending`; `running` is what `begin_poll` stored
    /// (only the poller writes the word, so it is still the word).
    #[inline]
    pub(super) fn end_poll_waiting(&self, running: u64) {
        self.meta
            .store(running ^ (RUNNING ^ WAITING), Ordering::Release);
    }

    /// The future is gone: `Finished`, not alive.
    #[inline]
    pub(super) fn set_gone(&self) {
        let meta = self.meta.load(Ordering::Relaxed);
        self.meta
            .store(meta & !(STATE_MASK | ALIVE) | FINISHED, Ordering::Release);
    }

    /// Whether the task's future still exists.
    pub(crate) fn is_alive(&self) -> bool {
        self.meta.load(Ordering::Acquire) & ALIVE != 0
    }

    /// The meta word with no carry in flight, and the whole poll count it goes with.
    fn polls(&self) -> (u64, u64) {
        read_polls(&self.meta, || {
            self.shared_if_any()
                .map_or(0, |s| s.polls_high.load(Ordering::Acquire))
        })
    }

    /// The shared part if it was created.
    pub(crate) fn shared_if_any(&self) -> Option<&TaskShared> {
        let link = self.link.load(Ordering::SeqCst);
        // SAFETY: a tagged link is an `Arc<TaskShared>` the header owns until it is
        // dropped.
        shared_in(link).map(|shared| unsafe { &*shared })
    }

    /// The task's name. It lives in the shared part (most tasks have none, and the
    /// header is in every task allocation), which a named task gets at spawn.
    pub(crate) fn name(&self) -> Option<&Arc<str>> {
        self.shared_if_any().and_then(|s| s.name.as_ref())
    }

    /// Names a task that was just built and not yet scheduled: creates its shared
    /// part with the name (no other thread can see the task yet, so no part exists).
    pub(crate) fn set_name(&self, name: Option<Arc<str>>) {
        if name.is_some() {
            drop(self.shared_named(name));
        }
    }

    /// The shared part, created on first use. Only called while the header is known
    /// alive (through a `Task`, or from inside the task).
    pub(crate) fn shared(&self) -> Arc<TaskShared> {
        self.shared_named(None)
    }

    /// The shared part; if this call creates it, with `name`.
    fn shared_named(&self, name: Option<Arc<str>>) -> Arc<TaskShared> {
        let link = self.link.load(Ordering::SeqCst);
        let ptr = match shared_in(link) {
            Some(existing) => existing,
            None => {
                let fresh = Arc::into_raw(Arc::new(TaskShared::new(self, name)));
                let tagged = fresh.cast_mut().cast::<u8>().map_addr(|a| a | SHARED);
                // SeqCst with the completion: either the completion sees this
                // pointer, or this creator sees `DONE` just below (store-load on
                // both sides). The link changes once, from the location.
                match self
                    .link
                    .compare_exchange(link, tagged, Ordering::SeqCst, Ordering::SeqCst)
                {
                    Ok(_) => fresh,
                    Err(existing) => {
                        // SAFETY: `fresh` came from `Arc::into_raw` above and was
                        // not published.
                        drop(unsafe { Arc::from_raw(fresh) });
                        shared_in(existing).expect("the link changes only to a shared part")
                    }
                }
            }
        };
        // SAFETY: the header owns one count of this `Arc` for as long as it lives;
        // this takes another for the caller.
        let shared = unsafe {
            Arc::increment_strong_count(ptr);
            Arc::from_raw(ptr)
        };
        let word = self.cancel.load(Ordering::SeqCst);
        if word & DONE != 0 {
            // Created after the end, or the end did not see it: publish it here
            // (idempotent).
            shared.complete(word);
        }
        shared
    }

    /// After a request was accepted: wakes the innermost catch region when the task
    /// has one (a combinator may poll only the child that was woken), besides the
    /// task itself, which the caller wakes. The caller keeps the header alive.
    pub(crate) fn wake_region(&self) {
        if self.cancel.load(Ordering::SeqCst) & IN_REGION == 0 {
            return;
        }
        if let Some(waker) = self
            .shared_if_any()
            .and_then(|s| s.lock().innermost_region_waker())
        {
            waker.wake();
        }
    }

    /// Requests cancellation without a message, waking nothing: shutdown and the
    /// registry use it (they wake the task themselves).
    pub(crate) fn request_cancel(&self) -> bool {
        self.try_request(CONFIRMED).is_ok()
    }

    /// Sets `PENDING` (plus `extra`) and counts the request unless the outcome is
    /// decided or the task committed. Returns the previous word.
    pub(crate) fn try_request(&self, extra: u32) -> Result<u32, u32> {
        let mut cur = self.cancel.load(Ordering::SeqCst);
        loop {
            if cur & (DONE | COMMITTED) != 0 {
                return Err(cur);
            }
            let count = if cur >> COUNT_SHIFT < (u32::MAX >> COUNT_SHIFT) {
                COUNT_ONE
            } else {
                0
            };
            match self.cancel.compare_exchange_weak(
                cur,
                (cur | PENDING | extra) + count,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(prev) => return Ok(prev),
                Err(actual) => cur = actual,
            }
        }
    }

    /// The whole cancel protocol for a caller that keeps the task allocation alive
    /// (a `Task` handle). Returns the truth: see [`Task::cancel`](crate::Task::cancel).
    pub(crate) fn cancel_request(&self, message: Option<Arc<str>>) -> bool {
        if message.is_some() || self.shared_if_any().is_some() {
            return self.shared().cancel(message);
        }
        let mode = CancelMode::begin(self);
        let prev = match self.try_request(mode.extra()) {
            Ok(prev) => prev,
            Err(_) => {
                mode.abandon();
                return false;
            }
        };
        let region = if prev & IN_REGION != 0 {
            self.shared_if_any()
                .and_then(|s| s.lock().innermost_region_waker())
        } else {
            None
        };
        match region {
            Some(waker) => waker.wake(),
            None => {
                self.rt().registry.wake(self);
            }
        }
        mode.finish(self)
    }

    /// After an unconfirmed request: if a poll was running on another thread when it
    /// was made, waits for that poll to end and reports whether the request stands
    /// (the poll may have finished the task with its value, which then wins).
    pub(crate) fn settle_unconfirmed(&self) -> bool {
        let mut spins = 0u32;
        loop {
            // The state first: a poll that ended stored it after deciding the word.
            let state = self.meta.load(Ordering::SeqCst) & STATE_MASK;
            let word = self.cancel.load(Ordering::SeqCst);
            if word & DONE != 0 {
                // Ended cancelled, or after the request was delivered to a catch
                // region: it took effect. Rejected: the value won.
                return word & REJECTED == 0;
            }
            if word & PENDING == 0 || state != RUNNING {
                // Not running: the next poll sees the request (or it was delivered
                // to a catch region, or uncancelled after delivery).
                return true;
            }
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    pub(crate) fn snapshot(&self) -> TaskSnapshot {
        let (meta, polls) = self.polls();
        TaskSnapshot {
            id: self.id,
            name: self.name().cloned(),
            state: TaskState::from_bits(meta),
            location: self.location(),
            spawned_at: epoch() + Duration::from_millis(meta >> SPAWN_SHIFT & SPAWN_MAX_MS),
            polls,
        }
    }

    /// Decides the outcome: sets `DONE` plus the outcome bits. Returns the final
    /// word, or `None` if it was decided already.
    #[inline]
    pub(super) fn decide(&self, outcome: impl Fn(u32) -> u32) -> Option<u32> {
        let mut cur = self.cancel.load(Ordering::SeqCst);
        loop {
            if cur & DONE != 0 {
                return None;
            }
            let next = (cur | DONE | outcome(cur)) & !(PENDING | CONFIRMED);
            match self
                .cancel
                .compare_exchange_weak(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return Some(next),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Decides the outcome of a poll that returned a value; `start` is the word the
    /// poll began with. A request made before this poll, or from where the task
    /// could not be running, wins over the value; one that raced this very poll
    /// from outside loses (its `cancel()` then answers false). Returns whether the
    /// value is kept.
    #[inline]
    pub(crate) fn decide_value(&self, start: u32) -> bool {
        let word = self.decide(|cur| {
            if cur & PENDING == 0 {
                0
            } else if start & PENDING != 0 || cur & CONFIRMED != 0 {
                OUT_CANCELLED
            } else {
                REJECTED
            }
        });
        !matches!(word, Some(word) if word & OUT_CANCELLED != 0)
    }

    /// Decides that the task ends cancelled, unless the outcome was decided.
    pub(crate) fn decide_cancelled(&self) {
        self.decide(|_| OUT_CANCELLED);
    }

    /// The cancellation message recorded for this task, if any.
    pub(crate) fn message(&self) -> Option<Arc<str>> {
        self.shared_if_any().and_then(|s| s.lock().message.clone())
    }
}

/// How a `cancel()` learns its answer. Outside a task it may wait for a poll in
/// flight on another thread to end, and the value that poll returns wins over the
/// request. Inside a task it waits the same way unless the target is itself waiting
/// in a `cancel()` (or is the caller): then the request is confirmed at once and wins
/// over any value. A task marks itself `SETTLING` before it looks at the target, so
/// of two tasks cancelling each other at least one sees the other's mark.
pub(crate) struct CancelMode {
    confirmed: bool,
    me: Option<&'static Header>,
}

impl CancelMode {
    pub(crate) fn begin(target: &Header) -> CancelMode {
        let Some(me) = current_header() else {
            return CancelMode {
                confirmed: false,
                me: None,
            };
        };
        if std::ptr::eq(me, target) {
            return CancelMode {
                confirmed: true,
                me: None,
            };
        }
        me.cancel.fetch_or(SETTLING, Ordering::SeqCst);
        if target.cancel.load(Ordering::SeqCst) & SETTLING != 0 {
            me.cancel.fetch_and(!SETTLING, Ordering::SeqCst);
            return CancelMode {
                confirmed: true,
                me: None,
            };
        }
        CancelMode {
            confirmed: false,
            me: Some(me),
        }
    }

    pub(crate) fn extra(&self) -> u32 {
        if self.confirmed {
            CONFIRMED
        } else {
            0
        }
    }

    /// The answer for an accepted request; `target` must be kept alive by the caller.
    pub(crate) fn finish(self, target: &Header) -> bool {
        let answer = self.confirmed || target.settle_unconfirmed();
        self.abandon();
        answer
    }

    /// Clears the caller's mark (also when the request was refused).
    pub(crate) fn abandon(self) {
        if let Some(me) = self.me {
            me.cancel.fetch_and(!SETTLING, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};
    use std::time::Duration;

    use super::super::meta::{POLLS_MASK, POLL_BITS};
    use super::Header;
    use crate::{current_task, spawn, yield_now, Runtime};

    /// Every task pays for the header: five words.
    #[test]
    fn the_header_is_five_words() {
        assert_eq!(std::mem::size_of::<Header>(), 40);
    }

    /// The task's output slot holds a `Result<T, TaskError>`: the error takes two
    /// words, and a word-sized value fits beside its tag.
    #[test]
    fn a_task_error_is_two_words() {
        use crate::TaskError;
        assert_eq!(std::mem::size_of::<TaskError>(), 16);
        assert_eq!(std::mem::size_of::<Result<u64, TaskError>>(), 16);
    }

    /// Lets the next poll of a task that is not being polled wrap the poll count's
    /// field (only the poller writes the meta word, and it is not polling).
    fn skip_to_wrap(header: &Header) {
        let meta = header.meta.load(Ordering::Relaxed);
        header.meta.store(meta | POLLS_MASK, Ordering::Relaxed);
    }

    #[test]
    fn the_poll_count_carries_past_the_word() {
        Runtime::new().unwrap().block_on(async {
            // The task records its poll count at each poll and waits for a wake.
            let seen = Arc::new(Mutex::new((Vec::new(), None::<Waker>)));
            let task = spawn({
                let seen = seen.clone();
                std::future::poll_fn(move |cx| {
                    let mut seen = seen.lock().unwrap();
                    seen.0.push(current_task().unwrap().polls);
                    seen.1 = Some(cx.waker().clone());
                    Poll::<()>::Pending
                })
            });
            let polled = |n: usize| {
                let seen = seen.clone();
                async move {
                    for _ in 0..1000 {
                        if seen.lock().unwrap().0.len() >= n {
                            return seen.lock().unwrap().0[n - 1];
                        }
                        yield_now().await;
                    }
                    panic!("the task was not polled {n} times");
                }
            };
            let wake = || seen.lock().unwrap().1.take().unwrap().wake();
            assert_eq!(polled(1).await, 1);
            skip_to_wrap(task.header());
            assert_eq!(task.snapshot().polls, (1 << POLL_BITS) - 1);
            wake();
            assert_eq!(polled(2).await, 1 << POLL_BITS);
            wake();
            assert_eq!(polled(3).await, (1 << POLL_BITS) + 1);
            // Twice: the first carry made the shared part, the second adds to it.
            skip_to_wrap(task.header());
            wake();
            assert_eq!(polled(4).await, 2 << POLL_BITS);
            assert_eq!(task.snapshot().polls, 2 << POLL_BITS);
            assert!(task.cancel());
            assert!(task.await.unwrap_err().is_cancelled());
        });
    }

    #[test]
    fn the_spawn_time_is_kept_to_the_millisecond() {
        Runtime::new().unwrap().block_on(async {
            let before = std::time::Instant::now();
            let task = spawn(async { current_task().unwrap().spawned_at });
            let spawned_at = task.await.unwrap();
            let after = std::time::Instant::now();
            assert!(spawned_at <= after);
            // The loop's cached clock may lag the spawn a little; the kept value
            // rounds down to the millisecond.
            assert!(before.saturating_duration_since(spawned_at) < Duration::from_secs(1));
        });
    }
}
