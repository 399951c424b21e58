//! Bench area `rt`: the executors themselves (DESIGN.md workloads 1, 2 and 4):
//! `spawn_many`, `yield_many`, `chained_spawn`, on every runtime, plus the bare
//! `ferrio-core-st` loop as a labelled extra.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::workloads::{ChainedSpawn, SpawnMany, YieldMany};
use ferrio_benches::{bench, peers, Workload};

fn group<W: Workload>(c: &mut Criterion) {
    let mut group = c.benchmark_group(W::NAME);
    bench::<W>(&mut group, peers().chain(["ferrio-core-st"]));
    group.finish();
}

fn rt(c: &mut Criterion) {
    group::<SpawnMany>(c);
    group::<YieldMany>(c);
    group::<ChainedSpawn>(c);
}

criterion_group!(benches, rt);
criterion_main!(benches);
