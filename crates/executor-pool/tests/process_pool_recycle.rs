//! Recycling workers with `max_tasks_per_child` strands no job: 10 000 submitted,
//! 10 000 resolved.

mod common;

use common::*;
use ferrio_executor_pool::ProcessPool;
use futures_lite::future::block_on;

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    run_tests(&[(
        "ten_thousand_jobs_through_recycled_workers",
        ten_thousand_jobs_through_recycled_workers,
    )]);
}

fn ten_thousand_jobs_through_recycled_workers() {
    const JOBS: u64 = 10_000;
    let pool = ProcessPool::builder()
        .max_workers(2)
        .max_tasks_per_child(50)
        .build()
        .unwrap();
    let submitted: Vec<_> = (0..JOBS).map(|n| pool.run(SQUARE, n)).collect();
    let mut resolved = 0u64;
    for (n, job) in submitted.into_iter().enumerate() {
        assert_eq!(block_on(job).unwrap(), (n as u64) * (n as u64));
        resolved += 1;
    }
    assert_eq!(resolved, JOBS);
    let started = pool.workers_started();
    assert!(
        started >= JOBS / 50,
        "workers were recycled every 50 jobs: {started} started"
    );
    pool.shutdown(true);
    assert_eq!(child_processes(), Vec::<u32>::new());
}
