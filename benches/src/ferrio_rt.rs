//! ferrio through its public API: `ferrio::Runner` (both flavours, with the reactor),
//! and a bare `ferrio_core` single-thread runtime as a labelled extra.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::{Expect, Rt, MT_WORKERS};

enum Inner {
    Runner(ferrio::Runner),
    Core(ferrio_core::Runtime),
}

/// ferrio as a user runs it: [`Ferrio::st`] and [`Ferrio::mt`]; [`Ferrio::core_st`]
/// is the bare core loop (thread parker, no reactor, so no TCP).
pub struct Ferrio {
    inner: Inner,
    name: &'static str,
}

impl Ferrio {
    /// `ferrio::Runner::new()`: the single-thread loop with the reactor, what
    /// `ferrio::run` uses.
    pub fn st() -> Ferrio {
        Ferrio {
            inner: Inner::Runner(ferrio::Runner::new()),
            name: "ferrio-st",
        }
    }

    /// `Runner::builder().multi_thread().worker_threads(MT_WORKERS)`.
    pub fn mt() -> Ferrio {
        let runner = ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(MT_WORKERS)
            .build()
            .expect("ferrio-mt builds");
        Ferrio {
            inner: Inner::Runner(runner),
            name: "ferrio-mt",
        }
    }

    /// [`Ferrio::st`] with eager tasks (asyncio's `eager_task_factory`).
    pub fn st_eager() -> Ferrio {
        let runner = ferrio::Runner::builder()
            .eager_tasks(true)
            .build()
            .expect("ferrio-st-eager builds");
        Ferrio {
            inner: Inner::Runner(runner),
            name: "ferrio-st-eager",
        }
    }

    /// [`Ferrio::mt`] with eager tasks.
    pub fn mt_eager() -> Ferrio {
        let runner = ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(MT_WORKERS)
            .eager_tasks(true)
            .build()
            .expect("ferrio-mt-eager builds");
        Ferrio {
            inner: Inner::Runner(runner),
            name: "ferrio-mt-eager",
        }
    }

    /// A bare `ferrio_core` current-thread runtime: no reactor, no facade.
    pub fn core_st() -> Ferrio {
        let runtime = ferrio_core::Builder::new_current_thread()
            .build()
            .expect("ferrio-core-st builds");
        Ferrio {
            inner: Inner::Core(runtime),
            name: "ferrio-core-st",
        }
    }
}

impl Rt for Ferrio {
    type Task<T: Send + 'static> = Expect<ferrio::Task<T>>;
    type Sender<T: Send + 'static> = ferrio::sync::channel::Sender<T>;
    type Receiver<T: Send + 'static> = ferrio::sync::channel::Receiver<T>;
    type SharedReceiver<T: Send + 'static> = ferrio::sync::channel::Receiver<T>;
    type Mutex<T: Send + 'static> = ferrio::sync::Mutex<T>;
    type Guard<'a, T: Send + 'static> = ferrio::sync::MutexGuard<'a, T>;
    type Listener = ferrio::net::TcpListener;
    type Stream = ferrio::net::TcpStream;

    fn name(&self) -> &'static str {
        self.name
    }

    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let main = async move { Expect::new(ferrio::spawn(future)).await };
        match &self.inner {
            Inner::Runner(runner) => runner.run(main),
            Inner::Core(runtime) => runtime.block_on(main),
        }
    }

    fn spawn<F>(future: F) -> Self::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Expect::new(ferrio::spawn(future))
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        ferrio::spawn(future).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        ferrio::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        ferrio::sleep(duration)
    }

    fn to_thread<T, F>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Expect::new(ferrio::to_thread(f))
    }

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
        ferrio::sync::channel::bounded(capacity)
    }

    fn shared_channel<T: Send + 'static>(
        capacity: usize,
    ) -> (Self::Sender<T>, Self::SharedReceiver<T>) {
        ferrio::sync::channel::bounded(capacity)
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
        ferrio::sync::Mutex::new(value)
    }

    fn lock<T: Send + 'static>(
        mutex: &Self::Mutex<T>,
    ) -> impl Future<Output = Self::Guard<'_, T>> + Send + '_ {
        mutex.lock()
    }

    async fn bind_local() -> io::Result<Self::Listener> {
        ferrio::net::TcpListener::bind("127.0.0.1:0").await
    }

    fn local_addr(listener: &Self::Listener) -> SocketAddr {
        listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Stream> {
        let stream = ferrio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}
