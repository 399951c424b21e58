//! Every public error type of the reactor is `Send + Sync + 'static` and a
//! `std::error::Error`, so `?` carries it into `Box<dyn Error + Send + Sync>` (and
//! so into anyhow and the like). Each test provokes the real error and checks what
//! comes out of the box.
mod common;

use std::error::Error;
use std::io::Write;
use std::os::unix::net::UnixStream as StdUnixStream;

use ferrio_reactor::net::UnixStream;
use ferrio_reactor::streams::{IncompleteReadError, LimitOverrunError, StreamError, StreamReader};

type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Compiles only for types that `?` can box as `Box<dyn Error + Send + Sync>`.
fn is_boxable_error<E: Error + Send + Sync + 'static>() {}

#[test]
fn every_public_error_type_is_send_sync_static_and_an_error() {
    is_boxable_error::<StreamError>();
    is_boxable_error::<IncompleteReadError>();
    is_boxable_error::<LimitOverrunError>();
}

/// A reader with `limit` over a socket whose peer wrote `data` and closed.
fn reader_over(data: &[u8], limit: usize) -> StreamReader<UnixStream> {
    let (mut tx, rx) = StdUnixStream::pair().unwrap();
    tx.write_all(data).unwrap();
    drop(tx);
    StreamReader::with_limit(UnixStream::from_std(rx).unwrap(), limit)
}

/// Checks that the boxed error is a `StreamError` whose source is an `E` with
/// `message`.
fn boxed_stream_error<E: Error + 'static>(err: &BoxError, message: &str) {
    assert_eq!(err.to_string(), message);
    let stream_error = err
        .downcast_ref::<StreamError>()
        .expect("the box holds a StreamError");
    let source = stream_error.source().expect("a parse error has a source");
    assert!(
        source.downcast_ref::<E>().is_some(),
        "the source is a {}",
        std::any::type_name::<E>()
    );
}

#[test]
fn stream_errors_go_through_question_mark() {
    common::on_each_flavor(|| async {
        async fn incomplete() -> Result<(), BoxError> {
            reader_over(b"abc", 1024).readexactly(10).await?;
            Ok(())
        }
        async fn overrun() -> Result<(), BoxError> {
            reader_over(b"0123456789\n", 4).readuntil(b"\n").await?;
            Ok(())
        }
        async fn bad_limit() -> Result<(), BoxError> {
            reader_over(b"abc", 1024).readuntil(b"").await?;
            Ok(())
        }
        let err = incomplete().await.expect_err("the stream ends early");
        boxed_stream_error::<IncompleteReadError>(
            &err,
            "3 bytes read on a total of 10 expected bytes",
        );
        let err = overrun().await.expect_err("the line is over the limit");
        boxed_stream_error::<LimitOverrunError>(
            &err,
            "Separator is found, but chunk is longer than limit",
        );
        let err = bad_limit()
            .await
            .expect_err("an empty separator is refused");
        let stream_error = err.downcast_ref::<StreamError>().expect("a StreamError");
        assert!(
            matches!(stream_error, StreamError::Io(e) if e.kind() == std::io::ErrorKind::InvalidInput)
        );
    });
}

#[test]
fn the_inner_errors_go_through_question_mark_alone() {
    fn incomplete() -> Result<(), BoxError> {
        Err(IncompleteReadError {
            partial: b"ab".to_vec(),
            expected: None,
        })?;
        Ok(())
    }
    fn overrun() -> Result<(), BoxError> {
        Err(LimitOverrunError {
            consumed: 7,
            limit: 4,
            separator_found: false,
        })?;
        Ok(())
    }
    let err = incomplete().unwrap_err();
    assert_eq!(
        err.downcast_ref::<IncompleteReadError>()
            .map(|e| e.partial.clone()),
        Some(b"ab".to_vec())
    );
    let err = overrun().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Separator is not found, and chunk exceed the limit"
    );
    assert_eq!(
        err.downcast_ref::<LimitOverrunError>().map(|e| e.consumed),
        Some(7)
    );
}
