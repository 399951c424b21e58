//! A runtime with async-channel in place of its own channel: the channel compared
//! on the same executor (the mpmc extra rows).

use std::future::Future;
use std::io;
use std::net::SocketAddr;

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
    mpmc_channel!(async_channel);

    type Task<T: Send + 'static> = R::Task<T>;
    type Mutex<T: Send + 'static> = R::Mutex<T>;
    type Guard<'a, T: Send + 'static> = R::Guard<'a, T>;
    type Listener = R::Listener;
    type Stream = R::Stream;

    ambient! {
        name(self) => self.name,
        block_on(self, future) => self.inner.block_on(future),
        spawn(future) => R::spawn(future),
        spawn_detached(future) => R::spawn_detached(future),
        yield_now() => R::yield_now(),
        sleep(duration) => R::sleep(duration),
        to_thread(f) => R::to_thread(f),
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
