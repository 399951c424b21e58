//! asyncio's `start_server`: a listener whose accept loop runs as a task.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use ferrio_core::Task;

use super::{StreamReader, StreamWriter};
use crate::net::{AsyncToSocketAddrs, TcpListener, UnixListener, UnixStream};

/// How long the accept loop pauses after an accept error such as `EMFILE`, so that
/// a persistent error does not spin the loop.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// A running server, as returned by [`start_server`]. Its accept loop runs in the
/// background from the start; each connection's handler runs as its own task.
///
/// [`close`](Self::close) (or dropping the server) stops accepting and closes the
/// listening socket; connections already accepted keep running, as in asyncio.
pub struct Server {
    local_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    accept_task: Mutex<Option<Task<()>>>,
    state: Mutex<CloseState>,
}

#[derive(Default)]
struct CloseState {
    closed: bool,
    waiters: Vec<Waker>,
}

impl Server {
    fn new(local_addr: Option<SocketAddr>, accept_task: Task<()>) -> Server {
        let shared = Arc::new(Shared::default());
        *shared.accept_task.lock().unwrap_or_else(|e| e.into_inner()) = Some(accept_task);
        Server { local_addr, shared }
    }

    /// The address the server listens on (`None` for a Unix-domain server).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Whether the server still accepts connections.
    pub fn is_serving(&self) -> bool {
        !self.lock_state().closed
    }

    /// Stops accepting and closes the listening socket. Idempotent.
    pub fn close(&self) {
        if let Some(task) = self
            .shared
            .accept_task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            task.cancel();
        }
        let waiters = {
            let mut state = self.lock_state();
            state.closed = true;
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }

    /// Waits until the server is closed (asyncio's `wait_closed`).
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            let mut state = self.lock_state();
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

    fn lock_state(&self) -> std::sync::MutexGuard<'_, CloseState> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
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
    let bind = TcpListener::bind(addr);
    async move {
        let listener = bind.await?;
        let local_addr = listener.local_addr()?;
        let accept_loop = async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let reader = StreamReader::new(stream.clone());
                        ferrio_core::spawn(handler(reader, StreamWriter::new(stream))).detach();
                    }
                    Err(_) => ferrio_core::sleep(ACCEPT_ERROR_PAUSE).await,
                }
            }
        };
        Ok(Server::new(Some(local_addr), ferrio_core::spawn(accept_loop)))
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
    let listener = UnixListener::bind(path)?;
    let accept_loop = async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let reader = StreamReader::new(stream.clone());
                    ferrio_core::spawn(handler(reader, StreamWriter::new(stream))).detach();
                }
                Err(_) => ferrio_core::sleep(ACCEPT_ERROR_PAUSE).await,
            }
        }
    };
    Ok(Server::new(None, ferrio_core::spawn(accept_loop)))
}
