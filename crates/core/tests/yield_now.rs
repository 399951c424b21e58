//! `yield_now` lets every other ready task run once before the yielder resumes.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{on_both, runtime};
use ferrio_core::{spawn, yield_now, Builder, Flavor};

/// How long a spinning task waits for what it spins on before it fails the test.
const SPIN_LIMIT: Duration = Duration::from_secs(30);

/// Three tasks that record their id and yield, three rounds each.
async fn interleaving() -> Vec<usize> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..3)
        .map(|id| {
            let log = log.clone();
            spawn(async move {
                for _ in 0..3 {
                    log.lock().unwrap().push(id);
                    yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let v = log.lock().unwrap().clone();
    v
}

#[test]
fn yielding_tasks_take_turns_on_the_loop() {
    let rt = runtime(Flavor::CurrentThread);
    assert_eq!(rt.block_on(interleaving()), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[test]
fn yielding_tasks_take_turns_on_one_worker() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    // Spawned from a task on the worker, so all three are queued before any runs
    // (from the block_on thread, the worker could start the first one before the
    // others arrive).
    let log = rt.block_on(async { spawn(interleaving()).await.unwrap() });
    assert_eq!(log, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[test]
fn main_future_yield_lets_spawned_tasks_run() {
    let rt = runtime(Flavor::CurrentThread);
    rt.block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let t = spawn(async move { r.store(true, Ordering::SeqCst) });
        yield_now().await;
        assert!(
            ran.load(Ordering::SeqCst),
            "the ready task ran during the yield"
        );
        t.await.unwrap();
    });
}

#[test]
fn a_spinning_yielder_does_not_starve_others() {
    on_both(|_| async {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let spinner = spawn(async move {
            let deadline = Instant::now() + SPIN_LIMIT;
            let mut spins = 0u64;
            while !f.load(Ordering::SeqCst) {
                assert!(
                    Instant::now() < deadline,
                    "the setter never ran: the spinner starved it"
                );
                spins += 1;
                yield_now().await;
            }
            spins
        });
        let setter = spawn(async move { flag.store(true, Ordering::SeqCst) });
        setter.await.unwrap();
        let _spins = spinner.await.unwrap();
    });
}

#[test]
fn an_always_ready_task_does_not_starve_timers() {
    on_both(|_| async {
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        // The busy task spins until the timer below fired (the subject under test),
        // and fails instead of spinning for ever if it never does.
        let busy = spawn(async move {
            let deadline = Instant::now() + SPIN_LIMIT;
            while !f.load(Ordering::SeqCst) {
                assert!(
                    Instant::now() < deadline,
                    "the timer never fired: the busy task starved it"
                );
                yield_now().await;
            }
        });
        ferrio_core::sleep(std::time::Duration::from_millis(5)).await;
        fired.store(true, Ordering::SeqCst);
        busy.await.unwrap();
    });
}
