//! `wait_for` / `timeout` as asyncio's: on expiry the inner work is cancelled and
//! its clean-up finishes before the timeout resolves; `Timeout::reschedule`/`when`
//! and a timeout without a deadline.
mod common;

use std::future::pending;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::on_both;
use ferrio_core::task::catch_cancel;
use ferrio_core::time::timeout_none;
use ferrio_core::{sleep, spawn, timeout, wait_for, yield_now, Handle, TaskOutcome};

#[test]
fn wait_for_a_task_cancels_it_and_waits_for_its_clean_up() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let task = spawn(async move {
            match catch_cancel(pending::<u8>()).await {
                Ok(v) => v,
                Err(c) => {
                    yield_now().await;
                    l.lock().unwrap().push("inner clean-up");
                    c.reraise().await
                }
            }
        });
        let handle = task.handle();
        let res = wait_for(task, Duration::from_millis(20)).await;
        log.lock().unwrap().push("wait_for returned");
        assert!(res.is_err());
        assert_eq!(
            *log.lock().unwrap(),
            ["inner clean-up", "wait_for returned"]
        );
        assert!(matches!(handle.outcome(), Some(TaskOutcome::Cancelled(_))));
    });
}

#[test]
fn a_task_that_finishes_in_time_gives_its_value() {
    on_both(|_| async {
        let task = spawn(async { 5 });
        assert_eq!(
            wait_for(task, Duration::from_secs(30))
                .await
                .unwrap()
                .unwrap(),
            5
        );
    });
}

#[test]
fn timeout_keeps_its_argument_order_and_drops_plain_futures() {
    on_both(|_| async {
        let r = timeout(Duration::from_millis(5), sleep(Duration::from_secs(60))).await;
        assert!(r.is_err());
    });
}

#[test]
fn a_timeout_without_deadline_runs_until_rescheduled() {
    on_both(|_| async {
        let mut t = pin!(timeout_none(pending::<()>()));
        assert_eq!(t.when(), None);
        // Without a deadline it does not expire.
        assert!(timeout(Duration::from_millis(20), t.as_mut())
            .await
            .is_err());
        let when = Handle::current().now() + Duration::from_millis(5);
        t.as_mut().reschedule(Some(when));
        assert_eq!(t.when(), Some(when));
        assert!(t.await.is_err());

        let mut far = pin!(timeout(Duration::from_secs(3600), async { 3 }));
        far.as_mut().reschedule(None);
        assert_eq!(far.when(), None);
        assert_eq!(far.await, Ok(3));
    });
}

#[test]
fn inner_work_that_suppresses_the_cancellation_gives_its_value() {
    on_both(|_| async {
        let task = spawn(async {
            let value = wait_for(
                async {
                    match catch_cancel(pending::<()>()).await {
                        Ok(()) => "finished",
                        Err(_) => {
                            // Clean-up may await before it decides.
                            yield_now().await;
                            "suppressed"
                        }
                    }
                },
                Duration::from_millis(10),
            )
            .await;
            let me = ferrio_core::TaskHandle::current().unwrap();
            (value, me.cancelling())
        });
        assert_eq!(task.await.unwrap(), (Ok("suppressed"), 0));
    });
}

#[test]
fn inner_work_that_reraises_gives_elapsed_and_the_caller_goes_on() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let task = spawn(async move {
            let l2 = l.clone();
            let r = wait_for(
                async move {
                    match catch_cancel(pending::<u8>()).await {
                        Ok(v) => v,
                        Err(c) => {
                            yield_now().await;
                            l2.lock().unwrap().push("inner clean-up");
                            c.reraise().await
                        }
                    }
                },
                Duration::from_millis(10),
            )
            .await;
            l.lock().unwrap().push("timed out");
            assert!(r.is_err());
            // The caller is not cancelled: it goes on awaiting.
            yield_now().await;
            ferrio_core::TaskHandle::current().unwrap().cancelling()
        });
        assert_eq!(task.await.unwrap(), 0);
        assert_eq!(*log.lock().unwrap(), ["inner clean-up", "timed out"]);
    });
}

/// A spawned task that catches the timeout's cancellation, cleans up with awaits,
/// takes the request back and returns a value: `wait_for` returns that value, after
/// the clean-up (asyncio 3.12: `async with timeout(): return await fut`).
#[test]
fn wait_for_a_task_that_suppresses_gives_its_value_after_its_clean_up() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let ready = Arc::new(AtomicUsize::new(0));
        let r1 = ready.clone();
        let task = spawn(async move {
            match catch_cancel(waiting(r1)).await {
                Ok(v) => v,
                Err(_) => {
                    yield_now().await;
                    l.lock().unwrap().push("inner clean-up");
                    ferrio_core::TaskHandle::current().unwrap().uncancel();
                    7
                }
            }
        });
        let handle = task.handle();
        until(&ready, 1).await;
        let res = wait_for(task, Duration::from_millis(20)).await;
        log.lock().unwrap().push("wait_for returned");
        assert_eq!(res.map(|r| r.unwrap()), Ok(7));
        assert_eq!(
            *log.lock().unwrap(),
            ["inner clean-up", "wait_for returned"]
        );
        assert!(matches!(handle.outcome(), Some(TaskOutcome::Returned)));
        assert_eq!(handle.cancelling(), 0);
    });
}

/// The same through `timeout(dur, task)`, and through an async block that awaits
/// the task and goes on with its value (the work runs on after expiry).
#[test]
fn timeout_on_a_task_that_suppresses_gives_the_value_to_the_work() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let ready = Arc::new(AtomicUsize::new(0));
        let make = |log: Arc<Mutex<Vec<&'static str>>>| {
            let ready = ready.clone();
            spawn(async move {
                match catch_cancel(waiting(ready)).await {
                    Ok(v) => v,
                    Err(_) => {
                        sleep(Duration::from_millis(1)).await;
                        log.lock().unwrap().push("inner clean-up");
                        ferrio_core::TaskHandle::current().unwrap().uncancel();
                        5
                    }
                }
            })
        };
        let task = make(log.clone());
        until(&ready, 1).await;
        let direct = timeout(Duration::from_millis(10), task).await;
        assert_eq!(direct.map(|r| r.unwrap()), Ok(5));
        let task = make(log.clone());
        until(&ready, 2).await;
        let l = log.clone();
        let wrapped = timeout(Duration::from_millis(10), async move {
            let v = task.await.unwrap();
            l.lock().unwrap().push("work goes on");
            v * 2
        })
        .await;
        log.lock().unwrap().push("timeout returned");
        assert_eq!(wrapped, Ok(10));
        assert_eq!(
            *log.lock().unwrap(),
            [
                "inner clean-up",
                "inner clean-up",
                "work goes on",
                "timeout returned"
            ]
        );
    });
}

/// A gather of tasks where one suppresses and one re-raises: the cancellation comes
/// back out, so the timeout gives `Elapsed`, after both clean-ups; a shielded task
/// in the work is not cancelled.
#[test]
fn a_reraise_among_the_awaited_tasks_gives_elapsed_after_every_clean_up() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        let ready = Arc::new(AtomicUsize::new(0));
        let (r1, r2) = (ready.clone(), ready.clone());
        let suppresses = spawn(async move {
            match catch_cancel(waiting(r1)).await {
                Ok(v) => v,
                Err(_) => {
                    yield_now().await;
                    l1.lock().unwrap().push("suppressed");
                    ferrio_core::TaskHandle::current().unwrap().uncancel();
                    1
                }
            }
        });
        let reraises = spawn(async move {
            match catch_cancel(waiting(r2)).await {
                Ok(v) => v,
                Err(c) => {
                    yield_now().await;
                    l2.lock().unwrap().push("re-raised");
                    c.reraise().await
                }
            }
        });
        let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r = release.clone();
        let shielded = spawn(async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !r.load(std::sync::atomic::Ordering::SeqCst) {
                assert!(std::time::Instant::now() < deadline);
                yield_now().await;
            }
            3u32
        });
        let shielded_handle = shielded.handle();
        let (h1, h2) = (suppresses.handle(), reraises.handle());
        until(&ready, 2).await;
        let res = timeout(Duration::from_millis(10), async move {
            let shield = ferrio_core::shield(shielded);
            let both = ferrio_core::gather(vec![suppresses, reraises]);
            futures_lite::future::zip(shield, both).await
        })
        .await;
        assert!(res.is_err());
        let mut seen = log.lock().unwrap().clone();
        seen.sort_unstable();
        assert_eq!(seen, ["re-raised", "suppressed"]);
        assert!(matches!(h1.outcome(), Some(TaskOutcome::Returned)));
        assert!(matches!(h2.outcome(), Some(TaskOutcome::Cancelled(_))));
        // The shielded task was left running, and finishes with its value.
        assert!(!shielded_handle.done());
        release.store(true, std::sync::atomic::Ordering::SeqCst);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !shielded_handle.done() {
            assert!(std::time::Instant::now() < deadline);
            sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(
            shielded_handle.outcome(),
            Some(TaskOutcome::Returned)
        ));
    });
}

/// Counts itself in, then waits forever: a task awaiting it inside a catch region
/// is known to have registered the region.
async fn waiting(ready: Arc<AtomicUsize>) -> u32 {
    ready.fetch_add(1, Ordering::SeqCst);
    pending::<u32>().await
}

/// Yields until `n` tasks counted themselves in; fails after 10 s.
async fn until(ready: &AtomicUsize, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ready.load(Ordering::SeqCst) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the tasks never started"
        );
        yield_now().await;
    }
}
