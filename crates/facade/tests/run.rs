//! `ferrio::run`: runs to completion, returns the value, cancels leftovers and waits
//! for their clean-up before returning; on both flavours (`ferrio::run` is a
//! current-thread `Runner::run`).

mod common;

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
    for runner in common::runners() {
        assert_eq!(runner.run(async { nested().await + 1 }), 43);
    }
}

#[test]
fn main_future_need_not_be_send() {
    for runner in common::runners() {
        let shared = Rc::new(Cell::new(0));
        let inside = Rc::clone(&shared);
        runner.run(async move {
            ferrio::yield_now().await;
            inside.set(7);
        });
        assert_eq!(shared.get(), 7);
    }
}

#[test]
fn leftover_tasks_are_cancelled_and_dropped_before_run_returns() {
    for runner in common::runners() {
        let drops = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let (d, s) = (Arc::clone(&drops), Arc::clone(&started));
        runner.run_then_close(async move {
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
            common::until("every task started", || s.load(Ordering::SeqCst) == 10).await;
        });
        assert_eq!(started.load(Ordering::SeqCst), 10);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            10,
            "every leftover task was dropped"
        );
    }
}

#[test]
fn tasks_never_polled_are_dropped_too() {
    for runner in common::runners() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = Arc::clone(&drops);
        runner.run_then_close(async move {
            let guard = DropCounter(d);
            ferrio::spawn(async move {
                let _guard = guard;
            })
            .detach();
            // Return before the task had a chance to run (on the current-thread
            // flavour; a worker may run it first on the other).
        });
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn a_panic_in_the_main_future_reaches_the_caller() {
    for runner in common::runners() {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runner.run(async {
                ferrio::yield_now().await;
                panic!("main failed");
            })
        }));
        let payload = result.expect_err("the panic propagates");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
    }
}

#[test]
fn a_panicking_task_does_not_stop_the_loop() {
    for runner in common::runners() {
        let value = runner.run(async {
            let failing = ferrio::spawn(async { panic!("task failed") });
            let error = failing.await.expect_err("the task panicked");
            assert!(error.is_panic());
            assert_eq!(error.panic_message(), Some("task failed"));
            5
        });
        assert_eq!(value, 5);
    }
}

#[test]
fn run_inside_a_runtime_panics_with_the_fix() {
    for runner in common::runners() {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runner.run(async {
                ferrio::run(async {});
            })
        }));
        let payload = result.expect_err("nested run must panic, not deadlock");
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains("runtime"), "unclear message: {message}");
    }
}

#[test]
fn sleeps_run_concurrently() {
    // On a virtual clock the answer is exact and the machine's load cannot blur it.
    for runner in common::runners_with(|b| b.clock(ferrio::clock::VirtualClock::auto_advance())) {
        let took = runner.run(async {
            let start = ferrio::Handle::current().time();
            ferrio::gather((1..=3).map(|n| ferrio::sleep(Duration::from_secs(n)))).await;
            ferrio::Handle::current().time() - start
        });
        // Three sleeps of 1, 2 and 3 s gathered take 3 s, not the 6 s of awaiting each.
        assert!(took >= Duration::from_secs(3), "{took:?}");
        assert!(took < Duration::from_secs(4), "{took:?}");
    }
}

#[test]
fn sleeps_run_concurrently_in_real_time() {
    for runner in common::runners() {
        let start = std::time::Instant::now();
        runner.run(async {
            ferrio::gather((0..3).map(|_| ferrio::sleep(Duration::from_millis(300)))).await;
        });
        // Generous: run one after another they would take 900 ms.
        assert!(
            start.elapsed() < Duration::from_millis(850),
            "{:?}",
            start.elapsed()
        );
    }
}
