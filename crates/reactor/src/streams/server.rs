//! asyncio's `start_server`: a listener whose accept loop runs as a task.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::{check_limit, reader_writer, StreamReader, StreamWriter, DEFAULT_LIMIT};
use crate::net::{AsyncToSocketAddrs, TcpListener, TcpStream, UnixListener, UnixStream};

/// How long the accept loop pauses after an accept error such as `EMFILE`, so that
/// a persistent error does not spin the loop.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// A running server, as returned by [`start_server`]. Its accept loop runs in the
/// background from the start; each connection's handler runs as its own task.
///
/// [`close`](Self::close) (or dropping the server) stops accepting; the listening
/// socket is closed once [`wait_closed`](Self::wait_closed) returns. Connections
/// already accepted keep running, as in asyncio.
pub struct Server {
    local_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `close` was called: the accept loop must stop.
    closing: bool,
    /// The accept loop ended and dropped the listener.
    closed: bool,
    accept_waker: Option<Waker>,
    waiters: Vec<Waker>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks the server closed when the accept loop ends (normally, or because its task
/// was cancelled when the runtime shut down).
struct ClosedOnDrop(Arc<Shared>);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        let waiters = {
            let mut state = self.0.lock();
            state.closing = true;
            state.closed = true;
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }
}

impl Server {
    /// The address the server listens on (`None` for a Unix-domain server).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Whether the server still accepts connections.
    pub fn is_serving(&self) -> bool {
        !self.shared.lock().closing
    }

    /// Stops accepting; the listening socket closes as soon as the accept loop
    /// notices, which [`wait_closed`](Self::wait_closed) waits for. Idempotent.
    pub fn close(&self) {
        let waker = {
            let mut state = self.shared.lock();
            state.closing = true;
            state.accept_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Waits until the server is closed and its listening socket is gone (asyncio's
    /// `wait_closed`).
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            let mut state = self.shared.lock();
            if state.closed {
                return Poll::Ready(());
            }
            if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Serves until the server is closed (from another task) or this future is
    /// cancelled (asyncio's `serve_forever`).
    pub async fn serve_forever(&self) {
        self.wait_closed().await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("serving", &self.is_serving())
            .finish()
    }
}

/// Starts the accept loop as a task: `poll_accept` until closed, `on_stream` for
/// each connection, a pause after an accept error (e.g. `EMFILE`) so a persistent
/// one does not spin the loop.
#[track_caller]
fn spawn_accept_loop<L, S>(
    listener: L,
    local_addr: Option<SocketAddr>,
    poll_accept: fn(&L, &mut Context<'_>) -> Poll<io::Result<S>>,
    mut on_stream: impl FnMut(S) + Send + 'static,
) -> Server
where
    L: Send + Sync + 'static,
    S: Send + 'static,
{
    let shared = Arc::new(Shared::default());
    let loop_shared = shared.clone();
    let accept_loop = async move {
        // Declared first, dropped last: the listener is gone when `closed` is set.
        let _closed = ClosedOnDrop(loop_shared.clone());
        let listener = listener;
        loop {
            let next = poll_fn(|cx| {
                {
                    let mut state = loop_shared.lock();
                    if state.closing {
                        return Poll::Ready(None);
                    }
                    state.accept_waker = Some(cx.waker().clone());
                }
                poll_accept(&listener, cx).map(Some)
            })
            .await;
            match next {
                None => return,
                Some(Ok(stream)) => on_stream(stream),
                Some(Err(_)) => ferrio_core::sleep(ACCEPT_ERROR_PAUSE).await,
            }
        }
    };
    ferrio_core::spawn(accept_loop).detach();
    Server { local_addr, shared }
}

/// Listens on `addr` and runs `handler(reader, writer)` as a new task for each
/// connection (asyncio's `start_server(client_connected_cb, host, port)`).
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// Resolution or bind errors.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::streams::{open_connection, start_server, StreamReader, StreamWriter};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// async fn echo_line(mut reader: StreamReader, mut writer: StreamWriter) {
///     if let Ok(line) = reader.readline().await {
///         writer.write(&line);
///         let _ = writer.close().await;
///     }
/// }
/// let server = start_server(echo_line, "127.0.0.1:0").await?;
/// let (mut reader, mut writer) = open_connection(server.local_addr().unwrap()).await?;
/// writer.write(b"hello\n");
/// writer.drain().await?;
/// assert_eq!(reader.readline().await?, b"hello\n");
/// server.close();
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[track_caller]
pub fn start_server<H, F>(
    handler: H,
    addr: impl AsyncToSocketAddrs,
) -> impl Future<Output = io::Result<Server>>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    start_server_with_limit(handler, addr, DEFAULT_LIMIT)
}

/// [`start_server`] whose connections' readers have `limit` (asyncio's `limit=`;
/// the default is [`DEFAULT_LIMIT`], 64 KiB).
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// `InvalidInput` for a zero `limit` (before binding); resolution or bind errors.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::streams::{start_server_with_limit, StreamReader, StreamWriter};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// async fn handle(reader: StreamReader, _writer: StreamWriter) {
///     assert_eq!(reader.limit(), 256);
/// }
/// let server = start_server_with_limit(handle, "127.0.0.1:0", 256).await?;
/// server.close();
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[track_caller]
pub fn start_server_with_limit<H, F>(
    handler: H,
    addr: impl AsyncToSocketAddrs,
    limit: usize,
) -> impl Future<Output = io::Result<Server>>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let bind = TcpListener::bind(addr);
    async move {
        check_limit(limit)?;
        let listener = bind.await?;
        let local_addr = listener.local_addr()?;
        Ok(spawn_accept_loop(
            listener,
            Some(local_addr),
            |l, cx| l.poll_accept(cx).map_ok(|(stream, _)| stream),
            move |stream: TcpStream| {
                let (reader, writer) = reader_writer(stream, limit);
                ferrio_core::spawn(handler(reader, writer)).detach();
            },
        ))
    }
}

/// [`start_server`] for a Unix-domain socket at `path`.
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// Bind errors.
#[track_caller]
pub fn start_unix_server<H, F>(handler: H, path: impl AsRef<std::path::Path>) -> io::Result<Server>
where
    H: Fn(StreamReader<UnixStream>, StreamWriter<UnixStream>) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    start_unix_server_with_limit(handler, path, DEFAULT_LIMIT)
}

/// [`start_unix_server`] whose connections' readers have `limit` (see
/// [`start_server_with_limit`]).
///
/// # Panics
///
/// Outside a runtime with a reactor.
///
/// # Errors
///
/// `InvalidInput` for a zero `limit` (before binding); bind errors.
#[track_caller]
pub fn start_unix_server_with_limit<H, F>(
    handler: H,
    path: impl AsRef<std::path::Path>,
    limit: usize,
) -> io::Result<Server>
where
    H: Fn(StreamReader<UnixStream>, StreamWriter<UnixStream>) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    check_limit(limit)?;
    let listener = UnixListener::bind(path)?;
    Ok(spawn_accept_loop(
        listener,
        None,
        |l, cx| l.poll_accept(cx).map_ok(|(stream, _)| stream),
        move |stream: UnixStream| {
            let (reader, writer) = reader_writer(stream, limit);
            ferrio_core::spawn(handler(reader, writer)).detach();
        },
    ))
}
