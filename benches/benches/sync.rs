//! Bench area `sync`: `ping_pong`, `mpmc` and `mutex` from the design, with
//! ferrio-sync on ferrio's executors beside `tokio::sync` on tokio and
//! `async-channel`/`async-lock` on smol.
//!
//! Set `FERRIO_BENCH_SYNC_ON_PEERS=1` to add groups `<workload>_ferrio_sync_on_peers`
//! that run ferrio-sync's primitives on tokio's and smol's executors, which isolates
//! the primitives from the executors.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::thread::JoinHandle;

use criterion::{criterion_group, criterion_main, Criterion};

const ROUND_TRIPS: u64 = 100_000;
const MPMC_ITEMS: u64 = 1_000_000;
const MPMC_SIDES: u64 = 4;
const MPMC_CAPACITY: usize = 1_024;
const MUTEX_TASKS: usize = 100;
const MUTEX_INCREMENTS: usize = 1_000;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Spawns onto whichever executor runs the workload.
#[derive(Clone)]
enum Spawner {
    Tokio,
    Smol(Arc<async_executor::Executor<'static>>),
    Ferrio,
}

impl Spawner {
    /// Starts `future` at once; the returned future waits for its output.
    fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> BoxFuture<T> {
        match self {
            Spawner::Tokio => {
                let task = tokio::spawn(future);
                Box::pin(async move { task.await.expect("bench task failed") })
            }
            Spawner::Smol(executor) => Box::pin(executor.spawn(future)),
            Spawner::Ferrio => {
                let task = ferrio_core::spawn(future);
                Box::pin(async move { task.await.expect("bench task failed") })
            }
        }
    }
}

/// One executor set-up, built once outside the measured loop.
enum Runner {
    Tokio(tokio::runtime::Runtime),
    Smol {
        executor: Arc<async_executor::Executor<'static>>,
        stop: Option<async_channel::Sender<()>>,
        threads: Vec<JoinHandle<()>>,
    },
    Ferrio(ferrio_core::Runtime),
}

impl Runner {
    fn build(name: &str) -> Runner {
        match name {
            "tokio-ct" => Runner::Tokio(ferrio_benches::tokio_ct()),
            "tokio-mt" => Runner::Tokio(ferrio_benches::tokio_mt()),
            "smol-1t" => Runner::smol(0),
            "smol-2t" => Runner::smol(ferrio_benches::MT_WORKERS),
            "ferrio-st" => Runner::Ferrio(ferrio_benches::ferrio_st()),
            "ferrio-mt" => Runner::Ferrio(ferrio_benches::ferrio_mt()),
            other => panic!("unknown runtime {other}"),
        }
    }

    /// A smol executor run by `threads` threads (as `ferrio_benches::Smol2t`), or by
    /// the bench thread if 0 (as `Smol1t`, whose `LocalExecutor` wraps this same
    /// executor; the thread-safe one lets one `Spawner` serve every flavour).
    fn smol(threads: usize) -> Runner {
        let executor = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..threads)
            .map(|_| {
                let (executor, stopped) = (Arc::clone(&executor), stopped.clone());
                std::thread::spawn(move || {
                    let _ = futures_lite::future::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        Runner::Smol {
            executor,
            stop: Some(stop),
            threads,
        }
    }

    fn spawner(&self) -> Spawner {
        match self {
            Runner::Tokio(_) => Spawner::Tokio,
            Runner::Smol { executor, .. } => Spawner::Smol(Arc::clone(executor)),
            Runner::Ferrio(_) => Spawner::Ferrio,
        }
    }

    /// Runs `workload` as a task of the executor and waits for it.
    fn run(&self, workload: impl FnOnce(Spawner) -> BoxFuture<()>) {
        let spawner = self.spawner();
        match self {
            Runner::Tokio(runtime) => runtime.block_on(async {
                tokio::spawn(workload(spawner)).await.unwrap();
            }),
            Runner::Smol {
                executor, threads, ..
            } => {
                let task = executor.spawn(workload(spawner));
                if threads.is_empty() {
                    futures_lite::future::block_on(executor.run(task));
                } else {
                    futures_lite::future::block_on(task);
                }
            }
            Runner::Ferrio(runtime) => runtime.block_on(async {
                ferrio_core::spawn(workload(spawner)).await.unwrap();
            }),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Runner::Smol { stop, threads, .. } = self {
            drop(stop.take());
            for thread in threads.drain(..) {
                thread.join().unwrap();
            }
        }
    }
}

/// The primitives a workload uses: each runtime's own, or ferrio-sync's.
#[derive(Clone, Copy)]
enum Primitives {
    Ferrio,
    Tokio,
    Smol,
}

fn ping_pong(primitives: Primitives, spawner: Spawner) -> BoxFuture<()> {
    match primitives {
        Primitives::Ferrio => Box::pin(async move {
            let (ping, pong) = (ferrio_sync::Queue::new(1), ferrio_sync::Queue::new(1));
            let (ping2, pong2) = (ping.clone(), pong.clone());
            let echo = spawner.spawn(async move {
                while let Ok(n) = ping2.get().await {
                    pong2.put(n + 1).await.unwrap();
                }
            });
            let mut n = 0;
            for _ in 0..ROUND_TRIPS {
                ping.put(n).await.unwrap();
                n = pong.get().await.unwrap();
            }
            assert_eq!(n, ROUND_TRIPS);
            ping.shutdown(false);
            echo.await;
        }),
        Primitives::Tokio => Box::pin(async move {
            let (ping, mut ping_rx) = tokio::sync::mpsc::channel(1);
            let (pong, mut pong_rx) = tokio::sync::mpsc::channel(1);
            let echo = spawner.spawn(async move {
                while let Some(n) = ping_rx.recv().await {
                    pong.send(n + 1).await.unwrap();
                }
            });
            let mut n = 0;
            for _ in 0..ROUND_TRIPS {
                ping.send(n).await.unwrap();
                n = pong_rx.recv().await.unwrap();
            }
            assert_eq!(n, ROUND_TRIPS);
            drop(ping);
            echo.await;
        }),
        Primitives::Smol => Box::pin(async move {
            let (ping, ping_rx) = async_channel::bounded(1);
            let (pong, pong_rx) = async_channel::bounded(1);
            let echo = spawner.spawn(async move {
                while let Ok(n) = ping_rx.recv().await {
                    pong.send(n + 1).await.unwrap();
                }
            });
            let mut n = 0;
            for _ in 0..ROUND_TRIPS {
                ping.send(n).await.unwrap();
                n = pong_rx.recv().await.unwrap();
            }
            assert_eq!(n, ROUND_TRIPS);
            drop(ping);
            echo.await;
        }),
    }
}

fn mpmc(primitives: Primitives, spawner: Spawner) -> BoxFuture<()> {
    let per_producer = MPMC_ITEMS / MPMC_SIDES;
    let expected = MPMC_SIDES * per_producer * (per_producer - 1) / 2;
    match primitives {
        Primitives::Ferrio => Box::pin(async move {
            let queue = ferrio_sync::Queue::new(MPMC_CAPACITY);
            let producers: Vec<_> = (0..MPMC_SIDES)
                .map(|_| {
                    let queue = queue.clone();
                    spawner.spawn(async move {
                        for n in 0..per_producer {
                            queue.put(n).await.unwrap();
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..MPMC_SIDES)
                .map(|_| {
                    let queue = queue.clone();
                    spawner.spawn(async move {
                        let mut sum = 0;
                        while let Ok(n) = queue.get().await {
                            sum += n;
                        }
                        sum
                    })
                })
                .collect();
            for producer in producers {
                producer.await;
            }
            queue.shutdown(false);
            let mut sum = 0;
            for consumer in consumers {
                sum += consumer.await;
            }
            assert_eq!(sum, expected);
        }),
        Primitives::Tokio => Box::pin(async move {
            // tokio's channel has one receiver: consumers share it behind its Mutex,
            // the usual tokio way to fan out.
            let (tx, rx) = tokio::sync::mpsc::channel(MPMC_CAPACITY);
            let rx = Arc::new(tokio::sync::Mutex::new(rx));
            let producers: Vec<_> = (0..MPMC_SIDES)
                .map(|_| {
                    let tx = tx.clone();
                    spawner.spawn(async move {
                        for n in 0..per_producer {
                            tx.send(n).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..MPMC_SIDES)
                .map(|_| {
                    let rx = Arc::clone(&rx);
                    spawner.spawn(async move {
                        let mut sum = 0;
                        while let Some(n) = rx.lock().await.recv().await {
                            sum += n;
                        }
                        sum
                    })
                })
                .collect();
            for producer in producers {
                producer.await;
            }
            let mut sum = 0;
            for consumer in consumers {
                sum += consumer.await;
            }
            assert_eq!(sum, expected);
        }),
        Primitives::Smol => Box::pin(async move {
            let (tx, rx) = async_channel::bounded(MPMC_CAPACITY);
            let producers: Vec<_> = (0..MPMC_SIDES)
                .map(|_| {
                    let tx = tx.clone();
                    spawner.spawn(async move {
                        for n in 0..per_producer {
                            tx.send(n).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..MPMC_SIDES)
                .map(|_| {
                    let rx = rx.clone();
                    spawner.spawn(async move {
                        let mut sum = 0;
                        while let Ok(n) = rx.recv().await {
                            sum += n;
                        }
                        sum
                    })
                })
                .collect();
            for producer in producers {
                producer.await;
            }
            let mut sum = 0;
            for consumer in consumers {
                sum += consumer.await;
            }
            assert_eq!(sum, expected);
        }),
    }
}

fn mutex(primitives: Primitives, spawner: Spawner) -> BoxFuture<()> {
    let expected = MUTEX_TASKS * MUTEX_INCREMENTS;
    match primitives {
        Primitives::Ferrio => Box::pin(async move {
            let counter = Arc::new(ferrio_sync::Mutex::new(0usize));
            let tasks: Vec<_> = (0..MUTEX_TASKS)
                .map(|_| {
                    let counter = Arc::clone(&counter);
                    spawner.spawn(async move {
                        for _ in 0..MUTEX_INCREMENTS {
                            *counter.lock().await += 1;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await;
            }
            assert_eq!(*counter.lock().await, expected);
        }),
        Primitives::Tokio => Box::pin(async move {
            let counter = Arc::new(tokio::sync::Mutex::new(0usize));
            let tasks: Vec<_> = (0..MUTEX_TASKS)
                .map(|_| {
                    let counter = Arc::clone(&counter);
                    spawner.spawn(async move {
                        for _ in 0..MUTEX_INCREMENTS {
                            *counter.lock().await += 1;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await;
            }
            assert_eq!(*counter.lock().await, expected);
        }),
        Primitives::Smol => Box::pin(async move {
            let counter = Arc::new(async_lock::Mutex::new(0usize));
            let tasks: Vec<_> = (0..MUTEX_TASKS)
                .map(|_| {
                    let counter = Arc::clone(&counter);
                    spawner.spawn(async move {
                        for _ in 0..MUTEX_INCREMENTS {
                            *counter.lock().await += 1;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await;
            }
            assert_eq!(*counter.lock().await, expected);
        }),
    }
}

type Workload = fn(Primitives, Spawner) -> BoxFuture<()>;

const WORKLOADS: [(&str, Workload); 3] =
    [("ping_pong", ping_pong), ("mpmc", mpmc), ("mutex", mutex)];

/// Each runtime with its own primitives.
const NATIVE: [(&str, Primitives); 6] = [
    ("ferrio-st", Primitives::Ferrio),
    ("ferrio-mt", Primitives::Ferrio),
    ("tokio-ct", Primitives::Tokio),
    ("tokio-mt", Primitives::Tokio),
    ("smol-1t", Primitives::Smol),
    ("smol-2t", Primitives::Smol),
];

fn sync_benches(c: &mut Criterion) {
    for (workload_name, workload) in WORKLOADS {
        let mut group = c.benchmark_group(workload_name);
        group.sample_size(10);
        for (runtime, primitives) in NATIVE {
            let runner = Runner::build(runtime);
            group.bench_function(runtime, |b| {
                b.iter(|| runner.run(|spawner| workload(primitives, spawner)))
            });
        }
        group.finish();
    }

    if std::env::var_os("FERRIO_BENCH_SYNC_ON_PEERS").is_some() {
        for (workload_name, workload) in WORKLOADS {
            let mut group = c.benchmark_group(format!("{workload_name}_ferrio_sync_on_peers"));
            group.sample_size(10);
            for runtime in ["tokio-ct", "tokio-mt", "smol-1t", "smol-2t"] {
                let runner = Runner::build(runtime);
                group.bench_function(runtime, |b| {
                    b.iter(|| runner.run(|spawner| workload(Primitives::Ferrio, spawner)))
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, sync_benches);
criterion_main!(benches);
