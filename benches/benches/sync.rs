//! Bench area `sync`: `ping_pong`, `mpmc` and `mutex` from the design, each runtime
//! with its own primitives (ferrio's `sync::channel` and `sync::Mutex`, tokio's
//! `mpsc` and `Mutex`, smol's async-channel and async-lock). `mpmc` adds
//! async-channel on ferrio's executors, which sets the channel apart from the
//! executor; every group adds the bare `ferrio-core-st` loop.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::workloads::{Mpmc, Mutex, PingPong};
use ferrio_benches::{bench, peers, Workload};

fn group<W: Workload>(c: &mut Criterion, extras: &[&'static str]) {
    let mut group = c.benchmark_group(W::NAME);
    group.sample_size(10);
    bench::<W>(&mut group, peers().chain(extras.iter().copied()));
    group.finish();
}

fn sync(c: &mut Criterion) {
    group::<PingPong>(c, &["ferrio-core-st"]);
    group::<Mpmc>(
        c,
        &[
            "ferrio-core-st",
            "ferrio-st+async-channel",
            "ferrio-mt+async-channel",
        ],
    );
    group::<Mutex>(c, &["ferrio-core-st"]);
}

criterion_group!(benches, sync);
criterion_main!(benches);
