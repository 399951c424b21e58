//! Unix-domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use socket2::{Domain, SockAddr, Type};

use super::socket::{socket_impls, stream_impls, Socket};
use crate::async_io::Async;
use crate::reactor::Reactor;

/// A Unix-domain stream server socket.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::{UnixListener, UnixStream};
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let path = std::env::temp_dir().join(format!("ferrio-doc-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut client = UnixStream::connect(&path).await?;
/// let (mut server_side, _) = listener.accept().await?;
/// client.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// server_side.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hi");
/// # std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixListener {
    inner: Socket<std_unix::UnixListener>,
}

impl UnixListener {
    /// Binds to a filesystem path (which must not exist yet).
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// The OS's `bind`/`listen` error, e.g. `AddrInUse`.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let reactor = Reactor::current_or_panic();
        let listener = std_unix::UnixListener::bind(path)?;
        Ok(UnixListener {
            inner: Socket::with_reactor(listener, &reactor)?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The OS's accept error; the listener stays usable.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.inner
            .poll_accept(cx, std_unix::UnixListener::accept)
            .map_ok(|(inner, addr)| (UnixStream { inner }, addr))
    }

    /// A stream of incoming connections.
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS's `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }
}

socket_impls!(UnixListener);

/// The stream returned by [`UnixListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|r| Some(r.map(|(stream, _)| stream)))
    }
}

/// A Unix-domain stream connection; clones share the socket.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::UnixStream;
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ping").await?;
/// drop(a);
/// let mut got = Vec::new();
/// b.read_to_end(&mut got).await?;
/// assert_eq!(got, b"ping");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct UnixStream {
    inner: Socket<std_unix::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// `NotFound` or `ConnectionRefused` when nothing listens there.
    #[track_caller]
    pub fn connect(
        path: impl AsRef<Path>,
    ) -> impl std::future::Future<Output = io::Result<UnixStream>> {
        let reactor = Reactor::current_or_panic();
        let addr = SockAddr::unix(path);
        async move {
            let socket = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
            let inner = Socket::connect(socket, &addr?, &reactor).await?;
            Ok(UnixStream { inner })
        }
    }

    /// A connected pair of streams.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// The OS's `socketpair` error.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let reactor = Reactor::current_or_panic();
        let (a, b) = std_unix::UnixStream::pair()?;
        let wrap = |s| -> io::Result<UnixStream> {
            Ok(UnixStream {
                inner: Socket::with_reactor(s, &reactor)?,
            })
        };
        Ok((wrap(a)?, wrap(b)?))
    }

    /// Wraps a connected std stream.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the stream cannot be registered.
    #[track_caller]
    pub fn from_std(stream: std_unix::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            inner: Socket::new(stream)?,
        })
    }

    /// Shuts down one half or both.
    ///
    /// # Errors
    ///
    /// The OS's `shutdown` error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.io().shutdown(how)
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The OS's `getpeername` error.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// The inner registered std stream.
    pub fn get_ref(&self) -> &Async<std_unix::UnixStream> {
        self.inner.get_ref()
    }
}

stream_impls!(UnixStream);

/// A Unix-domain datagram socket; clones share the socket.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::UnixDatagram;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"one").await?;
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"one");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct UnixDatagram {
    inner: Socket<std_unix::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to a filesystem path.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// The OS's `bind` error.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        Self::wrap(std_unix::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address (it can still send).
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// The OS's `socket` error.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        Self::wrap(std_unix::UnixDatagram::unbound()?)
    }

    /// A connected pair.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// The OS's `socketpair` error.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std_unix::UnixDatagram::pair()?;
        Ok((Self::wrap(a)?, Self::wrap(b)?))
    }

    #[track_caller]
    fn wrap(socket: std_unix::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            inner: Socket::new(socket)?,
        })
    }

    /// Sets the default peer.
    ///
    /// # Errors
    ///
    /// The OS's `connect` error.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.io().connect(path)
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's `send` error.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.get_ref().write_with(|s| s.send(buf)).await
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's `recv` error.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.get_ref().read_with(|s| s.recv(buf)).await
    }

    /// Sends to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The OS's `sendto` error.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner
            .get_ref()
            .write_with(|s| s.send_to(buf, path))
            .await
    }

    /// Receives a datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// The OS's `recvfrom` error.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.get_ref().read_with(|s| s.recv_from(buf)).await
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's `getsockname` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` without [`connect`](Self::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().peer_addr()
    }

    /// Shuts down one half or both.
    ///
    /// # Errors
    ///
    /// The OS's `shutdown` error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.io().shutdown(how)
    }
}

socket_impls!(UnixDatagram);
