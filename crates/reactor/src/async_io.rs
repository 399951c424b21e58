//! [`Async<T>`]: any descriptor-backed I/O object, driven by the reactor.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::reactor::Reactor;
use crate::source::{Direction, Source, READABLE, WRITABLE};

/// An I/O object registered with the reactor: its operations wait for readiness
/// instead of blocking the thread.
///
/// The descriptor is switched to non-blocking mode. Dropping the `Async` removes the
/// source from the reactor, then closes the descriptor.
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use ferrio_reactor::Async;
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let (a, b) = UnixStream::pair()?;
/// let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
/// a.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Async<T: AsFd> {
    source: Arc<Source>,
    reactor: Arc<Reactor>,
    io: Option<T>,
}

impl<T: AsFd> Async<T> {
    /// Registers `io` with the reactor of the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime that has a reactor (run the code inside `ferrio::run`, or a
    /// runtime built with [`runtime_builder`](crate::runtime_builder)).
    ///
    /// # Errors
    ///
    /// When the descriptor cannot be made non-blocking or registered.
    #[track_caller]
    pub fn new(io: T) -> io::Result<Async<T>> {
        let reactor = Reactor::current_or_panic();
        Self::with_reactor(io, &reactor)
    }

    /// Registers `io` with the given reactor (for code that drives a reactor itself).
    ///
    /// # Errors
    ///
    /// When the descriptor cannot be made non-blocking or registered.
    pub fn with_reactor(io: T, reactor: &Arc<Reactor>) -> io::Result<Async<T>> {
        crate::sys::set_nonblocking(io.as_fd())?;
        Self::with_reactor_nonblocking(io, reactor)
    }

    /// Registers an object the caller already switched to non-blocking mode.
    pub(crate) fn with_reactor_nonblocking(io: T, reactor: &Arc<Reactor>) -> io::Result<Async<T>> {
        let source = reactor.register(io.as_fd())?;
        Ok(Async {
            source,
            reactor: reactor.clone(),
            io: Some(io),
        })
    }

    /// The reactor this object is registered with.
    pub(crate) fn reactor(&self) -> &Arc<Reactor> {
        &self.reactor
    }

    /// The inner I/O object.
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("the I/O object is present until drop")
    }

    /// The inner I/O object, mutably. Replacing its descriptor breaks the
    /// registration; use it for operations only.
    pub fn get_mut(&mut self) -> &mut T {
        self.io
            .as_mut()
            .expect("the I/O object is present until drop")
    }

    /// Deregisters the object and gives it back (still in non-blocking mode).
    ///
    /// # Errors
    ///
    /// Currently infallible; kept fallible so a backend may report a failed removal.
    pub fn into_inner(mut self) -> io::Result<T> {
        self.reactor.deregister(&self.source);
        Ok(self
            .io
            .take()
            .expect("the I/O object is present until drop"))
    }

    /// Waits until the object may be readable. The wait may end spuriously: the next
    /// read can still report `WouldBlock`.
    ///
    /// # Errors
    ///
    /// When the runtime that owns the reactor has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Waits until the object may be writable (may end spuriously, as
    /// [`readable`](Self::readable)).
    ///
    /// # Errors
    ///
    /// When the runtime that owns the reactor has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// Polls for read readiness.
    ///
    /// # Errors
    ///
    /// When the runtime that owns the reactor has shut down.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(READABLE, cx).map_ok(drop)
    }

    /// Polls for write readiness.
    ///
    /// # Errors
    ///
    /// When the runtime that owns the reactor has shut down.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(WRITABLE, cx).map_ok(drop)
    }

    /// Runs a non-blocking read-side operation until it stops reporting
    /// `WouldBlock`, waiting for readiness in between.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use ferrio_reactor::Async;
    ///
    /// # ferrio_reactor::new_runtime()?.block_on(async {
    /// let socket = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    /// socket.get_ref().send_to(b"hi", socket.get_ref().local_addr()?)?;
    /// let mut buf = [0; 8];
    /// let (n, _from) = socket.read_with(|s| s.recv_from(&mut buf)).await?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(()) })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_op(READABLE, cx, &mut op)).await
    }

    /// [`read_with`](Self::read_with) with mutable access to the object.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    pub async fn read_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_op_mut(READABLE, cx, &mut op)).await
    }

    /// Runs a non-blocking write-side operation until it stops reporting
    /// `WouldBlock`, waiting for readiness in between.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_op(WRITABLE, cx, &mut op)).await
    }

    /// [`write_with`](Self::write_with) with mutable access to the object.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    pub async fn write_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_op_mut(WRITABLE, cx, &mut op)).await
    }

    /// One poll of a readiness-driven operation.
    pub(crate) fn poll_op<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: &mut impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let snapshot = ready!(self.source.poll_ready(dir, cx))?;
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.source.clear(dir, snapshot),
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_op_mut<R>(
        &mut self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: &mut impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let snapshot = ready!(self.source.poll_ready(dir, cx))?;
            match op(self.io.as_mut().expect("present until drop")) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.source.clear(dir, snapshot),
                result => return Poll::Ready(result),
            }
        }
    }

    /// A read of a pipe into `len` bytes: like `poll_op`, and on a reactor that
    /// reports [`READ_CLOSED`] a short read also ends read readiness, because it
    /// emptied the pipe and any later data or hang-up raises a new edge. That saves
    /// the `EAGAIN` read the next attempt would otherwise cost. A hang-up that came
    /// with the data set `READ_CLOSED`, which keeps the readiness, so the next read
    /// returns the end of the stream. (`polling` does not report `EPOLLRDHUP`:
    /// there, data and a hang-up under one edge would leave the reader waiting for
    /// an edge that never comes, so the shortcut is off.)
    ///
    /// Only pipes get this rule: a short read proves nothing on a datagram socket
    /// or a terminal (one message or line per read), on a TCP socket (a read stops
    /// short at urgent data; TCP has [`poll_tcp_read`](Self::poll_tcp_read)), or on
    /// a Unix stream (a read stops short at passed descriptors or a change of
    /// sender credentials).
    ///
    /// [`READ_CLOSED`]: crate::source::READ_CLOSED
    pub(crate) fn poll_pipe_read(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&mut T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.io.as_mut().expect("present until drop");
        stream_read(&self.source, &self.reactor, cx, len, || op(io))
    }

    /// A read of a TCP stream whose socket has `TCP_INQ` on (see
    /// [`enable_tcp_inq`](crate::sys::enable_tcp_inq)): the kernel says with each
    /// read whether the receive queue is now empty, so even a read that filled the
    /// buffer (a `read_exact` of a whole message) can end readiness, not only a
    /// short one. A pending FIN (and urgent data) counts as bytes left, and
    /// `READ_CLOSED` still guards the clear as for a short read. Without the report
    /// only `WouldBlock` ends readiness.
    ///
    /// Inlined up to the readiness test: a reader that polls again after a
    /// draining read (hyper does, to look for the next request) finds the bit
    /// clear and goes straight to registering its waker, without the call and the
    /// saved registers of the read itself.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline(always)]
    pub(crate) fn poll_tcp_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let snapshot = ready!(self.source.poll_ready(READABLE, cx))?;
        self.tcp_read_when_ready(snapshot, cx, buf)
    }

    /// The body of [`poll_tcp_read`](Self::poll_tcp_read) once read readiness was
    /// seen set, in the state `snapshot`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline(never)]
    fn tcp_read_when_ready(
        &self,
        mut snapshot: usize,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match crate::sys::recv_with_inq(self.get_ref().as_fd(), buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.source.clear(READABLE, snapshot);
                    snapshot = ready!(self.source.poll_ready(READABLE, cx))?;
                }
                Ok((n, inq)) => {
                    // No report: assume nothing (a TCP read also stops short at
                    // urgent data, so a short read alone proves nothing).
                    let drained = n > 0 && inq == Some(0);
                    if drained {
                        self.source.clear_after_drained_read(snapshot);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// A byte-stream write of `len` bytes: like `poll_op`, and a short write also
    /// clears write readiness, because on a stream socket or pipe it means the kernel
    /// buffer is full (and the kernel signals a new edge when space frees). That
    /// saves the `EAGAIN` syscall the next attempt would otherwise cost.
    pub(crate) fn poll_write_op(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let snapshot = ready!(self.source.poll_ready(dir, cx))?;
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.source.clear(dir, snapshot),
                Ok(n) if n > 0 && n < len => {
                    self.source.clear(dir, snapshot);
                    return Poll::Ready(Ok(n));
                }
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_write_op_mut(
        &mut self,
        dir: Direction,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&mut T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let snapshot = ready!(self.source.poll_ready(dir, cx))?;
            match op(self.io.as_mut().expect("present until drop")) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.source.clear(dir, snapshot),
                Ok(n) if n > 0 && n < len => {
                    self.source.clear(dir, snapshot);
                    return Poll::Ready(Ok(n));
                }
                result => return Poll::Ready(result),
            }
        }
    }
}

/// The body of [`Async::poll_pipe_read`].
fn stream_read(
    source: &Source,
    reactor: &Reactor,
    cx: &mut Context<'_>,
    len: usize,
    mut op: impl FnMut() -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    loop {
        let snapshot = ready!(source.poll_ready(READABLE, cx))?;
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => source.clear(READABLE, snapshot),
            Ok(n) if n > 0 && n < len && reactor.reports_read_closed() => {
                source.clear_after_drained_read(snapshot);
                return Poll::Ready(Ok(n));
            }
            result => return Poll::Ready(result),
        }
    }
}

// The inner object is never pinned structurally: `Async` only hands out `&T`/`&mut T`.
impl<T: AsFd> Unpin for Async<T> {}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if self.io.is_some() {
            self.reactor.deregister(&self.source);
            // The descriptor closes after it left the poller.
            self.io.take();
        }
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async").field("io", &self.io).finish()
    }
}

fn total_len(bufs: &[IoSlice<'_>]) -> usize {
    bufs.iter().map(|b| b.len()).sum()
}

impl<T: AsFd + Read> AsyncRead for Async<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_op_mut(READABLE, cx, &mut |io| io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_op_mut(READABLE, cx, &mut |io| io.read_vectored(bufs))
    }
}

impl<T: AsFd> AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_op(READABLE, cx, &mut |mut io| io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_op(READABLE, cx, &mut |mut io| io.read_vectored(bufs))
    }
}

impl<T: AsFd + Write> AsyncWrite for Async<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.get_mut()
            .poll_write_op_mut(WRITABLE, cx, len, |io| io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = total_len(bufs);
        self.get_mut()
            .poll_write_op_mut(WRITABLE, cx, len, |io| io.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Sockets and pipes flush at once; only wait if the object says so.
        let this = self.get_mut();
        match this.get_mut().flush() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                this.poll_op_mut(WRITABLE, cx, &mut |io| io.flush())
            }
            result => Poll::Ready(result),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: AsFd> AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_write_op(WRITABLE, cx, len, |mut io| io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = total_len(bufs);
        self.poll_write_op(WRITABLE, cx, len, |mut io| io.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_ref().flush() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.poll_op(WRITABLE, cx, &mut |mut io| io.flush())
            }
            result => Poll::Ready(result),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// Fails to compile if `Async` stops being `Send + Sync`.
#[allow(dead_code)]
fn assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Async<std::net::TcpStream>>();
}
