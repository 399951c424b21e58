//! Bench area `debug_overhead`: what debug mode costs, and that it costs nothing off.
//!
//! The `spawn_many` workload (spawn 100 000 tasks returning a u64, await all, sum)
//! on the single-thread loop, three ways:
//!
//! - `core-plain`: a `ferrio_core::Runtime` with the reactor as its driver, built
//!   without the facade: no poll hook exists;
//! - `debug-off`: `ferrio::Runner` as `ferrio::run` builds it (the same runtime, no
//!   poll hook); it must match `core-plain`;
//! - `debug-on`: `Runner::builder().debug(true)`: every poll is timed for the
//!   watchdog.
//!
//! The runners do not listen for Ctrl-C here (criterion runs on the main thread,
//! where they would), so only the poll path differs.
//!
//! ```text
//! cargo bench -p ferrio-benches --bench debug_overhead
//! ```

#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};

const TASKS: u64 = 100_000;

async fn spawn_many() -> u64 {
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| ferrio::spawn(async move { i }))
        .collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await.expect("the task returns its number");
    }
    sum
}

fn check(sum: u64) {
    assert_eq!(sum, TASKS * (TASKS - 1) / 2);
}

fn debug_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("debug_overhead_spawn_many");
    group.sample_size(20);

    let plain = ferrio::reactor::new_runtime().expect("the core runtime starts");
    group.bench_function("core-plain", |b| {
        b.iter(|| check(plain.block_on(spawn_many())));
    });

    let off = ferrio::Runner::builder()
        .ctrl_c(Some(false))
        .build()
        .expect("the runner starts");
    group.bench_function("debug-off", |b| b.iter(|| check(off.run(spawn_many()))));

    // Reports would only go to stderr for a slow poll; none is slow here.
    let on = ferrio::Runner::builder()
        .ctrl_c(Some(false))
        .debug(true)
        .build()
        .expect("the debug runner starts");
    group.bench_function("debug-on", |b| b.iter(|| check(on.run(spawn_many()))));

    group.finish();
}

criterion_group!(benches, debug_overhead);
criterion_main!(benches);
