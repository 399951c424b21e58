//! Start-up, idle exit, shutdown and drop: warm workers, a broken pool failing fast,
//! a version mismatch caught at handshake, and no child process left behind.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferrio_executor_pool::{ProcessPool, ProcessPoolError};
use futures_lite::future::block_on;

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    run_tests(&[
        (
            "workers_that_never_get_ready_are_killed_and_break_the_pool",
            workers_that_never_get_ready_are_killed_and_break_the_pool,
        ),
        (
            "a_dropped_queued_job_never_runs",
            a_dropped_queued_job_never_runs,
        ),
        ("drop_leaves_no_child_process", drop_leaves_no_child_process),
        (
            "drop_kills_a_held_worker_once_nothing_awaits_it",
            drop_kills_a_held_worker_once_nothing_awaits_it,
        ),
        (
            "shutdown_runs_queued_jobs_then_refuses_new_ones",
            shutdown_runs_queued_jobs_then_refuses_new_ones,
        ),
        (
            "min_workers_start_warm_and_idle_ones_exit",
            min_workers_start_warm_and_idle_ones_exit,
        ),
        (
            "workers_dying_before_ready_break_the_pool",
            workers_dying_before_ready_break_the_pool,
        ),
        (
            "a_changed_binary_is_a_version_mismatch",
            a_changed_binary_is_a_version_mismatch,
        ),
    ]);
}

fn drop_leaves_no_child_process() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let jobs: Vec<_> = (0..50u64).map(|n| pool.run(SQUARE, n)).collect();
    for job in jobs {
        block_on(job).unwrap();
    }
    assert!(!child_processes().is_empty());
    drop(pool);
    assert_eq!(child_processes(), Vec::<u32>::new(), "no zombie, no orphan");
}

fn drop_kills_a_held_worker_once_nothing_awaits_it() {
    let dir = scratch_dir("drop");
    let fifo = dir.join("started");
    make_fifo(&fifo);
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let held = pool.run(HOLD, fifo.to_str().unwrap().to_string());
    wait_for_holder(&fifo);
    let queued = pool.run(SQUARE, 4);
    drop(pool);
    // Unresolved jobs keep the pool open: the held worker still runs.
    assert_eq!(child_processes().len(), 1);
    drop(queued);
    // The last claim on the pool goes: the busy worker is killed and reaped.
    drop(held);
    assert_eq!(child_processes(), Vec::<u32>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

fn shutdown_runs_queued_jobs_then_refuses_new_ones() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let jobs: Vec<_> = (0..100u64).map(|n| pool.run(SQUARE, n)).collect();
    pool.shutdown(true);
    assert_eq!(
        child_processes(),
        Vec::<u32>::new(),
        "shutdown(wait) reaps every worker"
    );
    for (n, job) in jobs.into_iter().enumerate() {
        assert_eq!(
            block_on(job).unwrap(),
            (n * n) as u64,
            "queued jobs still ran"
        );
    }
    let refused = block_on(pool.run(SQUARE, 1)).unwrap_err();
    assert_eq!(refused, ProcessPoolError::Shutdown);
}

fn min_workers_start_warm_and_idle_ones_exit() {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .min_workers(1)
        .idle_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    // Without any job, one worker starts.
    wait_until(|| pool.worker_pids().len() == 1);
    // Two held jobs need two workers; once idle, the second one exits.
    let dir = scratch_dir("warm");
    let (first, second) = (dir.join("a"), dir.join("b"));
    make_fifo(&first);
    make_fifo(&second);
    let a = pool.submit(
        HOLD.call(first.to_str().unwrap().to_string())
            .timeout(Duration::from_secs(60)),
    );
    let b = pool.submit(
        HOLD.call(second.to_str().unwrap().to_string())
            .timeout(Duration::from_secs(60)),
    );
    let pids = [wait_for_holder(&first), wait_for_holder(&second)];
    assert_eq!(pool.worker_pids().len(), 2);
    for pid in pids {
        kill(pid, libc::SIGKILL);
    }
    assert!(block_on(a).is_err() && block_on(b).is_err());
    wait_until(|| pool.worker_pids().len() == 1);
    drop(pool);
    assert_eq!(child_processes(), Vec::<u32>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

fn workers_dying_before_ready_break_the_pool() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .env(PANIC_IN_REGISTRY, "1")
        .build()
        .unwrap();
    let error = block_on(pool.run(SQUARE, 2)).unwrap_err();
    match &error {
        ProcessPoolError::Broken { reason } => {
            assert!(reason.contains("before it was ready"), "{reason}");
            assert!(reason.contains("registry refused to build"), "{reason}");
        }
        other => panic!("expected Broken, got {other:?}"),
    }
    assert!(pool.broken_reason().is_some());
    let started = Instant::now();
    assert!(matches!(
        block_on(pool.run(SQUARE, 3)),
        Err(ProcessPoolError::Broken { .. })
    ));
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "a broken pool fails fast"
    );
    drop(pool);
    assert_eq!(child_processes(), Vec::<u32>::new());
}

fn a_changed_binary_is_a_version_mismatch() {
    let exe = std::env::current_exe().unwrap();
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    // Pretend the binary was rebuilt after the pool started: new workers report a
    // different build id.
    // A running executable cannot be opened for writing; its times can be set
    // through a read-only handle by its owner.
    let file = std::fs::File::open(&exe).unwrap();
    let original = file.metadata().unwrap().modified().unwrap();
    file.set_modified(original + Duration::from_secs(1))
        .unwrap();
    let outcome = block_on(pool.run(SQUARE, 2));
    file.set_modified(original).unwrap();
    match outcome {
        Err(ProcessPoolError::Broken { reason }) => {
            assert!(reason.contains("version mismatch"), "{reason}")
        }
        other => panic!("expected a broken pool, got {other:?}"),
    }
    drop(pool);
    assert_eq!(child_processes(), Vec::<u32>::new());
}

/// Waits, yielding, for a condition the pool reaches on its own (a worker starting
/// or exiting after its idle timeout); fails after 10 s.
fn wait_until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "condition not reached within 10 s"
        );
        std::thread::yield_now();
    }
}

fn a_dropped_queued_job_never_runs() {
    let dir = scratch_dir("dropped");
    let fifo = dir.join("started");
    make_fifo(&fifo);
    let log = dir.join("log").to_str().unwrap().to_string();
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let held = pool.run(HOLD, fifo.to_str().unwrap().to_string());
    let pid = wait_for_holder(&fifo);
    // The only worker is held, so both jobs below wait in the queue.
    let dropped = pool.run(RECORD, (log.clone(), 1));
    let kept = pool.run(RECORD, (log.clone(), 2));
    drop(dropped);
    kill(pid, libc::SIGKILL);
    assert!(block_on(held).is_err());
    assert_eq!(block_on(kept).unwrap(), 2);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "2\n",
        "job 1 was withdrawn"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn workers_that_never_get_ready_are_killed_and_break_the_pool() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .startup_timeout(Duration::from_millis(100))
        .env(HANG_IN_REGISTRY, "1")
        .build()
        .unwrap();
    let error = block_on(pool.run(SQUARE, 2)).unwrap_err();
    match &error {
        ProcessPoolError::Broken { reason } => {
            assert!(
                reason.contains("did not complete its handshake within 100ms"),
                "{reason}"
            )
        }
        other => panic!("expected Broken, got {other:?}"),
    }
    assert_eq!(
        pool.workers_started(),
        3,
        "three attempts, then the pool gives up"
    );
    assert_eq!(
        child_processes(),
        Vec::<u32>::new(),
        "each hung worker was killed and reaped"
    );
}
