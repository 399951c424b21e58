//! A peer that resets mid-read or mid-write is an `io::Error` for that connection
//! only; the loop keeps serving the others.

mod common;

use std::io;
use std::time::Duration;

use ferrio_reactor::net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use socket2::SockRef;

/// Closes `stream` with an RST instead of a FIN.
fn reset(stream: TcpStream) {
    SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

fn is_reset_like(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

#[test]
fn reset_mid_read_is_an_error_and_others_are_served() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let victim = TcpStream::connect(addr).await.unwrap();
        let (victim_server, _) = listener.accept().await.unwrap();
        let mut healthy = TcpStream::connect(addr).await.unwrap();
        let (mut healthy_server, _) = listener.accept().await.unwrap();

        // The server side waits for a 100-byte message; the peer sends part of it,
        // then resets.
        let reader = ferrio_core::spawn(async move {
            let mut buf = [0u8; 100];
            (&victim_server).read_exact(&mut buf).await
        });
        (&victim).write_all(&[1; 10]).await.unwrap();
        reset(victim);
        let err = reader.await.unwrap().unwrap_err();
        assert!(
            is_reset_like(&err) || err.kind() == io::ErrorKind::UnexpectedEof,
            "{err:?}"
        );

        // The other connection still works both ways.
        healthy.write_all(b"still here").await.unwrap();
        let mut buf = [0u8; 10];
        healthy_server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still here");
        healthy_server.write_all(b"ok").await.unwrap();
        let mut buf = [0u8; 2];
        healthy.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ok");
    });
}

#[test]
fn reset_mid_write_is_an_error_not_a_panic() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let victim = TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        // The server writes far more than the socket buffers hold, so it is
        // mid-write (waiting for space) when the peer resets.
        let writer = ferrio_core::spawn(async move {
            let chunk = vec![7u8; 64 * 1024];
            let mut sent = 0usize;
            loop {
                match (&server_side).write(&chunk).await {
                    Ok(n) => sent += n,
                    Err(e) => return (sent, e),
                }
            }
        });
        // Read a little so the writer is surely running, then reset.
        let mut buf = [0u8; 1024];
        (&victim).read_exact(&mut buf).await.unwrap();
        reset(victim);
        let (sent, err) = writer.await.unwrap();
        assert!(sent >= 1024);
        assert!(is_reset_like(&err), "{err:?}");

        // The listener still accepts.
        let _again = TcpStream::connect(addr).await.unwrap();
        listener.accept().await.unwrap();
    });
}
