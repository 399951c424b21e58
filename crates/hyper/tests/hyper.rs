//! hyper on ferrio end to end: HTTP/1 and HTTP/2 on one port (hyper-util's `auto`
//! server), hyper-util's pooled client, both flavours; vectored writes; the timer.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio::net::{TcpListener, TcpStream};
use ferrio_hyper::{Connector, FerrioExecutor, FerrioIo, FerrioTimer};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, Version};
use hyper_util::client::legacy::Client;
use hyper_util::server::conn::auto;

/// Generous deadline for one whole scenario.
const DEADLINE: Duration = Duration::from_secs(30);

async fn echo_path(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = format!("{:?} {}", request.version(), request.uri().path());
    Ok(Response::new(Full::new(Bytes::from(text))))
}

/// Serves `echo_path` on every accepted connection, HTTP/1 or HTTP/2; counts them.
async fn serve(listener: TcpListener, accepted: Arc<AtomicUsize>) {
    while let Ok((stream, _)) = listener.accept().await {
        accepted.fetch_add(1, Ordering::SeqCst);
        ferrio::spawn(async move {
            let mut builder = auto::Builder::new(FerrioExecutor::new());
            builder.http1().timer(FerrioTimer::new());
            builder.http2().timer(FerrioTimer::new());
            let service = hyper::service::service_fn(echo_path);
            let _ = builder
                .serve_connection(FerrioIo::new(stream), service)
                .await;
        })
        .detach();
    }
}

/// `exact_reuse`: on the single-thread loop the pooled connection is back in the pool
/// before the next request checks out; on the multi-thread runtime that is a race (as
/// with hyper-util on any multi-thread runtime), so only the answers are checked there.
async fn both_protocols_and_pool(exact_reuse: bool) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let server = ferrio::spawn(serve(listener, accepted.clone()));

    // HTTP/2 by prior knowledge over one connection: 20 concurrent streams.
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(FerrioExecutor::new(), FerrioIo::new(stream))
            .await
            .unwrap();
    let conn = ferrio::spawn(conn);
    let requests = (0..20).map(|i| {
        let mut sender = sender.clone();
        async move {
            let request = Request::get(format!("http://{addr}/h2/{i}"))
                .body(Empty::<Bytes>::new())
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            response.into_body().collect().await.unwrap().to_bytes()
        }
    });
    let bodies = ferrio::gather(requests).await;
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(body, &format!("HTTP/2.0 /h2/{i}"));
    }
    drop(sender);
    conn.await.unwrap().unwrap();

    // HTTP/1.1 through the pooled client: ten sequential requests reuse one connection.
    let client = Client::builder(FerrioExecutor::new())
        .timer(FerrioTimer::new())
        .pool_timer(FerrioTimer::new())
        .build::<_, Empty<Bytes>>(Connector::new());
    for i in 0..10 {
        let uri = format!("http://{addr}/h1/{i}").parse().unwrap();
        let response = client.get(uri).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), Version::HTTP_11);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("HTTP/1.1 /h1/{i}"));
    }
    if exact_reuse {
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            2,
            "one h2 + one pooled h1 connection"
        );
    }

    server.cancel();
}

#[test]
fn http1_http2_and_pooled_client_single_thread() {
    ferrio::run(async {
        ferrio::timeout(DEADLINE, both_protocols_and_pool(true))
            .await
            .expect("the scenario finishes within the deadline");
    });
}

#[test]
fn http1_http2_and_pooled_client_multi_thread() {
    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runner.run(async {
        ferrio::timeout(DEADLINE, both_protocols_and_pool(false))
            .await
            .expect("the scenario finishes within the deadline");
    });
}

#[test]
fn connector_refuses_https_and_reports_refused_connections() {
    ferrio::run(async {
        let client =
            Client::builder(FerrioExecutor::new()).build::<_, Empty<Bytes>>(Connector::new());
        let err = client
            .get("https://127.0.0.1:1/".parse().unwrap())
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");

        // A port that was just freed: nothing listens there.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = ferrio::timeout(
            DEADLINE,
            client.get(format!("http://{addr}/").parse().unwrap()),
        )
        .await
        .expect("a refused connection is reported within the deadline")
        .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
    });
}

/// A writer that records how it was called.
#[derive(Default)]
struct Recorder {
    written: Vec<u8>,
    vectored_calls: usize,
    plain_calls: usize,
    closed: bool,
}

impl futures_lite::AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.plain_calls += 1;
        self.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.vectored_calls += 1;
        let mut n = 0;
        for buf in bufs {
            self.written.extend_from_slice(buf);
            n += buf.len();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.closed = true;
        Poll::Ready(Ok(()))
    }
}

#[test]
fn writes_are_vectored_and_forwarded() {
    use hyper::rt::Write;
    let mut io = FerrioIo::new(Recorder::default());
    assert!(io.is_write_vectored());
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    let bufs = [io::IoSlice::new(b"head "), io::IoSlice::new(b"body")];
    let n = Pin::new(&mut io).poll_write_vectored(&mut cx, &bufs);
    assert!(matches!(n, Poll::Ready(Ok(9))));
    assert!(matches!(
        Pin::new(&mut io).poll_shutdown(&mut cx),
        Poll::Ready(Ok(()))
    ));
    let recorder = io.into_inner();
    assert_eq!(recorder.written, b"head body");
    assert_eq!((recorder.vectored_calls, recorder.plain_calls), (1, 0));
    assert!(recorder.closed);
}

#[test]
fn reads_go_through_hyper_read_buf() {
    use hyper::rt::Read;
    let data: &[u8] = b"GET / HTTP/1.1\r\n";
    let mut io = FerrioIo::new(futures_lite::io::Cursor::new(data));
    // Uninitialized storage, as hyper lends it.
    let mut storage = [std::mem::MaybeUninit::<u8>::uninit(); 64];
    let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    let r = Pin::new(&mut io).poll_read(&mut cx, buf.unfilled());
    assert!(matches!(r, Poll::Ready(Ok(()))));
    assert_eq!(buf.filled(), data);
}

#[test]
fn timer_sleeps_on_both_flavours() {
    use hyper::rt::Timer;
    let body = async {
        let timer = FerrioTimer::new();
        let start = std::time::Instant::now();
        timer.sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
        // A reset to an earlier deadline ends a long sleep early.
        let mut long = timer.sleep(Duration::from_secs(3600));
        timer.reset(&mut long, timer.now() + Duration::from_millis(5));
        ferrio::timeout(DEADLINE, long)
            .await
            .expect("the reset sleep ends at its new deadline");
    };
    ferrio::run(body);
    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runner.run(async {
        let timer = FerrioTimer::new();
        // Spawned on a worker, through the executor, sleeping on the timer.
        let (tx, rx) = ferrio::sync::channel::bounded(1);
        hyper::rt::Executor::execute(&FerrioExecutor::new(), async move {
            timer.sleep(Duration::from_millis(5)).await;
            tx.send("woke").await.unwrap();
        });
        let got = ferrio::timeout(DEADLINE, rx.recv())
            .await
            .expect("the spawned sleep wakes");
        assert_eq!(got.unwrap(), "woke");
    });
}

#[test]
#[should_panic(expected = "outside a ferrio runtime")]
fn executor_outside_a_runtime_says_how_to_fix() {
    hyper::rt::Executor::execute(&FerrioExecutor::new(), async {});
}

/// A reader that claims to have read more than it was given room for.
struct Liar;

impl futures_lite::AsyncRead for Liar {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len() + 1))
    }
}

#[test]
fn a_reader_overstating_its_count_is_an_error_not_a_bad_buffer() {
    use hyper::rt::Read;
    let mut io = FerrioIo::new(Liar);
    let mut storage = [std::mem::MaybeUninit::<u8>::uninit(); 16];
    let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match Pin::new(&mut io).poll_read(&mut cx, buf.unfilled()) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
        other => panic!("expected InvalidData, got {other:?}"),
    }
    assert!(buf.filled().is_empty(), "nothing counts as read");
}

#[test]
fn large_bodies_both_ways() {
    // 1 MiB up and down: reads grow past the first buffer and the bytes arrive intact.
    const LEN: usize = 1 << 20;
    let pattern = |i: usize| (i % 251) as u8;
    ferrio::run(async {
        ferrio::timeout(DEADLINE, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = ferrio::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                    let body = request.into_body().collect().await?.to_bytes();
                    let intact =
                        body.len() == LEN && body.iter().enumerate().all(|(i, b)| *b == pattern(i));
                    let reply: Vec<u8> = if intact {
                        (0..LEN).map(pattern).collect()
                    } else {
                        b"corrupt".to_vec()
                    };
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(reply))))
                });
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(FerrioIo::new(stream), service)
                    .await
            });
            let client =
                Client::builder(FerrioExecutor::new()).build::<_, Full<Bytes>>(Connector::new());
            let upload: Vec<u8> = (0..LEN).map(pattern).collect();
            let request = Request::post(format!("http://{addr}/"))
                .body(Full::new(Bytes::from(upload)))
                .unwrap();
            let response = client.request(request).await.unwrap();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body.len(), LEN, "the server saw the upload intact");
            assert!(body.iter().enumerate().all(|(i, b)| *b == pattern(i)));
            drop(client); // closes the pooled connection; the server's connection ends
            server.await.unwrap().unwrap();
        })
        .await
        .expect("the transfer finishes within the deadline");
    });
}

/// hyper's HTTP/1 header-read timeout (30 s by default) is a far timer, armed when
/// the server starts reading a request head and cancelled when the head is in: on
/// a self-advancing virtual clock, a keep-alive connection that answers one request
/// and then sends only part of the next head is closed 30 virtual seconds after
/// the server began reading it, not before and not much later.
#[test]
fn the_http1_header_read_timeout_closes_an_idle_connection_in_virtual_time() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let clock = ferrio::clock::VirtualClock::auto_advance();
    for multi in [false, true] {
        let builder = ferrio::Runner::builder().clock(clock.clone());
        let builder = if multi {
            builder.multi_thread().worker_threads(2)
        } else {
            builder
        };
        let runner = builder.build().unwrap();
        runner.run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            ferrio::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(FerrioTimer::new())
                    .serve_connection(FerrioIo::new(stream), hyper::service::service_fn(echo_path))
                    .await;
            })
            .detach();
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut answer = [0u8; 1024];
            let n = stream.read(&mut answer).await.unwrap();
            assert!(answer[..n].ends_with(b"/one"), "{multi}");
            let asked = clock.elapsed();
            stream.write_all(b"GET /two HTTP/1.1\r\n").await.unwrap();
            let mut rest = Vec::new();
            // The server closes the connection (with or without a 408 first); the
            // outer timeout, in virtual time too, turns a timer that never fires
            // into a failure.
            let closed = ferrio::timeout(Duration::from_secs(60), stream.read_to_end(&mut rest));
            assert!(closed.await.is_ok(), "{multi}: the connection stayed open");
            let waited = clock.elapsed() - asked;
            assert!(waited >= Duration::from_secs(30), "{multi}: {waited:?}");
            assert!(waited < Duration::from_secs(31), "{multi}: {waited:?}");
        });
    }
}
