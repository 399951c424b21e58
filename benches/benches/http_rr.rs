//! Bench `http_rr`: a hyper 1.x hello-world server (HTTP/1.1, keep-alive) on each
//! runtime, loaded over loopback by one client thread holding 50 connections, each
//! sending its next request as soon as the last response is in.
//!
//! Each runtime uses its usual hyper glue: hyper-util's `TokioIo`/`TokioTimer` for
//! tokio, smol-hyper's `FuturesIo`/`SmolTimer` for smol, `ferrio::hyper` for ferrio
//! (through `ferrio::Runner`). Multi-thread flavours run 2 workers.
//!
//! Reported per runtime: requests per second, and the server's CPU time per request
//! (the process's CPU time minus the client thread's, over the measured window; the
//! client is a plain hand-written HTTP/1.1 loop on one tokio current-thread runtime,
//! cheap next to a hyper server, so the server is what saturates).
//!
//! Run: `cargo bench -p ferrio-benches --bench http_rr` (`-- --measurement-time 1`
//! for a short run). Besides the table, each figure is written where criterion
//! writes its estimates (`target/criterion/http_rr/<runtime>` as nanoseconds per
//! request, `http_rr_server_cpu/<runtime>` as server CPU nanoseconds per request),
//! so `cargo xtask bench` lists them with the other workloads.
//!
//! `-- --requests N ferrio-st` runs a fixed number of requests instead (no warm-up,
//! nothing recorded), for valgrind: see [`requests`].

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONNECTIONS: usize = 50;
const WORKERS: usize = 2;
const WARM_UP: Duration = Duration::from_millis(500);
const DEFAULT_MEASURE: Duration = Duration::from_secs(3);
const BODY: &[u8] = b"Hello, World!";
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}

// ---------------------------------------------------------------- CPU clocks

/// CPU time (user + system) of the process (`RUSAGE_SELF`) or of the calling thread.
fn cpu_time(who: libc::c_int) -> Duration {
    // SAFETY: `rusage` is a plain C struct of integers, for which all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` for the call's duration.
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    assert_eq!(rc, 0, "getrusage: {}", io::Error::last_os_error());
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn process_cpu() -> Duration {
    cpu_time(libc::RUSAGE_SELF)
}

#[cfg(target_os = "linux")]
fn thread_cpu() -> Duration {
    cpu_time(libc::RUSAGE_THREAD)
}

// Elsewhere the client's share cannot be told apart: it is counted as the server's.
#[cfg(not(target_os = "linux"))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

// ---------------------------------------------------------------- the client

struct Snapshot {
    at: Instant,
    process: Duration,
    client: Duration,
    requests: u64,
}

/// What one measured window saw.
struct Measured {
    requests: u64,
    wall: Duration,
    server_cpu: Duration,
    client_cpu: Duration,
}

/// One keep-alive connection: request, read the whole response, repeat until `stop`
/// or, given a quota, until it made that many requests.
async fn connection(
    addr: SocketAddr,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    quota: Option<u64>,
) -> io::Result<()> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut made = 0u64;
    while !stop.load(Ordering::Relaxed) && quota.is_none_or(|q| made < q) {
        made += 1;
        stream.write_all(REQUEST).await?;
        let total = loop {
            if let Some(total) = response_len(&buf)? {
                if buf.len() >= total {
                    break total;
                }
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        if !buf.starts_with(b"HTTP/1.1 200") {
            return Err(io::Error::other(format!(
                "unexpected response: {}",
                String::from_utf8_lossy(&buf[..total])
            )));
        }
        buf.drain(..total);
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The length of the response at the start of `buf` (head + `Content-Length` body),
/// once its head is complete.
fn response_len(buf: &[u8]) -> io::Result<Option<usize>> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(io::Error::other)?;
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .ok_or_else(|| io::Error::other("a response without Content-Length"))?;
    Ok(Some(head_end + 4 + length))
}

impl Snapshot {
    /// Now, with `requests` done so far.
    fn take(requests: &AtomicU64) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            process: process_cpu(),
            client: thread_cpu(),
            requests: requests.load(Ordering::Relaxed),
        }
    }
}

impl Measured {
    /// The window from `start` to `end`; the client's CPU is not the server's.
    fn between(start: &Snapshot, end: &Snapshot) -> Measured {
        let client_cpu = end.client - start.client;
        Measured {
            requests: end.requests - start.requests,
            wall: end.at - start.at,
            server_cpu: (end.process - start.process).saturating_sub(client_cpu),
            client_cpu,
        }
    }
}

/// The client's runtime, on the calling thread.
fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the client's runtime builds")
}

/// Waits for every connection; each must have ended without an error.
async fn join(conns: Vec<tokio::task::JoinHandle<io::Result<()>>>) {
    for conn in conns {
        conn.await
            .expect("the connection task finished")
            .expect("every request got a 200 response");
    }
}

/// Loads the server at `addr` from this thread; measures one window after a warm-up.
fn load(addr: SocketAddr, measure: Duration) -> Measured {
    client_runtime().block_on(async {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Vec<_> = (0..CONNECTIONS)
            .map(|_| tokio::spawn(connection(addr, done.clone(), stop.clone(), None)))
            .collect();
        tokio::time::sleep(WARM_UP).await;
        let start = Snapshot::take(&done);
        tokio::time::sleep(measure).await;
        let end = Snapshot::take(&done);
        stop.store(true, Ordering::Relaxed);
        join(conns).await;
        Measured::between(&start, &end)
    })
}

/// Loads the server at `addr` with exactly `requests` requests, spread over the
/// connections, and no warm-up: the fixed amount of work an instruction count needs
/// (`--requests N`).
fn load_fixed(addr: SocketAddr, requests: u64) -> Measured {
    client_runtime().block_on(async {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let start = Snapshot::take(&done);
        let connections = CONNECTIONS as u64;
        let conns: Vec<_> = (0..connections)
            .map(|i| {
                let quota = requests / connections + u64::from(i < requests % connections);
                tokio::spawn(connection(addr, done.clone(), stop.clone(), Some(quota)))
            })
            .collect();
        join(conns).await;
        Measured::between(&start, &Snapshot::take(&done))
    })
}

// ---------------------------------------------------------------- the servers

/// A server on its own thread(s); dropping `stop`'s sender ends it.
type Server = fn(std::net::TcpListener, async_channel::Receiver<()>);

fn tokio_server(listener: std::net::TcpListener, stop: async_channel::Receiver<()>, multi: bool) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let rt = if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .expect("tokio builds");
    rt.block_on(async move {
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        // The accept loop is a task, so on the multi-thread flavour it runs on a worker.
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello))
                        .await;
                });
            }
        });
        let _ = stop.recv().await;
    });
}

fn tokio_ct(listener: std::net::TcpListener, stop: async_channel::Receiver<()>) {
    tokio_server(listener, stop, false)
}

fn tokio_mt(listener: std::net::TcpListener, stop: async_channel::Receiver<()>) {
    tokio_server(listener, stop, true)
}

async fn smol_accept(listener: std::net::TcpListener, ex: Arc<smol::Executor<'static>>) {
    use smol_hyper::rt::{FuturesIo, SmolTimer};
    let listener = smol::net::TcpListener::try_from(listener).expect("smol listener");
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        ex.spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(SmolTimer::new())
                .serve_connection(FuturesIo::new(stream), hyper::service::service_fn(hello))
                .await;
        })
        .detach();
    }
}

fn smol_server(listener: std::net::TcpListener, stop: async_channel::Receiver<()>, threads: usize) {
    let ex = Arc::new(smol::Executor::new());
    ex.spawn(smol_accept(listener, ex.clone())).detach();
    let runners: Vec<_> = (1..threads)
        .map(|_| {
            let (ex, stop) = (ex.clone(), stop.clone());
            thread::spawn(move || smol::block_on(ex.run(stop.recv())))
        })
        .collect();
    let _ = smol::block_on(ex.run(stop.recv()));
    for runner in runners {
        let _ = runner.join();
    }
}

fn smol_1t(listener: std::net::TcpListener, stop: async_channel::Receiver<()>) {
    smol_server(listener, stop, 1)
}

fn smol_2t(listener: std::net::TcpListener, stop: async_channel::Receiver<()>) {
    smol_server(listener, stop, WORKERS)
}

fn ferrio_server(
    runner: ferrio::Runner,
    listener: std::net::TcpListener,
    stop: async_channel::Receiver<()>,
) {
    use ferrio::hyper::{FerrioIo, FerrioTimer};
    runner.run(async move {
        let listener = ferrio::net::TcpListener::from_std(listener).expect("ferrio listener");
        // The accept loop is a task, so on the multi-thread flavour it runs on a worker.
        ferrio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                ferrio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(FerrioTimer::new())
                        .serve_connection(FerrioIo::new(stream), hyper::service::service_fn(hello))
                        .await;
                })
                .detach();
            }
        })
        .detach();
        let _ = stop.recv().await;
    });
}

fn ferrio_st(listener: std::net::TcpListener, stop: async_channel::Receiver<()>) {
    ferrio_server(ferrio::Runner::new(), listener, stop)
}

fn ferrio_mt(listener: std::net::TcpListener, stop: async_channel::Receiver<()>) {
    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(WORKERS)
        .build()
        .expect("ferrio-mt builds");
    ferrio_server(runner, listener, stop)
}

// ---------------------------------------------------------------- the run

fn measure_one(server: Server, load: impl FnOnce(SocketAddr) -> Measured) -> Measured {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let server = thread::spawn(move || server(listener, stopped));
    let measured = load(addr);
    drop(stop);
    server.join().expect("the server thread finished");
    measured
}

/// `--measurement-time SECS` as criterion takes it (so `cargo xtask bench --quick`
/// shortens this bench too); other arguments are criterion's and ignored.
fn measurement_time() -> Duration {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--measurement-time")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(DEFAULT_MEASURE, Duration::from_secs_f64)
}

/// `--requests N`: a fixed number of requests instead of a timed window, for
/// counting the server's instructions per request under valgrind, e.g.
/// `valgrind --tool=callgrind --separate-threads=yes http_rr-* --requests 2000 ferrio-st`
/// at two values of N: the server's threads' difference over N's difference.
fn requests() -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == "--requests")?;
    let n = args.get(i + 1).and_then(|s| s.parse::<u64>().ok());
    Some(n.expect("--requests takes a number of requests"))
}

/// Runtime-name filters, as criterion takes them: arguments that are neither flags nor
/// a flag's value (`cargo bench --bench http_rr -- ferrio` runs the ferrio rows).
fn filters() -> Vec<String> {
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg.starts_with("--") {
            // criterion's flags that take a value
            if matches!(
                arg.as_str(),
                "--measurement-time"
                    | "--warm-up-time"
                    | "--sample-size"
                    | "--save-baseline"
                    | "--baseline"
                    | "--profile-time"
                    | "--requests"
            ) {
                args.next();
            }
        } else {
            filters.push(arg);
        }
    }
    filters
}

/// Where criterion keeps its estimates: `$CARGO_TARGET_DIR/criterion`, or the
/// `target/criterion` above this binary (`target/release/deps/http_rr-*`).
fn criterion_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Writes `ns` as the median of `<group>/<runtime>`, in the shape `cargo xtask bench`
/// reads; a failure only costs the table row, so it is reported and skipped.
fn record(group: &str, runtime: &str, ns: f64) {
    let Some(dir) = criterion_dir() else { return };
    let dir = dir.join(group).join(runtime).join("new");
    let json = format!("{{\"median\":{{\"point_estimate\":{ns}}}}}\n");
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("estimates.json"), json))
    {
        eprintln!("http_rr: could not record {group}/{runtime}: {e}");
    }
}

fn main() {
    let measure = measurement_time();
    let fixed = requests();
    let servers: [(&str, Server); 6] = [
        ("ferrio-st", ferrio_st),
        ("tokio-ct", tokio_ct),
        ("smol-1t", smol_1t),
        ("ferrio-mt", ferrio_mt),
        ("tokio-mt", tokio_mt),
        ("smol-2t", smol_2t),
    ];
    let amount = match fixed {
        Some(n) => format!("{n} requests"),
        None => format!("{:.1} s", measure.as_secs_f64()),
    };
    println!(
        "http_rr: hyper hello world, HTTP/1.1, {CONNECTIONS} keep-alive connections from one \
         client thread, {amount} per runtime"
    );
    println!(
        "{:<10} {:>12} {:>18} {:>18}",
        "runtime", "requests/s", "server CPU/req", "client CPU/req"
    );
    let filters = filters();
    for (name, server) in servers {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let m = match fixed {
            Some(n) => measure_one(server, |addr| load_fixed(addr, n)),
            None => measure_one(server, |addr| load(addr, measure)),
        };
        assert!(m.requests > 0, "{name}: no request completed in the window");
        let per_s = m.requests as f64 / m.wall.as_secs_f64();
        let server_ns = m.server_cpu.as_nanos() as f64 / m.requests as f64;
        let client_ns = m.client_cpu.as_nanos() as f64 / m.requests as f64;
        println!(
            "{name:<10} {per_s:>12.0} {:>15.2} µs {:>15.2} µs",
            server_ns / 1e3,
            client_ns / 1e3
        );
        // A fixed count is for valgrind, whose timings are no bench figures.
        if fixed.is_none() {
            record("http_rr", name, 1e9 / per_s);
            record("http_rr_server_cpu", name, server_ns);
        }
    }
}
