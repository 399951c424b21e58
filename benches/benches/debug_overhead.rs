//! Bench area `debug_overhead`: what debug mode costs, and that it costs nothing off.
//!
//! The `spawn_many` workload (spawn 100 000 tasks returning a u64, await all, sum)
//! on the single-thread loop, three ways:
//!
//! - `core-plain`: a bare `ferrio_core::Runtime`, no facade, no hook;
//! - `debug-off`: `ferrio::Runner` as `ferrio::run` builds it (reactor driver, no
//!   poll hook); it must match `core-plain`;
//! - `debug-on`: `Runner::builder().debug(true)`: every poll is timed for the
//!   watchdog.
//!
//! ```text
//! cargo bench -p ferrio-benches --bench debug_overhead
//! ```

use criterion::{criterion_group, criterion_main, Criterion};

const TASKS: u64 = 100_000;

async fn spawn_many() -> u64 {
    let tasks: Vec<_> = (0..TASKS).map(|i| ferrio::spawn(async move { i })).collect();
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

    let plain = ferrio_core::Runtime::new().expect("the core runtime starts");
    group.bench_function("core-plain", |b| {
        b.iter(|| check(plain.block_on(spawn_many())));
    });

    let off = ferrio::Runner::new();
    group.bench_function("debug-off", |b| b.iter(|| check(off.run(spawn_many()))));

    // Reports would only go to stderr for a slow poll; none is slow here.
    let on = ferrio::Runner::builder()
        .debug(true)
        .build()
        .expect("the debug runner starts");
    group.bench_function("debug-on", |b| b.iter(|| check(on.run(spawn_many()))));

    group.finish();
}

criterion_group!(benches, debug_overhead);
criterion_main!(benches);
