//! tokio's current-thread and multi-thread runtimes, all drivers enabled.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};

use crate::{Expect, Rt, MT_WORKERS};

/// A tokio runtime: [`Tokio::ct`] or [`Tokio::mt`].
pub struct Tokio {
    runtime: tokio::runtime::Runtime,
    name: &'static str,
}

impl Tokio {
    /// `current_thread`, all drivers enabled.
    pub fn ct() -> Tokio {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio-ct builds");
        Tokio {
            runtime,
            name: "tokio-ct",
        }
    }

    /// `multi_thread` with [`MT_WORKERS`] workers, all drivers enabled.
    pub fn mt() -> Tokio {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(MT_WORKERS)
            .enable_all()
            .build()
            .expect("tokio-mt builds");
        Tokio {
            runtime,
            name: "tokio-mt",
        }
    }
}

/// tokio's `TcpStream` seen through the `futures-io` traits the workloads use (what
/// `tokio_util::compat` does: a `ReadBuf` over the caller's slice).
pub struct TokioStream(tokio::net::TcpStream);

impl AsyncRead for TokioStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read = tokio::io::ReadBuf::new(buf);
        match tokio::io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, &mut read) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(read.filled().len())),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for TokioStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.0), cx)
    }
}

impl Rt for Tokio {
    type Task<T: Send + 'static> = Expect<tokio::task::JoinHandle<T>>;
    type Sender<T: Send + 'static> = tokio::sync::mpsc::Sender<T>;
    type Receiver<T: Send + 'static> = tokio::sync::mpsc::Receiver<T>;
    // tokio's channel has one receiver: consumers share it behind tokio's mutex,
    // the usual tokio way to fan out.
    type SharedReceiver<T: Send + 'static> =
        Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<T>>>;
    async_mutex!(tokio::sync);
    tcp!(tokio::net as TokioStream);

    ambient! {
        name(self) => self.name,
        block_on(self, future) => self
            .runtime
            .block_on(async move { Expect::new(tokio::spawn(future)).await }),
        spawn(future) => Expect::new(tokio::spawn(future)),
        spawn_detached(future) => drop(tokio::spawn(future)),
        yield_now() => tokio::task::yield_now(),
        sleep(duration) => tokio::time::sleep(duration),
        to_thread(f) => Expect::new(tokio::task::spawn_blocking(f)),
    }

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
        tokio::sync::mpsc::channel(capacity)
    }

    fn shared_channel<T: Send + 'static>(
        capacity: usize,
    ) -> (Self::Sender<T>, Self::SharedReceiver<T>) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        (tx, Arc::new(tokio::sync::Mutex::new(rx)))
    }

    async fn send<T: Send + 'static>(tx: &Self::Sender<T>, value: T) {
        if tx.send(value).await.is_err() {
            panic!("bench channel: the receiver is gone");
        }
    }

    fn recv<T: Send + 'static>(
        rx: &mut Self::Receiver<T>,
    ) -> impl Future<Output = Option<T>> + Send + '_ {
        rx.recv()
    }

    async fn recv_shared<T: Send + 'static>(rx: &Self::SharedReceiver<T>) -> Option<T> {
        rx.lock().await.recv().await
    }
}
