//! After the end of the stream every read returns 0; writing to a closed peer is
//! `BrokenPipe`/`ConnectionReset`, never a SIGPIPE death.

mod common;

use std::io;
use std::net::Shutdown;

use ferrio_reactor::net::{TcpListener, TcpStream, UnixStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[test]
fn read_after_eof_returns_zero_every_time() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server_side, _) = listener.accept().await.unwrap();
        server_side.write_all(b"last words").await.unwrap();
        server_side.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
        let mut buf = [0u8; 16];
        for _ in 0..5 {
            assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        }
        // Half-close: the other direction still works.
        client.write_all(b"reply").await.unwrap();
        let mut reply = [0u8; 5];
        server_side.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");
    });
}

fn is_closed_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

#[test]
fn write_after_peer_closed_is_an_error() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        drop(server_side);
        // The first write may still be accepted by the kernel (and answered by an
        // RST); a following one must fail.
        let mut failure = None;
        for _ in 0..100 {
            if let Err(e) = client.write_all(&[0u8; 1024]).await {
                failure = Some(e);
                break;
            }
        }
        let err = failure.expect("writing to a closed peer kept succeeding");
        assert!(is_closed_error(&err), "{err:?}");

        let (mut a, b) = UnixStream::pair().unwrap();
        drop(b);
        let err = a.write_all(b"nobody listens").await.unwrap_err();
        assert!(is_closed_error(&err), "{err:?}");
    });
}

/// Even when the process starts with SIGPIPE at its default (killing) action, as a
/// non-Rust host program would, a write to a closed pipe or socket is an error.
#[test]
fn sigpipe_never_kills_the_process() {
    if common::is_child("sigpipe_never_kills_the_process") {
        // SAFETY: restoring the default action before any reactor exists.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        let rt = common::runtime(ferrio_core::Flavor::CurrentThread);
        rt.block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            drop(b);
            let err = a.write_all(b"into the void").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        });
        return;
    }
    let output = common::run_as_child("sigpipe_never_kills_the_process");
    assert!(
        output.status.success(),
        "child died: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout)
    );
}
