//! The streams' `limit`, as asyncio's: `limit=` on open_connection/start_server,
//! readuntil's two overruns (separator found beyond the limit, or not found within
//! it) with asyncio's messages and `consumed`, and readline consuming the
//! over-long line so that a loop calling it moves on.

mod common;

use std::io::Write;
use std::os::unix::net::UnixStream as StdUnixStream;

use ferrio_reactor::net::UnixStream;
use ferrio_reactor::streams::{
    open_connection, open_connection_with_limit, start_server, start_server_with_limit,
    start_unix_server_with_limit, LimitOverrunError, StreamError, StreamReader, StreamWriter,
    DEFAULT_LIMIT,
};

const FOUND: &str = "Separator is found, but chunk is longer than limit";
const NOT_FOUND: &str = "Separator is not found, and chunk exceed the limit";

/// A reader with `limit` over a socket whose peer already wrote `data` (so the
/// first read takes all of it), and that peer, still open unless `end`.
fn reader_over(data: &[u8], limit: usize, end: bool) -> (StreamReader<UnixStream>, StdUnixStream) {
    let (mut tx, rx) = StdUnixStream::pair().unwrap();
    tx.write_all(data).unwrap();
    if end {
        tx.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let rx = UnixStream::from_std(rx).unwrap();
    (StreamReader::with_limit(rx, limit), tx)
}

fn overrun(result: Result<Vec<u8>, StreamError>) -> LimitOverrunError {
    match result {
        Err(StreamError::LimitOverrun(e)) => e,
        other => panic!("expected a limit overrun, got {other:?}"),
    }
}

#[test]
fn readuntil_separator_found_beyond_the_limit() {
    common::on_each_flavor(|| async {
        let (mut r, _tx) = reader_over(b"0123456789abcdefXY\r\nnext\r\n", 16, true);
        let e = overrun(r.readuntil(b"\r\n").await);
        assert_eq!(
            e,
            LimitOverrunError {
                consumed: 18,
                limit: 16,
                separator_found: true
            }
        );
        assert_eq!(e.to_string(), FOUND);
        // readuntil consumes nothing: moving past takes `consumed` plus the separator.
        assert_eq!(r.buffered(), b"0123456789abcdefXY\r\nnext\r\n");
        assert_eq!(r.readexactly(e.consumed + 2).await.unwrap().len(), 20);
        assert_eq!(r.readuntil(b"\r\n").await.unwrap(), b"next\r\n");
    });
}

#[test]
fn readuntil_separator_not_found_within_the_limit() {
    common::on_each_flavor(|| async {
        // 20 bytes with no separator; the last byte could start one, so asyncio
        // counts 20 + 1 - 2 = 19 as consumed.
        let (mut r, mut tx) = reader_over(b"0123456789abcdefghi\r", 16, false);
        let e = overrun(r.readuntil(b"\r\n").await);
        assert_eq!(
            e,
            LimitOverrunError {
                consumed: 19,
                limit: 16,
                separator_found: false
            }
        );
        assert_eq!(e.to_string(), NOT_FOUND);
        assert_eq!(r.buffered().len(), 20, "readuntil consumed data");
        // The separator completes later: the data was kept, so it is found.
        tx.write_all(b"\n").unwrap();
        assert_eq!(r.read(19).await.unwrap(), b"0123456789abcdefghi");
        assert_eq!(r.readuntil(b"\r\n").await.unwrap(), b"\r\n");
    });
}

#[test]
fn readline_consumes_an_over_long_line_up_to_its_newline() {
    common::on_each_flavor(|| async {
        let long = [b'x'; 40];
        let mut data = long.to_vec();
        data.extend_from_slice(b"\nshort\n");
        let (mut r, _tx) = reader_over(&data, 16, true);
        let e = overrun(r.readline().await);
        assert_eq!((e.consumed, e.separator_found), (40, true));
        assert_eq!(e.to_string(), FOUND);
        assert_eq!(r.readline().await.unwrap(), b"short\n");
        assert_eq!(r.readline().await.unwrap(), b"");
    });
}

#[test]
fn readline_clears_the_buffer_when_the_newline_is_not_there_yet() {
    common::on_each_flavor(|| async {
        let (mut r, mut tx) = reader_over(&[b'x'; 40], 16, false);
        let e = overrun(r.readline().await);
        assert_eq!((e.consumed, e.separator_found), (40, false));
        assert_eq!(e.to_string(), NOT_FOUND);
        assert!(
            r.buffered().is_empty(),
            "the over-long data stayed buffered"
        );
        // The line's tail arrives later and reads as the next line, as in asyncio.
        tx.write_all(b"yy\nshort\n").unwrap();
        assert_eq!(r.readline().await.unwrap(), b"yy\n");
        assert_eq!(r.readline().await.unwrap(), b"short\n");
    });
}

/// A loop that goes on after an over-long line gets every other line, and sees
/// each over-long line's error once.
#[test]
fn a_readline_loop_moves_past_over_long_lines() {
    common::on_each_flavor(|| async {
        let mut data = Vec::new();
        for i in 0..10 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
            data.extend_from_slice(&[b'z'; 100]);
            data.push(b'\n');
        }
        let (mut r, _tx) = reader_over(&data, 64, true);
        let (mut lines, mut errors) = (Vec::new(), 0);
        loop {
            match r.readline().await {
                Ok(line) if line.is_empty() => break,
                Ok(line) => lines.push(String::from_utf8(line).unwrap()),
                Err(e) => {
                    assert!(e.is_limit_overrun(), "{e:?}");
                    errors += 1;
                    assert!(errors <= 10, "readline is stuck on one line");
                }
            }
        }
        let expected: Vec<String> = (0..10).map(|i| format!("line {i}\n")).collect();
        assert_eq!(lines, expected);
        assert_eq!(errors, 10);
    });
}

#[test]
fn open_connection_and_start_server_take_a_limit() {
    common::on_each_flavor(|| async {
        async fn handle(mut reader: StreamReader, mut writer: StreamWriter) {
            let reply = match reader.readline().await {
                Ok(line) => format!("limit {} line {}\n", reader.limit(), line.len()),
                Err(e) => format!("limit {} error {e}\n", reader.limit()),
            };
            writer.write(reply.as_bytes());
            writer.write(&[b'r'; 200]);
            writer.write(b"\n");
            let _ = writer.close().await;
        }
        let server = start_server_with_limit(handle, "127.0.0.1:0", 16)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();

        let (mut reader, mut writer) = open_connection_with_limit(addr, 128).await.unwrap();
        assert_eq!(reader.limit(), 128);
        writer.write(&[b'q'; 20]);
        writer.write(b"\n");
        writer.drain().await.unwrap();
        let reply = String::from_utf8(reader.readline().await.unwrap()).unwrap();
        // Found beyond the limit when the 21 bytes come in one read, as they do on
        // loopback; not found within it should TCP split them.
        assert!(
            reply == format!("limit 16 error {FOUND}\n")
                || reply == format!("limit 16 error {NOT_FOUND}\n"),
            "{reply}"
        );
        // The server's 200-byte line is over this reader's 128.
        assert!(reader.readline().await.unwrap_err().is_limit_overrun());

        // The defaults are asyncio's 64 KiB.
        let (mut reader, mut writer) = open_connection(addr).await.unwrap();
        assert_eq!(reader.limit(), DEFAULT_LIMIT);
        assert_eq!(DEFAULT_LIMIT, 64 * 1024);
        writer.write(b"hi\n");
        writer.drain().await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"limit 16 line 3\n");
        server.close();

        let server = start_server(handle, "127.0.0.1:0").await.unwrap();
        let (mut reader, mut writer) = open_connection(server.local_addr().unwrap()).await.unwrap();
        writer.write(b"hi\n");
        writer.drain().await.unwrap();
        let reply = reader.readline().await.unwrap();
        assert_eq!(reply, format!("limit {DEFAULT_LIMIT} line 3\n").as_bytes());
        server.close();
    });
}

#[test]
fn a_zero_limit_is_invalid_input() {
    common::on_each_flavor(|| async {
        let err = open_connection_with_limit("127.0.0.1:1", 0)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        async fn handle(_: StreamReader, _: StreamWriter) {}
        let err = start_server_with_limit(handle, "127.0.0.1:0", 0)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        async fn handle_unix(_: StreamReader<UnixStream>, _: StreamWriter<UnixStream>) {}
        let path = std::env::temp_dir().join(format!("ferrio-limit-{}", std::process::id()));
        let err = start_unix_server_with_limit(handle_unix, &path, 0).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(!path.exists(), "nothing is bound for a rejected limit");
    });
}
