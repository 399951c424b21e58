//! [`FerrioIo`]: hyper's `rt::Read`/`rt::Write` over any futures-io stream, and the
//! way back (futures-io over hyper's traits, for upgraded connections).

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

// hyper lends its read buffer as possibly uninitialized memory, and futures-io readers
// take `&mut [u8]`, so the part handed over is zeroed first, on every poll (a poll that
// ends `Pending` included). The part's size adapts, as hyper's own read strategy does:
// it doubles after a read that filled it and halves after two reads under a quarter of
// it, so small requests cost a small memset and large bodies still get large reads.
const MIN_READ: usize = 2 * 1024;
const INIT_READ: usize = 8 * 1024;
const MAX_READ: usize = 64 * 1024;

/// The size of the next read's buffer.
#[derive(Debug, Clone, Copy)]
struct ReadSize {
    next: usize,
    small_reads: u8,
}

impl ReadSize {
    fn new() -> ReadSize {
        ReadSize {
            next: INIT_READ,
            small_reads: 0,
        }
    }

    /// Adapts to a read of `n` bytes into a buffer of `len`.
    fn record(&mut self, n: usize, len: usize) {
        if n == len {
            // Filled: grow, unless hyper offered less room than we would have used.
            if len == self.next {
                self.next = (self.next * 2).min(MAX_READ);
            }
            self.small_reads = 0;
        } else if n < self.next / 4 {
            self.small_reads += 1;
            if self.small_reads == 2 {
                self.next = (self.next / 2).max(MIN_READ);
                self.small_reads = 0;
            }
        } else {
            self.small_reads = 0;
        }
    }
}

pin_project! {
    /// A stream with hyper's I/O traits: wrap a [`TcpStream`] (or any futures-io
    /// `AsyncRead + AsyncWrite`, such as a TLS stream) and hand it to hyper's `conn`
    /// builders.
    ///
    /// Writes declare vectored support and forward `poll_write_vectored` to the
    /// stream, so hyper sends a response's head and body in one `writev`.
    ///
    /// It also works the other way: for a `T` with hyper's traits (such as
    /// `hyper::upgrade::Upgraded`) it implements futures-io's `AsyncRead` and
    /// `AsyncWrite`, so futures-io crates (a WebSocket library, say) can use it.
    ///
    /// [`TcpStream`]: ferrio_reactor::net::TcpStream
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_hyper::FerrioIo;
    /// use http_body_util::{BodyExt, Empty, Full};
    /// use hyper::body::{Bytes, Incoming};
    /// use hyper::{Request, Response};
    ///
    /// ferrio::run(async {
    ///     let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let server = ferrio::spawn(async move {
    ///         let (stream, _) = listener.accept().await?;
    ///         let hello = hyper::service::service_fn(|_: Request<Incoming>| async {
    ///             Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hi"))))
    ///         });
    ///         hyper::server::conn::http1::Builder::new()
    ///             .serve_connection(FerrioIo::new(stream), hello)
    ///             .await
    ///             .map_err(std::io::Error::other)
    ///     });
    ///
    ///     let stream = ferrio::net::TcpStream::connect(addr).await?;
    ///     let (mut sender, conn) = hyper::client::conn::http1::handshake(FerrioIo::new(stream))
    ///         .await
    ///         .map_err(std::io::Error::other)?;
    ///     let conn = ferrio::spawn(conn);
    ///     let request = Request::get("/").body(Empty::<Bytes>::new()).unwrap();
    ///     let response = sender.send_request(request).await.map_err(std::io::Error::other)?;
    ///     let body = response.into_body().collect().await.map_err(std::io::Error::other)?;
    ///     assert_eq!(body.to_bytes(), "hi");
    ///
    ///     drop(sender); // closes the connection; both sides finish
    ///     conn.await.unwrap().map_err(std::io::Error::other)?;
    ///     server.await.unwrap()
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct FerrioIo<T> {
        #[pin]
        inner: T,
        read_size: ReadSize,
    }
}

impl<T> FerrioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> FerrioIo<T> {
        FerrioIo {
            inner,
            read_size: ReadSize::new(),
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> hyper::rt::Read for FerrioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `as_mut` requires that no initialized byte be de-initialized; the
        // only writes below store zeros (initialized values).
        let unfilled = unsafe { buf.as_mut() };
        let this = self.project();
        let len = unfilled.len().min(this.read_size.next);
        let part = &mut unfilled[..len];
        part.fill(MaybeUninit::new(0));
        // SAFETY: every byte of `part` was just written, so viewing it as `[u8]` reads
        // no uninitialized memory; `MaybeUninit<u8>` and `u8` have the same layout.
        let part = unsafe { &mut *(part as *mut [MaybeUninit<u8>] as *mut [u8]) };
        let n = ready!(this.inner.poll_read(cx, part))?;
        if n > len {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the stream's poll_read reported more bytes than the buffer holds",
            )));
        }
        // SAFETY: `advance` requires the first `n` unfilled bytes to be initialized;
        // all `len >= n` of them were zeroed above, then written by the reader.
        unsafe { buf.advance(n) };
        this.read_size.record(n, len);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for FerrioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }

    // futures-io has no "is vectored" query; its default `poll_write_vectored`
    // writes the first non-empty buffer, so saying yes is never worse than no, and
    // ferrio's sockets (and most wrappers) do a real `writev`.
    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

impl<T: hyper::rt::Read> AsyncRead for FerrioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read_buf = hyper::rt::ReadBuf::new(buf);
        ready!(hyper::rt::Read::poll_read(
            self.project().inner,
            cx,
            read_buf.unfilled()
        ))?;
        Poll::Ready(Ok(read_buf.filled().len()))
    }
}

impl<T: hyper::rt::Write> AsyncWrite for FerrioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(self.project().inner, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write_vectored(self.project().inner, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(self.project().inner, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(self.project().inner, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_size_grows_on_full_reads_and_shrinks_after_two_small_ones() {
        let mut size = ReadSize::new();
        assert_eq!(size.next, INIT_READ);
        size.record(INIT_READ, INIT_READ);
        assert_eq!(size.next, 2 * INIT_READ);
        for _ in 0..10 {
            let next = size.next;
            size.record(next, next);
        }
        assert_eq!(size.next, MAX_READ, "growth stops at the maximum");
        // A full read of a buffer hyper made smaller than ours is no reason to grow.
        size.record(100, 100);
        assert_eq!(size.next, MAX_READ);

        size.record(10, MAX_READ);
        assert_eq!(size.next, MAX_READ, "one small read does not shrink");
        size.record(10, MAX_READ);
        assert_eq!(size.next, MAX_READ / 2);
        for _ in 0..40 {
            let next = size.next;
            size.record(1, next);
        }
        assert_eq!(size.next, MIN_READ, "shrinking stops at the minimum");
        // A medium read in between resets the count of small ones.
        let mut size = ReadSize::new();
        size.record(1, INIT_READ);
        size.record(INIT_READ / 2, INIT_READ);
        size.record(1, INIT_READ);
        assert_eq!(size.next, INIT_READ);
    }
}
