//! Threads start on demand, only when the queue backs up, never past the limit, and
//! exit after the idle timeout.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use ferrio_executor_pool::ThreadPool;
use futures_lite::future::block_on;

#[test]
fn sixty_four_trivial_calls_in_flight_do_not_start_sixty_four_threads() {
    let pool = ThreadPool::builder().max_threads(64).build();
    for _ in 0..if cfg!(miri) { 2 } else { 20 } {
        let jobs: Vec<_> = (0..64u64)
            .map(|n| pool.run_in_executor(move || n + 1))
            .collect();
        for (n, job) in jobs.into_iter().enumerate() {
            assert_eq!(block_on(job).unwrap(), n as u64 + 1);
        }
    }
    // Threads start only while queued jobs outnumber idle ones five to one, so a
    // burst of 64 starts about 13 and the rest reuse threads that come free; a thread
    // per call would be 64. The bound leaves room for a loaded machine, where busy
    // threads get preempted and the queue backs up more.
    let threads = pool.thread_count();
    assert!(
        threads <= 32,
        "{threads} threads for 64 trivial calls in flight"
    );
}

#[test]
fn blocked_jobs_grow_the_pool_to_its_limit_and_no_further() {
    let pool = ThreadPool::builder().max_threads(4).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = std::sync::Arc::new(std::sync::Mutex::new(release_rx));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let jobs: Vec<_> = (0..10)
        .map(|_| {
            let release_rx = release_rx.clone();
            let started_tx = started_tx.clone();
            pool.run_in_executor(move || {
                started_tx.send(()).unwrap();
                release_rx.lock().unwrap().recv().unwrap();
            })
        })
        .collect();
    // Four jobs start (one per thread); the other six wait in the queue.
    for _ in 0..4 {
        started_rx.recv().unwrap();
    }
    assert_eq!(pool.thread_count(), 4);
    assert_eq!(started_rx.try_recv(), Err(mpsc::TryRecvError::Empty));
    for _ in 0..10 {
        release_tx.send(()).unwrap();
    }
    for job in jobs {
        block_on(job).unwrap();
    }
    assert_eq!(pool.thread_count(), 4);
}

#[test]
fn idle_threads_exit_after_the_timeout() {
    let pool = ThreadPool::builder()
        .max_threads(2)
        .idle_timeout(Duration::from_millis(20))
        .build();
    block_on(pool.run_in_executor(|| ())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool.thread_count() > 0 {
        assert!(Instant::now() < deadline, "idle thread did not exit");
        std::thread::yield_now();
    }
    // A new job starts a new thread.
    assert_eq!(block_on(pool.run_in_executor(|| 5)).unwrap(), 5);
}
