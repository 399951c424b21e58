//! Bench area `process_pool`: ferrio's ProcessPool (no other Rust runtime has one).
//!
//! - `process_pool_round_trip`: a warm tiny job's round trip (also printed as
//!   p50/p99 over 10 000 trips before criterion runs);
//! - `process_pool_cold_start`: building a pool until its first job answers;
//! - `process_pool_payload_{64B,64KiB,1MiB}`: echo of a byte payload;
//! - `process_pool_cpu_x16`: a ~10 ms CPU-bound job 16 times, on 1 and 2 worker
//!   processes, on a 2-thread ThreadPool, and inline.
//!
//! `main` calls `ferrio_executor_pool::init` first: the pool's workers are this
//! bench binary run again. The `ferrio-st` ids await the jobs on
//! `ferrio::Runner::new()`, the single-thread loop `ferrio::run` uses.
// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

use ferrio_executor_pool::{Bytes, Job, ProcessPool, Registry, ThreadPool};
use futures_lite::future::block_on;

const TINY: Job<u64, u64> = Job::new("tiny");
const ECHO: Job<Bytes, Bytes> = Job::new("echo");
const SPIN: Job<u64, u64> = Job::new("spin");

/// CPU-bound work: `rounds` steps of xorshift.
fn spin(rounds: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = black_box(x);
    }
    x
}

fn jobs() -> Registry {
    let mut registry = Registry::new();
    registry
        .register(TINY, |n| n + 1)
        .register(ECHO, |bytes| bytes)
        .register(SPIN, spin);
    registry
}

/// Rounds of `spin` that take about 10 ms here.
fn rounds_for_10ms() -> u64 {
    let probe = 1_000_000;
    let started = Instant::now();
    black_box(spin(probe));
    let per_round = started.elapsed().as_secs_f64() / probe as f64;
    (0.010 / per_round) as u64
}

fn round_trip_percentiles(rt: &ferrio::Runner, pool: &ProcessPool) {
    let mut samples: Vec<Duration> = rt.run(async {
        let mut samples = Vec::with_capacity(10_000);
        for n in 0..10_000u64 {
            let started = Instant::now();
            black_box(pool.run(TINY, n).await.unwrap());
            samples.push(started.elapsed());
        }
        samples
    });
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "process_pool_round_trip over {} trips: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

fn benches(c: &mut Criterion) {
    let rt = ferrio::Runner::new();
    let warm = ProcessPool::builder()
        .max_workers(1)
        .min_workers(1)
        .build()
        .unwrap();
    rt.run(warm.run(TINY, 0)).unwrap();
    round_trip_percentiles(&rt, &warm);
    c.benchmark_group("process_pool_round_trip")
        .bench_function("ferrio-st", |b| {
            b.iter(|| rt.run(warm.run(TINY, black_box(1))).unwrap())
        });

    for (name, len) in [("64B", 64usize), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let payload = Bytes(vec![0xA5; len]);
        c.benchmark_group(format!("process_pool_payload_{name}"))
            .bench_function("ferrio-st", |b| {
                b.iter(|| rt.run(warm.run(ECHO, payload.clone())).unwrap())
            });
    }
    drop(warm);

    let mut cold = c.benchmark_group("process_pool_cold_start");
    cold.sample_size(20);
    cold.bench_function("ferrio-st", |b| {
        b.iter(|| {
            let pool = ProcessPool::builder().max_workers(1).build().unwrap();
            rt.run(pool.run(TINY, 0)).unwrap()
        })
    });
    cold.finish();

    let rounds = rounds_for_10ms();
    let mut cpu = c.benchmark_group("process_pool_cpu_x16");
    cpu.sample_size(10);
    for workers in [1usize, 2] {
        let pool = ProcessPool::builder()
            .max_workers(workers)
            .min_workers(workers)
            .build()
            .unwrap();
        let warmups: Vec<_> = (0..workers as u64).map(|n| pool.run(TINY, n)).collect();
        for job in warmups {
            block_on(job).unwrap();
        }
        cpu.bench_function(format!("process-{workers}w"), |b| {
            b.iter(|| {
                let jobs: Vec<_> = (0..16).map(|_| pool.run(SPIN, rounds)).collect();
                jobs.into_iter()
                    .map(|job| block_on(job).unwrap())
                    .fold(0, u64::wrapping_add)
            })
        });
    }
    let threads = ThreadPool::builder().max_threads(2).build();
    cpu.bench_function("thread-pool-2t", |b| {
        b.iter(|| {
            let jobs: Vec<_> = (0..16)
                .map(|_| threads.run_in_executor(move || spin(rounds)))
                .collect();
            jobs.into_iter()
                .map(|job| block_on(job).unwrap())
                .fold(0, u64::wrapping_add)
        })
    });
    cpu.bench_function("inline", |b| {
        b.iter(|| (0..16).map(|_| spin(rounds)).fold(0, u64::wrapping_add))
    });
    cpu.finish();
}

fn main() {
    ferrio_executor_pool::init(jobs);
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
