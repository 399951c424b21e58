//! smol: a `LocalExecutor` driven by the bench thread ([`Smol1t`]), and an
//! `Executor` run by [`MT_WORKERS`] threads ([`Smol2t`]). Both use async-io's
//! reactor and timers, async-channel, async-lock and `blocking`, as smol does.
//!
//! smol has no ambient runtime, so `spawn` finds the executor in a thread-local set
//! where the executor runs (one load and a borrow flag per spawn).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::{Rt, MT_WORKERS};

thread_local! {
    static LOCAL: RefCell<Option<Rc<smol::LocalExecutor<'static>>>> = const { RefCell::new(None) };
    static SHARED: RefCell<Option<Arc<smol::Executor<'static>>>> = const { RefCell::new(None) };
}

/// What both smol flavours share: everything but the executor.
macro_rules! smol_common {
    () => {
        type Task<T: Send + 'static> = smol::Task<T>;
        type Sender<T: Send + 'static> = async_channel::Sender<T>;
        type Receiver<T: Send + 'static> = async_channel::Receiver<T>;
        type SharedReceiver<T: Send + 'static> = async_channel::Receiver<T>;
        type Mutex<T: Send + 'static> = async_lock::Mutex<T>;
        type Guard<'a, T: Send + 'static> = async_lock::MutexGuard<'a, T>;
        type Listener = smol::net::TcpListener;
        type Stream = smol::net::TcpStream;

        fn spawn_detached<F>(future: F)
        where
            F: std::future::Future<Output = ()> + Send + 'static,
        {
            Self::spawn(future).detach();
        }

        fn yield_now() -> impl std::future::Future<Output = ()> + Send {
            smol::future::yield_now()
        }

        async fn sleep(duration: std::time::Duration) {
            smol::Timer::after(duration).await;
        }

        fn to_thread<T, F>(f: F) -> impl std::future::Future<Output = T> + Send + 'static
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            blocking::unblock(f)
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
            async_lock::Mutex::new(value)
        }

        fn lock<T: Send + 'static>(
            mutex: &Self::Mutex<T>,
        ) -> impl std::future::Future<Output = Self::Guard<'_, T>> + Send + '_ {
            mutex.lock()
        }

        async fn bind_local() -> std::io::Result<Self::Listener> {
            smol::net::TcpListener::bind("127.0.0.1:0").await
        }

        fn local_addr(listener: &Self::Listener) -> std::net::SocketAddr {
            listener
                .local_addr()
                .expect("a bound listener has an address")
        }

        async fn accept(listener: &Self::Listener) -> std::io::Result<Self::Stream> {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        }

        async fn connect(addr: std::net::SocketAddr) -> std::io::Result<Self::Stream> {
            let stream = smol::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        }
    };
}

/// smol's `LocalExecutor`, driven by the bench thread inside `smol::block_on`.
pub struct Smol1t {
    executor: Rc<smol::LocalExecutor<'static>>,
}

impl Smol1t {
    /// A fresh local executor, the one `spawn` uses on this thread until dropped.
    ///
    /// # Panics
    ///
    /// If this thread already has one.
    pub fn new() -> Smol1t {
        let executor = Rc::new(smol::LocalExecutor::new());
        LOCAL.with_borrow_mut(|local| {
            assert!(local.is_none(), "one Smol1t per thread at a time");
            *local = Some(Rc::clone(&executor));
        });
        Smol1t { executor }
    }
}

impl Default for Smol1t {
    fn default() -> Self {
        Smol1t::new()
    }
}

impl Drop for Smol1t {
    fn drop(&mut self) {
        LOCAL.with_borrow_mut(|local| *local = None);
    }
}

impl Rt for Smol1t {
    smol_common!();

    fn name(&self) -> &'static str {
        "smol-1t"
    }

    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = self.executor.spawn(future);
        smol::block_on(self.executor.run(task))
    }

    fn spawn<F>(future: F) -> Self::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        LOCAL.with_borrow(|local| {
            local
                .as_ref()
                .expect("smol-1t: spawn outside Smol1t::block_on")
                .spawn(future)
        })
    }
}

/// smol's `Executor` run by [`MT_WORKERS`] threads; the bench thread only blocks.
pub struct Smol2t {
    executor: Arc<smol::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Smol2t {
    /// The executor and its threads.
    pub fn new() -> Smol2t {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..MT_WORKERS)
            .map(|_| {
                let executor = Arc::clone(&executor);
                let stopped = stopped.clone();
                std::thread::spawn(move || {
                    SHARED.with_borrow_mut(|shared| *shared = Some(Arc::clone(&executor)));
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        Smol2t {
            executor,
            stop: Some(stop),
            threads,
        }
    }
}

impl Default for Smol2t {
    fn default() -> Self {
        Smol2t::new()
    }
}

impl Drop for Smol2t {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            thread.join().expect("a smol-2t thread panicked");
        }
    }
}

impl Rt for Smol2t {
    smol_common!();

    fn name(&self) -> &'static str {
        "smol-2t"
    }

    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        smol::block_on(self.executor.spawn(future))
    }

    fn spawn<F>(future: F) -> Self::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SHARED.with_borrow(|shared| {
            shared
                .as_ref()
                .expect("smol-2t: spawn outside the executor's threads")
                .spawn(future)
        })
    }
}
