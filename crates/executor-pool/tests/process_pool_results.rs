//! Jobs run in worker processes and their values, byte payloads and errors come back.

mod common;

use common::*;
use ferrio_executor_pool::{run_in_executor, Bytes, ProcessPool, ProcessPoolError};
use futures_lite::future::block_on;

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    run_tests(&[
        (
            "values_come_back_in_argument_order",
            values_come_back_in_argument_order,
        ),
        ("jobs_run_in_other_processes", jobs_run_in_other_processes),
        ("byte_payloads_round_trip", byte_payloads_round_trip),
        (
            "plain_names_work_with_explicit_types",
            plain_names_work_with_explicit_types,
        ),
        (
            "unknown_name_is_a_clear_error",
            unknown_name_is_a_clear_error,
        ),
        (
            "wrong_types_are_a_signature_mismatch",
            wrong_types_are_a_signature_mismatch,
        ),
        (
            "oversize_arguments_fail_before_sending",
            oversize_arguments_fail_before_sending,
        ),
        (
            "oversize_result_fails_only_its_job",
            oversize_result_fails_only_its_job,
        ),
    ]);
}

fn values_come_back_in_argument_order() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let jobs: Vec<_> = (0..200i64)
        .map(|n| run_in_executor(&pool, ADD.call((n, 1000))))
        .collect();
    let values: Vec<i64> = jobs.into_iter().map(|job| block_on(job).unwrap()).collect();
    assert_eq!(values, (1000..1200).collect::<Vec<_>>());
}

fn jobs_run_in_other_processes() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let pid = block_on(pool.run(PID, ())).unwrap();
    assert_ne!(pid, std::process::id());
    assert!(
        pool.worker_pids().contains(&pid),
        "{pid} not in {:?}",
        pool.worker_pids()
    );
}

fn byte_payloads_round_trip() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    for len in [0usize, 1, 64, 64 << 10, 1 << 20] {
        let payload: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let echoed = block_on(pool.run(ECHO, Bytes(payload.clone()))).unwrap();
        assert_eq!(echoed.0, payload, "payload of {len} bytes");
    }
    // Bytes travel as one block: the encoding is the length plus the raw bytes.
    let encoded = postcard::to_allocvec(&Bytes(vec![7; 300])).unwrap();
    assert_eq!(encoded.len(), 2 + 300);
}

fn unknown_name_is_a_clear_error() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let error = block_on(pool.run(MISSING, 3)).unwrap_err();
    match &error {
        ProcessPoolError::UnknownJob { job, known } => {
            assert_eq!(job, "missing");
            assert!(known.contains(&"square".to_string()), "{known:?}");
        }
        other => panic!("expected UnknownJob, got {other:?}"),
    }
    assert!(
        error.to_string().contains("no job named `missing`"),
        "{error}"
    );
    // The worker is still fine.
    assert_eq!(block_on(pool.run(SQUARE, 12)).unwrap(), 144);
}

fn wrong_types_are_a_signature_mismatch() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let error = block_on(pool.run(SQUARE_WRONG, "twelve".to_string())).unwrap_err();
    match &error {
        ProcessPoolError::SignatureMismatch {
            job,
            registered,
            called,
        } => {
            assert_eq!(job, "square");
            assert_eq!(registered, "fn(u64) -> u64");
            assert!(called.contains("String"), "{called}");
        }
        other => panic!("expected SignatureMismatch, got {other:?}"),
    }
}

fn oversize_arguments_fail_before_sending() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .max_frame_size(1024)
        .build()
        .unwrap();
    let error = block_on(pool.run(ECHO, Bytes(vec![0; 2000]))).unwrap_err();
    assert!(
        matches!(error, ProcessPoolError::TooLarge { max: 1024, .. }),
        "{error:?}"
    );
    assert_eq!(
        pool.workers_started(),
        0,
        "nothing was sent, so no worker was needed"
    );
    assert_eq!(
        block_on(pool.run(ECHO, Bytes(vec![1; 10]))).unwrap().0,
        vec![1; 10]
    );
}

fn oversize_result_fails_only_its_job() {
    // The request is tiny, the reply would not fit: the worker refuses to send it.
    let pool = ProcessPool::builder()
        .max_workers(1)
        .max_frame_size(1024)
        .build()
        .unwrap();
    let error = block_on(pool.run(FILL, (7, 2000))).unwrap_err();
    assert!(
        matches!(&error, ProcessPoolError::TooLarge { job, max: 1024, .. } if job == "fill"),
        "{error:?}"
    );
    assert_eq!(block_on(pool.run(FILL, (7, 10))).unwrap().0, vec![7; 10]);
    assert_eq!(pool.workers_started(), 1, "the worker survived");
}

fn plain_names_work_with_explicit_types() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    // `square` is registered through the SQUARE handle; a plain name with the same
    // types reaches it, with other types it is a signature mismatch.
    assert_eq!(block_on(pool.run::<u64, u64>("square", 9)).unwrap(), 81);
    assert!(matches!(
        block_on(pool.run::<u32, u64>("square", 9)),
        Err(ProcessPoolError::SignatureMismatch { .. })
    ));
    let mut registry = ferrio_executor_pool::Registry::new();
    registry.register::<u64, u64>("cube", |n| n * n * n);
    assert!(registry.contains("cube"));
}
