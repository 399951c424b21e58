//! Faults: a worker killed, aborted, exiting or panicking mid-job fails only that job
//! with how it died, is replaced, and no queued job is lost or run twice.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferrio_executor_pool::{Death, ProcessPool, ProcessPoolError};
use futures_lite::future::block_on;

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    run_tests(&[
        (
            "sigkill_mid_job_fails_only_that_job",
            sigkill_mid_job_fails_only_that_job,
        ),
        (
            "panic_message_and_location_reach_the_caller",
            panic_message_and_location_reach_the_caller,
        ),
        (
            "abort_is_reported_as_sigabrt_with_nothing_lost",
            abort_is_reported_as_sigabrt,
        ),
        ("exit_code_is_reported", exit_code_is_reported),
        (
            "a_worker_killed_while_idle_costs_no_job",
            a_worker_killed_while_idle_costs_no_job,
        ),
        (
            "a_panic_that_aborts_reports_its_message",
            a_panic_that_aborts_reports_its_message,
        ),
        (
            "job_over_its_timeout_is_killed_and_replaced",
            job_over_its_timeout_is_killed_and_replaced,
        ),
    ]);
}

fn sigkill_mid_job_fails_only_that_job() {
    let dir = scratch_dir("sigkill");
    let fifo = dir.join("started");
    make_fifo(&fifo);
    let log = dir.join("log");
    let log_path = log.to_str().unwrap().to_string();
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();

    let held = pool.run(HOLD, fifo.to_str().unwrap().to_string());
    let pid = wait_for_holder(&fifo);
    // The only worker is held: all 1000 jobs below are queued when it dies.
    let queued: Vec<_> = (0..1000u64)
        .map(|n| pool.run(RECORD, (log_path.clone(), n)))
        .collect();
    kill(pid, libc::SIGKILL);

    let error = block_on(held).unwrap_err();
    match &error {
        ProcessPoolError::WorkerDied { job, death, .. } => {
            assert_eq!(job, "hold");
            assert_eq!(
                *death,
                Death::Signal {
                    number: libc::SIGKILL,
                    name: "SIGKILL"
                }
            );
        }
        other => panic!("expected WorkerDied, got {other:?}"),
    }
    assert!(
        error.to_string().contains("killed by signal 9 (SIGKILL)"),
        "{error}"
    );

    let results: Vec<u64> = queued
        .into_iter()
        .map(|job| block_on(job).unwrap())
        .collect();
    assert_eq!(
        results,
        (0..1000).collect::<Vec<_>>(),
        "every queued job resolves to its own value"
    );
    let mut ran: Vec<u64> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| line.parse().unwrap())
        .collect();
    ran.sort_unstable();
    assert_eq!(
        ran,
        (0..1000).collect::<Vec<_>>(),
        "each job ran exactly once"
    );
    assert!(!pool.worker_pids().contains(&pid));
    assert_eq!(pool.workers_started(), 2, "one replacement");
    std::fs::remove_dir_all(dir).unwrap();
}

fn panic_message_and_location_reach_the_caller() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let first_pid = block_on(pool.run(PID, ())).unwrap();
    let error = block_on(pool.run(PANIC, "the answer is not 41".to_string())).unwrap_err();
    match &error {
        ProcessPoolError::Panicked { job, panic } => {
            assert_eq!(job, "panic");
            assert_eq!(panic.message, "the answer is not 41");
            let location = panic.location.as_deref().unwrap();
            assert!(location.contains("common/mod.rs"), "{location}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    // A caught panic does not cost the worker.
    assert_eq!(block_on(pool.run(PID, ())).unwrap(), first_pid);
    assert_eq!(pool.workers_started(), 1);
}

fn abort_is_reported_as_sigabrt() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let before: Vec<_> = (0..20u64).map(|n| pool.run(SQUARE, n)).collect();
    let aborted = pool.run(ABORT, ());
    let after: Vec<_> = (0..20u64).map(|n| pool.run(SQUARE, n)).collect();
    let error = block_on(aborted).unwrap_err();
    assert!(
        matches!(
            &error,
            ProcessPoolError::WorkerDied {
                death: Death::Signal {
                    number: libc::SIGABRT,
                    ..
                },
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("SIGABRT"), "{error}");
    for (n, job) in before.into_iter().chain(after).enumerate() {
        assert_eq!(block_on(job).unwrap(), (n as u64 % 20).pow(2));
    }
}

fn exit_code_is_reported() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let error = block_on(pool.run(EXIT, 7)).unwrap_err();
    assert!(
        matches!(
            &error,
            ProcessPoolError::WorkerDied {
                death: Death::Exited { code: 7 },
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("exited with code 7"), "{error}");
    assert_eq!(block_on(pool.run(ADD, (2, 3))).unwrap(), 5);
}

fn job_over_its_timeout_is_killed_and_replaced() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let warm_pid = block_on(pool.run(PID, ())).unwrap();
    let started = Instant::now();
    let error =
        block_on(pool.submit(BLOCK.call(()).timeout(Duration::from_millis(200)))).unwrap_err();
    assert!(
        matches!(&error, ProcessPoolError::Timeout { job, limit } if job == "block" && *limit == Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout fired late: {:?}",
        started.elapsed()
    );
    let new_pid = block_on(pool.run(PID, ())).unwrap();
    assert_ne!(new_pid, warm_pid, "the timed-out worker was replaced");

    // The pool-wide default applies too.
    let pool = ProcessPool::builder()
        .max_workers(1)
        .job_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let error = block_on(pool.run(BLOCK, ())).unwrap_err();
    assert!(
        matches!(error, ProcessPoolError::Timeout { .. }),
        "{error:?}"
    );
    assert_eq!(block_on(pool.run(SQUARE, 5)).unwrap(), 25);
}

fn a_panic_that_aborts_reports_its_message() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let error = block_on(pool.run(DOUBLE_PANIC, ())).unwrap_err();
    match &error {
        ProcessPoolError::WorkerDied { job, death, panic } => {
            assert_eq!(job, "double_panic");
            assert_eq!(
                *death,
                Death::Signal {
                    number: libc::SIGABRT,
                    name: "SIGABRT"
                }
            );
            // The worker's panic hook forwarded the panic before the process aborted.
            let panic = panic.as_ref().expect("the panic was forwarded");
            assert_eq!(panic.message, "first panic", "the cause, not its aftermath");
            assert!(
                panic.location.as_deref().unwrap().contains("common/mod.rs"),
                "{panic:?}"
            );
        }
        other => panic!("expected WorkerDied, got {other:?}"),
    }
    assert!(error.to_string().contains("after panicking"), "{error}");
    assert_eq!(
        block_on(pool.run(SQUARE, 6)).unwrap(),
        36,
        "the worker was replaced"
    );
}

fn a_worker_killed_while_idle_costs_no_job() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let pid = block_on(pool.run(PID, ())).unwrap();
    kill(pid, libc::SIGKILL);
    // Wait for the kernel to finish the kill: the worker is a zombie until reaped.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !is_zombie(pid) {
        assert!(Instant::now() < deadline, "worker {pid} did not die");
        std::thread::yield_now();
    }
    // The next job finds the channel closed before it could be delivered: it goes to
    // the replacement instead of failing.
    assert_eq!(block_on(pool.run(SQUARE, 11)).unwrap(), 121);
    assert_ne!(block_on(pool.run(PID, ())).unwrap(), pid);
    assert_eq!(pool.workers_started(), 2);
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rfind(')')
                .map(|at| stat[at + 1..].trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}
