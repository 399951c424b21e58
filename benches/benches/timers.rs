//! Bench area `timers` (DESIGN.md workload 6): 100 000 concurrent sleeps of random
//! 0..10 ms (fixed seed), on every runtime.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::workloads::Timers;
use ferrio_benches::{bench, peers, Workload};

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group(Timers::NAME);
    group.sample_size(10);
    bench::<Timers>(&mut group, peers().chain(["ferrio-core-st"]));
    group.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
