//! A read that drained the source ends read readiness on the epoll reactor (no
//! `EAGAIN` read): a TCP read whose `TCP_INQ` report says the queue is empty, a
//! short read of a pipe. Never at the cost of an end-of-stream or data: FIN with
//! the data, FIN after it, half-close, 1-byte pieces, a reset, a child's exit.
//! Every test runs on both reactor kinds and both flavours.

mod common;

use std::future::Future;
use std::io::{self, Write};
use std::net::Shutdown;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use ferrio_reactor::net::{TcpListener, TcpStream, UnixStream};
use ferrio_reactor::{Reactor, ReactorKind};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// Generous: a hang (a lost edge) fails here instead of stalling the suite.
const DEADLINE: Duration = Duration::from_secs(10);

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    ferrio_core::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no result within {DEADLINE:?} (a lost wake-up)"))
}

/// Whether `future` is ready at its first poll.
fn ready_at_once<F: Future>(future: F) -> bool {
    let future = pin!(future);
    future
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

/// A connected pair whose server side the reactor has not seen yet.
async fn tcp_pair_unregistered() -> (std::net::TcpStream, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (client, listener)
}

/// Data and FIN queued before the reader is even registered (so they came under
/// one edge, or under the registration's): the short read returns the data, the
/// next read the end of the stream, on TCP and Unix streams.
#[test]
fn eof_that_came_with_the_data_is_not_lost() {
    common::on_each_flavor(|| async {
        let (mut client, listener) = tcp_pair_unregistered().await;
        client.write_all(b"bye").unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let (mut server_side, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let n = within("tcp data", server_side.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"bye");
        let n = within("tcp eof", server_side.read(&mut buf)).await.unwrap();
        assert_eq!(n, 0, "the FIN that came with the data");

        let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.write_all(b"bye").unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        let mut b = UnixStream::from_std(b).unwrap();
        let n = within("unix data", b.read(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"bye");
        let n = within("unix eof", b.read(&mut buf)).await.unwrap();
        assert_eq!(n, 0);
    });
}

/// Data and FIN arrive under one edge while the reader waits: the edge is
/// dispatched before the short read, which must not end readiness, since no
/// further edge will come.
#[test]
fn eof_under_the_edge_that_woke_the_reader_is_not_lost() {
    common::on_each_flavor(|| async {
        let (mut client, listener) = tcp_pair_unregistered().await;
        let (server_side, _) = listener.accept().await.unwrap();
        let reader = ferrio_core::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                match (&server_side).read(&mut buf).await.unwrap() {
                    0 => return got,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
        });
        // Let the reader find nothing and wait.
        for _ in 0..3 {
            ferrio_core::yield_now().await;
        }
        client.write_all(b"last").unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let got = within("data then eof", reader).await.unwrap();
        assert_eq!(got, b"last");
    });
}

/// The FIN arrives after the short read ended readiness: it raises its own edge.
#[test]
fn eof_after_a_short_read_wakes_the_reader() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        (&client).write_all(b"part").await.unwrap();
        let mut buf = [0u8; 64];
        let n = within("data", (&server_side).read(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"part");
        // The reader now waits (readiness ended, or a WouldBlock ends it) ...
        let reader = ferrio_core::spawn(async move {
            let mut buf = [0u8; 64];
            let n = (&server_side).read(&mut buf).await.unwrap();
            (n, server_side)
        });
        ferrio_core::yield_now().await;
        // ... until the half-close, which must wake it with EOF.
        client.shutdown(Shutdown::Write).unwrap();
        let (n, server_side) = within("eof after the data", reader).await.unwrap();
        assert_eq!(n, 0);
        // Half-close: the other direction still works.
        (&server_side).write_all(b"reply").await.unwrap();
        let mut reply = [0u8; 5];
        within("reply", (&client).read_exact(&mut reply))
            .await
            .unwrap();
        assert_eq!(&reply, b"reply");
    });
}

/// 1-byte writes read back through buffers of every size: nothing lost, nothing
/// reordered, whether reads are short (big buffer) or full (1-byte buffer).
#[test]
fn one_byte_pieces_echo_in_order() {
    const BYTES: usize = if cfg!(miri) { 16 } else { 2_000 };
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        client.set_nodelay(true).unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        server_side.set_nodelay(true).unwrap();
        let echo = ferrio_core::spawn(async move {
            let mut buf = [0u8; 4096];
            let mut echoed = 0;
            loop {
                match (&server_side).read(&mut buf).await.unwrap() {
                    0 => return echoed,
                    n => {
                        (&server_side).write_all(&buf[..n]).await.unwrap();
                        echoed += n;
                    }
                }
            }
        });
        let writer = {
            let client = client.clone();
            ferrio_core::spawn(async move {
                for i in 0..BYTES {
                    (&client).write_all(&[i as u8]).await.unwrap();
                    if i % 7 == 0 {
                        ferrio_core::yield_now().await;
                    }
                }
                client.shutdown(Shutdown::Write).unwrap();
            })
        };
        let mut got = Vec::with_capacity(BYTES);
        let mut sizes = [1usize, 3, 64, 1].into_iter().cycle();
        loop {
            let mut buf = [0u8; 64];
            let want = sizes.next().unwrap();
            let n = within("echoed bytes", (&client).read(&mut buf[..want]))
                .await
                .unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        within("writer", writer).await.unwrap();
        assert_eq!(within("echo task", echo).await.unwrap(), BYTES);
        let expected: Vec<u8> = (0..BYTES).map(|i| i as u8).collect();
        assert_eq!(got.len(), BYTES, "bytes lost");
        assert!(got == expected, "bytes reordered or changed");
    });
}

/// A reset after a short read is an error on the next read, not a hang.
#[test]
fn reset_after_a_short_read_is_an_error() {
    common::on_each_flavor(|| async {
        let (mut client, listener) = tcp_pair_unregistered().await;
        let (server_side, _) = listener.accept().await.unwrap();
        client.write_all(b"x").unwrap();
        let mut buf = [0u8; 64];
        let n = within("data", (&server_side).read(&mut buf)).await.unwrap();
        assert_eq!(n, 1);
        socket2::SockRef::from(&client)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(client);
        let result = within("read after reset", (&server_side).read(&mut buf)).await;
        match result {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e:?}"),
            Ok(n) => panic!("read {n} bytes from a reset connection"),
        }
    });
}

/// A child's pipe: output and the close at exit, read in short reads.
#[test]
fn pipe_short_reads_end_with_eof() {
    common::on_each_flavor(|| async {
        let mut child = ferrio_reactor::process::Command::new("sh")
            .args(["-c", "printf ab; sleep 0.05; printf cd"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            let n = within("child output", stdout.read(&mut buf)).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"abcd");
        assert!(within("child exit", child.wait()).await.unwrap().success());

        // Output and hang-up both reported before the first read: the short read
        // must leave readiness for the EOF, which raises no further edge.
        let mut child = ferrio_reactor::process::Command::new("sh")
            .args(["-c", "printf last"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        assert!(within("child exit", child.wait()).await.unwrap().success());
        let n = within("output", stdout.read(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"last");
        let n = within("eof after exit", stdout.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(n, 0);
    });
}

/// What the shortcut saves, observed: on the epoll reactor a read that drained the
/// stream (short, or full with TCP_INQ saying so) leaves it not readable (the next
/// read would have been an `EAGAIN`), and new data makes it readable again;
/// `polling` keeps the stale readiness.
#[test]
fn a_draining_read_ends_readiness_on_epoll_only() {
    for &kind in ReactorKind::available() {
        let rt = common::runtime_with(kind, ferrio_core::Flavor::CurrentThread);
        rt.block_on(async {
            assert_eq!(Reactor::current().unwrap().kind(), kind);
            let (mut client, listener) = tcp_pair_unregistered().await;
            let (server_side, _) = listener.accept().await.unwrap();
            client.write_all(b"abc").unwrap();
            let mut buf = [0u8; 64];
            let n = within("data", (&server_side).read(&mut buf)).await.unwrap();
            assert_eq!(n, 3);
            let stale = ready_at_once(server_side.readable());
            assert_eq!(stale, kind == ReactorKind::Polling, "{kind:?}");
            client.write_all(b"de").unwrap();
            within("new data", server_side.readable()).await.unwrap();
            let n = within("new data", (&server_side).read(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"de");
            // A full read that leaves bytes behind keeps readiness on both.
            client.write_all(&[9; 16]).unwrap();
            within("full read", (&server_side).read_exact(&mut buf[..8]))
                .await
                .unwrap();
            assert!(ready_at_once(server_side.readable()), "{kind:?}");
            // One that takes the last byte ends it on epoll too: TCP_INQ says the
            // queue is empty (a `read_exact` of a whole message needs no EAGAIN).
            (&server_side).read_exact(&mut buf[..8]).await.unwrap();
            let stale = ready_at_once(server_side.readable());
            assert_eq!(stale, kind == ReactorKind::Polling, "{kind:?}");
            // Data and FIN, then a full read of the data: EOF still comes.
            client.write_all(&[5; 8]).unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            within("data before eof", (&server_side).read_exact(&mut buf[..8]))
                .await
                .unwrap();
            assert_eq!(&buf[..8], &[5; 8]);
            let n = within("eof", (&server_side).read(&mut buf)).await.unwrap();
            assert_eq!(n, 0, "{kind:?}");
        });
    }
}
