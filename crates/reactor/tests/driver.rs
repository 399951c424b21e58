//! The reactor as a Driver: unparks are never lost, timeouts hold, readiness wakes
//! exactly the waiting waker, each runtime has its own reactor, and I/O objects
//! created outside a runtime fail with a message that names the fix.

mod common;

use std::future::Future;
use std::io::Write;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use ferrio_core::driver::Driver;
use ferrio_reactor::{Async, Reactor};

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
