//! TCP: [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
use socket2::{Domain, Protocol, Socket, Type};

use super::addr::{each_addr, resolve, AsyncToSocketAddrs};
use crate::async_io::Async;
use crate::reactor::Reactor;
use crate::source::READABLE;

/// A TCP server socket, listening for connections.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::{TcpListener, TcpStream};
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server_side, _peer) = listener.accept().await?;
/// client.write_all(b"hello").await?;
/// let mut buf = [0; 5];
/// server_side.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hello");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    inner: Async<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first address that works (host names are resolved off the loop).
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor (see [`Async::new`]).
    ///
    /// # Errors
    ///
    /// Resolution or binding errors; the last one when every address failed.
    #[track_caller]
    pub fn bind(
        addr: impl AsyncToSocketAddrs,
    ) -> impl std::future::Future<Output = io::Result<TcpListener>> {
        let reactor = Reactor::current_or_panic();
        async move {
            let addrs = resolve(addr).await?;
            each_addr(addrs, |addr| {
                let reactor = &reactor;
                async move {
                    let listener = std::net::TcpListener::bind(addr)?;
                    Self::with_reactor(listener, reactor)
                }
            })
            .await
        }
    }

    /// Wraps a bound std listener (switching it to non-blocking mode).
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the listener cannot be registered.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Self::with_reactor(listener, &Reactor::current_or_panic())
    }

    fn with_reactor(listener: std::net::TcpListener, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(TcpListener {
            inner: Async::with_reactor(listener, reactor)?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The OS's accept error (for example `EMFILE` when out of descriptors); the
    /// listener stays usable and a later `accept` succeeds once the cause is gone.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let accepted = std::task::ready!(self.inner.poll_op(READABLE, cx, &mut |l| l.accept()));
        Poll::Ready(accepted.and_then(|(stream, peer)| {
            stream.set_nonblocking(true)?;
            let stream = TcpStream::from_nonblocking(stream, &self.inner_reactor())?;
            Ok((stream, peer))
        }))
    }

    fn inner_reactor(&self) -> Arc<Reactor> {
        self.inner.reactor().clone()
    }

    /// A stream of incoming connections: `accept` in a loop.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS's `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The inner registered std listener.
    pub fn get_ref(&self) -> &Async<std::net::TcpListener> {
        &self.inner
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener")
            .field(self.inner.get_ref())
            .finish()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// The stream returned by [`TcpListener::incoming`]; never ends by itself.
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|r| Some(r.map(|(stream, _)| stream)))
    }
}

/// A TCP connection. Cloning it gives another handle to the same socket (for a
/// reader and a writer in two tasks, say).
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::{TcpListener, TcpStream};
/// use futures_lite::AsyncWriteExt;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut stream = TcpStream::connect(listener.local_addr()?).await?;
/// stream.set_nodelay(true)?;
/// stream.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
/// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct TcpStream {
    inner: Arc<Async<std::net::TcpStream>>,
}

impl TcpStream {
    /// Connects to the first address that accepts (host names are resolved off the
    /// loop). Dropping the future abandons the attempt and closes the socket.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nothing listens; resolution errors; the last error
    /// when every address failed.
    #[track_caller]
    pub fn connect(
        addr: impl AsyncToSocketAddrs,
    ) -> impl std::future::Future<Output = io::Result<TcpStream>> {
        let reactor = Reactor::current_or_panic();
        async move {
            let addrs = resolve(addr).await?;
            each_addr(addrs, |addr| connect_one(addr, &reactor)).await
        }
    }

    /// Wraps a connected std stream (switching it to non-blocking mode).
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the stream cannot be registered.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Arc::new(Async::new(stream)?),
        })
    }

    fn from_nonblocking(stream: std::net::TcpStream, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(TcpStream {
            inner: Arc::new(Async::with_reactor_nonblocking(stream, reactor)?),
        })
    }

    /// The address of the other end.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The local address of this end.
    ///
    /// # Errors
    ///
    /// The OS's `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half (the peer reads EOF), or both.
    ///
    /// # Errors
    ///
    /// The OS's `shutdown` error, e.g. `NotConnected`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    ///
    /// The OS's `setsockopt` error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// The OS's `getsockopt` error.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Reads into `buf` without consuming the data.
    ///
    /// # Errors
    ///
    /// The OS's `recv` error.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|s| s.peek(buf)).await
    }

    /// Waits until the stream may be readable (see [`Async::readable`]).
    ///
    /// # Errors
    ///
    /// When the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// Waits until the stream may be writable (see [`Async::writable`]).
    ///
    /// # Errors
    ///
    /// When the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// The inner registered std stream.
    pub fn get_ref(&self) -> &Async<std::net::TcpStream> {
        &self.inner
    }
}

/// Starts a non-blocking connect and waits for its outcome.
async fn connect_one(addr: SocketAddr, reactor: &Arc<Reactor>) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    let stream = TcpStream::from_nonblocking(socket.into(), reactor)?;
    // Writable means the handshake finished; SO_ERROR says how.
    stream
        .inner
        .write_with(|s| match s.take_error()? {
            Some(e) => Err(e),
            None => match s.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            },
        })
        .await?;
    Ok(stream)
}

/// Whether a non-blocking connect's error only means "in progress".
pub(crate) fn in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream")
            .field(self.inner.get_ref())
            .finish()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read_vectored(cx, bufs)
    }
}

impl AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(self.inner.get_ref()))
    }
}

impl AsyncWrite for &TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(self.inner.get_ref()))
    }
}

/// Closing the write half twice, or after the peer left, is not an error.
fn shutdown_write(stream: &std::net::TcpStream) -> io::Result<()> {
    match stream.shutdown(Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    }
}
