//! The main future of `block_on` is a task: scheduled fairly, listed, cancellable.
mod common;

use std::any::Any;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{builder, FLAVORS};
use ferrio_core::driver::{Driver, ThreadParker};
use ferrio_core::{
    all_tasks, current_task, sleep, spawn, yield_now, Flavor, Handle, MainCancelled, TaskState,
};

/// Runs `body` on its own thread and fails (instead of hanging) past `limit`.
fn within<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)));
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => {
            worker.join().unwrap();
            v
        }
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the runtime hung: no result within {limit:?}"),
    }
}

#[test]
fn a_main_that_only_yields_still_lets_timers_fire() {
    for flavor in FLAVORS {
        let loops = within(Duration::from_secs(20), move || {
            let rt = builder(flavor).build().unwrap();
            rt.block_on(async {
                let done = Arc::new(AtomicBool::new(false));
                let d = done.clone();
                spawn(async move {
                    sleep(Duration::from_millis(10)).await;
                    d.store(true, Ordering::SeqCst);
                })
                .detach();
                let mut loops = 0u64;
                while !done.load(Ordering::SeqCst) {
                    yield_now().await;
                    loops += 1;
                }
                loops
            })
        });
        assert!(loops > 0, "{flavor:?}");
    }
}

/// A driver with one simulated I/O source: when `ready` is set (from another
/// thread, which then unparks the driver, as a real poller would wake up), the next
/// park dispatches it by waking the registered waker.
#[derive(Default)]
struct IoDriver {
    inner: ThreadParker,
    ready: AtomicBool,
    fired: AtomicBool,
    waker: Mutex<Option<std::task::Waker>>,
}

impl IoDriver {
    fn dispatch(&self) {
        if self.ready.swap(false, Ordering::SeqCst) {
            self.fired.store(true, Ordering::SeqCst);
            if let Some(w) = self.waker.lock().unwrap().take() {
                w.wake();
            }
        }
    }
}

impl Driver for IoDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.dispatch();
        self.inner.park(timeout);
        self.dispatch();
    }
    fn unpark(&self) {
        self.inner.unpark();
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[test]
fn a_main_that_only_yields_still_lets_the_driver_deliver_io() {
    for flavor in FLAVORS {
        within(Duration::from_secs(20), move || {
            let driver = Arc::new(IoDriver::default());
            let rt = builder(flavor).driver(driver.clone()).build().unwrap();
            rt.block_on(async {
                let done = Arc::new(AtomicBool::new(false));
                let (d, drv) = (done.clone(), driver.clone());
                // A task waiting on the simulated I/O source.
                spawn(async move {
                    std::future::poll_fn(|cx| {
                        if drv.fired.load(Ordering::SeqCst) {
                            return std::task::Poll::Ready(());
                        }
                        *drv.waker.lock().unwrap() = Some(cx.waker().clone());
                        // Re-check: the dispatch may have run before the store.
                        if drv.fired.load(Ordering::SeqCst) {
                            return std::task::Poll::Ready(());
                        }
                        std::task::Poll::Pending
                    })
                    .await;
                    d.store(true, Ordering::SeqCst);
                })
                .detach();
                yield_now().await;
                let peer = driver.clone();
                let io = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(5));
                    peer.ready.store(true, Ordering::SeqCst);
                    peer.unpark();
                });
                while !done.load(Ordering::SeqCst) {
                    yield_now().await;
                }
                io.join().unwrap();
            });
        });
    }
}

#[test]
fn main_yield_lets_every_ready_task_run_once_first() {
    let rt = builder(Flavor::CurrentThread).build().unwrap();
    let log = rt.block_on(async {
        let log = Arc::new(Mutex::new(Vec::new()));
        for i in 0..3 {
            let log = log.clone();
            spawn(async move {
                log.lock().unwrap().push(format!("t{i}"));
                yield_now().await;
                log.lock().unwrap().push(format!("t{i}"));
            })
            .detach();
        }
        log.lock().unwrap().push("main".to_string());
        yield_now().await;
        log.lock().unwrap().push("main".to_string());
        yield_now().await;
        log.lock().unwrap().push("main".to_string());
        let out = log.lock().unwrap().clone();
        out
    });
    assert_eq!(
        log,
        ["main", "t0", "t1", "t2", "main", "t0", "t1", "t2", "main"]
    );
}

#[test]
fn main_is_the_first_task_with_its_details() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let line = line!() + 1;
        rt.block_on(async {
            let me = current_task().expect("main is a task");
            assert_eq!(me.state, TaskState::Running);
            assert!(me.location.file().ends_with("main_task.rs"));
            assert_eq!(me.location.line(), line);
            assert_eq!(me.polls, 1);
            let others: Vec<_> = (0..5)
                .map(|_| spawn(std::future::pending::<()>()))
                .collect();
            let tasks = all_tasks();
            assert_eq!(tasks.len(), 6, "{flavor:?}: main and the five");
            assert_eq!(tasks[0].id, me.id, "main is listed first");
            assert_eq!(tasks[0].state, TaskState::Running);
            assert_eq!(me.id.to_string(), format!("Task-{}", me.id.as_u64()));
            yield_now().await;
            assert_eq!(current_task().unwrap().polls, 2);
            for t in others {
                t.cancel();
                assert!(t.await.unwrap_err().is_cancelled());
            }
        });
        assert_eq!(rt.metrics().live_tasks, 0, "main leaves the registry");
        // A second block_on is a new main task.
        let second = rt.block_on(async { all_tasks().len() });
        assert_eq!(second, 1);
    }
}

#[test]
fn main_seen_waiting_from_another_task() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        rt.block_on(async {
            let main = current_task().unwrap().id;
            let seen = spawn(async move {
                all_tasks()
                    .into_iter()
                    .find(|t| t.id == main)
                    .map(|t| t.state)
            });
            assert_eq!(seen.await.unwrap(), Some(TaskState::Waiting));
        });
    }
}

struct OnDrop(Arc<AtomicUsize>);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn cancelling_main_ends_try_block_on_with_main_cancelled() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let reached = Arc::new(AtomicBool::new(false));
        let r = reached.clone();
        let out = within(Duration::from_secs(20), move || {
            rt.try_block_on(async move {
                let _guard = OnDrop(d);
                let main = current_task().unwrap().id;
                spawn(async move {
                    sleep(Duration::from_millis(5)).await;
                    assert!(Handle::current().cancel_task(main));
                })
                .detach();
                sleep(Duration::from_secs(3600)).await;
                r.store(true, Ordering::SeqCst);
                7
            })
        });
        assert_eq!(out, Err(MainCancelled), "{flavor:?}");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "main's locals were dropped"
        );
        assert!(!reached.load(Ordering::SeqCst));
    }
}

#[test]
fn block_on_panics_when_main_is_cancelled() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                let main = current_task().unwrap().id;
                Handle::current().cancel_task(main);
                yield_now().await;
            })
        }))
        .unwrap_err();
        let msg = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap();
        assert!(msg.contains("main task was cancelled"), "{msg}");
        assert!(msg.contains("try_block_on"), "{msg}");
        // The runtime still works.
        assert_eq!(rt.block_on(async { spawn(async { 3 }).await.unwrap() }), 3);
    }
}

#[test]
fn cancel_task_of_an_unknown_or_finished_task_is_false() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let main = rt.block_on(async {
            let t = spawn(async { 1 });
            let id = t.id();
            assert_eq!(t.await.unwrap(), 1);
            yield_now().await;
            assert!(!Handle::current().cancel_task(id));
            current_task().unwrap().id
        });
        assert!(!rt.handle().cancel_task(main), "main of an ended block_on");
    }
}

#[test]
fn main_may_borrow_locals_and_hold_non_send_values() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let mut local = vec![1, 2];
        let rc = Rc::new(5);
        rt.block_on(async {
            yield_now().await;
            local.push(*rc);
        });
        assert_eq!(local, [1, 2, 5]);
    }
}
