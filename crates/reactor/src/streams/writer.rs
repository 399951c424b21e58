//! [`StreamWriter`]: asyncio's writer: buffer with `write`, flush with `drain`.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncWrite;
use futures_lite::AsyncWriteExt;

use crate::net::TcpStream;

/// asyncio's `StreamWriter`: [`write`](Self::write) buffers without waiting,
/// [`drain`](Self::drain) waits until the buffer reached the OS, and
/// [`close`](Self::close) drains and closes the write half.
///
/// It also implements `futures-io`'s `AsyncWrite` (writes go through the buffer).
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::UnixStream;
/// use ferrio_reactor::streams::{StreamReader, StreamWriter};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let (a, b) = UnixStream::pair()?;
/// let mut writer = StreamWriter::new(a);
/// writer.write(b"hello ");
/// writer.write(b"world\n");
/// writer.drain().await?;
/// writer.close().await?;
/// let mut reader = StreamReader::new(b);
/// assert_eq!(reader.readline().await?, b"hello world\n");
/// assert!(reader.read(10).await?.is_empty());
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct StreamWriter<W = TcpStream> {
    inner: W,
    buf: Vec<u8>,
    closing: bool,
}

impl<W: AsyncWrite + Unpin> StreamWriter<W> {
    /// A writer over `inner`.
    pub fn new(inner: W) -> Self {
        StreamWriter {
            inner,
            buf: Vec::new(),
            closing: false,
        }
    }

    /// Buffers `data`; it is sent by [`drain`](Self::drain) (or `close`).
    pub fn write(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Buffers each item of `lines` (no separator is added, as in asyncio).
    pub fn writelines<I, B>(&mut self, lines: I)
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        for line in lines {
            self.write(line.as_ref());
        }
    }

    /// How many bytes wait in the buffer.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// Waits until every buffered byte was handed to the OS.
    ///
    /// # Errors
    ///
    /// The stream's error, e.g. `BrokenPipe`/`ConnectionReset` when the peer is
    /// gone; the unsent bytes stay buffered.
    pub async fn drain(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_drain(cx)).await?;
        self.inner.flush().await
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut sent = 0;
        let result = loop {
            if sent == self.buf.len() {
                break Poll::Ready(Ok(()));
            }
            match Pin::new(&mut self.inner).poll_write(cx, &self.buf[sent..]) {
                Poll::Ready(Ok(0)) => break Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => sent += n,
                other => break other.map_ok(drop),
            }
        };
        self.buf.drain(..sent);
        result
    }

    /// Drains, then closes the write half: the peer reads the end of the stream.
    ///
    /// # Errors
    ///
    /// As [`drain`](Self::drain), or the error of closing.
    pub async fn write_eof(&mut self) -> io::Result<()> {
        self.drain().await?;
        self.inner.close().await
    }

    /// Drains and closes (asyncio's `close()` followed by `wait_closed()`).
    ///
    /// # Errors
    ///
    /// As [`write_eof`](Self::write_eof).
    pub async fn close(&mut self) -> io::Result<()> {
        self.closing = true;
        self.write_eof().await
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped stream; unsent buffered bytes are lost.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for StreamWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.closing = true;
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_close(cx)
    }
}
