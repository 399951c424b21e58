//! Loom models of the reactor's two lock-free protocols.
//!
//! - The readiness state ([`Source`]): no lost wake-up between a task registering
//!   its waker and the reactor reporting an event, no event lost to a clear that
//!   raced with it, and no end-of-stream lost to a short read's clear.
//! - The park state ([`ParkState`]): an unpark from another thread while the
//!   reactor parks is never lost.
//!
//! Run: `cargo xtask loom`, or `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2
//! CARGO_TARGET_DIR=target/loom cargo test -p ferrio-reactor --release --lib loom`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use ::loom::sync::atomic::AtomicBool;
use ::loom::sync::{Arc, Condvar, Mutex};
use ::loom::thread;

use crate::reactor::ParkState;
use crate::source::{Source, READABLE, READ_CLOSED, WRITABLE};

struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn waker() -> (std::sync::Arc<Flag>, Waker) {
    let flag = std::sync::Arc::new(Flag(AtomicUsize::new(0)));
    let waker = Waker::from(flag.clone());
    (flag, waker)
}

/// A task that found the source not ready either sees the event or is woken.
#[test]
fn register_vs_event_never_loses_the_wakeup() {
    ::loom::model(|| {
        let source = Arc::new(Source::new(0, 0));
        // Start from "not readable": a WouldBlock cleared the bit.
        let (_, dummy) = waker();
        let Poll::Ready(Ok(snapshot)) =
            source.poll_ready(READABLE, &mut Context::from_waker(&dummy))
        else {
            panic!("a new source starts ready");
        };
        source.clear(READABLE, snapshot);

        let reactor = {
            let source = source.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                source.set_ready(READABLE, &mut wakers);
                let woken = wakers.len();
                for w in wakers {
                    w.wake();
                }
                woken
            })
        };
        let (flag, task_waker) = waker();
        let polled = source.poll_ready(READABLE, &mut Context::from_waker(&task_waker));
        reactor.join().unwrap();
        match polled {
            Poll::Ready(result) => assert!(result.unwrap() & READABLE != 0),
            Poll::Pending => assert_eq!(flag.0.load(Ordering::SeqCst), 1, "lost wake-up"),
        }
    });
}

/// A reader's clear, from a snapshot taken before `event` arrives on another
/// thread, races with that event; whatever the order, `direction` is ready after.
fn clear_racing_an_event_keeps(event: usize, direction: usize) {
    ::loom::model(move || {
        let source = Arc::new(Source::new(0, 0));
        let (_, dummy) = waker();
        let mut cx = Context::from_waker(&dummy);
        let Poll::Ready(Ok(snapshot)) = source.poll_ready(READABLE, &mut cx) else {
            panic!("a new source starts ready");
        };
        let reactor = {
            let source = source.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                source.set_ready(event, &mut wakers);
            })
        };
        // The operation "would block" and clears with its old snapshot.
        source.clear(READABLE, snapshot);
        reactor.join().unwrap();
        assert!(matches!(
            source.poll_ready(direction, &mut cx),
            Poll::Ready(Ok(_))
        ));
    });
}

/// A clear based on a snapshot taken before an event must not erase that event.
#[test]
fn a_stale_clear_keeps_a_newer_event() {
    clear_racing_an_event_keeps(READABLE, READABLE);
}

/// Two directions are independent: a reader's clear does not erase write
/// readiness that arrives meanwhile.
#[test]
fn directions_do_not_interfere() {
    clear_racing_an_event_keeps(WRITABLE, WRITABLE);
}

/// The epoll reactor's shortcut: a short read ends read readiness. A FIN (or more
/// data) event racing with that read and its clear must still reach the task:
/// either its next poll sees readiness, or it is woken.
#[test]
fn short_read_vs_rdhup_event_never_loses_the_eof() {
    for event in [READABLE | READ_CLOSED, READABLE] {
        ::loom::model(move || {
            let source = Arc::new(Source::new(0, 0));
            let (flag, task_waker) = waker();
            let mut cx = Context::from_waker(&task_waker);
            // The read: snapshot, then the read syscall, during or after which the
            // event arrives (one before the snapshot is data the read consumed, or
            // a sticky READ_CLOSED: the next model), then the clear.
            let Poll::Ready(Ok(snapshot)) = source.poll_ready(READABLE, &mut cx) else {
                panic!("a new source starts ready");
            };
            let reactor = {
                let source = source.clone();
                thread::spawn(move || {
                    let mut wakers = Vec::new();
                    source.set_ready(event, &mut wakers);
                    for w in wakers {
                        w.wake();
                    }
                })
            };
            source.clear_after_drained_read(snapshot);
            // The next read waits for readiness.
            let polled = source.poll_ready(READABLE, &mut cx);
            reactor.join().unwrap();
            match polled {
                Poll::Ready(result) => assert!(result.unwrap() & READABLE != 0),
                Poll::Pending => assert_eq!(flag.0.load(Ordering::SeqCst), 1, "lost EOF"),
            }
        });
    }
}

/// Once the read side is closed, no short read ends readiness, even when the
/// snapshot is current (no event since): the EOF raises no further edge.
#[test]
fn a_closed_read_side_keeps_readiness_through_short_reads() {
    ::loom::model(|| {
        let source = Arc::new(Source::new(0, 0));
        source.set_ready(READABLE | READ_CLOSED, &mut Vec::new());
        // A write event (which bumps the tick) races with the reader.
        let writer_event = {
            let source = source.clone();
            thread::spawn(move || source.set_ready(WRITABLE, &mut Vec::new()))
        };
        let (_, dummy) = waker();
        let mut cx = Context::from_waker(&dummy);
        for _ in 0..2 {
            let Poll::Ready(Ok(snapshot)) = source.poll_ready(READABLE, &mut cx) else {
                panic!("readiness was lost");
            };
            assert!(snapshot & READ_CLOSED != 0);
            source.clear_after_drained_read(snapshot);
        }
        writer_event.join().unwrap();
        assert!(matches!(
            source.poll_ready(READABLE, &mut cx),
            Poll::Ready(Ok(_))
        ));
    });
}

/// The poller as the park state sees it: `notify` leaves a token that makes the
/// current wait, or the next one, return (an eventfd); a blocking wait with no token
/// blocks, so a lost unpark shows up as a loom deadlock.
struct FakePoller {
    token: Mutex<bool>,
    notified: Condvar,
}

impl FakePoller {
    fn new() -> Self {
        FakePoller {
            token: Mutex::new(false),
            notified: Condvar::new(),
        }
    }

    fn notify(&self) {
        *self.token.lock().unwrap() = true;
        self.notified.notify_one();
    }

    fn wait(&self, blocking: bool) {
        let mut token = self.token.lock().unwrap();
        while blocking && !*token {
            token = self.notified.wait(token).unwrap();
        }
        *token = false;
    }
}

/// The reactor's side of the protocol: `Reactor::park` and `Reactor::unpark`
/// over the fake poller.
struct Parker {
    state: ParkState,
    poller: FakePoller,
}

impl Parker {
    fn new() -> Self {
        Parker {
            state: ParkState::new(),
            poller: FakePoller::new(),
        }
    }

    fn park(&self, blocking: bool) {
        let _ = self.state.park(blocking, || self.poller.wait(blocking));
    }

    fn unpark(&self) {
        if self.state.unpark() {
            self.poller.notify();
        }
    }
}

/// A task woken from another thread (its work published, then an unpark) while the
/// reactor parks: the parker sees the work or returns from its wait.
#[test]
fn an_unpark_while_the_reactor_parks_is_never_lost() {
    ::loom::model(|| {
        let parker = Arc::new(Parker::new());
        let work = Arc::new(AtomicBool::new(false));
        let waker = {
            let (parker, work) = (parker.clone(), work.clone());
            thread::spawn(move || {
                work.store(true, ::loom::sync::atomic::Ordering::Release);
                parker.unpark();
            })
        };
        // The executor's loop: look for work, park when there is none.
        while !work.load(::loom::sync::atomic::Ordering::Acquire) {
            parker.park(true);
        }
        waker.join().unwrap();
    });
}

/// Two wakers on two threads, each publishing its own work: the parker finds both,
/// however the unparks interleave with its waits and with each other.
#[test]
fn two_unparks_from_two_threads_are_never_lost() {
    ::loom::model(|| {
        let parker = Arc::new(Parker::new());
        let work = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let wakers: Vec<_> = (0..2)
            .map(|i| {
                let (parker, work) = (parker.clone(), work.clone());
                thread::spawn(move || {
                    work[i].store(true, ::loom::sync::atomic::Ordering::Release);
                    parker.unpark();
                })
            })
            .collect();
        let mut seen = [false; 2];
        loop {
            for (i, w) in work.iter().enumerate() {
                seen[i] |= w.load(::loom::sync::atomic::Ordering::Acquire);
            }
            if seen == [true, true] {
                break;
            }
            parker.park(true);
        }
        for w in wakers {
            w.join().unwrap();
        }
    });
}

/// A poll (a zero-timeout park) between the work checks consumes a pending unpark:
/// the unpark must not be lost to it, nor leave the next blocking park stuck.
#[test]
fn a_poll_that_consumes_an_unpark_loses_nothing() {
    ::loom::model(|| {
        let parker = Arc::new(Parker::new());
        let work = Arc::new(AtomicBool::new(false));
        let waker = {
            let (parker, work) = (parker.clone(), work.clone());
            thread::spawn(move || {
                work.store(true, ::loom::sync::atomic::Ordering::Release);
                parker.unpark();
            })
        };
        parker.park(false);
        while !work.load(::loom::sync::atomic::Ordering::Acquire) {
            parker.park(true);
        }
        waker.join().unwrap();
    });
}

/// An unpark with no work behind it, before any park, makes exactly the next
/// blocking park return at once (nobody else would wake it here).
#[test]
fn an_early_unpark_makes_the_next_park_return() {
    ::loom::model(|| {
        let parker = Arc::new(Parker::new());
        let waker = {
            let parker = parker.clone();
            thread::spawn(move || parker.unpark())
        };
        waker.join().unwrap();
        parker.park(true);
    });
}
