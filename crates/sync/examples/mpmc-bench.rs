//! mpmc bench: 4 producers, 4 consumers, 1 000 000 `u64` through one bounded channel
//! of 1 024 (DESIGN.md's `mpmc` workload), `ferrio_sync::channel` against
//! `async-channel`, tokio's `mpsc` with its receiver behind a tokio `Mutex` (the usual
//! tokio fan-out), and `ferrio_sync::Queue` (asyncio's strict hand-over, which the
//! channel was built on before), on smol's `LocalExecutor` and on a 2-thread
//! `async-executor`. Runs are interleaved; the medians are printed.
//!
//! `cargo run --release -p ferrio-sync --example mpmc-bench [samples]`

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_executor::{Executor, LocalExecutor};
use futures_lite::future;

const PRODUCERS: u64 = 4;
const CONSUMERS: usize = 4;
const TOTAL: u64 = 1_000_000;
const CAPACITY: usize = 1024;

/// What the workload needs of a channel.
trait Chan: Sized + 'static {
    type Tx: Clone + Send + 'static;
    type Rx: Clone + Send + 'static;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    /// Every producer is done; `tx` is the last sender handle.
    fn producers_done(tx: Self::Tx) {
        drop(tx);
    }
    fn send(tx: &Self::Tx, v: u64) -> impl Future<Output = ()> + Send;
    fn recv(rx: &Self::Rx) -> impl Future<Output = Option<u64>> + Send;
}

struct Ferrio;
impl Chan for Ferrio {
    type Tx = ferrio_sync::channel::Sender<u64>;
    type Rx = ferrio_sync::channel::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        ferrio_sync::channel::bounded(cap)
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

struct AsyncChannel;
impl Chan for AsyncChannel {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(cap)
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

struct TokioMpsc;
impl Chan for TokioMpsc {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<u64>>>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = tokio::sync::mpsc::channel(cap);
        (tx, Arc::new(tokio::sync::Mutex::new(rx)))
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.lock().await.recv().await
    }
}

struct FerrioQueue;
impl Chan for FerrioQueue {
    type Tx = ferrio_sync::Queue<u64>;
    type Rx = ferrio_sync::Queue<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        let queue = ferrio_sync::Queue::new(cap);
        (queue.clone(), queue)
    }
    fn producers_done(tx: Self::Tx) {
        tx.shutdown(false);
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.put(v).await.unwrap();
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.get().await.ok()
    }
}

/// Spawns the workload through `spawn` and returns the sum every consumer saw.
async fn workload<C: Chan>(
    spawn: impl Fn(std::pin::Pin<Box<dyn Future<Output = u64> + Send>>) -> async_executor::Task<u64>,
) -> u64 {
    let (tx, rx) = C::bounded(CAPACITY);
    let per = TOTAL / PRODUCERS;
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        producers.push(spawn(Box::pin(async move {
            for n in 0..per {
                C::send(&tx, p * per + n).await;
            }
            0
        })));
    }
    let mut consumers = Vec::new();
    for _ in 0..CONSUMERS {
        let rx = rx.clone();
        consumers.push(spawn(Box::pin(async move {
            let mut sum = 0;
            while let Some(v) = C::recv(&rx).await {
                sum += v;
            }
            sum
        })));
    }
    drop(rx);
    for producer in producers {
        producer.await;
    }
    C::producers_done(tx);
    let mut sum = 0;
    for consumer in consumers {
        sum += consumer.await;
    }
    sum
}

fn run_st<C: Chan>() -> Duration {
    let ex = LocalExecutor::new();
    let start = Instant::now();
    let sum = future::block_on(ex.run(workload::<C>(|f| ex.spawn(f))));
    let took = start.elapsed();
    assert_eq!(sum, TOTAL * (TOTAL - 1) / 2, "a value was lost or repeated");
    took
}

fn run_mt<C: Chan>(ex: &Arc<Executor<'static>>) -> Duration {
    let start = Instant::now();
    let sum = future::block_on(ex.run(workload::<C>(|f| ex.spawn(f))));
    let took = start.elapsed();
    assert_eq!(sum, TOTAL * (TOTAL - 1) / 2, "a value was lost or repeated");
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let samples: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    // The 2-thread executor: this thread plus one helper, running until the end.
    let ex = Arc::new(Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let helper = {
        let ex = Arc::clone(&ex);
        std::thread::spawn(move || future::block_on(ex.run(stopped.recv())))
    };
    let contenders: [(&str, &dyn Fn() -> Duration); 8] = [
        ("ferrio channel st", &run_st::<Ferrio>),
        ("async-channel st", &run_st::<AsyncChannel>),
        ("tokio mpsc st", &run_st::<TokioMpsc>),
        ("ferrio Queue st", &run_st::<FerrioQueue>),
        ("ferrio channel 2t", &|| run_mt::<Ferrio>(&ex)),
        ("async-channel 2t", &|| run_mt::<AsyncChannel>(&ex)),
        ("tokio mpsc 2t", &|| run_mt::<TokioMpsc>(&ex)),
        ("ferrio Queue 2t", &|| run_mt::<FerrioQueue>(&ex)),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    // One warm-up round, then interleaved samples.
    for round in 0..=samples {
        for ((_, run), slot) in contenders.iter().zip(&mut times) {
            let took = run();
            if round > 0 {
                slot.push(took);
            }
        }
    }
    drop(stop);
    helper.join().unwrap().ok();
    for ((name, _), t) in contenders.iter().zip(times) {
        let (min, max) = (*t.iter().min().unwrap(), *t.iter().max().unwrap());
        println!(
            "{name:<20} median {:>7.2} ms  (min {:.2}, max {:.2}, n={})",
            median(t).as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            samples
        );
    }
}
