//! asyncio's streams: [`open_connection`], [`start_server`], [`StreamReader`] and
//! [`StreamWriter`].
//!
//! | asyncio | ferrio |
//! |---|---|
//! | `await open_connection(host, port)` | `open_connection((host, port)).await?` |
//! | `await open_connection(host, port, limit=n)` | `open_connection_with_limit((host, port), n).await?` |
//! | `await start_server(cb, host, port)` | `start_server(handler, (host, port)).await?` |
//! | `await start_server(cb, host, port, limit=n)` | `start_server_with_limit(handler, (host, port), n).await?` |
//! | `reader.readline()` / `readexactly(n)` / `readuntil(sep)` / `read(n)` | same names |
//! | `IncompleteReadError`, `LimitOverrunError` | [`StreamError`] variants |
//! | `writer.write(data)`; `await writer.drain()` | same |
//! | `writer.close(); await writer.wait_closed()` | `writer.close().await?` |

mod error;
mod reader;
mod server;
mod writer;

pub use error::{IncompleteReadError, LimitOverrunError, StreamError};
pub use reader::{StreamReader, DEFAULT_LIMIT};
pub use server::{
    start_server, start_server_with_limit, start_unix_server, start_unix_server_with_limit, Server,
};
pub use writer::StreamWriter;

use std::io;

use crate::net::{AsyncToSocketAddrs, TcpStream, UnixStream};

/// Connects over TCP and returns asyncio's `(reader, writer)` pair.
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// The connect error (e.g. `ConnectionRefused`).
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::TcpListener;
/// use ferrio_reactor::streams::open_connection;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let (reader, mut writer) = open_connection(listener.local_addr()?).await?;
/// writer.write(b"hello\n");
/// writer.drain().await?;
/// # drop(reader);
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[track_caller]
pub fn open_connection(
    addr: impl AsyncToSocketAddrs,
) -> impl std::future::Future<Output = io::Result<(StreamReader, StreamWriter)>> {
    open_connection_with_limit(addr, DEFAULT_LIMIT)
}

/// [`open_connection`] with the reader's `limit` (asyncio's `limit=`; the default
/// is [`DEFAULT_LIMIT`], 64 KiB): how long a line or a `readuntil` chunk may be.
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// `InvalidInput` for a zero `limit` (before connecting); the connect error.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::TcpListener;
/// use ferrio_reactor::streams::open_connection_with_limit;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let (reader, _writer) = open_connection_with_limit(listener.local_addr()?, 1024).await?;
/// assert_eq!(reader.limit(), 1024);
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[track_caller]
pub fn open_connection_with_limit(
    addr: impl AsyncToSocketAddrs,
    limit: usize,
) -> impl std::future::Future<Output = io::Result<(StreamReader, StreamWriter)>> {
    with_limit(TcpStream::connect(addr), limit)
}

/// Connects to a Unix-domain socket and returns a `(reader, writer)` pair.
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// The connect error.
#[track_caller]
pub fn open_unix_connection(
    path: impl AsRef<std::path::Path>,
) -> impl std::future::Future<Output = io::Result<(StreamReader<UnixStream>, StreamWriter<UnixStream>)>>
{
    open_unix_connection_with_limit(path, DEFAULT_LIMIT)
}

/// [`open_unix_connection`] with the reader's `limit` (see
/// [`open_connection_with_limit`]).
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// `InvalidInput` for a zero `limit` (before connecting); the connect error.
#[track_caller]
pub fn open_unix_connection_with_limit(
    path: impl AsRef<std::path::Path>,
    limit: usize,
) -> impl std::future::Future<Output = io::Result<(StreamReader<UnixStream>, StreamWriter<UnixStream>)>>
{
    with_limit(UnixStream::connect(path), limit)
}

/// The `(reader, writer)` pair over the stream `connect` gives, the reader with
/// `limit` (checked before connecting).
async fn with_limit<S>(
    connect: impl std::future::Future<Output = io::Result<S>>,
    limit: usize,
) -> io::Result<(StreamReader<S>, StreamWriter<S>)>
where
    S: Clone + futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    check_limit(limit)?;
    let stream = connect.await?;
    Ok(reader_writer(stream, limit))
}

/// asyncio's `(reader, writer)` pair over one stream.
fn reader_writer<S>(stream: S, limit: usize) -> (StreamReader<S>, StreamWriter<S>)
where
    S: Clone + futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    (
        StreamReader::with_limit(stream.clone(), limit),
        StreamWriter::new(stream),
    )
}

/// asyncio's `ValueError('Limit cannot be <= 0')`, as an I/O error.
fn check_limit(limit: usize) -> io::Result<()> {
    if limit == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a stream's limit must be positive",
        ));
    }
    Ok(())
}
