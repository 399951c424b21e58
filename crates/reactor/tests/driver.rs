//! The reactor as a Driver: unparks are never lost, timeouts hold, readiness wakes
//! exactly the waiting waker, each runtime has its own reactor, and I/O objects
//! created outside a runtime fail with a message that names the fix.

mod common;

use std::future::Future;
use std::io::Write;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use ferrio_core::driver::Driver;
use ferrio_core::Flavor;
use ferrio_reactor::{Async, Reactor, ReactorKind};

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn an_unpark_before_park_is_remembered_once() {
    let reactor = Reactor::new().unwrap();
    reactor.unpark();
    reactor.unpark();
    let started = Instant::now();
    reactor.park(None);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Both unparks collapsed into that one return; a timed park now times out.
    let started = Instant::now();
    reactor.park(Some(Duration::from_millis(20)));
    assert!(started.elapsed() >= Duration::from_millis(15));
}

#[test]
fn an_unpark_from_another_thread_ends_a_blocking_park() {
    let reactor = Reactor::new().unwrap();
    for _ in 0..50 {
        let (tx, rx) = mpsc::channel::<()>();
        let other = reactor.clone();
        let thread = std::thread::spawn(move || {
            rx.recv_timeout(std::time::Duration::from_secs(30))
                .expect("the go within 30 s");
            other.unpark();
        });
        tx.send(()).unwrap();
        // Whether the unpark lands before or during the park, park returns.
        reactor.park(None);
        thread.join().unwrap();
    }
}

#[test]
fn a_zero_timeout_park_only_polls() {
    let reactor = Reactor::new().unwrap();
    let started = Instant::now();
    for _ in 0..100 {
        reactor.park(Some(Duration::ZERO));
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn readiness_wakes_the_registered_waker() {
    let reactor = Reactor::new().unwrap();
    let (a, mut b) = StdUnixStream::pair().unwrap();
    let a = Async::with_reactor(a, &reactor).unwrap();
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0u8; 8];
    {
        let mut read = std::pin::pin!(a.read_with(|s| std::io::Read::read(&mut &*s, &mut buf)));
        assert!(read.as_mut().poll(&mut cx).is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        b.write_all(b"data").unwrap();
        while counter.0.load(Ordering::SeqCst) == 0 {
            reactor.park(Some(Duration::from_secs(5)));
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(matches!(read.as_mut().poll(&mut cx), Poll::Ready(Ok(4))));
    }
    assert_eq!(reactor.source_count(), 1);
    drop(a);
    assert_eq!(reactor.source_count(), 0);
}

#[test]
fn each_runtime_has_its_own_reactor() {
    assert!(Reactor::current().is_none());
    let first = common::runtime(ferrio_core::Flavor::CurrentThread);
    let second = common::runtime(ferrio_core::Flavor::MultiThread);
    let a = first.block_on(async { Reactor::current().unwrap() });
    let b = second.block_on(async {
        ferrio_core::spawn(async { Reactor::current().unwrap() })
            .await
            .unwrap()
    });
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(Reactor::current().is_none());
}

fn message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn creating_io_outside_a_runtime_names_the_fix() {
    let panic = std::panic::catch_unwind(|| {
        let (a, _b) = StdUnixStream::pair().unwrap();
        Async::new(a)
    })
    .unwrap_err();
    assert!(
        message(&panic).contains("ferrio::run"),
        "{}",
        message(&panic)
    );

    let panic = std::panic::catch_unwind(ferrio_reactor::net::UnixStream::pair).unwrap_err();
    assert!(message(&panic).contains("runtime_builder"));
}

#[test]
fn io_left_over_after_shutdown_fails_instead_of_hanging() {
    let rt = common::runtime(ferrio_core::Flavor::CurrentThread);
    let (a, _b) = rt.block_on(async { ferrio_reactor::net::UnixStream::pair().unwrap() });
    drop(rt);
    let mut buf = [0u8; 4];
    let err = futures_lite::future::block_on(futures_lite::AsyncReadExt::read(&mut &a, &mut buf))
        .unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
}

/// A task that yields until `stop` is set, so the single-thread loop always has a
/// ready task and never parks blocking: the reactor is then only polled without
/// blocking. Returns false if it gave up at its deadline instead.
fn keep_the_loop_busy(stop: Arc<AtomicBool>) -> ferrio_core::Task<bool> {
    ferrio_core::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !stop.load(Ordering::SeqCst) {
            if Instant::now() > deadline {
                return false;
            }
            ferrio_core::yield_now().await;
        }
        true
    })
}

#[test]
fn a_source_registered_while_the_loop_runs_is_polled_while_it_stays_busy() {
    for &kind in ReactorKind::available() {
        let rt = common::runtime_with(kind, Flavor::CurrentThread);
        rt.block_on(async {
            // No source yet: the busy loop's non-blocking polls are skipped.
            assert_eq!(Reactor::current().unwrap().source_count(), 0);
            let stop = Arc::new(AtomicBool::new(false));
            let busy = keep_the_loop_busy(stop.clone());
            let (a, mut b) = StdUnixStream::pair().unwrap();
            let a = Async::new(a).unwrap();
            let reader = ferrio_core::spawn(async move {
                let mut buf = [0u8; 1];
                a.read_with(|s| std::io::Read::read(&mut &*s, &mut buf))
                    .await
                    .unwrap();
                buf[0]
            });
            // The reader's first try finds nothing and waits on the poller.
            ferrio_core::yield_now().await;
            b.write_all(b"x").unwrap();
            let got = reader.await.unwrap();
            stop.store(true, Ordering::SeqCst);
            assert_eq!(got, b'x');
            assert!(
                busy.await.unwrap(),
                "{kind:?}: the readiness was only seen once the busy task gave up"
            );
        });
    }
}

#[test]
fn timers_fire_with_no_source_registered_busy_or_idle() {
    for &kind in ReactorKind::available() {
        let rt = common::runtime_with(kind, Flavor::CurrentThread);
        rt.block_on(async {
            assert_eq!(Reactor::current().unwrap().source_count(), 0);
            // Idle: the loop parks blocking until the deadline.
            let started = Instant::now();
            ferrio_core::sleep(Duration::from_millis(20)).await;
            assert!(started.elapsed() >= Duration::from_millis(20));
            // Busy: only the maintenance between polls fires it.
            let stop = Arc::new(AtomicBool::new(false));
            let busy = keep_the_loop_busy(stop.clone());
            ferrio_core::sleep(Duration::from_millis(20)).await;
            stop.store(true, Ordering::SeqCst);
            assert!(
                busy.await.unwrap(),
                "{kind:?}: the timer waited for the busy task"
            );
        });
    }
}

/// Ready once another thread set it; that thread wakes the waker it finds.
#[derive(Default)]
struct Remote {
    done: AtomicBool,
    waker: std::sync::Mutex<Option<Waker>>,
}

impl Remote {
    fn set(&self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

impl Future for &Remote {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.done.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn a_wake_from_another_thread_unparks_a_loop_with_no_source() {
    for &kind in ReactorKind::available() {
        let rt = common::runtime_with(kind, Flavor::CurrentThread);
        for _ in 0..20 {
            let remote = Arc::new(Remote::default());
            let (go, went) = mpsc::channel::<()>();
            let setter = {
                let remote = remote.clone();
                std::thread::spawn(move || {
                    went.recv_timeout(Duration::from_secs(30))
                        .expect("the go within 30 s");
                    remote.set();
                })
            };
            let started = Instant::now();
            let woken = rt.block_on(async {
                assert_eq!(Reactor::current().unwrap().source_count(), 0);
                go.send(()).unwrap();
                // The deadline only bounds a failure: a lost wake would park the
                // loop until it.
                ferrio_core::timeout(Duration::from_secs(30), &*remote).await
            });
            setter.join().unwrap();
            assert!(woken.is_ok(), "{kind:?}: the wake was lost");
            assert!(started.elapsed() < Duration::from_secs(30));
        }
    }
}
