//! `Handle`'s loop calls: call_soon, call_later, call_at, call_soon_threadsafe, time.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn push(log: &Log, word: &'static str) -> impl FnOnce() + Send + 'static {
    let log = Arc::clone(log);
    move || log.lock().unwrap().push(word)
}

/// A flag a callback raises and a future waits for: the loop parks on it.
#[derive(Default)]
struct Flag {
    raised: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Flag {
    fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }

    fn wait(self: &Arc<Self>) -> impl Future<Output = ()> {
        let flag = Arc::clone(self);
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            *flag.waker.lock().unwrap() = Some(cx.waker().clone());
            if flag.raised.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// Fails the test instead of hanging it when a wake-up is lost.
async fn within<F: Future>(limit: Duration, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match ferrio::timeout(limit, Pin::as_mut(&mut future)).await {
        Ok(value) => value,
        Err(_) => panic!("not done within {limit:?}: a wake-up was lost"),
    }
}

#[test]
fn call_soon_runs_callbacks_in_order() {
    let log = Log::default();
    let l = Arc::clone(&log);
    ferrio::run(async move {
        let handle = ferrio::Handle::current();
        handle.call_soon(push(&l, "first"));
        handle.call_soon(push(&l, "second"));
        handle.call_soon(push(&l, "third"));
        assert!(l.lock().unwrap().is_empty(), "callbacks wait for the loop");
        ferrio::sleep(Duration::from_millis(1)).await;
    });
    assert_eq!(*log.lock().unwrap(), ["first", "second", "third"]);
}

#[test]
fn call_later_and_call_at_run_in_deadline_order_and_not_before() {
    let fired: Arc<Mutex<Vec<(&'static str, Duration)>>> = Arc::default();
    let f = Arc::clone(&fired);
    ferrio::run(async move {
        let handle = ferrio::Handle::current();
        let start = handle.time();
        let record = |word: &'static str| {
            let (f, h) = (Arc::clone(&f), handle.clone());
            move || f.lock().unwrap().push((word, h.time() - start))
        };
        let late = handle.call_later(Duration::from_millis(30), record("30ms"));
        handle.call_at(start + Duration::from_millis(10), record("10ms"));
        handle.call_later(Duration::from_millis(20), record("20ms"));
        assert!(late.when().unwrap() >= start + Duration::from_millis(30));
        assert!(!late.is_finished());
        while !late.is_finished() {
            ferrio::sleep(Duration::from_millis(5)).await;
        }
    });
    let fired = fired.lock().unwrap();
    let words: Vec<_> = fired.iter().map(|(word, _)| *word).collect();
    assert_eq!(words, ["10ms", "20ms", "30ms"]);
    for (word, at) in fired.iter() {
        let due = Duration::from_millis(word.trim_end_matches("ms").parse().unwrap());
        assert!(*at >= due, "{word} ran early, at {at:?}");
    }
}

#[test]
fn callbacks_follow_a_virtual_clock() {
    let clock = ferrio::clock::VirtualClock::auto_advance();
    let runner = ferrio::Runner::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    let log = Log::default();
    let l = Arc::clone(&log);
    runner.run(async move {
        let handle = ferrio::Handle::current();
        handle.call_later(Duration::from_secs(3600), push(&l, "an hour"));
        handle.call_later(Duration::from_secs(60), push(&l, "a minute"));
        ferrio::sleep(Duration::from_secs(7200)).await;
    });
    assert_eq!(*log.lock().unwrap(), ["a minute", "an hour"]);
    assert!(clock.elapsed() >= Duration::from_secs(7200));
}

#[test]
fn a_cancelled_callback_never_runs() {
    let log = Log::default();
    let l = Arc::clone(&log);
    ferrio::run(async move {
        let handle = ferrio::Handle::current();
        let soon = handle.call_soon(push(&l, "soon"));
        let later = handle.call_later(Duration::from_millis(5), push(&l, "later"));
        assert!(soon.cancel());
        assert!(later.cancel());
        assert_eq!(soon.when(), None);
        ferrio::sleep(Duration::from_millis(20)).await;
    });
    assert!(log.lock().unwrap().is_empty());
}

#[test]
fn cancelling_after_the_callback_ran_reports_false() {
    ferrio::run(async {
        let handle = ferrio::Handle::current();
        let ran = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&ran);
        let callback = handle.call_soon(move || r.store(true, Ordering::SeqCst));
        while !callback.is_finished() {
            ferrio::yield_now().await;
        }
        assert!(ran.load(Ordering::SeqCst));
        assert!(!callback.cancel(), "too late to cancel");
    });
}

#[test]
fn dropping_the_callback_handle_does_not_cancel() {
    let log = Log::default();
    let l = Arc::clone(&log);
    ferrio::run(async move {
        drop(ferrio::Handle::current().call_later(Duration::from_millis(2), push(&l, "ran")));
        ferrio::sleep(Duration::from_millis(10)).await;
    });
    assert_eq!(*log.lock().unwrap(), ["ran"]);
}

#[test]
fn call_soon_threadsafe_wakes_a_parked_loop() {
    for runner in [
        ferrio::Runner::new(),
        ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ] {
        let handle = runner.handle();
        let flag = Arc::new(Flag::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let f = Arc::clone(&flag);
        let other = std::thread::spawn(move || {
            // Only once the loop is about to park on the flag.
            ready_rx.recv().unwrap();
            handle.call_soon_threadsafe(move || f.raise());
        });
        runner.run(async {
            ready_tx.send(()).unwrap();
            // Nothing else is scheduled: the loop parks until the callback arrives.
            within(Duration::from_secs(20), flag.wait()).await;
        });
        other.join().unwrap();
    }
}

#[test]
fn a_panicking_callback_does_not_stop_the_loop() {
    let log = Log::default();
    let l = Arc::clone(&log);
    ferrio::run(async move {
        let handle = ferrio::Handle::current();
        handle.call_soon(|| panic!("callback failed"));
        handle.call_soon(push(&l, "after"));
        ferrio::sleep(Duration::from_millis(5)).await;
    });
    assert_eq!(*log.lock().unwrap(), ["after"]);
}

#[test]
fn time_follows_the_loop_clock() {
    ferrio::run(async {
        let handle = ferrio::Handle::current();
        let before = handle.time();
        ferrio::sleep(Duration::from_millis(20)).await;
        let slept = handle.time() - before;
        assert!(slept >= Duration::from_millis(20), "{slept:?}");
        assert!(slept < Duration::from_secs(10), "{slept:?}");
    });
}

#[test]
fn current_outside_a_runtime_names_the_fix() {
    assert!(ferrio::Handle::try_current().is_none());
    let payload = std::panic::catch_unwind(ferrio::Handle::current).expect_err("no runtime here");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("ferrio::run"), "{message}");
}

#[test]
fn callbacks_due_at_the_same_time_all_run_then() {
    // asyncio leaves their order unspecified; what holds is that each runs once,
    // and not before it is due.
    let fired: Arc<Mutex<Vec<(&'static str, Duration)>>> = Arc::default();
    let f = Arc::clone(&fired);
    let runner = ferrio::Runner::builder()
        .clock(ferrio::clock::VirtualClock::auto_advance())
        .build()
        .unwrap();
    runner.run(async move {
        let handle = ferrio::Handle::current();
        let start = handle.time();
        for word in ["a", "b", "c", "d"] {
            let (f, h) = (Arc::clone(&f), handle.clone());
            handle.call_at(start + Duration::from_secs(1), move || {
                f.lock().unwrap().push((word, h.time() - start))
            });
        }
        ferrio::sleep(Duration::from_secs(2)).await;
    });
    let fired = fired.lock().unwrap();
    let mut words: Vec<_> = fired.iter().map(|(word, _)| *word).collect();
    words.sort_unstable();
    assert_eq!(words, ["a", "b", "c", "d"]);
    assert!(fired.iter().all(|(_, at)| *at >= Duration::from_secs(1)));
}
