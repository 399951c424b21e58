//! The main future of `block_on` is a task for cancellation too: a request to it
//! reaches its catch regions exactly as for a spawned task; it cleans up with
//! awaits, then re-raises (`Err(MainCancelled)`) or suppresses and returns its value;
//! the tasks it awaited are cancelled and end first.
mod common;

use std::future::{pending, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use common::{builder, FLAVORS};
use ferrio_core::task::{catch_cancel, Cancelled};
use ferrio_core::{
    current_task, sleep, spawn, yield_now, Handle, MainCancelled, TaskHandle, TaskOutcome,
};

type Log = Arc<Mutex<Vec<&'static str>>>;

/// Runs `body` on its own thread and fails (instead of hanging) past 20 s.
fn within<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(v)) => {
            worker.join().unwrap();
            v
        }
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the runtime hung"),
    }
}

/// Awaits `future` in a catch region, raising `mark` once the region is registered.
async fn region<F: Future>(future: F, mark: Arc<AtomicBool>) -> Result<F::Output, Cancelled> {
    let mut region = pin!(catch_cancel(future));
    std::future::poll_fn(|cx| {
        let polled = region.as_mut().poll(cx);
        mark.store(true, Ordering::SeqCst);
        polled
    })
    .await
}

/// Cancels the main task once `mark` is raised, from a task (`foreign == false`) or
/// from a thread outside the runtime.
fn cancel_main_when(mark: Arc<AtomicBool>, foreign: bool) {
    let main = current_task().unwrap().id;
    let handle = Handle::current();
    let deadline = Instant::now() + Duration::from_secs(10);
    if foreign {
        std::thread::spawn(move || {
            while !mark.load(Ordering::SeqCst) {
                assert!(Instant::now() < deadline, "main never reached its region");
                std::thread::yield_now();
            }
            assert!(handle.cancel_task(main));
        });
    } else {
        spawn(async move {
            while !mark.load(Ordering::SeqCst) {
                assert!(Instant::now() < deadline, "main never reached its region");
                yield_now().await;
            }
            assert!(handle.cancel_task(main));
        })
        .detach();
    }
}

#[test]
fn main_catches_cleans_up_with_awaits_and_reraises() {
    for flavor in FLAVORS {
        for foreign in [false, true] {
            let rt = builder(flavor).build().unwrap();
            let log: Log = Arc::default();
            let l = log.clone();
            let out = within(move || {
                let out = rt.try_block_on(async move {
                    let mark = Arc::new(AtomicBool::new(false));
                    cancel_main_when(mark.clone(), foreign);
                    match region(pending::<u32>(), mark).await {
                        Ok(v) => v,
                        Err(cancelled) => {
                            // Clean-up may await: a sleep and a spawned task.
                            sleep(Duration::from_millis(1)).await;
                            let ll = l.clone();
                            spawn(async move { ll.lock().unwrap().push("clean-up task") })
                                .await
                                .unwrap();
                            l.lock().unwrap().push("main clean-up");
                            cancelled.reraise().await
                        }
                    }
                });
                (out, rt)
            });
            assert_eq!(out.0, Err(MainCancelled), "{flavor:?} foreign={foreign}");
            let mut seen = log.lock().unwrap().clone();
            // The foreign thread may log its answer at any point.
            seen.retain(|e| *e != "cancelled");
            assert_eq!(seen, ["clean-up task", "main clean-up"], "{flavor:?}");
        }
    }
}

#[test]
fn main_catches_and_suppresses_then_returns_its_value() {
    for flavor in FLAVORS {
        for foreign in [false, true] {
            let rt = builder(flavor).build().unwrap();
            let log: Log = Arc::default();
            let l = log.clone();
            let (out, rt) = within(move || {
                let out = rt.try_block_on(async move {
                    let mark = Arc::new(AtomicBool::new(false));
                    cancel_main_when(mark.clone(), foreign);
                    let me = TaskHandle::current().expect("main is a task");
                    match region(pending::<u32>(), mark).await {
                        Ok(v) => v,
                        Err(_) => {
                            yield_now().await;
                            assert_eq!(me.cancelling(), 1);
                            assert_eq!(me.uncancel(), 0);
                            l.lock().unwrap().push("suppressed");
                            // Goes on awaiting after the suppression.
                            sleep(Duration::from_millis(1)).await;
                            42
                        }
                    }
                });
                (out, rt)
            });
            assert_eq!(out, Ok(42), "{flavor:?} foreign={foreign}");
            assert!(log.lock().unwrap().contains(&"suppressed"));
            // The runtime still works.
            assert_eq!(rt.block_on(async { spawn(async { 3 }).await.unwrap() }), 3);
        }
    }
}

/// Main awaits a child inside its region: the request travels down to the child,
/// whose clean-up ends before main's region resolves (asyncio's order); without a
/// region, `try_block_on` returns only once the child's clean-up finished.
#[test]
fn main_cancellation_travels_to_the_tasks_it_awaits_inner_clean_up_first() {
    for flavor in FLAVORS {
        for with_region in [true, false] {
            let rt = builder(flavor).build().unwrap();
            let log: Log = Arc::default();
            let l = log.clone();
            let (out, child) = within(move || {
                let (tx, rx) = mpsc::channel();
                let out = rt.try_block_on(async move {
                    let mark = Arc::new(AtomicBool::new(false));
                    cancel_main_when(mark.clone(), false);
                    let lc = l.clone();
                    let child_mark = Arc::new(AtomicBool::new(false));
                    let cm = child_mark.clone();
                    let child = spawn(async move {
                        match region(pending::<u32>(), cm).await {
                            Ok(v) => v,
                            Err(c) => {
                                sleep(Duration::from_millis(2)).await;
                                lc.lock().unwrap().push("child clean-up");
                                c.reraise().await
                            }
                        }
                    });
                    tx.send(child.handle()).unwrap();
                    // Main is cancelled only once the child's region is registered
                    // and main waits in its own region (or at its await).
                    let both = Arc::new(AtomicBool::new(false));
                    let (b, m) = (both.clone(), mark.clone());
                    spawn(async move {
                        let deadline = Instant::now() + Duration::from_secs(10);
                        while !child_mark.load(Ordering::SeqCst) {
                            assert!(Instant::now() < deadline);
                            yield_now().await;
                        }
                        b.store(true, Ordering::SeqCst);
                    })
                    .detach();
                    let mut child = child;
                    // Waits at `child` until both marks are up.
                    let waiting = std::future::poll_fn(move |cx| {
                        let polled = std::pin::Pin::new(&mut child).poll(cx);
                        if both.load(Ordering::SeqCst) {
                            m.store(true, Ordering::SeqCst);
                        } else {
                            cx.waker().wake_by_ref();
                        }
                        polled
                    });
                    if with_region {
                        match catch_cancel(waiting).await {
                            Ok(_) => unreachable!("the child never returns"),
                            Err(c) => {
                                l.lock().unwrap().push("main caught");
                                assert_eq!(c.message(), None);
                                c.reraise::<u32>().await
                            }
                        }
                    } else {
                        waiting.await.unwrap()
                    }
                });
                (out, rx.recv().unwrap())
            });
            assert_eq!(out, Err(MainCancelled), "{flavor:?} region={with_region}");
            let expected: &[&str] = if with_region {
                &["child clean-up", "main caught"]
            } else {
                &["child clean-up"]
            };
            assert_eq!(*log.lock().unwrap(), expected, "{flavor:?}");
            assert!(matches!(child.outcome(), Some(TaskOutcome::Cancelled(_))));
        }
    }
}

/// A handle to the main task, held by another task, sees it end cancelled.
#[test]
fn a_handle_to_main_sees_its_outcome() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let (out, handle) = within(move || {
            let (tx, rx) = mpsc::channel();
            let out = rt.try_block_on(async move {
                let me = TaskHandle::current().unwrap();
                tx.send(me.clone()).unwrap();
                assert!(me.cancel_with("from itself"));
                match catch_cancel(pending::<()>()).await {
                    Ok(()) => unreachable!(),
                    Err(c) => {
                        assert_eq!(c.message(), Some("from itself"));
                        c.reraise::<()>().await
                    }
                }
            });
            (out, rx.recv().unwrap())
        });
        assert_eq!(out, Err(MainCancelled));
        assert!(handle.done());
        assert!(handle.cancelled());
    }
}
