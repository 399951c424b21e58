//! UDP: [`UdpSocket`].

use std::io;
use std::net::SocketAddr;

use super::addr::{each_addr, resolve, AsyncToSocketAddrs};
use super::socket::{socket_impls, Socket};
use crate::async_io::Async;

/// A UDP socket. Cloning it gives another handle to the same socket.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::UdpSocket;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"ping", b.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    inner: Socket<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first address that works.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// Resolution or binding errors.
    #[track_caller]
    pub fn bind(
        addr: impl AsyncToSocketAddrs,
    ) -> impl std::future::Future<Output = io::Result<UdpSocket>> {
        let bind = Socket::bind(addr, std::net::UdpSocket::bind);
        async move { Ok(UdpSocket { inner: bind.await? }) }
    }

    /// Wraps a bound std socket.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the socket cannot be registered.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: Socket::new(socket)?,
        })
    }

    /// Sets the default peer for [`send`](Self::send) and filters what
    /// [`recv`](Self::recv) accepts.
    ///
    /// # Errors
    ///
    /// Resolution or `connect` errors.
    pub async fn connect(&self, addr: impl AsyncToSocketAddrs) -> io::Result<()> {
        let addrs = resolve(addr).await?;
        each_addr(addrs, |addr| async move { self.inner.io().connect(addr) }).await
    }

    /// Sends a datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` without [`connect`](Self::connect); `ConnectionRefused` when an
    /// earlier datagram was refused; other `send` errors.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.get_ref().write_with(|s| s.send(buf)).await
    }

    /// Receives a datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's `recv` error.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.get_ref().read_with(|s| s.recv(buf)).await
    }

    /// Sends a datagram to `addr`.
    ///
    /// # Errors
    ///
    /// Resolution or `sendto` errors.
    pub async fn send_to(&self, buf: &[u8], addr: impl AsyncToSocketAddrs) -> io::Result<usize> {
        let addr = resolve(addr).await?[0];
        self.inner
            .get_ref()
            .write_with(|s| s.send_to(buf, addr))
            .await
    }

    /// Receives a datagram and the address it came from.
    ///
    /// # Errors
    ///
    /// The OS's `recvfrom` error.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.get_ref().read_with(|s| s.recv_from(buf)).await
    }

    /// Receives a datagram without removing it from the queue.
    ///
    /// # Errors
    ///
    /// The OS's `recvfrom` error.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.get_ref().read_with(|s| s.peek_from(buf)).await
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

    /// Enables or disables `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The OS's `setsockopt` error.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.io().set_broadcast(on)
    }

    /// The inner registered std socket.
    pub fn get_ref(&self) -> &Async<std::net::UdpSocket> {
        self.inner.get_ref()
    }
}

socket_impls!(UdpSocket);
