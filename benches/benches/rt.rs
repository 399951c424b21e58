//! Bench area `rt`: the executors themselves (DESIGN.md workloads 1, 2 and 4):
//! `spawn_many`, `yield_many`, `chained_spawn`, on every runtime.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::{ferrio_mt, ferrio_st, tokio_ct, tokio_mt, Smol1t, Smol2t};

const SPAWN_MANY: u64 = 100_000;
const YIELD_TASKS: usize = 1_000;
const YIELDS: usize = 1_000;
const CHAIN_DEPTH: usize = 10_000;

fn spawn_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many");
    let expected: u64 = (0..SPAWN_MANY).sum();

    let rt = ferrio_st();
    g.bench_function("ferrio-st", |b| {
        b.iter(|| {
            let sum = rt.block_on(async {
                let tasks: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| ferrio_core::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            });
            assert_eq!(sum, expected);
        })
    });
    drop(rt);

    let rt = ferrio_mt();
    g.bench_function("ferrio-mt", |b| {
        b.iter(|| {
            let sum = rt.block_on(async {
                let tasks: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| ferrio_core::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            });
            assert_eq!(sum, expected);
        })
    });
    drop(rt);

    for (id, rt) in [("tokio-ct", tokio_ct()), ("tokio-mt", tokio_mt())] {
        g.bench_function(id, |b| {
            b.iter(|| {
                let sum = rt.block_on(async {
                    let tasks: Vec<_> = (0..SPAWN_MANY)
                        .map(|i| tokio::spawn(async move { i }))
                        .collect();
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await.unwrap();
                    }
                    sum
                });
                assert_eq!(sum, expected);
            })
        });
    }

    let smol1 = Smol1t::new();
    g.bench_function("smol-1t", |b| {
        b.iter(|| {
            let sum = smol1.block_on(async {
                let tasks: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| smol1.ex.spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await;
                }
                sum
            });
            assert_eq!(sum, expected);
        })
    });

    let smol2 = Smol2t::new();
    g.bench_function("smol-2t", |b| {
        b.iter(|| {
            let sum = smol2.block_on(async {
                let tasks: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| smol2.ex.spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await;
                }
                sum
            });
            assert_eq!(sum, expected);
        })
    });
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_many");

    for (id, rt) in [("ferrio-st", ferrio_st()), ("ferrio-mt", ferrio_mt())] {
        g.bench_function(id, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..YIELD_TASKS)
                        .map(|_| {
                            ferrio_core::spawn(async {
                                for _ in 0..YIELDS {
                                    ferrio_core::yield_now().await;
                                }
                            })
                        })
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
                    let tasks: Vec<_> = (0..YIELD_TASKS)
                        .map(|_| {
                            tokio::spawn(async {
                                for _ in 0..YIELDS {
                                    tokio::task::yield_now().await;
                                }
                            })
                        })
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
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        smol1.ex.spawn(async {
                            for _ in 0..YIELDS {
                                smol::future::yield_now().await;
                            }
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
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        smol2.ex.spawn(async {
                            for _ in 0..YIELDS {
                                smol::future::yield_now().await;
                            }
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

fn ferrio_chain(n: usize, done: async_channel::Sender<()>) {
    if n == 0 {
        let _ = done.try_send(());
    } else {
        ferrio_core::spawn(async move { ferrio_chain(n - 1, done) }).detach();
    }
}

fn tokio_chain(n: usize, done: async_channel::Sender<()>) {
    if n == 0 {
        let _ = done.try_send(());
    } else {
        drop(tokio::spawn(async move { tokio_chain(n - 1, done) }));
    }
}

fn smol1_chain(
    ex: std::rc::Rc<smol::LocalExecutor<'static>>,
    n: usize,
    done: async_channel::Sender<()>,
) {
    if n == 0 {
        let _ = done.try_send(());
    } else {
        let ex2 = ex.clone();
        ex.spawn(async move { smol1_chain(ex2, n - 1, done) })
            .detach();
    }
}

fn smol2_chain(
    ex: std::sync::Arc<smol::Executor<'static>>,
    n: usize,
    done: async_channel::Sender<()>,
) {
    if n == 0 {
        let _ = done.try_send(());
    } else {
        let ex2 = ex.clone();
        ex.spawn(async move { smol2_chain(ex2, n - 1, done) })
            .detach();
    }
}

fn chained_spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("chained_spawn");

    for (id, rt) in [("ferrio-st", ferrio_st()), ("ferrio-mt", ferrio_mt())] {
        g.bench_function(id, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let (tx, rx) = async_channel::bounded(1);
                    ferrio_chain(CHAIN_DEPTH, tx);
                    rx.recv().await.unwrap();
                })
            })
        });
    }

    for (id, rt) in [("tokio-ct", tokio_ct()), ("tokio-mt", tokio_mt())] {
        g.bench_function(id, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let (tx, rx) = async_channel::bounded(1);
                    tokio_chain(CHAIN_DEPTH, tx);
                    rx.recv().await.unwrap();
                })
            })
        });
    }

    let smol1 = Smol1t::new();
    g.bench_function("smol-1t", |b| {
        b.iter(|| {
            smol1.block_on(async {
                let (tx, rx) = async_channel::bounded(1);
                smol1_chain(smol1.ex.clone(), CHAIN_DEPTH, tx);
                rx.recv().await.unwrap();
            })
        })
    });

    let smol2 = Smol2t::new();
    g.bench_function("smol-2t", |b| {
        b.iter(|| {
            smol2.block_on(async {
                let (tx, rx) = async_channel::bounded(1);
                smol2_chain(smol2.ex.clone(), CHAIN_DEPTH, tx);
                rx.recv().await.unwrap();
            })
        })
    });
    g.finish();
}

criterion_group!(benches, spawn_many, yield_many, chained_spawn);
criterion_main!(benches);
