//! Bench area `net`: `tcp_echo_rr` (50 clients x 1 000 round trips of 64 bytes over
//! loopback) and `tcp_bulk` (1 GiB over one loopback connection in 64 KiB writes),
//! for both ferrio flavours, tokio, smol, and plain blocking `std::net` threads.
//!
//! Run: `cargo bench -p ferrio-benches --bench net`

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::future::Future;
use std::io::{Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 50;
const ROUND_TRIPS: usize = 1_000;
const MESSAGE: usize = 64;
const BULK_BYTES: usize = 1 << 30;
const BULK_WRITE: usize = 64 * 1024;

// ---------------------------------------------------------------- runtimes

/// Something that can run a `Send` future to completion and spawn `Send` tasks.
trait Exec {
    fn block_on<F: Future + Send + 'static>(&self, f: F) -> F::Output
    where
        F::Output: Send;
}

struct Ferrio(ferrio_core::Runtime);

impl Exec for Ferrio {
    fn block_on<F: Future + Send + 'static>(&self, f: F) -> F::Output
    where
        F::Output: Send,
    {
        // Run the workload as a task, so on the multi-thread flavour it runs on the
        // workers like everything it spawns.
        self.0
            .block_on(async { ferrio_core::spawn(f).await.expect("bench task") })
    }
}

fn ferrio(flavor: ferrio_core::Flavor) -> Ferrio {
    let builder = ferrio_reactor::runtime_builder()
        .expect("reactor")
        .flavor(flavor);
    let builder = match flavor {
        ferrio_core::Flavor::MultiThread => builder.worker_threads(ferrio_benches::MT_WORKERS),
        ferrio_core::Flavor::CurrentThread => builder,
    };
    Ferrio(builder.build().expect("runtime"))
}

struct Tokio(tokio::runtime::Runtime);

impl Exec for Tokio {
    fn block_on<F: Future + Send + 'static>(&self, f: F) -> F::Output
    where
        F::Output: Send,
    {
        self.0
            .block_on(async { tokio::spawn(f).await.expect("bench task") })
    }
}

fn tokio_ct() -> Tokio {
    Tokio(ferrio_benches::tokio_ct())
}

fn tokio_mt() -> Tokio {
    Tokio(ferrio_benches::tokio_mt())
}

/// smol's executor, as the shared bench helpers run it: `smol-1t` drives it on the
/// bench thread; `smol-2t` runs it on two threads while the bench thread only
/// blocks. (An `Executor` rather than a `LocalExecutor` for `smol-1t`, because the
/// workloads here are shared by both and spawn from inside tasks.)
struct Smol {
    executor: Arc<async_executor::Executor<'static>>,
    /// Dropping it closes the channel the helper threads wait on.
    stop: Option<async_channel::Sender<()>>,
    helpers: Vec<thread::JoinHandle<()>>,
}

impl Smol {
    fn new(threads: usize) -> Smol {
        let executor = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let helpers = (0..if threads == 1 { 0 } else { threads })
            .map(|_| {
                let executor = executor.clone();
                let stopped = stopped.clone();
                thread::spawn(move || {
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        Smol {
            executor,
            stop: Some(stop),
            helpers,
        }
    }
}

impl Exec for Smol {
    fn block_on<F: Future + Send + 'static>(&self, f: F) -> F::Output
    where
        F::Output: Send,
    {
        let task = self.executor.spawn(f);
        if self.helpers.is_empty() {
            smol::block_on(self.executor.run(task))
        } else {
            smol::block_on(task)
        }
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        self.stop.take();
        for helper in self.helpers.drain(..) {
            helper.join().expect("smol helper");
        }
    }
}

// ---------------------------------------------------------------- tcp_echo_rr

fn echo_client_messages() -> [u8; MESSAGE] {
    let mut msg = [0u8; MESSAGE];
    for (i, b) in msg.iter_mut().enumerate() {
        *b = i as u8;
    }
    msg
}

async fn ferrio_echo_rr() {
    use ferrio_reactor::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ferrio_core::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            ferrio_core::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match (&stream).read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => (&stream).write_all(&buf[..n]).await.unwrap(),
                    }
                }
            })
            .detach();
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            ferrio_core::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let msg = echo_client_messages();
                let mut back = [0u8; MESSAGE];
                for _ in 0..ROUND_TRIPS {
                    stream.write_all(&msg).await.unwrap();
                    stream.read_exact(&mut back).await.unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    server.cancel();
}

async fn tokio_echo_rr() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => stream.write_all(&buf[..n]).await.unwrap(),
                    }
                }
            });
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let msg = echo_client_messages();
                let mut back = [0u8; MESSAGE];
                for _ in 0..ROUND_TRIPS {
                    stream.write_all(&msg).await.unwrap();
                    stream.read_exact(&mut back).await.unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    server.abort();
}

async fn smol_echo_rr(executor: Arc<async_executor::Executor<'static>>) {
    use smol::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let spawner = executor.clone();
    let server = executor.spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            spawner
                .spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => stream.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                })
                .detach();
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            executor.spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let msg = echo_client_messages();
                let mut back = [0u8; MESSAGE];
                for _ in 0..ROUND_TRIPS {
                    stream.write_all(&msg).await.unwrap();
                    stream.read_exact(&mut back).await.unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.await;
    }
    drop(server);
}

fn std_echo_rr() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let handlers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (mut stream, _) = listener.accept().unwrap();
                stream.set_nodelay(true).unwrap();
                thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => stream.write_all(&buf[..n]).unwrap(),
                        }
                    }
                })
            })
            .collect();
        for handler in handlers {
            handler.join().unwrap();
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let msg = echo_client_messages();
                let mut back = [0u8; MESSAGE];
                for _ in 0..ROUND_TRIPS {
                    stream.write_all(&msg).unwrap();
                    stream.read_exact(&mut back).unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    server.join().unwrap();
}

// ---------------------------------------------------------------- tcp_bulk

async fn ferrio_bulk() {
    use ferrio_reactor::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = ferrio_core::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let chunk = vec![0x5Au8; BULK_WRITE];
        for _ in 0..BULK_BYTES / BULK_WRITE {
            stream.write_all(&chunk).await.unwrap();
        }
    });
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; BULK_WRITE];
    let mut total = 0;
    while total < BULK_BYTES {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        total += n;
    }
    sender.await.unwrap();
}

async fn tokio_bulk() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let chunk = vec![0x5Au8; BULK_WRITE];
        for _ in 0..BULK_BYTES / BULK_WRITE {
            stream.write_all(&chunk).await.unwrap();
        }
    });
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; BULK_WRITE];
    let mut total = 0;
    while total < BULK_BYTES {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        total += n;
    }
    sender.await.unwrap();
}

async fn smol_bulk(executor: Arc<async_executor::Executor<'static>>) {
    use smol::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = executor.spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let chunk = vec![0x5Au8; BULK_WRITE];
        for _ in 0..BULK_BYTES / BULK_WRITE {
            stream.write_all(&chunk).await.unwrap();
        }
    });
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; BULK_WRITE];
    let mut total = 0;
    while total < BULK_BYTES {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        total += n;
    }
    sender.await;
}

fn std_bulk() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let chunk = vec![0x5Au8; BULK_WRITE];
        for _ in 0..BULK_BYTES / BULK_WRITE {
            stream.write_all(&chunk).unwrap();
        }
    });
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut buf = vec![0u8; BULK_WRITE];
    let mut total = 0;
    while total < BULK_BYTES {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        total += n;
    }
    sender.join().unwrap();
}

// ---------------------------------------------------------------- groups

/// One run of a workload, as a boxed future.
type Work = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// The smol variant gets the executor to spawn on.
type SmolExecutor = Arc<async_executor::Executor<'static>>;

fn bench_workload(
    c: &mut Criterion,
    name: &str,
    ferrio_work: fn() -> Work,
    tokio_work: fn() -> Work,
    smol_work: fn(SmolExecutor) -> Work,
    std_work: fn(),
) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));

    let st = ferrio(ferrio_core::Flavor::CurrentThread);
    group.bench_function("ferrio-st", |b| b.iter(|| st.block_on(ferrio_work())));
    drop(st);
    let mt = ferrio(ferrio_core::Flavor::MultiThread);
    group.bench_function("ferrio-mt", |b| b.iter(|| mt.block_on(ferrio_work())));
    drop(mt);
    let ct = tokio_ct();
    group.bench_function("tokio-ct", |b| b.iter(|| ct.block_on(tokio_work())));
    drop(ct);
    let tmt = tokio_mt();
    group.bench_function("tokio-mt", |b| b.iter(|| tmt.block_on(tokio_work())));
    drop(tmt);
    for (id, threads) in [("smol-1t", 1), ("smol-2t", ferrio_benches::MT_WORKERS)] {
        let smol = Smol::new(threads);
        group.bench_function(id, |b| {
            b.iter(|| smol.block_on(smol_work(smol.executor.clone())))
        });
    }
    group.bench_function("std-blocking", |b| b.iter(std_work));
    group.finish();
}

fn tcp_echo_rr(c: &mut Criterion) {
    bench_workload(
        c,
        "tcp_echo_rr",
        || Box::pin(ferrio_echo_rr()),
        || Box::pin(tokio_echo_rr()),
        |ex| Box::pin(smol_echo_rr(ex)),
        std_echo_rr,
    );
}

fn tcp_bulk(c: &mut Criterion) {
    bench_workload(
        c,
        "tcp_bulk",
        || Box::pin(ferrio_bulk()),
        || Box::pin(tokio_bulk()),
        |ex| Box::pin(smol_bulk(ex)),
        std_bulk,
    );
}

criterion_group!(net, tcp_echo_rr, tcp_bulk);
criterion_main!(net);
