//! 256 echo connections with random-sized writes and small, random-sized reads on
//! the server: every byte comes back in order (bytes in == bytes out), and the
//! descriptor count returns to its baseline. Alone in its binary for the fd count.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrio_reactor::net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[cfg(not(miri))]
const CONNECTIONS: usize = 256;
#[cfg(miri)]
const CONNECTIONS: usize = 4;
const BYTES_PER_CONNECTION: usize = 8 * 1024;

/// A listener whose backlog holds every client at once, so that no SYN is dropped
/// (and retransmitted a second later) while the accept loop catches up.
fn listener_for_all() -> std::net::TcpListener {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&addr.into()).unwrap();
    socket.listen(CONNECTIONS as i32 * 2).unwrap();
    socket.into()
}

#[test]
fn many_connections_with_partial_reads_lose_no_byte() {
    // Runtimes (and their pollers) exist before the baseline is taken.
    let runtimes: Vec<_> = ferrio_reactor::ReactorKind::available()
        .iter()
        .flat_map(|&kind| {
            [
                common::runtime_with(kind, ferrio_core::Flavor::CurrentThread),
                common::runtime_with(kind, ferrio_core::Flavor::MultiThread),
            ]
        })
        .collect();
    let baseline = common::fd_count();
    for rt in &runtimes {
        let echoed_by_server = Arc::new(AtomicUsize::new(0));
        let counted = echoed_by_server.clone();
        let received: usize = rt.block_on(async move {
            ferrio_core::spawn(async move {
                let listener = TcpListener::from_std(listener_for_all()).unwrap();
                let addr = listener.local_addr().unwrap();
                let server = ferrio_core::spawn(async move {
                    let mut handlers = Vec::new();
                    for seed in 0..CONNECTIONS as u64 {
                        let (stream, _) = listener.accept().await.unwrap();
                        let counted = counted.clone();
                        handlers.push(ferrio_core::spawn(async move {
                            let mut rng = fastrand::Rng::with_seed(seed);
                            let mut buf = [0u8; 64];
                            loop {
                                let want = rng.usize(1..=buf.len());
                                let n = (&stream).read(&mut buf[..want]).await.unwrap();
                                if n == 0 {
                                    break;
                                }
                                (&stream).write_all(&buf[..n]).await.unwrap();
                                counted.fetch_add(n, Ordering::Relaxed);
                            }
                            (&stream).close().await.unwrap();
                        }));
                    }
                    for handler in handlers {
                        handler.await.unwrap();
                    }
                });
                let clients: Vec<_> = (0..CONNECTIONS as u64)
                    .map(|seed| {
                        ferrio_core::spawn(async move {
                            let stream = TcpStream::connect(addr).await.unwrap();
                            let payload: Vec<u8> = {
                                let mut rng = fastrand::Rng::with_seed(seed ^ 0xA5A5);
                                (0..BYTES_PER_CONNECTION).map(|_| rng.u8(..)).collect()
                            };
                            let writer = {
                                let stream = stream.clone();
                                let payload = payload.clone();
                                ferrio_core::spawn(async move {
                                    let mut stream = stream;
                                    let mut rng = fastrand::Rng::with_seed(seed);
                                    let mut rest = &payload[..];
                                    while !rest.is_empty() {
                                        let n = rng.usize(1..=rest.len().min(700));
                                        stream.write_all(&rest[..n]).await.unwrap();
                                        rest = &rest[n..];
                                    }
                                    stream.close().await.unwrap();
                                })
                            };
                            let mut echoed = Vec::new();
                            (&stream).read_to_end(&mut echoed).await.unwrap();
                            writer.await.unwrap();
                            assert!(echoed == payload, "connection {seed} got other bytes");
                            echoed.len()
                        })
                    })
                    .collect();
                let mut received = 0;
                for client in clients {
                    received += client.await.unwrap();
                }
                server.await.unwrap();
                received
            })
            .await
            .unwrap()
        });
        assert_eq!(received, CONNECTIONS * BYTES_PER_CONNECTION);
        assert_eq!(echoed_by_server.load(Ordering::Relaxed), received);
    }
    assert_eq!(common::fd_count(), baseline);
}
