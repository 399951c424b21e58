//! [`FerrioIo`]: hyper's `rt::Read`/`rt::Write` over any futures-io stream, and the
//! way back (futures-io over hyper's traits, for upgraded connections).

use std::cell::RefCell;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

// hyper lends its read buffer as possibly uninitialized memory, and futures-io readers
// take `&mut [u8]`. Zeroing hyper's buffer before each read would cost a memset of the
// whole offered part on every poll (a poll that ends `Pending` included); instead the
// reader fills a per-thread buffer, zeroed once when it grows, and the `n` bytes read
// are copied into hyper's. Copying `n` bytes never costs more than zeroing `len >= n`.
//
// The buffer is borrowed (a `RefCell`), not taken out and put back: a read that ends
// `Pending` (hyper polls again after each request, to find the next one) then costs a
// flag test and two stores instead of moving the `Vec` out and back. A reader that
// itself reads through a `FerrioIo` on this thread (nested adapters) finds the buffer
// borrowed and zeroes the part of hyper's buffer it reads into instead.
const MAX_READ: usize = 64 * 1024;

thread_local! {
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
    }
}

impl<T> FerrioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> FerrioIo<T> {
        FerrioIo { inner }
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
        let len = buf.remaining().min(MAX_READ);
        let mut inner = self.project().inner;
        let through_scratch = READ_BUF.try_with(|cell| {
            let mut scratch = cell.try_borrow_mut().ok()?;
            if scratch.len() < len {
                scratch.resize(len, 0);
            }
            let polled = inner.as_mut().poll_read(cx, &mut scratch[..len]);
            Some(check_read(polled, len).map_ok(|n| buf.put_slice(&scratch[..n])))
        });
        if let Ok(Some(done)) = through_scratch {
            return done;
        }
        // Nested (or the thread's buffer is gone): read into hyper's buffer, zeroed.
        // SAFETY: only initialised bytes (zeros) are written through the slice, so
        // nothing hyper counted as initialised becomes uninitialised.
        let unfilled = unsafe { &mut buf.as_mut()[..len] };
        unfilled.fill(MaybeUninit::new(0));
        // SAFETY: every byte of `unfilled` was just initialised, and `MaybeUninit<u8>`
        // has the layout of `u8`.
        let bytes = unsafe { &mut *(unfilled as *mut [MaybeUninit<u8>] as *mut [u8]) };
        let polled = inner.poll_read(cx, bytes);
        check_read(polled, len).map_ok(|n| {
            // SAFETY: the first `n <= len` bytes of the unfilled part were zeroed
            // above (and may have been overwritten by the read since).
            unsafe { buf.advance(n) }
        })
    }
}

/// The outcome of a futures-io read into `len` bytes; a reader that claims more is
/// broken, and its count must not reach the buffer.
fn check_read(polled: Poll<io::Result<usize>>, len: usize) -> Poll<io::Result<usize>> {
    match polled {
        Poll::Ready(Ok(n)) if n > len => Poll::Ready(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the stream's poll_read reported more bytes than the buffer holds",
        ))),
        other => other,
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

    /// Hands out `data` in reads of at most `chunk` bytes, with a `Pending` before each.
    struct Chunks {
        data: Vec<u8>,
        chunk: usize,
        pending: bool,
    }

    impl AsyncRead for Chunks {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.pending = !self.pending;
            if self.pending {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data.drain(..n);
            Poll::Ready(Ok(n))
        }
    }

    /// Reads everything through hyper's `Read` and back to futures-io, so the
    /// adapter runs nested within itself on one thread.
    #[test]
    fn reads_every_byte_through_nested_adapters() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = FerrioIo::new(FerrioIo::new(Chunks {
            data: data.clone(),
            chunk: 70_000,
            pending: false,
        }));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut got = Vec::new();
        let mut buf = vec![0u8; 100_000];
        loop {
            match Pin::new(&mut io).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(0)) => break,
                Poll::Ready(Ok(n)) => {
                    assert!(n <= MAX_READ);
                    got.extend_from_slice(&buf[..n]);
                }
                Poll::Ready(Err(e)) => panic!("read failed: {e}"),
                Poll::Pending => {}
            }
        }
        assert_eq!(got, data);
    }

    /// Reads through hyper's `Read` of an adapter whose stream itself reads through
    /// hyper's `Read` of another adapter: the inner one finds the thread's buffer
    /// borrowed by the outer one and reads into hyper's buffer instead.
    #[test]
    fn reads_every_byte_when_the_thread_buffer_is_lent_out() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = FerrioIo::new(FerrioIo::new(FerrioIo::new(Chunks {
            data: data.clone(),
            chunk: 70_000,
            pending: false,
        })));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut got = Vec::new();
        let mut storage = vec![MaybeUninit::<u8>::uninit(); 100_000];
        loop {
            let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
            match hyper::rt::Read::poll_read(Pin::new(&mut io), &mut cx, buf.unfilled()) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => break,
                Poll::Ready(Ok(())) => {
                    assert!(buf.filled().len() <= MAX_READ);
                    got.extend_from_slice(buf.filled());
                }
                Poll::Ready(Err(e)) => panic!("read failed: {e}"),
                Poll::Pending => {}
            }
        }
        assert_eq!(got, data);
        // The outer adapter's buffer is back: nothing holds the borrow.
        assert!(READ_BUF.with(|cell| cell.try_borrow_mut().is_ok()));
    }
}
