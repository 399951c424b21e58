//! TCP: [`TcpListener`] and [`TcpStream`].

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::addr::AsyncToSocketAddrs;
use super::socket::{socket_impls, stream_impls, Socket};
use crate::async_io::Async;
use crate::reactor::Reactor;

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
    inner: Socket<std::net::TcpListener>,
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
        let bind = Socket::bind(addr, std::net::TcpListener::bind);
        async move { Ok(TcpListener { inner: bind.await? }) }
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
            inner: Socket::with_reactor(listener, reactor)?,
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
        self.inner
            .poll_accept(cx, std::net::TcpListener::accept)
            .map_ok(|(inner, peer)| {
                let inner = inner.with_tcp_inq();
                (TcpStream { inner }, peer)
            })
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
        self.inner.io().local_addr()
    }

    /// The inner registered std listener.
    pub fn get_ref(&self) -> &Async<std::net::TcpListener> {
        self.inner.get_ref()
    }
}

socket_impls!(TcpListener);

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
    inner: Socket<std::net::TcpStream>,
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
        let connect = Socket::connect_tcp(addr);
        async move {
            Ok(TcpStream {
                inner: connect.await?.with_tcp_inq(),
            })
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
            inner: Socket::new(stream)?.with_tcp_inq(),
        })
    }

    /// The address of the other end.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().peer_addr()
    }

    /// The local address of this end.
    ///
    /// # Errors
    ///
    /// The OS's `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// Shuts down the read half, the write half (the peer reads EOF), or both.
    ///
    /// # Errors
    ///
    /// The OS's `shutdown` error, e.g. `NotConnected`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.io().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    ///
    /// The OS's `setsockopt` error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.io().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// The OS's `getsockopt` error.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.io().nodelay()
    }

    /// Reads into `buf` without consuming the data.
    ///
    /// # Errors
    ///
    /// The OS's `recv` error.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.get_ref().read_with(|s| s.peek(buf)).await
    }

    /// Waits until the stream may be readable (see [`Async::readable`]).
    ///
    /// # Errors
    ///
    /// When the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.get_ref().readable().await
    }

    /// Waits until the stream may be writable (see [`Async::writable`]).
    ///
    /// # Errors
    ///
    /// When the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.get_ref().writable().await
    }

    /// The inner registered std stream.
    pub fn get_ref(&self) -> &Async<std::net::TcpStream> {
        self.inner.get_ref()
    }
}

stream_impls!(TcpStream);
