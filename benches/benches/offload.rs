//! Bench area `offload`: 10 000 blocking calls sent to a thread pool, 64 in flight
//! (64 tasks, each awaiting its share of calls one after the other).
//!
//! ferrio's `to_thread` on both flavours, tokio's `spawn_blocking` on tokio-ct and
//! tokio-mt, smol's `unblock` on one and two executor threads.
// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};

const CALLS: usize = 10_000;
const IN_FLIGHT: usize = 64;

/// Calls made by lane `lane` so that the lanes share `CALLS` exactly.
fn calls_of(lane: usize) -> usize {
    CALLS / IN_FLIGHT + usize::from(lane < CALLS % IN_FLIGHT)
}

/// The trivial blocking call every runtime offloads.
fn blocking_call(n: usize) -> usize {
    black_box(n).wrapping_mul(3)
}

async fn ferrio_lanes() -> usize {
    let lanes: Vec<_> = (0..IN_FLIGHT)
        .map(|lane| {
            ferrio_core::spawn(async move {
                let mut sum = 0usize;
                for n in 0..calls_of(lane) {
                    let value = ferrio_executor_pool::to_thread(move || blocking_call(n));
                    sum = sum.wrapping_add(value.await.unwrap());
                }
                sum
            })
        })
        .collect();
    let mut total = 0usize;
    for lane in lanes {
        total = total.wrapping_add(lane.await.unwrap());
    }
    total
}

async fn tokio_lanes() -> usize {
    let lanes: Vec<_> = (0..IN_FLIGHT)
        .map(|lane| {
            tokio::spawn(async move {
                let mut sum = 0usize;
                for n in 0..calls_of(lane) {
                    let value = tokio::task::spawn_blocking(move || blocking_call(n));
                    sum = sum.wrapping_add(value.await.unwrap());
                }
                sum
            })
        })
        .collect();
    let mut total = 0usize;
    for lane in lanes {
        total = total.wrapping_add(lane.await.unwrap());
    }
    total
}

fn smol_lanes(executor: &Arc<async_executor::Executor<'static>>) -> impl Future<Output = usize> {
    let lanes: Vec<_> = (0..IN_FLIGHT)
        .map(|lane| {
            executor.spawn(async move {
                let mut sum = 0usize;
                for n in 0..calls_of(lane) {
                    sum = sum.wrapping_add(blocking::unblock(move || blocking_call(n)).await);
                }
                sum
            })
        })
        .collect();
    async move {
        let mut total = 0usize;
        for lane in lanes {
            total = total.wrapping_add(lane.await);
        }
        total
    }
}

/// An executor with `extra` threads running it besides the caller's; dropping the
/// returned sender stops them.
fn smol_executor(
    extra: usize,
) -> (
    Arc<async_executor::Executor<'static>>,
    async_channel::Sender<()>,
) {
    let executor = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    for _ in 0..extra {
        let executor = Arc::clone(&executor);
        let stopped = stopped.clone();
        std::thread::spawn(move || futures_lite::future::block_on(executor.run(stopped.recv())));
    }
    (executor, stop)
}

fn offload(c: &mut Criterion) {
    let mut group = c.benchmark_group("offload");

    let ferrio_st = ferrio_core::Builder::new_current_thread().build().unwrap();
    group.bench_function("ferrio-st", |b| {
        b.iter(|| ferrio_st.block_on(ferrio_lanes()))
    });
    drop(ferrio_st);

    let ferrio_mt = ferrio_core::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    group.bench_function("ferrio-mt", |b| {
        b.iter(|| ferrio_mt.block_on(ferrio_lanes()))
    });
    drop(ferrio_mt);

    let tokio_ct = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("tokio-ct", |b| b.iter(|| tokio_ct.block_on(tokio_lanes())));
    drop(tokio_ct);

    let tokio_mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    group.bench_function("tokio-mt", |b| b.iter(|| tokio_mt.block_on(tokio_lanes())));
    drop(tokio_mt);

    for (id, extra) in [("smol-1t", 0), ("smol-2t", 1)] {
        let (executor, stop) = smol_executor(extra);
        group.bench_function(id, |b| {
            b.iter(|| futures_lite::future::block_on(executor.run(smol_lanes(&executor))))
        });
        drop(stop);
    }
    group.finish();
}

criterion_group!(benches, offload);
criterion_main!(benches);
