//! A storm of outside kills: workers SIGKILLed every ~10 ms, while they start, run
//! jobs and retire (`max_tasks_per_child` 1 to 3). The pool stays up: every job
//! resolves, to its value or, for the job a killed worker held, to an error naming
//! SIGKILL; no job runs twice; the pool serves jobs afterwards.

mod common;
#[path = "../../../test-support/kill_storm.rs"]
mod kill_storm;

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use common::*;
use ferrio_executor_pool::{Death, ProcessPool, ProcessPoolError};
use kill_storm::Storm;

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    run_tests(&[(
        "a_kill_storm_loses_no_job_and_leaves_the_pool_serving",
        a_kill_storm_loses_no_job_and_leaves_the_pool_serving,
    )]);
}

/// Jobs per `max_tasks_per_child` setting (1, 2 and 3): 10 002 in all (about 15 s in
/// a debug build, most of it starting some 10 000 replacement workers).
const JOBS_PER_QUOTA: u64 = 3_334;

/// How long the whole test may take before it fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(300);

fn a_kill_storm_loses_no_job_and_leaves_the_pool_serving() {
    let deadline = Instant::now() + DEADLINE;
    let mut total_kills = 0;
    let mut total_killed_jobs = 0;
    for quota in 1..=3 {
        let dir = scratch_dir("kill-storm");
        let log = dir.join("log");
        let log_path = log.to_str().unwrap().to_string();
        let pool = ProcessPool::builder()
            .max_workers(4)
            .max_tasks_per_child(quota)
            .build()
            .unwrap();

        let storm = Storm::start({
            let pool = pool.clone();
            move || pool.worker_pids()
        });
        let submitted: Vec<_> = (0..JOBS_PER_QUOTA)
            .map(|n| pool.run(RECORD, (log_path.clone(), n)))
            .collect();
        let results = wait_all(submitted, deadline);
        let kills = storm.stop();

        assert_eq!(
            results.len() as u64,
            JOBS_PER_QUOTA,
            "submitted == resolved (quota {quota})"
        );
        let mut ran: HashMap<u64, usize> = HashMap::new();
        for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
            *ran.entry(line.parse().unwrap()).or_default() += 1;
        }
        let mut killed_jobs = 0;
        for (n, result) in results.into_iter().enumerate() {
            let n = n as u64;
            let runs = ran.get(&n).copied().unwrap_or(0);
            match result {
                Ok(value) => {
                    assert_eq!(value, n, "job {n} resolved to its own value");
                    assert_eq!(runs, 1, "job {n} succeeded and ran {runs} times");
                }
                Err(ProcessPoolError::WorkerDied { death, .. })
                    if death
                        == (Death::Signal {
                            number: libc::SIGKILL,
                            name: "SIGKILL",
                        }) =>
                {
                    killed_jobs += 1;
                    assert!(runs <= 1, "job {n} failed by the kill and ran {runs} times");
                }
                Err(other) => {
                    panic!(
                        "job {n} (quota {quota}) failed with something else than the kill: {other}"
                    )
                }
            }
        }
        assert_eq!(pool.broken_reason(), None, "quota {quota}");
        // The storm is over: the pool serves jobs again, none lost.
        let after: Vec<_> = (0..100u64).map(|n| pool.run(SQUARE, n)).collect();
        let after = wait_all(after, deadline);
        for (n, result) in after.into_iter().enumerate() {
            assert_eq!(result.unwrap(), (n as u64).pow(2), "after the storm");
        }
        println!(
            "quota {quota}: {JOBS_PER_QUOTA} jobs, {kills} kills, {killed_jobs} jobs failed by \
             a kill, {} workers started",
            pool.workers_started()
        );
        total_kills += kills;
        total_killed_jobs += killed_jobs;
        pool.shutdown(true);
        std::fs::remove_dir_all(dir).unwrap();
    }
    // A real storm: many workers died, and some of them held a job.
    assert!(total_kills >= 50, "only {total_kills} kills landed");
    assert!(total_killed_jobs > 0, "no kill landed on a running job");
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Resolves every future in order; fails the test if they are not all resolved by
/// `deadline`.
fn wait_all<F: Future>(futures: Vec<F>, deadline: Instant) -> Vec<F::Output> {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let total = futures.len();
    let mut outputs = Vec::with_capacity(total);
    for future in futures {
        let mut future = pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                outputs.push(output);
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "only {} of {total} jobs resolved before the deadline",
                outputs.len()
            );
            thread::park_timeout(left);
        }
    }
    outputs
}
