//! The async ends of a child's standard pipes.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::async_io::Async;
use crate::reactor::Reactor;

/// The writing end of a child's stdin. Closing it (`AsyncWriteExt::close`) or
/// dropping it gives the child EOF.
#[derive(Debug)]
pub struct ChildStdin {
    /// `None` once closed.
    inner: Option<Async<std::process::ChildStdin>>,
}

/// The reading end of a child's stdout.
#[derive(Debug)]
pub struct ChildStdout {
    inner: Async<std::process::ChildStdout>,
}

/// The reading end of a child's stderr.
#[derive(Debug)]
pub struct ChildStderr {
    inner: Async<std::process::ChildStderr>,
}

impl ChildStdin {
    pub(crate) fn new(pipe: std::process::ChildStdin, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(ChildStdin {
            inner: Some(Async::with_reactor(pipe, reactor)?),
        })
    }
}

impl ChildStdout {
    pub(crate) fn new(pipe: std::process::ChildStdout, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(ChildStdout {
            inner: Async::with_reactor(pipe, reactor)?,
        })
    }
}

impl ChildStderr {
    pub(crate) fn new(pipe: std::process::ChildStderr, reactor: &Arc<Reactor>) -> io::Result<Self> {
        Ok(ChildStderr {
            inner: Async::with_reactor(pipe, reactor)?,
        })
    }
}

impl ChildStdin {
    fn open(&mut self) -> io::Result<&mut Async<std::process::ChildStdin>> {
        self.inner.as_mut().ok_or_else(|| {
            io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
        })
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.open() {
            Ok(pipe) => Pin::new(pipe).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.inner.as_mut() {
            Some(pipe) => Pin::new(pipe).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Closes the pipe: the child reads EOF.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(pipe) = self.inner.as_mut() {
            std::task::ready!(Pin::new(pipe).poll_flush(cx))?;
        }
        self.inner = None;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChildStdout {
    /// A short read of a pipe may end readiness (see `Async::poll_pipe_read`).
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.inner
            .poll_pipe_read(cx, len, |pipe| io::Read::read(pipe, buf))
    }
}

impl AsyncRead for ChildStderr {
    /// A short read of a pipe may end readiness (see `Async::poll_pipe_read`).
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.inner
            .poll_pipe_read(cx, len, |pipe| io::Read::read(pipe, buf))
    }
}

impl ChildStdin {
    /// The pipe's descriptor, or `None` once closed.
    pub fn as_fd(&self) -> Option<BorrowedFd<'_>> {
        self.inner.as_ref().map(AsFd::as_fd)
    }
}

impl AsFd for ChildStdout {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsFd for ChildStderr {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
