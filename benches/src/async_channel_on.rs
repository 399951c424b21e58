//! A runtime with async-channel in place of its own channel: the channel compared
//! on the same executor (the mpmc extra rows).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::Rt;

/// `R` with async-channel's bounded channel; everything else is `R`'s.
pub struct WithAsyncChannel<R> {
    inner: R,
    name: &'static str,
}

impl<R: Rt> WithAsyncChannel<R> {
    /// `inner` under the table name `name`.
    pub fn new(inner: R, name: &'static str) -> Self {
        WithAsyncChannel { inner, name }
    }
}

impl<R: Rt> Rt for WithAsyncChannel<R> {
    type Task<T: Send + 'static> = R::Task<T>;
    type Sender<T: Send + 'static> = async_channel::Sender<T>;
    type Receiver<T: Send + 'static> = async_channel::Receiver<T>;
    type SharedReceiver<T: Send + 'static> = async_channel::Receiver<T>;
    type Mutex<T: Send + 'static> = R::Mutex<T>;
    type Guard<'a, T: Send + 'static> = R::Guard<'a, T>;
    type Listener = R::Listener;
    type Stream = R::Stream;

    fn name(&self) -> &'static str {
        self.name
    }

    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.block_on(future)
    }

    fn spawn<F>(future: F) -> Self::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        R::spawn(future)
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        R::spawn_detached(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        R::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        R::sleep(duration)
    }

    fn to_thread<T, F>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        R::to_thread(f)
    }

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
        async_channel::bounded(capacity)
    }

    fn shared_channel<T: Send + 'static>(
        capacity: usize,
    ) -> (Self::Sender<T>, Self::SharedReceiver<T>) {
        async_channel::bounded(capacity)
    }

    async fn send<T: Send + 'static>(tx: &Self::Sender<T>, value: T) {
        if tx.send(value).await.is_err() {
            panic!("bench channel: every receiver is gone");
        }
    }

    async fn recv<T: Send + 'static>(rx: &mut Self::Receiver<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    async fn recv_shared<T: Send + 'static>(rx: &Self::SharedReceiver<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    fn mutex<T: Send + 'static>(value: T) -> Self::Mutex<T> {
        R::mutex(value)
    }

    fn lock<T: Send + 'static>(
        mutex: &Self::Mutex<T>,
    ) -> impl Future<Output = Self::Guard<'_, T>> + Send + '_ {
        R::lock(mutex)
    }

    fn bind_local() -> impl Future<Output = io::Result<Self::Listener>> + Send {
        R::bind_local()
    }

    fn local_addr(listener: &Self::Listener) -> SocketAddr {
        R::local_addr(listener)
    }

    fn accept(
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + '_ {
        R::accept(listener)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        R::connect(addr)
    }
}
