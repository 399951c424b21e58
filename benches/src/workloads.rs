//! DESIGN.md's ten workloads, each written once against [`Rt`], with its fixed
//! parameters. Every run checks its own result.

use std::collections::VecDeque;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::{Rt, Workload};

/// Workload 1: Spawn 100 000 tasks returning a u64, await all, sum.
pub struct SpawnMany;

/// Tasks of [`SpawnMany`].
pub const SPAWN_MANY: u64 = 100_000;

impl Workload for SpawnMany {
    const NAME: &'static str = "spawn_many";

    async fn run<R: Rt>() {
        assert_eq!(
            spawn_many::<R>(SPAWN_MANY).await,
            SPAWN_MANY * (SPAWN_MANY - 1) / 2
        );
    }
}

/// Spawns `n` tasks returning their index, awaits all and sums: [`SpawnMany`]'s
/// body, sized by the caller (the instruction counts use it too).
pub async fn spawn_many<R: Rt>(n: u64) -> u64 {
    let tasks: Vec<_> = (0..n).map(|i| R::spawn(async move { i })).collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await;
    }
    sum
}

/// Workload 2: 1 000 tasks each yield 1 000 times.
pub struct YieldMany;

impl Workload for YieldMany {
    const NAME: &'static str = "yield_many";

    async fn run<R: Rt>() {
        assert_eq!(yield_many::<R>(1_000, 1_000).await, 1_000_000);
    }
}

/// `tasks` tasks each yield `yields` times; returns the yields done: [`YieldMany`]'s
/// body, sized by the caller.
pub async fn yield_many<R: Rt>(tasks: usize, yields: usize) -> usize {
    let tasks: Vec<_> = (0..tasks)
        .map(|_| {
            R::spawn(async move {
                for _ in 0..yields {
                    R::yield_now().await;
                }
                yields
            })
        })
        .collect();
    let mut done = 0;
    for task in tasks {
        done += task.await;
    }
    done
}

/// Workload 3: Two tasks bounce a u64 100 000 round trips over two capacity-1 channels.
pub struct PingPong;

impl Workload for PingPong {
    const NAME: &'static str = "ping_pong";

    async fn run<R: Rt>() {
        assert_eq!(ping_pong::<R>(100_000).await, 100_000);
    }
}

/// Bounces a counter `round_trips` times between this task and an echo task over
/// two capacity-1 channels; returns the final count: [`PingPong`]'s body, sized by
/// the caller.
pub async fn ping_pong<R: Rt>(round_trips: u64) -> u64 {
    let (ping, mut ping_rx) = R::channel(1);
    let (pong, mut pong_rx) = R::channel(1);
    let echo = R::spawn(async move {
        while let Some(n) = R::recv(&mut ping_rx).await {
            R::send(&pong, n + 1).await;
        }
    });
    let mut n = 0;
    for _ in 0..round_trips {
        R::send(&ping, n).await;
        n = R::recv(&mut pong_rx).await.expect("the echo task answers");
    }
    drop(ping);
    echo.await;
    n
}

/// Workload 4: Each task spawns the next, depth 10 000; the last signals back.
pub struct ChainedSpawn;

impl Workload for ChainedSpawn {
    const NAME: &'static str = "chained_spawn";

    async fn run<R: Rt>() {
        chained_spawn::<R>(10_000).await;
    }
}

/// Spawns a chain of `depth` (at least 1) tasks, each spawning the next, and waits
/// for the last one's signal: [`ChainedSpawn`]'s body, sized by the caller.
pub async fn chained_spawn<R: Rt>(depth: usize) {
    let (done, mut done_rx) = R::channel(1);
    chain::<R>(depth, done);
    R::recv(&mut done_rx).await.expect("the last task signals");
}

/// Spawns the first of `depth` (at least 1) tasks, each spawning the next; the
/// last sends on `done`.
fn chain<R: Rt>(depth: usize, done: R::Sender<()>) {
    R::spawn_detached(async move {
        if depth == 1 {
            R::send(&done, ()).await;
        } else {
            chain::<R>(depth - 1, done);
        }
    });
}

/// Workload 5: 4 producers, 4 consumers, 1 000 000 u64 through one bounded channel of 1 024.
pub struct Mpmc;

impl Workload for Mpmc {
    const NAME: &'static str = "mpmc";

    async fn run<R: Rt>() {
        const ITEMS: u64 = 1_000_000;
        const SIDES: u64 = 4;
        let per_producer = ITEMS / SIDES;
        let (tx, rx) = R::shared_channel(1_024);
        let producers: Vec<_> = (0..SIDES)
            .map(|_| {
                let tx = tx.clone();
                R::spawn(async move {
                    for n in 0..per_producer {
                        R::send(&tx, n).await;
                    }
                })
            })
            .collect();
        // The channel closes when the last producer is done.
        drop(tx);
        let consumers: Vec<_> = (0..SIDES)
            .map(|_| {
                let rx = rx.clone();
                R::spawn(async move {
                    let mut sum = 0;
                    while let Some(n) = R::recv_shared(&rx).await {
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
        assert_eq!(sum, SIDES * per_producer * (per_producer - 1) / 2);
    }
}

/// Workload 6: 100 000 concurrent sleeps of random 0..10 ms (fixed seed).
pub struct Timers;

/// The sleeps of [`Timers`], drawn once.
fn sleeps() -> Arc<[Duration]> {
    static SLEEPS: OnceLock<Arc<[Duration]>> = OnceLock::new();
    Arc::clone(SLEEPS.get_or_init(|| {
        let mut rng = crate::rng();
        (0..100_000)
            .map(|_| Duration::from_micros(rng.u64(0..10_000)))
            .collect()
    }))
}

impl Workload for Timers {
    const NAME: &'static str = "timers";

    async fn run<R: Rt>() {
        let tasks: Vec<_> = sleeps().iter().map(|&d| R::spawn(R::sleep(d))).collect();
        for task in tasks {
            task.await;
        }
    }
}

/// [`Timers`]' body sized by the caller: `n` concurrent sleeps of `base` plus random
/// 0..10 ms (fixed seed), each in its own task.
pub async fn timers<R: Rt>(n: usize, base: Duration) {
    let mut rng = crate::rng();
    let tasks: Vec<_> = (0..n)
        .map(|_| R::spawn(R::sleep(base + Duration::from_micros(rng.u64(0..10_000)))))
        .collect();
    for task in tasks {
        task.await;
    }
}

/// Far timers armed and cancelled, as an HTTP/1 server's header-read timeout: `n`
/// sleeps of 30 s, each polled once (which arms it) and dropped (which cancels it)
/// while the `live` most recent ones stay armed, like one per open connection.
pub async fn far_timers<R: Rt>(n: usize, live: usize) -> usize {
    let mut armed: VecDeque<Pin<Box<dyn Future<Output = ()> + Send>>> =
        VecDeque::with_capacity(live + 1);
    let mut pending = 0;
    for _ in 0..n {
        let mut sleep = Box::pin(R::sleep(Duration::from_secs(30)));
        std::future::poll_fn(|cx| {
            if sleep.as_mut().poll(cx).is_pending() {
                pending += 1;
            }
            Poll::Ready(())
        })
        .await;
        armed.push_back(sleep);
        if armed.len() > live {
            drop(armed.pop_front());
        }
    }
    pending
}

/// Clients of [`TcpEchoRr`].
pub const ECHO_CLIENTS: usize = 50;
/// Round trips per client of [`TcpEchoRr`].
pub const ECHO_ROUND_TRIPS: usize = 1_000;
const ECHO_MESSAGE: usize = 64;

/// Workload 7: Loopback echo server, 50 clients x 1 000 round trips of 64 bytes.
pub struct TcpEchoRr;

impl Workload for TcpEchoRr {
    const NAME: &'static str = "tcp_echo_rr";

    async fn run<R: Rt>() {
        assert_eq!(
            echo_round_trips::<R>(ECHO_CLIENTS, ECHO_ROUND_TRIPS).await,
            ECHO_CLIENTS * ECHO_ROUND_TRIPS
        );
    }
}

/// `clients` loopback clients each make `round_trips` echo round trips of 64 bytes
/// with a server task per connection; returns the round trips done:
/// [`TcpEchoRr`]'s body, sized by the caller (the system-call counts use it too).
pub async fn echo_round_trips<R: Rt>(clients: usize, round_trips: usize) -> usize {
    let listener = R::bind_local().await.expect("bind");
    let addr = R::local_addr(&listener);
    let server = R::spawn(async move {
        for _ in 0..clients {
            let mut stream = R::accept(&listener).await.expect("accept");
            R::spawn_detached(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => stream.write_all(&buf[..n]).await.expect("echo write"),
                    }
                }
            });
        }
    });
    let clients: Vec<_> = (0..clients)
        .map(|_| {
            R::spawn(async move {
                let mut stream = R::connect(addr).await.expect("connect");
                let message = echo_message();
                let mut back = [0u8; ECHO_MESSAGE];
                for _ in 0..round_trips {
                    stream.write_all(&message).await.expect("write");
                    stream.read_exact(&mut back).await.expect("read");
                    assert_eq!(back, message);
                }
                round_trips
            })
        })
        .collect();
    let mut done = 0;
    for client in clients {
        done += client.await;
    }
    server.await;
    done
}

/// The 64 bytes every echo client sends.
pub fn echo_message() -> [u8; ECHO_MESSAGE] {
    std::array::from_fn(|i| i as u8)
}

/// Bytes of [`TcpBulk`].
pub const BULK_BYTES: usize = 1 << 30;
/// Write size of [`TcpBulk`].
pub const BULK_WRITE: usize = 64 * 1024;

/// Workload 8: 1 GiB over one loopback connection in 64 KiB writes.
pub struct TcpBulk;

impl Workload for TcpBulk {
    const NAME: &'static str = "tcp_bulk";

    async fn run<R: Rt>() {
        let listener = R::bind_local().await.expect("bind");
        let addr = R::local_addr(&listener);
        let sender = R::spawn(async move {
            let mut stream = R::accept(&listener).await.expect("accept");
            let chunk = vec![0x5Au8; BULK_WRITE];
            for _ in 0..BULK_BYTES / BULK_WRITE {
                stream.write_all(&chunk).await.expect("write");
            }
        });
        let mut stream = R::connect(addr).await.expect("connect");
        let mut buf = vec![0u8; BULK_WRITE];
        let mut total = 0;
        while total < BULK_BYTES {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "the sender closed early");
            total += n;
        }
        assert_eq!(total, BULK_BYTES);
        sender.await;
    }
}

/// Workload 9: 10 000 `to_thread` calls, 64 in flight (64 tasks, each awaiting its share of
/// calls one after the other).
pub struct Offload;

impl Workload for Offload {
    const NAME: &'static str = "offload";

    async fn run<R: Rt>() {
        const CALLS: usize = 10_000;
        const IN_FLIGHT: usize = 64;
        let lanes: Vec<_> = (0..IN_FLIGHT)
            .map(|lane| {
                let calls = CALLS / IN_FLIGHT + usize::from(lane < CALLS % IN_FLIGHT);
                R::spawn(async move {
                    let mut done = 0;
                    for n in 0..calls {
                        let tripled = R::to_thread(move || black_box(n).wrapping_mul(3)).await;
                        assert_eq!(tripled, n * 3);
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut done = 0;
        for lane in lanes {
            done += lane.await;
        }
        assert_eq!(done, CALLS);
    }
}

/// Workload 10: 100 tasks x 1 000 lock/increment/unlock on an async mutex.
pub struct Mutex;

impl Workload for Mutex {
    const NAME: &'static str = "mutex";

    async fn run<R: Rt>() {
        const TASKS: usize = 100;
        const INCREMENTS: usize = 1_000;
        let counter = Arc::new(R::mutex(0usize));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let counter = Arc::clone(&counter);
                R::spawn(async move {
                    for _ in 0..INCREMENTS {
                        *R::lock(&counter).await += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        assert_eq!(*R::lock(&counter).await, TASKS * INCREMENTS);
    }
}
