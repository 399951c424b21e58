//! What every net type shares: its `Debug` form, its descriptor, clones that share
//! the socket, `futures-io` reads and writes (vectored too) on the type and on a
//! shared reference, and `close` as a half-close that may be repeated.

mod common;

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd};

use ferrio_reactor::net::{
    TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

fn raw<T: AsFd>(io: &T) -> i32 {
    io.as_fd().as_raw_fd()
}

#[test]
fn debug_forms_and_descriptors() {
    common::on_each_flavor(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let path = std::env::temp_dir().join(format!("ferrio-net-types-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let unix_listener = UnixListener::bind(&path).unwrap();
        let (unix, _peer) = UnixStream::pair().unwrap();
        let (datagram, _other) = UnixDatagram::pair().unwrap();

        let cases: [(String, &str, i32, i32); 6] = [
            (
                format!("{listener:?}"),
                "TcpListener(TcpListener {",
                raw(&listener),
                raw(listener.get_ref().get_ref()),
            ),
            (
                format!("{stream:?}"),
                "TcpStream(TcpStream {",
                raw(&stream),
                raw(stream.get_ref().get_ref()),
            ),
            (
                format!("{udp:?}"),
                "UdpSocket(UdpSocket {",
                raw(&udp),
                raw(udp.get_ref().get_ref()),
            ),
            (
                format!("{unix_listener:?}"),
                "UnixListener(UnixListener {",
                raw(&unix_listener),
                raw(&unix_listener),
            ),
            (
                format!("{unix:?}"),
                "UnixStream(UnixStream {",
                raw(&unix),
                raw(unix.get_ref().get_ref()),
            ),
            (
                format!("{datagram:?}"),
                "UnixDatagram(UnixDatagram {",
                raw(&datagram),
                raw(&datagram),
            ),
        ];
        for (debug, start, fd, inner_fd) in cases {
            assert!(debug.starts_with(start), "{debug}");
            assert!(debug.contains(&format!("fd: {fd}")), "{debug}");
            assert_eq!(fd, inner_fd, "{debug}");
        }
        // Clones share the socket.
        assert_eq!(raw(&stream.clone()), raw(&stream));
        assert_eq!(raw(&udp.clone()), raw(&udp));
        assert_eq!(raw(&unix.clone()), raw(&unix));
        assert_eq!(raw(&datagram.clone()), raw(&datagram));
        std::fs::remove_file(&path).unwrap();
    });
}

/// Vectored writes and reads through a shared reference, then a close (twice)
/// that the peer reads as the end of the stream.
async fn exchange<S>(a: S, b: S)
where
    S: Clone,
    for<'a> &'a S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin,
    S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin,
{
    let mut writer = &a;
    let written = writer
        .write_vectored(&[IoSlice::new(b"hel"), IoSlice::new(b"lo")])
        .await
        .unwrap();
    assert_eq!(written, 5);
    let (mut first, mut second) = ([0; 2], [0; 3]);
    let mut reader = &b;
    let mut got = 0;
    while got < 5 {
        let mut bufs = [
            IoSliceMut::new(&mut first[got.min(2)..]),
            IoSliceMut::new(&mut second[got.saturating_sub(2)..]),
        ];
        let n = reader.read_vectored(&mut bufs).await.unwrap();
        assert!(n > 0, "the stream ended early");
        got += n;
    }
    assert_eq!((&first, &second), (b"he", b"llo"));
    let mut owned = a.clone();
    owned.close().await.unwrap();
    owned.close().await.unwrap();
    let mut rest = Vec::new();
    let mut b = b;
    b.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
}

#[test]
fn streams_read_write_and_half_close() {
    common::on_each_flavor(|| async {
        let (a, b) = UnixStream::pair().unwrap();
        exchange(a, b).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (b, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, a.local_addr().unwrap());
        exchange(a, b).await;
    });
}
