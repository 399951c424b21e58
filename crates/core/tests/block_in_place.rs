//! `block_in_place`: on the multi-thread flavour the worker's queue moves to another
//! thread while the closure blocks; the single-thread loop and a thread outside any
//! runtime refuse at the caller's line.
mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::runtime;
use ferrio_core::{block_in_place, spawn, Builder, Flavor};

const DEADLINE: Duration = Duration::from_secs(10);

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// While one task blocks 300 ms in `block_in_place`, a task spawned before it on
/// the same worker keeps making progress (timers included).
fn others_progress_while_one_blocks(workers: usize) {
    let rt = Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap();
    let (ticks, window) = rt.block_on(async {
        let ticks = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (ticks.clone(), stop.clone());
        let ticker = spawn(async move {
            let deadline = Instant::now() + DEADLINE;
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                ferrio_core::sleep(Duration::from_millis(5)).await;
                t.lock().unwrap().push(Instant::now());
            }
        });
        // Let the ticker take its first step, so both live on the workers.
        ferrio_core::sleep(Duration::from_millis(10)).await;
        let blocker = spawn(async move {
            let start = Instant::now();
            let value = block_in_place(|| {
                std::thread::sleep(Duration::from_millis(300));
                42
            });
            assert_eq!(value, 42);
            // The task goes on after the blocking call, awaiting as usual.
            ferrio_core::yield_now().await;
            (start, Instant::now())
        });
        let window = ferrio_core::timeout(DEADLINE, blocker)
            .await
            .expect("the blocking task ended in time")
            .unwrap();
        stop.store(true, Ordering::SeqCst);
        ferrio_core::timeout(DEADLINE, ticker)
            .await
            .expect("the ticker stopped in time")
            .unwrap();
        let ticks = ticks.lock().unwrap().clone();
        (ticks, window)
    });
    let (start, end) = window;
    assert!(end - start >= Duration::from_millis(300));
    let during = ticks.iter().filter(|t| **t > start && **t < end).count();
    // 5 ms ticks over 300 ms: about 60 in theory; 5 proves the worker's queue ran.
    assert!(
        during >= 5,
        "{workers} worker(s): only {during} ticks during the 300 ms block"
    );
    assert_eq!(rt.metrics().worker_threads, workers);
}

#[test]
fn one_worker_hands_its_queue_over_while_blocking() {
    others_progress_while_one_blocks(1);
}

#[test]
fn two_workers_keep_running_while_one_blocks() {
    others_progress_while_one_blocks(2);
}

#[test]
fn many_short_blocks_and_a_panicking_one_leave_the_pool_whole() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let total = rt.block_on(async {
        let tasks: Vec<_> = (0..200u64)
            .map(|i| spawn(async move { block_in_place(|| i) }))
            .collect();
        let mut total = 0;
        for t in tasks {
            total += ferrio_core::timeout(DEADLINE, t)
                .await
                .expect("in time")
                .unwrap();
        }
        let err = spawn(async { block_in_place(|| panic!("boom")) })
            .await
            .unwrap_err();
        assert_eq!(err.panic_message(), Some("boom"));
        // Still runs tasks afterwards, on every worker.
        let more: Vec<_> = (0..50u64).map(|i| spawn(async move { i })).collect();
        for t in more {
            total += ferrio_core::timeout(DEADLINE, t)
                .await
                .expect("in time")
                .unwrap();
        }
        total
    });
    assert_eq!(total, (0..200).sum::<u64>() + (0..50).sum::<u64>());
    let m = rt.metrics();
    assert_eq!(m.worker_threads, 2);
}

#[test]
fn nested_and_block_on_threads_just_run_the_closure() {
    let rt = runtime(Flavor::MultiThread);
    let out = rt.block_on(async {
        // The main future of a multi-thread block_on stalls no worker.
        let a = block_in_place(|| 1);
        let b = spawn(async { block_in_place(|| block_in_place(|| 2)) })
            .await
            .unwrap();
        a + b
    });
    assert_eq!(out, 3);
}

#[test]
fn the_single_thread_loop_refuses_at_the_callers_line() {
    let sites = common::panic_sites("`block_in_place` was called");
    let rt = runtime(Flavor::CurrentThread);
    let line = line!() + 2;
    let err = rt
        .block_on(async { catch_unwind(|| block_in_place(|| 1)) })
        .unwrap_err();
    let text = panic_text(err);
    assert!(
        text.contains("single-thread") && text.contains("to_thread"),
        "{text}"
    );
    let here = format!("{}:{line}", file!());
    assert!(sites.contains(&here), "{here} not in {sites:?}");
    // From a task of the loop too.
    let res = rt.block_on(rt.spawn(async { block_in_place(|| 1) }));
    assert!(res
        .unwrap_err()
        .panic_message()
        .unwrap_or("")
        .contains("to_thread"));
}

#[test]
fn outside_a_runtime_it_refuses_at_the_callers_line() {
    let sites = common::panic_sites("`block_in_place` was called");
    let line = line!() + 1;
    let err = catch_unwind(AssertUnwindSafe(|| block_in_place(|| 1))).unwrap_err();
    assert!(panic_text(err).contains("outside a ferrio runtime"));
    let here = format!("{}:{line}", file!());
    assert!(sites.contains(&here), "{here} not in {sites:?}");
}
