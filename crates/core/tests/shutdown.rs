//! Shutdown: leftover tasks are cancelled and their destructors run, workers are
//! joined, the driver is shut down; the counters read zero afterwards.
mod common;

use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{builder, FLAVORS};
use ferrio_core::driver::{Driver, ThreadParker};
use ferrio_core::{sleep, spawn, yield_now, Flavor};

struct CountOnDrop(Arc<AtomicUsize>);
impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct CountingDriver {
    parker: ThreadParker,
    shutdowns: AtomicUsize,
}

impl Driver for CountingDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.parker.park(timeout)
    }
    fn unpark(&self) {
        self.parker.unpark()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn shutdown(&self) {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_the_runtime_cancels_leftovers_and_joins_workers() {
    for flavor in FLAVORS {
        let driver = Arc::new(CountingDriver::default());
        let rt = builder(flavor).driver(driver.clone()).build().unwrap();
        let handle = rt.handle();
        let drops = Arc::new(AtomicUsize::new(0));
        let n = 50;
        let pending_tasks = rt.block_on(async {
            let mut tasks = Vec::new();
            for i in 0..n {
                let guard = CountOnDrop(drops.clone());
                tasks.push(spawn(async move {
                    let _g = guard;
                    if i % 2 == 0 {
                        sleep(Duration::from_secs(3600)).await;
                    } else {
                        std::future::pending::<()>().await;
                    }
                }));
            }
            // Detached ones too.
            for _ in 0..n {
                let guard = CountOnDrop(drops.clone());
                drop(spawn(async move {
                    let _g = guard;
                    std::future::pending::<()>().await
                }));
            }
            yield_now().await;
            tasks
        });
        let before = handle.metrics();
        assert_eq!(before.live_tasks, 2 * n);
        if flavor == Flavor::MultiThread {
            assert_eq!(before.worker_threads, 2);
        }
        drop(rt);
        let after = handle.metrics();
        assert_eq!(after.live_tasks, 0, "{flavor:?}");
        assert_eq!(after.worker_threads, 0, "{flavor:?}");
        assert_eq!(after.timers, 0, "{flavor:?}");
        assert!(after.closed);
        assert_eq!(drops.load(Ordering::SeqCst), 2 * n, "every destructor ran");
        assert_eq!(driver.shutdowns.load(Ordering::SeqCst), 1);
        for t in pending_tasks {
            let res = futures_lite::future::block_on(t);
            assert!(res.unwrap_err().is_cancelled());
        }
    }
}

#[test]
fn a_task_spawned_after_shutdown_is_cancelled() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let handle = rt.handle();
        drop(rt);
        let task = handle.spawn(async { 1 });
        assert!(futures_lite::future::block_on(task)
            .unwrap_err()
            .is_cancelled());
        assert_eq!(handle.metrics().live_tasks, 0);
    }
}

#[test]
#[allow(clippy::async_yields_async)] // the task is handed out on purpose
fn leftover_tasks_survive_between_block_on_calls() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let task = rt.block_on(async { spawn(async { 5 }) });
        assert_eq!(rt.block_on(task).unwrap(), 5);
    }
}

#[test]
fn destructors_that_spawn_during_shutdown_do_not_hang() {
    struct SpawnOnDrop;
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            drop(spawn(std::future::pending::<()>()));
        }
    }
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let handle = rt.handle();
        rt.block_on(async {
            drop(spawn(async {
                let _s = SpawnOnDrop;
                std::future::pending::<()>().await
            }));
            yield_now().await;
        });
        drop(rt);
        assert_eq!(handle.metrics().live_tasks, 0);
    }
}

/// A destructor that spawns a task whose destructor spawns again, thousands deep:
/// shutdown finishes on a small stack (the late tasks run one after another, not
/// inside each other) and every link of the chain is dropped exactly once.
#[test]
fn a_deep_chain_of_destructors_that_spawn_finishes_on_a_small_stack() {
    const DEPTH: usize = if cfg!(miri) { 100 } else { 20_000 };
    struct Chain {
        left: usize,
        dropped: Arc<AtomicUsize>,
    }
    impl Drop for Chain {
        fn drop(&mut self) {
            self.dropped.fetch_add(1, Ordering::SeqCst);
            if self.left > 0 {
                let next = Chain {
                    left: self.left - 1,
                    dropped: self.dropped.clone(),
                };
                drop(spawn(async move {
                    let _next = next;
                    std::future::pending::<()>().await
                }));
            }
        }
    }
    for flavor in FLAVORS {
        let dropped = Arc::new(AtomicUsize::new(0));
        let first = Chain {
            left: DEPTH,
            dropped: dropped.clone(),
        };
        let live = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let rt = builder(flavor).build().unwrap();
                let handle = rt.handle();
                rt.block_on(async move {
                    drop(spawn(async move {
                        let _first = first;
                        std::future::pending::<()>().await
                    }));
                    yield_now().await;
                });
                drop(rt);
                handle.metrics().live_tasks
            })
            .unwrap()
            .join()
            .expect("shutdown finished on a 512 KiB stack");
        assert_eq!(live, 0, "{flavor:?}");
        assert_eq!(dropped.load(Ordering::SeqCst), DEPTH + 1, "{flavor:?}");
    }
}
