//! `Handle::block_on`: a thread outside the runtime blocks on a future of its own,
//! with the runtime entered, so `spawn`, timers and I/O inside the future use it.
//!
//! The future is polled on the calling thread (it may borrow locals and need not be
//! `Send`); between polls the thread waits:
//!
//! - **multi-thread**: on its own parker; the workers fire the timers and poll the
//!   driver, and the future's wakers unpark the thread.
//! - **single-thread**: on its own parker while another thread runs the loop (which
//!   fires the timers and polls the driver). While nobody runs it, the guest drives
//!   the timers and the driver itself (it does not run the runtime's tasks: they wait
//!   for the next `Runtime::block_on`, as `!Send` ones must stay on the loop's
//!   thread); a `Runtime::block_on` that starts meanwhile takes the driver back at the
//!   guest's next wake-up, and when the loop stops, waiting guests take over.
//!
//! When the runtime shuts down under a waiting guest, the guest fires the timers
//! itself from then on (the runtime's driver is shut down: its I/O fails).
//!
//! With a self-advancing virtual clock the guest counts as work in flight while it
//! runs its future (from the wake that ends a wait, as the multi-thread `block_on`
//! does), so the clock never jumps under a poll.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use super::context;
use super::current_thread::{free_driver, lock, LoopQueue, ParkFlag, FREE, GUEST};
use super::shared::{Scheduler, Shared};
use super::step;
use crate::clock::IdleAction;

struct GuestWake {
    shared: Arc<Shared>,
    thread: Thread,
    woken: AtomicBool,
    /// Waiting, not counted as work in flight.
    waiting: AtomicBool,
    /// Parked in the driver (single-thread, nobody running the loop): the loop's
    /// own handshake (and its loom model), with `woken` as the queue.
    in_driver: ParkFlag,
}

impl GuestWake {
    /// Counts the guest as work in flight again, once per wait.
    fn activate(&self) {
        if self.waiting.swap(false, Ordering::SeqCst) {
            self.shared.in_flight.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn deactivate(&self) {
        if self.waiting.swap(true, Ordering::SeqCst) {
            return;
        }
        if self.shared.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 && self.shared.auto_advance {
            self.shared.unpark_driver();
        }
    }
}

impl Wake for GuestWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.activate();
        self.woken.store(true, Ordering::SeqCst);
        self.in_driver.notify(|| self.shared.driver.unpark());
        self.thread.unpark();
    }
}

/// Leaves the guest's accounting on every exit, a panic of the future included.
struct Exit<'a>(&'a GuestWake, &'a Waker);

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        lock(&self.0.shared.guests).retain(|w| !w.will_wake(self.1));
        if !self.0.waiting.swap(true, Ordering::SeqCst) {
            self.0.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[track_caller]
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let _enter = context::enter_guest(shared);
    shared.in_flight.fetch_add(1, Ordering::SeqCst);
    let state = Arc::new(GuestWake {
        shared: shared.clone(),
        thread: thread::current(),
        woken: AtomicBool::new(false),
        waiting: AtomicBool::new(false),
        in_driver: ParkFlag::new(),
    });
    let waker = Waker::from(state.clone());
    lock(&shared.guests).push(waker.clone());
    let _exit = Exit(&state, &waker);
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        state.woken.store(false, Ordering::SeqCst);
        state.activate();
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        while !state.woken.load(Ordering::SeqCst) {
            state.deactivate();
            if state.woken.load(Ordering::SeqCst) {
                break;
            }
            if shared.finished.load(Ordering::SeqCst) {
                wait_after_shutdown(shared, &state);
                continue;
            }
            match &shared.scheduler {
                Scheduler::Multi(_) => thread::park(),
                Scheduler::Current(q) => wait_current(shared, q, &state, &waker),
            }
        }
    }
}

/// One wait of a guest of the single-thread flavour.
fn wait_current(shared: &Shared, q: &LoopQueue, state: &GuestWake, waker: &Waker) {
    let took = !q.wanted.load(Ordering::SeqCst)
        && q.driving
            .compare_exchange(FREE, GUEST, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
    if !took {
        {
            let mut guests = lock(&q.guests);
            if !guests.iter().any(|w| w.will_wake(waker)) {
                guests.push(waker.clone());
            }
        }
        // Pairs with `free_driver`, which frees the driver before it takes the
        // list: either it wakes this guest, or this guest sees the driver free.
        if q.driving.load(Ordering::SeqCst) == FREE && !q.wanted.load(Ordering::SeqCst) {
            return;
        }
        thread::park();
        return;
    }
    struct Release<'a>(&'a LoopQueue);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            free_driver(self.0);
        }
    }
    let _release = Release(q);
    if context::fire_due_in_order(shared) > 0 {
        return;
    }
    // A wake of this guest after the flag went up unparks the driver, as does a
    // `block_on` that wants it back: an unpark before the park makes it return
    // at once.
    let woken = || state.woken.load(Ordering::SeqCst);
    state
        .in_driver
        .park(woken, || step::park_in_driver(shared, || true, None, woken));
    context::fire_due_in_order(shared);
}

/// One wait of a guest after the runtime shut down: nobody else fires the timers.
fn wait_after_shutdown(shared: &Shared, state: &GuestWake) {
    if shared.time.fire_due() > 0 || state.woken.load(Ordering::SeqCst) {
        return;
    }
    let deadline = shared.time.parking();
    match shared.time.clock.idle(deadline) {
        IdleAction::Advanced => {}
        IdleAction::Park(Some(timeout)) => thread::park_timeout(timeout),
        IdleAction::Park(None) => thread::park(),
    }
    shared.time.unparked();
    shared.time.fire_due();
}

/// Wakes every guest (shutdown finished: they take over their timers).
pub(crate) fn wake_all(shared: &Shared) {
    let guests = lock(&shared.guests).clone();
    for g in guests {
        g.wake();
    }
}
