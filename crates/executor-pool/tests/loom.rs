//! Loom models of the thread pool: every interleaving of a submitter, a pool thread,
//! an awaiter dropping or polling its future, and shutdown.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p ferrio-executor-pool --release --test loom`
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrio_executor_pool::{ThreadPool, ThreadPoolError};
use loom::future::block_on;

/// Counts its drops: a closure's capture or result must be dropped exactly once.
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_result_always_reaches_the_awaiter() {
    loom::model(|| {
        let pool = ThreadPool::builder().max_threads(1).build();
        let job = pool.run_in_executor(|| 7);
        assert_eq!(block_on(job).unwrap(), 7);
        pool.shutdown(true);
        assert_eq!(pool.thread_count(), 0);
    });
}

#[test]
fn a_dropped_future_drops_the_closure_or_its_result_exactly_once() {
    loom::model(|| {
        let pool = ThreadPool::builder().max_threads(1).build();
        let drops = Arc::new(AtomicUsize::new(0));
        let token = Token(Arc::clone(&drops));
        let job = pool.run_in_executor(move || token);
        drop(job);
        pool.shutdown(true);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_job_racing_shutdown_runs_or_is_refused_never_lost() {
    loom::model(|| {
        let pool = ThreadPool::builder().max_threads(1).build();
        let closer = pool.clone();
        let shutdown = loom::thread::spawn(move || closer.shutdown(false));
        match block_on(pool.run_in_executor(|| 5)) {
            Ok(value) => assert_eq!(value, 5),
            Err(error) => assert!(matches!(error, ThreadPoolError::Shutdown)),
        }
        shutdown.join().unwrap();
        pool.shutdown(true);
        assert_eq!(pool.thread_count(), 0);
    });
}

#[test]
fn two_jobs_on_two_threads_are_never_stranded() {
    // A skipped notification (every sleeper already has one coming) must never
    // leave a queued job without a thread.
    loom::model(|| {
        let pool = ThreadPool::builder().max_threads(2).build();
        let first = pool.run_in_executor(|| 1);
        let second = pool.run_in_executor(|| 2);
        assert_eq!(block_on(first).unwrap() + block_on(second).unwrap(), 3);
        pool.shutdown(true);
        assert_eq!(pool.thread_count(), 0);
    });
}
