//! `Handle`'s loop calls: call_soon, call_later, call_at, call_soon_threadsafe, time,
//! on both flavours (orders are asyncio's on the current-thread one; on the
//! multi-thread one callbacks may run in parallel, so only what ran is checked).

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use ferrio::Flavor;

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
    common::on_each_flavour(|flavor| async move {
        let log = Log::default();
        let handle = ferrio::Handle::current();
        let callbacks = [
            handle.call_soon(push(&log, "first")),
            handle.call_soon(push(&log, "second")),
            handle.call_soon(push(&log, "third")),
        ];
        if flavor == Flavor::CurrentThread {
            assert!(
                log.lock().unwrap().is_empty(),
                "callbacks wait for the loop"
            );
        }
        common::until("the callbacks ran", || {
            callbacks.iter().all(|c| c.is_finished())
        })
        .await;
        let mut ran = log.lock().unwrap().clone();
        if flavor == Flavor::MultiThread {
            ran.sort_unstable(); // the written order is also the alphabetical one
        }
        assert_eq!(ran, ["first", "second", "third"]);
    });
}

#[test]
fn call_later_and_call_at_run_in_deadline_order_and_not_before() {
    common::on_each_flavour(|flavor| async move {
        let fired: Arc<Mutex<Vec<(&'static str, Duration)>>> = Arc::default();
        let f = Arc::clone(&fired);
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
        common::until("the last callback ran", || late.is_finished()).await;
        // On the multi-thread flavour two callbacks found due together may run in
        // parallel, in either order.
        common::until("every callback ran", || fired.lock().unwrap().len() == 3).await;
        let fired = fired.lock().unwrap();
        let mut words: Vec<_> = fired.iter().map(|(word, _)| *word).collect();
        if flavor == Flavor::MultiThread {
            words.sort_unstable(); // the deadline order is also the alphabetical one
        }
        assert_eq!(words, ["10ms", "20ms", "30ms"]);
        for (word, at) in fired.iter() {
            let due = Duration::from_millis(word.trim_end_matches("ms").parse().unwrap());
            assert!(*at >= due, "{word} ran early, at {at:?}");
        }
    });
}

#[test]
fn callbacks_follow_a_virtual_clock() {
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        let clock = ferrio::clock::VirtualClock::auto_advance();
        let runner = common::builder(flavor)
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
        assert_eq!(*log.lock().unwrap(), ["a minute", "an hour"], "{flavor:?}");
        assert!(clock.elapsed() >= Duration::from_secs(7200), "{flavor:?}");
    }
}

#[test]
fn a_cancelled_callback_never_runs() {
    common::on_each_flavour(|flavor| async move {
        let log = Log::default();
        let handle = ferrio::Handle::current();
        let soon = handle.call_soon(push(&log, "soon"));
        let later = handle.call_later(Duration::from_millis(5), push(&log, "later"));
        // On the multi-thread flavour a worker may have run the first already: then
        // `cancel` says so.
        let soon_cancelled = soon.cancel();
        assert!(soon_cancelled || flavor == Flavor::MultiThread);
        assert!(later.cancel());
        assert_eq!(soon.when(), None);
        common::until("both callbacks ended", || {
            soon.is_finished() && later.is_finished()
        })
        .await;
        let expected: &[&str] = if soon_cancelled { &[] } else { &["soon"] };
        assert_eq!(*log.lock().unwrap(), expected);
    });
}

#[test]
fn cancelling_after_the_callback_ran_reports_false() {
    common::on_each_flavour(|_| async {
        let handle = ferrio::Handle::current();
        let ran = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&ran);
        let callback = handle.call_soon(move || r.store(true, Ordering::SeqCst));
        common::until("the callback ran", || callback.is_finished()).await;
        assert!(ran.load(Ordering::SeqCst));
        assert!(!callback.cancel(), "too late to cancel");
    });
}

#[test]
fn dropping_the_callback_handle_does_not_cancel() {
    common::on_each_flavour(|_| async move {
        let log = Log::default();
        drop(ferrio::Handle::current().call_later(Duration::from_millis(2), push(&log, "ran")));
        common::until("the callback ran", || !log.lock().unwrap().is_empty()).await;
        assert_eq!(*log.lock().unwrap(), ["ran"]);
    });
}

#[test]
fn call_soon_threadsafe_wakes_a_parked_loop() {
    for runner in common::runners() {
        let handle = runner.handle();
        let flag = Arc::new(Flag::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let f = Arc::clone(&flag);
        let other = std::thread::spawn(move || {
            // Only once the loop is about to park on the flag.
            ready_rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the loop started within 30 s");
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
    common::on_each_flavour(|_| async move {
        let log = Log::default();
        let handle = ferrio::Handle::current();
        let failing = handle.call_soon(|| panic!("callback failed"));
        let after = handle.call_soon(push(&log, "after"));
        common::until("both callbacks ended", || {
            failing.is_finished() && after.is_finished()
        })
        .await;
        assert_eq!(*log.lock().unwrap(), ["after"]);
    });
}

#[test]
fn time_follows_the_loop_clock() {
    common::on_each_flavour(|_| async {
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
    for runner in common::runners_with(|b| b.clock(ferrio::clock::VirtualClock::auto_advance())) {
        let fired: Arc<Mutex<Vec<(&'static str, Duration)>>> = Arc::default();
        let f = Arc::clone(&fired);
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
}
