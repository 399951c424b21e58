//! The test suite's one flavour helper, shared by the tests of every crate (each
//! crate's `tests/common` includes this file with `#[path]`): a test body runs as a
//! task spawned on each executor flavour (so on the multi-thread one it runs on a
//! worker, as user code does), under a wall-clock deadline, and a failure names the
//! flavour.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ferrio_core::{Flavor, TaskError};

/// Both flavours, with the names failures give them.
pub const FLAVOURS: [(&str, Flavor); 2] = [
    ("current-thread", Flavor::CurrentThread),
    ("multi-thread", Flavor::MultiThread),
];

/// How long one test body may run before the test binary stops with a message
/// instead of hanging. Generous: the suite runs on loaded machines and in debug.
pub const DEADLINE: Duration = Duration::from_secs(180);

/// The future the helper gives each flavour's runtime to block on.
pub type Main = Pin<Box<dyn Future<Output = ()>>>;

/// The name of `flavor` in failure messages.
pub fn flavour_name(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::CurrentThread => "current-thread",
        Flavor::MultiThread => "multi-thread",
    }
}

/// Runs the future `body(flavor)` makes as a task spawned on each flavour, one
/// after the other. `block_on(flavor, main)` builds a fresh runtime of that flavour
/// and blocks on `main`, which spawns the body and awaits it. `label` (a reactor
/// kind, a clock) is added to the flavour's name in failures.
///
/// A panic in the body fails the test with its message and the flavour; a body
/// that does not finish within [`DEADLINE`] stops the test binary with a message
/// naming the test and the flavour (a hung task cannot be stopped from outside).
pub fn on_each_flavour_with<B, F, Fut>(label: &str, block_on: B, body: F)
where
    B: Fn(Flavor, Main),
    F: Fn(Flavor) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for (name, flavor) in FLAVOURS {
        let name = format!("{name}{label}");
        let deadline = Deadline::start(&name);
        let future = body(flavor);
        let failure_name = name.clone();
        block_on(
            flavor,
            Box::pin(async move {
                if let Err(error) = ferrio_core::spawn(future).await {
                    fail(&failure_name, error);
                }
            }),
        );
        drop(deadline);
    }
}

/// Fails the test with what ended the body, naming the flavour.
fn fail(flavour: &str, error: TaskError) -> ! {
    match error.try_into_panic() {
        Ok(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(a panic without a message)");
            panic!("on the {flavour} flavour: {message}")
        }
        Err(other) => panic!("on the {flavour} flavour: the test body ended with {other}"),
    }
}

/// A wall-clock deadline for one test body: if it is still armed after
/// [`DEADLINE`], the test binary prints what hung and aborts. Dropping it disarms it.
/// Under miri, whose clock is not the wall clock, it does nothing.
pub struct Deadline {
    done: Arc<(Mutex<bool>, Condvar)>,
}

impl Deadline {
    /// Arms a deadline for the current test on `flavour`.
    pub fn start(flavour: &str) -> Deadline {
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        if cfg!(miri) {
            return Deadline { done };
        }
        // libtest names each test's thread after the test.
        let test = std::thread::current()
            .name()
            .unwrap_or("a test")
            .to_string();
        let what = format!("{test} on the {flavour} flavour");
        let watched = Arc::clone(&done);
        std::thread::Builder::new()
            .name("test-deadline".into())
            .spawn(move || {
                let (lock, finished) = &*watched;
                let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                let (guard, _) = finished
                    .wait_timeout_while(guard, DEADLINE, |done| !*done)
                    .unwrap_or_else(|e| e.into_inner());
                if !*guard {
                    eprintln!(
                        "{what}: no result within {DEADLINE:?}: a wait never ended \
                         (a lost wake-up?); stopping the test binary"
                    );
                    std::process::abort();
                }
            })
            .expect("the deadline thread starts");
        Deadline { done }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        let (lock, finished) = &*self.done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        finished.notify_all();
    }
}

/// How long [`within_wall_clock`] lets a wait last.
pub const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// `future`, failing with "`what`: not within 60 s" once it has been pending that
/// long in wall-clock time, whatever clock the runtime uses (a virtual clock never
/// moves a wall-clock deadline, and an auto-advancing one cannot fire it early). A
/// shared timer thread wakes the waiter at the deadline, so a lost wake-up fails
/// instead of hanging. Under miri it is `future` alone.
pub fn within_wall_clock<F: Future>(
    what: &'static str,
    future: F,
) -> impl Future<Output = F::Output> {
    let mut future = Box::pin(future);
    let mut deadline = None;
    std::future::poll_fn(move |cx| {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(cx) {
            return std::task::Poll::Ready(out);
        }
        if cfg!(miri) {
            // Miri's clock is not the wall clock, and it runs far slower.
            return std::task::Poll::Pending;
        }
        let now = std::time::Instant::now();
        let at = *deadline.get_or_insert(now + WAIT_LIMIT);
        assert!(now < at, "{what}: not within {WAIT_LIMIT:?}");
        wake_at(at, cx.waker().clone());
        std::task::Poll::Pending
    })
}

/// Wakes `waker` at `at` from a shared timer thread.
fn wake_at(at: std::time::Instant, waker: std::task::Waker) {
    use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
    use std::sync::OnceLock;
    static TIMER: OnceLock<Mutex<Sender<(std::time::Instant, std::task::Waker)>>> = OnceLock::new();
    let sender = TIMER.get_or_init(|| {
        let (tx, rx) = channel::<(std::time::Instant, std::task::Waker)>();
        std::thread::Builder::new()
            .name("test-wait-deadlines".into())
            .spawn(move || {
                let mut pending: Vec<(std::time::Instant, std::task::Waker)> = Vec::new();
                loop {
                    let now = std::time::Instant::now();
                    pending.retain(|(at, waker)| {
                        let due = *at <= now;
                        if due {
                            waker.wake_by_ref();
                        }
                        !due
                    });
                    let next = pending.iter().map(|(at, _)| *at).min();
                    let received = match next {
                        Some(at) => rx.recv_timeout(at.saturating_duration_since(now)),
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match received {
                        Ok(entry) => pending.push(entry),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .expect("the wait-deadline thread starts");
        Mutex::new(tx)
    });
    let _ = sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((at, waker));
}
