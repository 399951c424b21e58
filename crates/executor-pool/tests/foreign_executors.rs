//! Both pools' futures complete through the Waker alone: they run under
//! `futures_lite::future::block_on` and under tokio's current-thread and
//! multi-thread runtimes.

mod common;

use common::*;
use ferrio_executor_pool::{run_in_executor, to_thread, ProcessPool, ThreadPool};

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    run_tests(&[
        ("under_futures_lite_block_on", under_futures_lite_block_on),
        #[cfg(not(loom))]
        ("under_tokio_current_thread", under_tokio_current_thread),
        #[cfg(not(loom))]
        ("under_tokio_multi_thread", under_tokio_multi_thread),
    ]);
}

async fn exercise(threads: &ThreadPool, processes: &ProcessPool) {
    let (a, (b, c)) = futures_lite::future::zip(
        to_thread(|| 1 + 1),
        futures_lite::future::zip(
            run_in_executor(threads, || "thread"),
            processes.run(ADD, (40, 2)),
        ),
    )
    .await;
    assert_eq!(a.unwrap(), 2);
    assert_eq!(b.unwrap(), "thread");
    assert_eq!(c.unwrap(), 42);
}

fn under_futures_lite_block_on() {
    let threads = ThreadPool::builder().max_threads(2).build();
    let processes = ProcessPool::builder().max_workers(1).build().unwrap();
    futures_lite::future::block_on(exercise(&threads, &processes));
}

#[cfg(not(loom))]
fn under_tokio_current_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let threads = ThreadPool::builder().max_threads(2).build();
    let processes = ProcessPool::builder().max_workers(1).build().unwrap();
    runtime.block_on(exercise(&threads, &processes));
}

#[cfg(not(loom))]
fn under_tokio_multi_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let threads = ThreadPool::builder().max_threads(2).build();
    let processes = ProcessPool::builder().max_workers(2).build().unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..8i64)
            .map(|n| {
                let processes = processes.clone();
                let threads = threads.clone();
                tokio::spawn(async move {
                    let doubled = run_in_executor(&threads, move || n * 2).await.unwrap();
                    processes.run(ADD, (doubled, 1)).await.unwrap()
                })
            })
            .collect();
        for (n, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), n as i64 * 2 + 1);
        }
    });
}
