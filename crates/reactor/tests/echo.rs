//! Echo over TCP on both flavours: many clients, 1-byte partial reads, and a
//! liveness check with busy tasks competing with I/O.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferrio_reactor::net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};

async fn echo_server(listener: TcpListener) {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream.expect("accept");
        ferrio_core::spawn(async move {
            let (mut reader, mut writer) = (&stream, &stream);
            let mut buf = vec![0u8; 4096];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if writer.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        })
        .detach();
    }
}

#[test]
fn many_clients_get_their_own_bytes_back() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ferrio_core::spawn(echo_server(listener));
        let clients: Vec<_> = (0..20u8)
            .map(|id| {
                ferrio_core::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for round in 0..50u8 {
                        let msg = [id, round, 0xAB, id ^ round];
                        stream.write_all(&msg).await.unwrap();
                        let mut back = [0u8; 4];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                    }
                    50
                })
            })
            .collect();
        let mut rounds = 0;
        for client in clients {
            rounds += client.await.unwrap();
        }
        assert_eq!(rounds, 20 * 50);
        server.cancel();
    });
}

#[test]
fn one_byte_partial_reads_lose_nothing() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let payload: Vec<u8> = (0..16 * 1024).map(|i| (i * 7 % 251) as u8).collect();
        let expected = payload.clone();
        let server = ferrio_core::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut byte = [0u8; 1];
            loop {
                match (&stream).read(&mut byte).await.unwrap() {
                    0 => break,
                    1 => {
                        got.push(byte[0]);
                        (&stream).write_all(&byte).await.unwrap();
                    }
                    n => panic!("read {n} bytes into a 1-byte buffer"),
                }
            }
            (&stream).close().await.unwrap();
            got
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let writer = {
            let stream = stream.clone();
            ferrio_core::spawn(async move {
                let mut stream = stream;
                for chunk in payload.chunks(1000) {
                    stream.write_all(chunk).await.unwrap();
                }
                stream.close().await.unwrap();
            })
        };
        let mut echoed = Vec::new();
        (&stream).read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert_eq!(server.await.unwrap(), expected);
        assert_eq!(echoed.len(), expected.len());
        assert!(echoed == expected, "echoed bytes differ");
    });
}

#[test]
fn io_is_not_starved_by_busy_tasks() {
    common::on_each_flavor(|| async {
        let stop = Arc::new(AtomicBool::new(false));
        let busy: Vec<_> = (0..100)
            .map(|_| {
                let stop = stop.clone();
                ferrio_core::spawn(async move {
                    let mut spins = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        spins += 1;
                        ferrio_core::yield_now().await;
                    }
                    spins
                })
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ferrio_core::spawn(echo_server(listener));
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for round in 0..100u32 {
            stream.write_all(&round.to_le_bytes()).await.unwrap();
            let mut back = [0u8; 4];
            stream.read_exact(&mut back).await.unwrap();
            assert_eq!(u32::from_le_bytes(back), round);
        }
        stop.store(true, Ordering::Relaxed);
        for task in busy {
            assert!(task.await.unwrap() > 0);
        }
        server.cancel();
    });
}
