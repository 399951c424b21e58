//! Due timers fire in deadline order whatever they belong to; a timer created
//! outside a runtime binds when first polled.
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{builder, FLAVORS};
use ferrio_core::{sleep, sleep_until, spawn, timeout, wait_for, yield_now, Builder, Handle};

type Log = Arc<Mutex<Vec<&'static str>>>;

fn push(log: &Log, word: &'static str) {
    log.lock().unwrap().push(word);
}

/// A single-thread loop and a one-worker multi-thread runtime: both run one thing
/// at a time, so the order is deterministic.
fn ordered_runtimes() -> [ferrio_core::Runtime; 2] {
    [
        Builder::new_current_thread().build().unwrap(),
        Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap(),
    ]
}

#[test]
fn overdue_timers_fire_in_deadline_order_after_the_loop_was_held_up() {
    for rt in ordered_runtimes() {
        let log = rt.block_on(async {
            let log: Log = Arc::default();
            let start = Handle::current().now();
            // Registered in the reverse order of their deadlines.
            let mut tasks = Vec::new();
            for (ms, word) in [(50, "t50"), (40, "t40"), (30, "t30"), (45, "t45")] {
                let log = log.clone();
                let through_queue = ms == 40 || ms == 30;
                tasks.push(spawn(async move {
                    let s = sleep_until(start + Duration::from_millis(ms));
                    if through_queue {
                        s.through_timer_queue().await;
                    } else {
                        s.await;
                    }
                    push(&log, word);
                }));
            }
            // Let every task register its timer, then hold the runtime up past
            // every deadline.
            let hold = spawn(async {
                for _ in 0..3 {
                    yield_now().await;
                }
                std::thread::sleep(Duration::from_millis(80));
            });
            hold.await.unwrap();
            for t in tasks {
                t.await.unwrap();
            }
            let out = log.lock().unwrap().clone();
            out
        });
        assert_eq!(log, ["t30", "t40", "t45", "t50"]);
    }
}

#[test]
fn a_due_timer_through_the_queue_runs_after_what_was_ready() {
    for rt in ordered_runtimes() {
        let log = rt.block_on(async {
            let log: Log = Arc::default();
            let (a, b, c) = (log.clone(), log.clone(), log.clone());
            let t1 = spawn(async move { push(&a, "ready-1") });
            let timer = spawn(async move {
                sleep(Duration::ZERO).through_timer_queue().await;
                push(&b, "timer");
            });
            let t2 = spawn(async move { push(&c, "ready-2") });
            t1.await.unwrap();
            timer.await.unwrap();
            t2.await.unwrap();
            let out = log.lock().unwrap().clone();
            out
        });
        assert_eq!(log, ["ready-1", "ready-2", "timer"]);
    }
}

#[test]
fn sleep_timeout_and_wait_for_created_outside_bind_at_first_poll() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let s = sleep(Duration::from_millis(20));
        let real = Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        let polled = Instant::now();
        rt.block_on(s);
        assert!(
            polled.elapsed() >= Duration::from_millis(20),
            "{flavor:?}: the deadline counts from the first poll"
        );
        assert!(real.elapsed() >= Duration::from_millis(50));

        let t = timeout(Duration::from_millis(10), sleep(Duration::from_secs(3600)));
        assert!(rt.block_on(t).is_err(), "{flavor:?}");
        let w = wait_for(async { 5 }, Duration::from_secs(3600));
        assert_eq!(rt.block_on(w), Ok(5));
        let w = wait_for(sleep(Duration::from_millis(5)), Duration::from_secs(3600));
        assert_eq!(rt.block_on(w), Ok(()));
    }
}

#[test]
fn an_unbound_sleep_binds_to_a_virtual_clock() {
    let clock = ferrio_core::clock::VirtualClock::auto_advance();
    let rt = Builder::new().clock(clock.clone()).build().unwrap();
    let s = sleep(Duration::from_secs(3600));
    let real = Instant::now();
    rt.block_on(s);
    assert!(clock.elapsed() >= Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(60));
}
