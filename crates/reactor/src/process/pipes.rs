//! The async ends of a child's standard pipes.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::async_io::Async;
use crate::reactor::Reactor;

/// The writing end of a child's stdin. Dropping it (or `close`) gives the child EOF.
#[derive(Debug)]
pub struct ChildStdin {
    inner: Async<std::process::ChildStdin>,
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
            inner: Async::with_reactor(pipe, reactor)?,
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

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
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
