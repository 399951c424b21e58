//! [`StreamReader`]: asyncio's buffered reader.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead};

use super::error::{IncompleteReadError, LimitOverrunError, StreamError};
use crate::net::TcpStream;

/// asyncio's default buffer limit: 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// How much one fill asks the OS for.
const CHUNK: usize = 16 * 1024;

/// A buffered reader with asyncio's `StreamReader` methods: [`readline`],
/// [`readexactly`], [`readuntil`] (multi-byte separators), [`read`] and a `limit` on
/// how much a separator search may buffer.
///
/// It also implements `futures-io`'s `AsyncRead` and `AsyncBufRead`.
///
/// [`readline`]: Self::readline
/// [`readexactly`]: Self::readexactly
/// [`readuntil`]: Self::readuntil
/// [`read`]: Self::read
///
/// # Examples
///
/// ```
/// use ferrio_reactor::net::UnixStream;
/// use ferrio_reactor::streams::StreamReader;
/// use futures_lite::AsyncWriteExt;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let (mut tx, rx) = UnixStream::pair()?;
/// tx.write_all(b"HELO\r\nsize=3\nabcrest").await?;
/// drop(tx);
/// let mut reader = StreamReader::new(rx);
/// assert_eq!(reader.readuntil(b"\r\n").await?, b"HELO\r\n");
/// assert_eq!(reader.readline().await?, b"size=3\n");
/// assert_eq!(reader.readexactly(3).await?, b"abc");
/// let err = reader.readexactly(10).await.unwrap_err();
/// assert_eq!(err.partial(), Some(&b"rest"[..]));
/// assert!(reader.at_eof());
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct StreamReader<R = TcpStream> {
    inner: R,
    buf: Vec<u8>,
    /// Start of the unread data in `buf`.
    pos: usize,
    eof: bool,
    limit: usize,
}

impl<R: AsyncRead + Unpin> StreamReader<R> {
    /// A reader with the default 64 KiB limit.
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, DEFAULT_LIMIT)
    }

    /// A reader whose separator searches give up (with a
    /// [`LimitOverrunError`]) past `limit` bytes.
    ///
    /// # Panics
    ///
    /// When `limit` is zero.
    pub fn with_limit(inner: R, limit: usize) -> Self {
        assert!(limit > 0, "a StreamReader's limit must be positive");
        StreamReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            limit,
        }
    }

    /// The limit of a separator search.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether the stream ended and every buffered byte was read.
    pub fn at_eof(&self) -> bool {
        self.eof && self.pos == self.buf.len()
    }

    /// The bytes buffered but not yet read.
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped stream, mutably (reading from it directly skips the buffer).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The wrapped stream; buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads up to `n` bytes: what is buffered, or one read from the stream when the
    /// buffer is empty. An empty vector means the end of the stream (or `n == 0`).
    ///
    /// # Errors
    ///
    /// The stream's I/O error.
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.pos == self.buf.len() && !self.eof {
            self.fill().await?;
        }
        Ok(self.take(n.min(self.buf.len() - self.pos)))
    }

    /// Reads everything up to the end of the stream (asyncio's `read(-1)`).
    ///
    /// # Errors
    ///
    /// The stream's I/O error.
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while !self.eof {
            self.fill().await?;
        }
        Ok(self.take(self.buf.len() - self.pos))
    }

    /// Reads exactly `n` bytes.
    ///
    /// # Errors
    ///
    /// [`StreamError::IncompleteRead`] with the bytes that arrived when the stream
    /// ends first; [`StreamError::Io`] on an I/O error.
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        while self.buf.len() - self.pos < n {
            if self.eof {
                let partial = self.take(self.buf.len() - self.pos);
                return Err(StreamError::IncompleteRead(IncompleteReadError {
                    partial,
                    expected: Some(n),
                }));
            }
            self.fill().await?;
        }
        Ok(self.take(n))
    }

    /// Reads up to and including `separator` (one byte or several).
    ///
    /// As asyncio's `readuntil`, the limit applies to the data before the
    /// separator: a separator that starts at most [`limit`](Self::limit) bytes in
    /// is accepted.
    ///
    /// # Errors
    ///
    /// - [`StreamError::LimitOverrun`] when the separator is found beyond the limit
    ///   or is not found within it (the error says which, with asyncio's
    ///   `consumed`); nothing is consumed, the data stays readable;
    /// - [`StreamError::IncompleteRead`] when the stream ends first; the partial data
    ///   is consumed and carried by the error;
    /// - [`StreamError::Io`] on an I/O error, or `InvalidInput` for an empty
    ///   separator.
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
        if separator.is_empty() {
            return Err(StreamError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the separator must hold at least one byte",
            )));
        }
        // How many buffered bytes are known to hold no separator (asyncio's
        // `offset`): a later search starts there.
        let mut offset = 0;
        loop {
            let buffered = self.buf.len() - self.pos;
            // Searched only when a whole separator fits past `offset`.
            if buffered - offset >= separator.len() {
                let data = &self.buf[self.pos..];
                if let Some(found) = find(&data[offset..], separator) {
                    let at = offset + found;
                    if at > self.limit {
                        return Err(self.overrun(at, true));
                    }
                    return Ok(self.take(at + separator.len()));
                }
                // A separator may straddle the end of the buffer: keep its last
                // `separator.len() - 1` bytes for the next search.
                offset = buffered + 1 - separator.len();
                if offset > self.limit {
                    return Err(self.overrun(offset, false));
                }
            }
            // A chunk that completed the separator was searched above, even when
            // the stream has ended since.
            if self.eof {
                let partial = self.take(buffered);
                return Err(StreamError::IncompleteRead(IncompleteReadError {
                    partial,
                    expected: None,
                }));
            }
            self.fill().await?;
        }
    }

    fn overrun(&self, consumed: usize, separator_found: bool) -> StreamError {
        StreamError::LimitOverrun(LimitOverrunError {
            consumed,
            limit: self.limit,
            separator_found,
        })
    }

    /// Reads one line, up to and including `\n`. At the end of the stream it returns
    /// what is left (possibly without `\n`), then empty vectors.
    ///
    /// # Errors
    ///
    /// [`StreamError::LimitOverrun`] for a line longer than the limit (asyncio's
    /// `readline` raises `ValueError` with the same message). As in asyncio, the
    /// over-long line is consumed: up to and including its `\n` when that is
    /// buffered, else everything buffered (the rest of the line then comes as the
    /// next line), so a loop that goes on calling `readline` moves past it.
    /// [`StreamError::Io`] on an I/O error.
    pub async fn readline(&mut self) -> Result<Vec<u8>, StreamError> {
        match self.readuntil(b"\n").await {
            Err(StreamError::IncompleteRead(e)) => Ok(e.partial),
            Err(StreamError::LimitOverrun(e)) => {
                let buffered = self.buf.len() - self.pos;
                if self.buf[self.pos..].get(e.consumed) == Some(&b'\n') {
                    self.consume_buffered(e.consumed + 1);
                } else {
                    self.consume_buffered(buffered);
                }
                Err(StreamError::LimitOverrun(e))
            }
            other => other,
        }
    }

    /// Consumes `n` buffered bytes.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.consume_buffered(n);
        out
    }

    fn consume_buffered(&mut self, n: usize) {
        self.pos += n;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }

    async fn fill(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Reads one more chunk from the stream into the buffer; 0 marks the end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.pos > 0 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let start = self.buf.len();
        self.buf.resize(start + CHUNK, 0);
        let read = Pin::new(&mut self.inner).poll_read(cx, &mut self.buf[start..]);
        let n = match read {
            Poll::Ready(Ok(n)) => n,
            other => {
                self.buf.truncate(start);
                return other;
            }
        };
        self.buf.truncate(start + n);
        if n == 0 {
            self.eof = true;
        }
        Poll::Ready(Ok(n))
    }
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return haystack.iter().position(|&b| b == needle[0]);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<R: AsyncRead + Unpin> AsyncRead for StreamReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pos == this.buf.len() && out.len() >= CHUNK {
            // Nothing buffered and a big read: skip the copy.
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let data = ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        this.consume_buffered(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for StreamReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos == this.buf.len() && !this.eof {
            ready!(this.poll_fill(cx))?;
        }
        Poll::Ready(Ok(&this.buf[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.buf.len() - this.pos);
        this.consume_buffered(amt);
    }
}
