//! asyncio's streams: open_connection/start_server, readline, readexactly,
//! readuntil with multi-byte separators, the limit, and the two errors.

mod common;

use ferrio_reactor::net::UnixStream;
use ferrio_reactor::streams::{
    open_connection, start_server, StreamError, StreamReader, StreamWriter,
};
use futures_lite::AsyncWriteExt;

/// A reader over a stream that carries `data` and then ends.
async fn reader_over(data: &[u8], limit: usize) -> StreamReader<UnixStream> {
    let (mut tx, rx) = UnixStream::pair().unwrap();
    let data = data.to_vec();
    ferrio_core::spawn(async move {
        // Dribble the data in small pieces to exercise partial reads.
        for chunk in data.chunks(3) {
            tx.write_all(chunk).await.unwrap();
            ferrio_core::yield_now().await;
        }
    })
    .detach();
    StreamReader::with_limit(rx, limit)
}

#[test]
fn readline_readuntil_readexactly() {
    common::on_each_flavor(|| async {
        let mut r = reader_over(b"one\ntwo\r\n\r\nbody-bytes--END--tail", 1024).await;
        assert_eq!(r.readline().await.unwrap(), b"one\n");
        assert_eq!(r.readuntil(b"\r\n\r\n").await.unwrap(), b"two\r\n\r\n");
        assert_eq!(r.readexactly(4).await.unwrap(), b"body");
        assert_eq!(r.readuntil(b"--END--").await.unwrap(), b"-bytes--END--");
        assert_eq!(r.readline().await.unwrap(), b"tail");
        assert_eq!(r.readline().await.unwrap(), b"");
        assert!(r.at_eof());
        assert_eq!(r.read(10).await.unwrap(), b"");
    });
}

#[test]
fn readexactly_early_end_carries_the_partial_bytes() {
    common::on_each_flavor(|| async {
        let mut r = reader_over(b"abcdefg", 1024).await;
        assert_eq!(r.readexactly(2).await.unwrap(), b"ab");
        match r.readexactly(10).await {
            Err(StreamError::IncompleteRead(e)) => {
                assert_eq!(e.partial, b"cdefg");
                assert_eq!(e.expected, Some(10));
            }
            other => panic!("expected an incomplete read, got {other:?}"),
        }
        assert!(r.at_eof());
    });
}

#[test]
fn readuntil_at_end_without_separator_is_incomplete() {
    common::on_each_flavor(|| async {
        let mut r = reader_over(b"no separator here", 1024).await;
        let err = r.readuntil(b"\n\n").await.unwrap_err();
        assert!(err.is_incomplete_read());
        assert_eq!(err.partial(), Some(&b"no separator here"[..]));
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
    });
}

#[test]
fn readuntil_past_the_limit_overruns_and_keeps_the_data() {
    common::on_each_flavor(|| async {
        let long_line = [b'x'; 40];
        let mut data = long_line.to_vec();
        data.extend_from_slice(b"\nshort\n");
        let mut r = reader_over(&data, 16).await;
        match r.readuntil(b"\n").await {
            Err(StreamError::LimitOverrun(e)) => {
                assert!(e.consumed > 16, "{e:?}");
                assert_eq!(e.limit, 16);
            }
            other => panic!("expected an overrun, got {other:?}"),
        }
        // Nothing was lost: the long line is still there, readable in pieces.
        let mut recovered = Vec::new();
        while recovered.len() < 40 {
            recovered.extend(r.read(40 - recovered.len()).await.unwrap());
        }
        assert_eq!(recovered, long_line);
        assert_eq!(r.readline().await.unwrap(), b"\n");
        assert_eq!(r.readline().await.unwrap(), b"short\n");
        assert!(r.readline().await.unwrap().is_empty());

        // readline overruns too, and (as asyncio's) consumes the over-long line,
        // whose tail may come as the next line: stream_limit.rs has the details.
        let mut r = reader_over(&data, 16).await;
        assert!(r.readline().await.unwrap_err().is_limit_overrun());
        let mut rest = Vec::new();
        loop {
            match r.readline().await {
                Ok(line) if line.is_empty() => break,
                Ok(line) => rest.push(line),
                Err(e) => assert!(e.is_limit_overrun(), "{e:?}"),
            }
        }
        assert_eq!(rest.last().map(Vec::as_slice), Some(&b"short\n"[..]));
    });
}

#[test]
fn a_separator_right_at_the_limit_is_accepted() {
    common::on_each_flavor(|| async {
        let mut r = reader_over(b"0123456789abcdef\nrest", 16).await;
        assert_eq!(r.readline().await.unwrap(), b"0123456789abcdef\n");
    });
}

#[test]
fn empty_separator_is_invalid_input() {
    common::on_each_flavor(|| async {
        let mut r = reader_over(b"data", 16).await;
        match r.readuntil(b"").await {
            Err(StreamError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.readexactly(4).await.unwrap(), b"data");
    });
}

#[test]
fn start_server_and_open_connection_talk() {
    common::on_each_flavor(|| async {
        async fn handle(mut reader: StreamReader, mut writer: StreamWriter) {
            while let Ok(line) = reader.readline().await {
                if line.is_empty() {
                    break;
                }
                writer.write(b"echo: ");
                writer.write(&line);
                if writer.drain().await.is_err() {
                    break;
                }
            }
            let _ = writer.close().await;
        }
        let server = start_server(handle, "127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let clients: Vec<_> = (0..5)
            .map(|i| {
                ferrio_core::spawn(async move {
                    let (mut reader, mut writer) = open_connection(addr).await.unwrap();
                    for n in 0..10 {
                        writer.write(format!("client {i} line {n}\n").as_bytes());
                        writer.drain().await.unwrap();
                        let line = reader.readline().await.unwrap();
                        assert_eq!(line, format!("echo: client {i} line {n}\n").as_bytes());
                    }
                    writer.close().await.unwrap();
                    assert!(reader.read_to_end().await.unwrap().is_empty());
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        assert!(server.is_serving());
        server.close();
        assert!(!server.is_serving());
        server.wait_closed().await;
        let refused = open_connection(addr).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}
