//! The multi-thread executor: a task spawned by a busy task runs on another worker.
#![cfg(not(miri))]
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::runtime;
use ferrio_core::{spawn, Flavor};

#[test]
fn spawn_from_a_busy_task_runs_on_another_worker() {
    let rt = runtime(Flavor::MultiThread);
    let (parent_thread, child_thread) = rt.block_on(async {
        spawn(async {
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let child = spawn(async move {
                d.store(true, Ordering::SeqCst);
                std::thread::current().id()
            });
            // Hog this worker until the child ran elsewhere (bounded, to fail
            // instead of hanging if it never does).
            let start = Instant::now();
            while !done.load(Ordering::SeqCst) {
                assert!(start.elapsed() < Duration::from_secs(20), "child never ran");
                std::hint::spin_loop();
            }
            (std::thread::current().id(), child.await.unwrap())
        })
        .await
        .unwrap()
    });
    assert_ne!(parent_thread, child_thread);
}

#[test]
fn both_workers_run_tasks() {
    let rt = runtime(Flavor::MultiThread);
    let threads = rt.block_on(async {
        // Two tasks that each wait for the other to start: only possible in parallel.
        let arrived = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let arrived = arrived.clone();
                let tx = tx.clone();
                spawn(async move {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let start = Instant::now();
                    while arrived.load(Ordering::SeqCst) < 2 {
                        assert!(start.elapsed() < Duration::from_secs(20));
                        std::hint::spin_loop();
                    }
                    tx.send(std::thread::current().id()).unwrap();
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let a = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a result within 30 s");
        let b = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a result within 30 s");
        (a, b)
    });
    assert_ne!(threads.0, threads.1);
}

#[test]
fn many_tasks_from_outside_all_complete() {
    let rt = runtime(Flavor::MultiThread);
    let handle = rt.handle();
    let senders: Vec<_> = (0..4)
        .map(|k| {
            let handle = handle.clone();
            std::thread::spawn(move || {
                (0..2500u64)
                    .map(|i| handle.spawn(async move { i + k }))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let tasks: Vec<_> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    let sum: u64 = rt.block_on(async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    let expected: u64 = (0..4u64)
        .map(|k| (0..2500u64).map(|i| i + k).sum::<u64>())
        .sum();
    assert_eq!(sum, expected);
}
