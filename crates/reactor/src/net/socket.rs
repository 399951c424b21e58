//! [`Socket<T>`]: the one body of every net type (TCP, UDP and Unix sockets and
//! their listeners), and the macros that give each public type its `Debug`, `AsFd`
//! and `futures-io` impls by forwarding to it.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use socket2::{Domain, Protocol, SockAddr, SockRef, Type};

use super::addr::{each_addr, resolve, AsyncToSocketAddrs};
use crate::async_io::Async;
use crate::reactor::Reactor;
use crate::source::READABLE;

/// A std socket registered with the reactor, shared by clones of the public type
/// that holds it (a reader and a writer in two tasks, say).
pub(crate) struct Socket<T: AsFd> {
    inner: Arc<Async<T>>,
    /// A TCP stream with `TCP_INQ` on: reads learn whether they drained it.
    tcp_inq: bool,
}

impl<T: AsFd> Clone for Socket<T> {
    fn clone(&self) -> Self {
        Socket {
            inner: self.inner.clone(),
            tcp_inq: self.tcp_inq,
        }
    }
}

impl Socket<std::net::TcpStream> {
    /// Turns on `TCP_INQ` where it pays: on the epoll reactor, whose `READ_CLOSED`
    /// makes a drained read safe to end readiness on. One `setsockopt` per
    /// connection saves the `EAGAIN` read after every full read.
    pub(crate) fn with_tcp_inq(self) -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let tcp_inq = self.inner.reactor().reports_read_closed()
            && crate::sys::enable_tcp_inq(self.inner.as_fd());
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let tcp_inq = false;
        Socket { tcp_inq, ..self }
    }
}

impl<T: AsFd> Socket<T> {
    /// Registers `io` with the current runtime's reactor.
    #[track_caller]
    pub(crate) fn new(io: T) -> io::Result<Self> {
        Ok(Socket {
            inner: Arc::new(Async::new(io)?),
            tcp_inq: false,
        })
    }

    /// Registers `io` with `reactor` (switching it to non-blocking mode).
    pub(crate) fn with_reactor(io: T, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(Socket {
            inner: Arc::new(Async::with_reactor(io, reactor)?),
            tcp_inq: false,
        })
    }

    /// Registers `io`, already non-blocking, with `reactor`.
    pub(crate) fn with_reactor_nonblocking(io: T, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(Socket {
            inner: Arc::new(Async::with_reactor_nonblocking(io, reactor)?),
            tcp_inq: false,
        })
    }

    /// The registered std socket.
    pub(crate) fn get_ref(&self) -> &Async<T> {
        &self.inner
    }

    /// The std socket itself, for its plain (non-waiting) calls.
    pub(crate) fn io(&self) -> &T {
        self.inner.get_ref()
    }

    /// Resolves `addr` (host names off the loop), then tries `open` on each
    /// address in turn; the first socket it makes wins, else the last error.
    #[track_caller]
    fn for_first_addr<F, Fut>(
        addr: impl AsyncToSocketAddrs,
        mut open: F,
    ) -> impl Future<Output = io::Result<Self>>
    where
        F: FnMut(SocketAddr, Arc<Reactor>) -> Fut,
        Fut: Future<Output = io::Result<Self>>,
    {
        let reactor = Reactor::current_or_panic();
        async move {
            let addrs = resolve(addr).await?;
            each_addr(addrs, |addr| open(addr, reactor.clone())).await
        }
    }

    /// Binds with `bind` (a std socket's) to the first address of `addr` that
    /// works.
    #[track_caller]
    pub(crate) fn bind(
        addr: impl AsyncToSocketAddrs,
        bind: fn(SocketAddr) -> io::Result<T>,
    ) -> impl Future<Output = io::Result<Self>> {
        Self::for_first_addr(addr, move |addr, reactor| async move {
            Socket::with_reactor(bind(addr)?, &reactor)
        })
    }

    /// Waits for the next connection on a listener: `accept` is the std
    /// listener's; the accepted socket joins the same reactor.
    pub(crate) fn poll_accept<S: AsFd, A>(
        &self,
        cx: &mut Context<'_>,
        accept: fn(&T) -> io::Result<(S, A)>,
    ) -> Poll<io::Result<(Socket<S>, A)>> {
        let accepted = ready!(self.inner.poll_op(READABLE, cx, &mut |l| accept(l)));
        Poll::Ready(accepted.and_then(|(stream, peer)| {
            crate::sys::set_nonblocking(stream.as_fd())?;
            let stream = Socket::with_reactor_nonblocking(stream, self.inner.reactor())?;
            Ok((stream, peer))
        }))
    }

    /// `Name(<std socket>)`, the `Debug` form of every net type.
    pub(crate) fn fmt_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        T: fmt::Debug,
    {
        f.debug_tuple(name).field(self.io()).finish()
    }
}

impl<T: AsFd + From<socket2::Socket>> Socket<T> {
    /// Connects over TCP to the first address of `addr` that accepts.
    #[track_caller]
    pub(crate) fn connect_tcp(
        addr: impl AsyncToSocketAddrs,
    ) -> impl Future<Output = io::Result<Self>> {
        Self::for_first_addr(addr, |addr, reactor| async move {
            let socket =
                socket2::Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            Socket::connect(socket, &addr.into(), &reactor).await
        })
    }

    /// Connects the fresh stream `socket` to `addr` without blocking and waits
    /// for the handshake's outcome. Dropping the future closes the socket.
    pub(crate) async fn connect(
        socket: socket2::Socket,
        addr: &SockAddr,
        reactor: &Arc<Reactor>,
    ) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        match socket.connect(addr) {
            Ok(()) => {}
            Err(e) if in_progress(&e) => {}
            Err(e) => return Err(e),
        }
        let stream = Socket::with_reactor_nonblocking(T::from(socket), reactor)?;
        // Writable means the handshake finished; SO_ERROR says how.
        stream
            .inner
            .write_with(|s| {
                let s = SockRef::from(s);
                match s.take_error()? {
                    Some(e) => Err(e),
                    None => match s.peer_addr() {
                        Ok(_) => Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(e) => Err(e),
                    },
                }
            })
            .await?;
        Ok(stream)
    }
}

/// Whether a non-blocking connect's error only means "in progress".
fn in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

impl<T: AsFd> AsFd for Socket<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// A std stream socket whose write half can be closed alone.
pub(crate) trait HalfClose {
    /// `shutdown(Shutdown::Write)`.
    fn shutdown_write(&self) -> io::Result<()>;
}

impl HalfClose for std::net::TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl HalfClose for std::os::unix::net::UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

// The stream types' `futures-io` impls, for the type and for a shared reference,
// all come here: reads and writes go through the shared `Async` (a TCP read with
// `TCP_INQ` learns whether it drained the socket; any other read ends readiness
// only at `WouldBlock`), a flush has nothing to wait for, and a close shuts the
// write half (the peer reads EOF).
impl<T: AsFd> Socket<T>
where
    for<'a> &'a T: Read,
{
    /// Inlined into the caller up to the readiness test of a `TCP_INQ` read (see
    /// `Async::poll_tcp_read`); the other reads are out of line, so they do not
    /// weigh on that path.
    #[inline]
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.tcp_inq {
            return self.inner.poll_tcp_read(cx, buf);
        }
        self.poll_read_plain(cx, buf)
    }

    #[inline(never)]
    fn poll_read_plain(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read(cx, buf)
    }

    pub(crate) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read_vectored(cx, bufs)
    }
}

impl<T: AsFd + HalfClose> Socket<T>
where
    for<'a> &'a T: Write,
{
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write(cx, buf)
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write_vectored(cx, bufs)
    }

    /// Closing the write half twice, or after the peer left, is not an error.
    pub(crate) fn poll_close(&self) -> Poll<io::Result<()>> {
        Poll::Ready(match self.io().shutdown_write() {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}

/// `Debug` (as `Name(<std socket>)`) and `AsFd` for a net type whose `inner`
/// field is a [`Socket`].
macro_rules! socket_impls {
    ($name:ident) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt_as(stringify!($name), f)
            }
        }

        impl std::os::fd::AsFd for $name {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }
    };
}

/// [`socket_impls`], plus `AsyncRead` and `AsyncWrite` for a stream type and for
/// a shared reference to it, forwarded to its [`Socket`].
macro_rules! stream_impls {
    ($name:ident) => {
        $crate::net::socket::socket_impls!($name);
        $crate::net::socket::stream_impls!(@io $name);
        $crate::net::socket::stream_impls!(@io &$name);
    };
    (@io $ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            #[inline]
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read(cx, buf)
            }

            #[inline]
            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read_vectored(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            #[inline]
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write(cx, buf)
            }

            #[inline]
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.inner.poll_close()
            }
        }
    };
}

pub(crate) use {socket_impls, stream_impls};
