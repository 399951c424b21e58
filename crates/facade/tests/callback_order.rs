//! asyncio's callback order: `call_later(0)` / `call_at(now)` run after what was
//! already ready; due timers in deadline order; timers built before `run` bind at
//! their first poll.

use std::sync::{Arc, Mutex};
use std::time::Duration;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn pusher(log: &Log, word: &'static str) -> impl FnOnce() + Send + 'static {
    let log = Arc::clone(log);
    move || log.lock().unwrap().push(word)
}

fn runners() -> [ferrio::Runner; 2] {
    [
        ferrio::Runner::new(),
        // One worker: it runs one thing at a time, so the order is deterministic.
        ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(1)
            .build()
            .unwrap(),
    ]
}

#[test]
fn due_timed_callbacks_run_after_the_ready_ones_in_deadline_order() {
    for runner in runners() {
        let log: Log = Arc::default();
        let l = log.clone();
        runner.run(async move {
            // Scheduled from a task, so every callback is queued before any runs.
            ferrio::spawn(async move {
                let handle = ferrio::Handle::current();
                let now = handle.time();
                handle.call_soon(pusher(&l, "soon-1"));
                handle.call_later(Duration::ZERO, pusher(&l, "later-0"));
                handle.call_at(now - Duration::from_millis(1), pusher(&l, "at-past"));
                handle.call_soon(pusher(&l, "soon-2"));
                let task_log = l.clone();
                ferrio::spawn(async move { task_log.lock().unwrap().push("task") }).detach();
            })
            .await
            .unwrap();
            ferrio::sleep(Duration::from_millis(20)).await;
        });
        assert_eq!(
            *log.lock().unwrap(),
            ["soon-1", "soon-2", "task", "at-past", "later-0"]
        );
    }
}

#[test]
fn call_later_zero_runs_after_main_resumes_from_a_yield() {
    let log: Log = Arc::default();
    let l = log.clone();
    ferrio::run(async move {
        ferrio::Handle::current().call_later(Duration::ZERO, pusher(&l, "timer"));
        l.lock().unwrap().push("main");
        ferrio::yield_now().await;
        l.lock().unwrap().push("main-after-yield");
        ferrio::sleep(Duration::from_millis(5)).await;
    });
    assert_eq!(*log.lock().unwrap(), ["main", "main-after-yield", "timer"]);
}

#[test]
fn run_accepts_timers_built_before_the_runtime() {
    ferrio::run(ferrio::sleep(Duration::from_millis(2)));
    let out = ferrio::run(ferrio::wait_for(async { 7 }, Duration::from_secs(60)));
    assert_eq!(out, Ok(7));
    let out = ferrio::run(ferrio::timeout(
        Duration::from_millis(5),
        ferrio::sleep(Duration::from_secs(3600)),
    ));
    assert!(out.is_err());
}
