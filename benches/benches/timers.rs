//! Bench area `timers` (DESIGN.md workload 6): 100 000 concurrent sleeps of random
//! 0..10 ms (fixed seed), on every runtime.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::{ferrio_mt, ferrio_st, rng, tokio_ct, tokio_mt, Smol1t, Smol2t};

const SLEEPS: usize = 100_000;

fn durations() -> Vec<Duration> {
    let mut rng = rng();
    (0..SLEEPS)
        .map(|_| Duration::from_micros(rng.u64(0..10_000)))
        .collect()
}

fn timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("timers");
    g.sample_size(10);
    let ds = durations();

    for (id, rt) in [("ferrio-st", ferrio_st()), ("ferrio-mt", ferrio_mt())] {
        g.bench_function(id, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = ds
                        .iter()
                        .map(|&d| ferrio_core::spawn(ferrio_core::sleep(d)))
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                })
            })
        });
    }

    for (id, rt) in [("tokio-ct", tokio_ct()), ("tokio-mt", tokio_mt())] {
        g.bench_function(id, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = ds
                        .iter()
                        .map(|&d| tokio::spawn(tokio::time::sleep(d)))
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                })
            })
        });
    }

    let smol1 = Smol1t::new();
    g.bench_function("smol-1t", |b| {
        b.iter(|| {
            smol1.block_on(async {
                let tasks: Vec<_> = ds
                    .iter()
                    .map(|&d| {
                        smol1.ex.spawn(async move {
                            smol::Timer::after(d).await;
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await;
                }
            })
        })
    });

    let smol2 = Smol2t::new();
    g.bench_function("smol-2t", |b| {
        b.iter(|| {
            smol2.block_on(async {
                let tasks: Vec<_> = ds
                    .iter()
                    .map(|&d| {
                        smol2.ex.spawn(async move {
                            smol::Timer::after(d).await;
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await;
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
