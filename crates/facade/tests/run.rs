//! `ferrio::run`: runs to completion, returns the value, cancels leftovers and waits
//! for their clean-up before returning.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counts drops, to see that a cancelled task's destructors ran.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn returns_the_value_of_the_main_future() {
    async fn nested() -> u32 {
        42
    }
    assert_eq!(ferrio::run(async { nested().await + 1 }), 43);
}

#[test]
fn main_future_need_not_be_send() {
    let shared = Rc::new(Cell::new(0));
    let inside = Rc::clone(&shared);
    ferrio::run(async move {
        ferrio::yield_now().await;
        inside.set(7);
    });
    assert_eq!(shared.get(), 7);
}

#[test]
fn leftover_tasks_are_cancelled_and_dropped_before_run_returns() {
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let (d, s) = (Arc::clone(&drops), Arc::clone(&started));
    ferrio::run(async move {
        for _ in 0..10 {
            let guard = DropCounter(Arc::clone(&d));
            let s = Arc::clone(&s);
            ferrio::spawn(async move {
                let _guard = guard;
                s.fetch_add(1, Ordering::SeqCst);
                ferrio::sleep(Duration::from_secs(3600)).await;
            })
            .detach();
        }
        ferrio::yield_now().await;
    });
    assert_eq!(started.load(Ordering::SeqCst), 10);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        10,
        "every leftover task was dropped"
    );
}

#[test]
fn tasks_never_polled_are_dropped_too() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    ferrio::run(async move {
        let guard = DropCounter(d);
        ferrio::spawn(async move {
            let _guard = guard;
        })
        .detach();
        // Return before the task had a chance to run.
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panic_in_the_main_future_reaches_the_caller() {
    let result = std::panic::catch_unwind(|| {
        ferrio::run(async {
            ferrio::yield_now().await;
            panic!("main failed");
        })
    });
    let payload = result.expect_err("the panic propagates");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
}

#[test]
fn a_panicking_task_does_not_stop_the_loop() {
    let value = ferrio::run(async {
        let failing = ferrio::spawn(async { panic!("task failed") });
        let error = failing.await.expect_err("the task panicked");
        assert!(error.is_panic());
        assert_eq!(error.panic_message(), Some("task failed"));
        5
    });
    assert_eq!(value, 5);
}

#[test]
fn run_inside_a_runtime_panics_with_the_fix() {
    let result = std::panic::catch_unwind(|| {
        ferrio::run(async {
            ferrio::run(async {});
        })
    });
    let payload = result.expect_err("nested run must panic, not deadlock");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("runtime"), "unclear message: {message}");
}

#[test]
fn sleeps_run_concurrently() {
    // On a virtual clock the answer is exact and the machine's load cannot blur it.
    let runner = ferrio::Runner::builder()
        .clock(ferrio::clock::VirtualClock::auto_advance())
        .build()
        .unwrap();
    let took = runner.run(async {
        let start = ferrio::Handle::current().time();
        ferrio::gather((1..=3).map(|n| ferrio::sleep(Duration::from_secs(n)))).await;
        ferrio::Handle::current().time() - start
    });
    // Three sleeps of 1, 2 and 3 s gathered take 3 s, not the 6 s of awaiting each.
    assert!(took >= Duration::from_secs(3), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn sleeps_run_concurrently_in_real_time() {
    let start = std::time::Instant::now();
    ferrio::run(async {
        ferrio::gather((0..3).map(|_| ferrio::sleep(Duration::from_millis(300)))).await;
    });
    // Generous: run one after another they would take 900 ms.
    assert!(
        start.elapsed() < Duration::from_millis(850),
        "{:?}",
        start.elapsed()
    );
}
