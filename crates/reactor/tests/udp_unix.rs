//! UDP and Unix-domain sockets: datagrams keep their boundaries, streams their
//! bytes, and every type works with futures-io adapters.

mod common;

use ferrio_reactor::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};
use futures_lite::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, StreamExt};

#[test]
fn udp_send_recv_connected_and_unconnected() {
    common::on_each_flavor(|| async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind(("127.0.0.1", 0)).await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());

        // A receiver waiting before the datagram arrives is woken by readiness.
        let receiver = {
            let b = b.clone();
            ferrio_core::spawn(async move {
                let mut buf = [0u8; 64];
                let mut got = Vec::new();
                for _ in 0..3 {
                    let (n, from) = b.recv_from(&mut buf).await.unwrap();
                    got.push((buf[..n].to_vec(), from));
                }
                got
            })
        };
        for msg in [&b"one"[..], b"two", b"three"] {
            a.send_to(msg, b_addr).await.unwrap();
        }
        let got = receiver.await.unwrap();
        let expected: Vec<_> = [&b"one"[..], b"two", b"three"]
            .iter()
            .map(|m| (m.to_vec(), a_addr))
            .collect();
        assert_eq!(got, expected);

        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_addr);
        a.send(b"connected").await.unwrap();
        let mut buf = [0u8; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"connected");
    });
}

#[test]
fn unix_stream_listener_and_pair() {
    common::on_each_flavor(|| async {
        let dir = std::env::temp_dir().join(format!(
            "ferrio-unix-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = ferrio_core::spawn(async move {
            let mut incoming = listener.incoming();
            let stream = incoming.next().await.unwrap().unwrap();
            let mut lines = futures_lite::io::BufReader::new(stream.clone()).lines();
            let mut writer = stream;
            while let Some(line) = lines.next().await {
                let line = line.unwrap();
                writer
                    .write_all(format!("{}\n", line.len()).as_bytes())
                    .await
                    .unwrap();
            }
            writer.close().await.unwrap();
        });
        let mut client = UnixStream::connect(&path).await.unwrap();
        client.write_all(b"a\nbcd\nefghij\n").await.unwrap();
        client.close().await.unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "1\n3\n6\n");
        server.await.unwrap();

        let err = UnixStream::connect(dir.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();

        let (mut x, mut y) = UnixStream::pair().unwrap();
        x.write_all(b"pair").await.unwrap();
        let mut buf = [0u8; 4];
        y.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pair");
    });
}

#[test]
fn unix_datagrams_keep_boundaries() {
    common::on_each_flavor(|| async {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"first").await.unwrap();
        a.send(b"second!").await.unwrap();
        let mut buf = [0u8; 32];
        assert_eq!(b.recv(&mut buf).await.unwrap(), 5);
        assert_eq!(&buf[..5], b"first");
        assert_eq!(b.recv(&mut buf).await.unwrap(), 7);
        assert_eq!(&buf[..7], b"second!");
    });
}
