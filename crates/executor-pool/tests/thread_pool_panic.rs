//! A panicking closure is an error for its awaiter, with the message; the pool keeps
//! its threads and goes on.

use std::sync::mpsc;

use ferrio_executor_pool::{ThreadPool, ThreadPoolError};
use futures_lite::future::block_on;

#[test]
fn panic_comes_back_as_an_error_with_its_message() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let error = block_on(pool.run_in_executor(|| -> u32 { panic!("disk on fire") })).unwrap_err();
    assert!(error.is_panic());
    assert_eq!(error.panic_message(), Some("disk on fire"));
    assert_eq!(
        error.to_string(),
        "the offloaded closure panicked: disk on fire"
    );
    let payload = error.try_into_panic().unwrap();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"disk on fire"));
}

#[test]
fn formatted_panics_keep_their_message() {
    let pool = ThreadPool::new();
    let error =
        block_on(pool.run_in_executor(|| -> () { panic!("job {} failed", 7) })).unwrap_err();
    assert_eq!(error.panic_message(), Some("job 7 failed"));
}

#[test]
fn the_pool_keeps_its_thread_after_a_panic() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let first = block_on(pool.run_in_executor(|| std::thread::current().id())).unwrap();
    for _ in 0..10 {
        assert!(block_on(pool.run_in_executor(|| panic!("again")))
            .unwrap_err()
            .is_panic());
    }
    let after = block_on(pool.run_in_executor(|| std::thread::current().id())).unwrap();
    assert_eq!(first, after, "the same thread serves on");
    assert_eq!(pool.thread_count(), 1);
}

#[test]
fn other_jobs_are_unaffected_by_a_neighbour_panicking() {
    let pool = ThreadPool::builder().max_threads(2).build();
    let (tx, rx) = mpsc::channel();
    let jobs: Vec<_> = (0..100u32)
        .map(|n| {
            let tx = tx.clone();
            pool.run_in_executor(move || {
                if n % 10 == 0 {
                    panic!("job {n}");
                }
                tx.send(n).unwrap();
                n
            })
        })
        .collect();
    let mut panics = 0;
    for (n, job) in jobs.into_iter().enumerate() {
        match block_on(job) {
            Ok(value) => assert_eq!(value as usize, n),
            Err(ThreadPoolError::Panicked(_)) => panics += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(panics, 10);
    assert_eq!(rx.try_iter().count(), 90);
}
