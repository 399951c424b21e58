//! Loom models of the readiness state (`Source`): no lost wake-up between a task
//! registering its waker and the reactor reporting an event, no event lost to a
//! clear that raced with it, and no end-of-stream lost to a short read's clear.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom
//! cargo test -p ferrio-reactor --release --test loom`
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use ferrio_reactor::source::{Source, READABLE, READ_CLOSED, WRITABLE};
use loom::sync::Arc;
use loom::thread;

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
    loom::model(|| {
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

/// A clear based on a snapshot taken before an event must not erase that event.
#[test]
fn a_stale_clear_keeps_a_newer_event() {
    loom::model(|| {
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
                source.set_ready(READABLE, &mut wakers);
            })
        };
        // The operation "would block" and clears with its old snapshot.
        source.clear(READABLE, snapshot);
        reactor.join().unwrap();
        // Whatever the order, the event that came after the snapshot is visible.
        assert!(matches!(
            source.poll_ready(READABLE, &mut cx),
            Poll::Ready(Ok(_))
        ));
    });
}

/// Two directions are independent: an event for writes does not wake a reader,
/// and a reader's clear does not erase write readiness.
#[test]
fn directions_do_not_interfere() {
    loom::model(|| {
        let source = Arc::new(Source::new(0, 0));
        let (_, dummy) = waker();
        let mut cx = Context::from_waker(&dummy);
        let Poll::Ready(Ok(snapshot)) = source.poll_ready(READABLE, &mut cx) else {
            panic!("a new source starts ready");
        };
        let writer_event = {
            let source = source.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                source.set_ready(WRITABLE, &mut wakers);
            })
        };
        source.clear(READABLE, snapshot);
        writer_event.join().unwrap();
        assert!(matches!(
            source.poll_ready(WRITABLE, &mut cx),
            Poll::Ready(Ok(_))
        ));
    });
}

/// The epoll reactor's shortcut: a short read ends read readiness. A FIN (or more
/// data) event racing with that read and its clear must still reach the task:
/// either its next poll sees readiness, or it is woken.
#[test]
fn short_read_vs_rdhup_event_never_loses_the_eof() {
    for event in [READABLE | READ_CLOSED, READABLE] {
        loom::model(move || {
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
    loom::model(|| {
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
