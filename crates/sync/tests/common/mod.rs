//! Test helpers: poll a future by hand with a waker that records whether it was woken,
//! so tests can drive exact interleavings without an executor or any sleeping.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts its wake-ups.
#[derive(Default)]
pub struct Probe {
    wakes: AtomicUsize,
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future under test with its own probe waker.
pub struct Polled<F> {
    pub future: Pin<Box<F>>,
    probe: Arc<Probe>,
}

impl<F: Future> Polled<F> {
    pub fn new(future: F) -> Self {
        Self {
            future: Box::pin(future),
            probe: Arc::new(Probe::default()),
        }
    }

    /// Polls once with this future's probe.
    pub fn poll(&mut self) -> Poll<F::Output> {
        let waker = Waker::from(Arc::clone(&self.probe));
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }

    /// Polls once, expecting the future to be pending.
    pub fn pending(mut self) -> Self {
        assert!(self.poll().is_pending(), "expected the future to wait");
        self
    }

    /// Polls once, expecting a value.
    pub fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }

    /// How many times its waker was woken (and resets the count).
    pub fn take_wakes(&self) -> usize {
        self.probe.wakes.swap(0, Ordering::SeqCst)
    }

    /// Whether its waker was woken since the last check.
    pub fn woken(&self) -> bool {
        self.take_wakes() > 0
    }
}

/// Starts `future` and expects it to wait.
pub fn parked<F: Future>(future: F) -> Polled<F> {
    Polled::new(future).pending()
}

/// Iteration counts shrink under miri, which runs tests very slowly.
pub fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        (n / 1000).max(10)
    } else {
        n
    }
}

/// A thread whose result is awaited with a deadline, so a lost wake-up fails the test
/// with a message instead of hanging it.
pub struct Deadlined<T>(std::sync::mpsc::Receiver<std::thread::Result<T>>);

/// Runs `f` on a new thread; see [`Deadlined::join`].
pub fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Deadlined<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    Deadlined(rx)
}

impl<T> Deadlined<T> {
    /// The thread's result; fails the test if it is not done within 30 s.
    pub fn join(self, what: &str) -> T {
        match self.0.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("{what}: not done within 30 s (a lost wake-up?)"),
        }
    }
}
