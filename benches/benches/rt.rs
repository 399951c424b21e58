//! Bench area `rt`: the executors themselves (DESIGN.md workloads 1, 2 and 4):
//! `spawn_many`, `yield_many`, `chained_spawn`, on every runtime, plus the bare
//! `ferrio-core-st` loop as a labelled extra (and eager tasks for `spawn_many`).
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::workloads::{ChainedSpawn, SpawnMany, YieldMany};
use ferrio_benches::{bench, peers, Workload};

fn group<W: Workload>(c: &mut Criterion, extras: &[&'static str]) {
    let mut group = c.benchmark_group(W::NAME);
    bench::<W>(&mut group, peers().chain(extras.iter().copied()));
    group.finish();
}

fn rt(c: &mut Criterion) {
    // Eager tasks (asyncio's eager_task_factory) beside the default, both flavours.
    group::<SpawnMany>(c, &["ferrio-core-st", "ferrio-st-eager", "ferrio-mt-eager"]);
    group::<YieldMany>(c, &["ferrio-core-st"]);
    group::<ChainedSpawn>(c, &["ferrio-core-st"]);
}

criterion_group!(benches, rt);
criterion_main!(benches);
