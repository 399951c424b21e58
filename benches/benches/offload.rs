//! Bench area `offload` (DESIGN.md workload 9): 10 000 blocking calls sent to the
//! runtime's blocking pool, 64 in flight: ferrio's `to_thread`, tokio's
//! `spawn_blocking`, smol's `unblock`.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::workloads::Offload;
use ferrio_benches::{bench, peers, Workload};

fn offload(c: &mut Criterion) {
    let mut group = c.benchmark_group(Offload::NAME);
    bench::<Offload>(&mut group, peers().chain(["ferrio-core-st"]));
    group.finish();
}

criterion_group!(benches, offload);
criterion_main!(benches);
