//! `shutdown(wait)`: no new jobs; submitted ones still run; with `wait`, every thread
//! has exited when it returns. Dropping the last handle shuts down without waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use ferrio_executor_pool::{ThreadPool, ThreadPoolError};
use futures_lite::future::block_on;

#[test]
fn shutdown_with_wait_runs_submitted_jobs_and_joins_threads() {
    let pool = ThreadPool::builder().max_threads(2).build();
    let done = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<_> = (0..50)
        .map(|_| {
            let done = Arc::clone(&done);
            pool.run_in_executor(move || done.fetch_add(1, Ordering::SeqCst))
        })
        .collect();
    pool.shutdown(true);
    assert_eq!(
        done.load(Ordering::SeqCst),
        50,
        "every submitted job ran before shutdown returned"
    );
    assert_eq!(pool.thread_count(), 0);
    assert!(pool.is_shutdown());
    for job in jobs {
        block_on(job).unwrap();
    }
}

#[test]
fn jobs_after_shutdown_are_refused() {
    let pool = ThreadPool::new();
    pool.shutdown(false);
    let error = block_on(pool.run_in_executor(|| 1)).unwrap_err();
    assert!(matches!(error, ThreadPoolError::Shutdown));
    assert_eq!(
        error.to_string(),
        "the thread pool is shut down and accepts no new work"
    );
}

#[test]
fn shutdown_without_wait_lets_running_jobs_finish() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let job = pool.run_in_executor(move || {
        release_rx.recv().unwrap();
        "finished"
    });
    pool.shutdown(false);
    release_tx.send(()).unwrap();
    assert_eq!(block_on(job).unwrap(), "finished");
}

#[test]
fn shutdown_with_wait_from_a_pool_thread_does_not_wait_for_itself() {
    let pool = ThreadPool::builder().max_threads(2).build();
    let inner = pool.clone();
    block_on(pool.run_in_executor(move || inner.shutdown(true))).unwrap();
    pool.shutdown(true);
    assert_eq!(pool.thread_count(), 0);
}

#[test]
fn dropping_the_last_handle_still_runs_submitted_jobs() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let job = pool.run_in_executor(move || {
        release_rx.recv().unwrap();
        7
    });
    drop(pool);
    release_tx.send(()).unwrap();
    assert_eq!(block_on(job).unwrap(), 7);
}
