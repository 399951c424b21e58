//! ferrio's benches: one body per workload, run on every runtime through one small
//! trait, [`Rt`].
//!
//! A runtime is ferrio as a user runs it ([`Ferrio::st`] is `ferrio::Runner::new()`,
//! what `ferrio::run` uses, with the reactor; [`Ferrio::mt`] is
//! `Runner::builder().multi_thread().worker_threads(2)`), tokio's two flavours and
//! smol's `LocalExecutor` and `Executor` on two threads. Each workload of DESIGN.md
//! is one [`Workload`] in [`workloads`], written once against [`Rt`]; [`bench()`] runs
//! it on the runtimes named, each built once for warm-up and timed runs, with the
//! workload in a spawned task ([`Rt::block_on`]).
//!
//! The names and their table order live in `src/runtimes.rs` ([`SINGLE`], [`MULTI`],
//! [`EXTRAS`]), which `cargo xtask bench` includes as well.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;
use futures_lite::io::{AsyncRead, AsyncWrite};

#[macro_use]
mod rt_parts;

mod async_channel_on;
mod ferrio_rt;
mod runtimes;
mod smol_rt;
mod tokio_rt;
pub mod workloads;

pub use async_channel_on::WithAsyncChannel;
pub use ferrio_rt::Ferrio;
pub use runtimes::{EXTRAS, MT_WORKERS, MULTI, SINGLE};
pub use smol_rt::{Smol1t, Smol2t};
pub use tokio_rt::{Tokio, TokioStream};

/// What a workload needs from a runtime. Free functions (`spawn`, `sleep`, ...) act
/// on the runtime whose [`block_on`](Rt::block_on) is running, as `tokio::spawn`
/// and `ferrio::spawn` do.
pub trait Rt: 'static {
    /// A spawned task's handle; awaiting it gives the output (a failed task panics).
    type Task<T: Send + 'static>: Future<Output = T> + Send + 'static;
    /// The sending half of a bounded channel.
    type Sender<T: Send + 'static>: Clone + Send + Sync + 'static;
    /// The receiving half of [`channel`](Rt::channel): one consumer.
    type Receiver<T: Send + 'static>: Send + 'static;
    /// The receiving half of [`shared_channel`](Rt::shared_channel): many consumers.
    type SharedReceiver<T: Send + 'static>: Clone + Send + Sync + 'static;
    /// An async mutex.
    type Mutex<T: Send + 'static>: Send + Sync + 'static;
    /// Its guard.
    type Guard<'a, T: Send + 'static>: DerefMut<Target = T> + 'a;
    /// A TCP listener.
    type Listener: Send + Sync + 'static;
    /// A TCP stream, with `TCP_NODELAY` set.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The runtime's name in tables (`ferrio-st`, `tokio-ct`, ...).
    fn name(&self) -> &'static str;

    /// Runs `future` as a task of this runtime (so on a multi-thread flavour it runs
    /// on the workers like everything it spawns) and waits for its output.
    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns a task.
    fn spawn<F>(future: F) -> Self::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns a task nobody waits for.
    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Gives the other tasks a turn.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// Sleeps for `duration` on the runtime's timers.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// Runs `f` on the runtime's blocking pool.
    fn to_thread<T, F>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// A bounded channel with one consumer; closed when every sender is dropped.
    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>);

    /// A bounded channel with many consumers; closed when every sender is dropped.
    fn shared_channel<T: Send + 'static>(
        capacity: usize,
    ) -> (Self::Sender<T>, Self::SharedReceiver<T>);

    /// Sends `value`, waiting for room (panics if every receiver is gone).
    fn send<T: Send + 'static>(
        tx: &Self::Sender<T>,
        value: T,
    ) -> impl Future<Output = ()> + Send + '_;

    /// The next value, or `None` once the channel is closed and empty.
    fn recv<T: Send + 'static>(
        rx: &mut Self::Receiver<T>,
    ) -> impl Future<Output = Option<T>> + Send + '_;

    /// The next value of a shared channel, or `None` once it is closed and empty.
    fn recv_shared<T: Send + 'static>(
        rx: &Self::SharedReceiver<T>,
    ) -> impl Future<Output = Option<T>> + Send + '_;

    /// A mutex holding `value`.
    fn mutex<T: Send + 'static>(value: T) -> Self::Mutex<T>;

    /// Locks `mutex`.
    fn lock<T: Send + 'static>(
        mutex: &Self::Mutex<T>,
    ) -> impl Future<Output = Self::Guard<'_, T>> + Send + '_;

    /// A listener on a free loopback port.
    fn bind_local() -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// The listener's address.
    fn local_addr(listener: &Self::Listener) -> SocketAddr;

    /// The next connection, with `TCP_NODELAY` set.
    fn accept(
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + '_;

    /// Connects to `addr`, with `TCP_NODELAY` set.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Something done with a runtime of any type: see [`with_runtime`].
///
/// ```
/// use ferrio_benches::workloads::spawn_many;
/// use ferrio_benches::{with_runtime, Rt, Visit};
///
/// struct Sum(Vec<(&'static str, u64)>);
///
/// impl Visit for Sum {
///     fn visit<R: Rt>(&mut self, rt: &R) {
///         // The same body on every runtime: 100 tasks, each returning its index.
///         let sum = rt.block_on(spawn_many::<R>(100));
///         self.0.push((rt.name(), sum));
///     }
/// }
///
/// let mut sums = Sum(Vec::new());
/// for name in ["ferrio-st", "tokio-ct", "smol-1t"] {
///     assert!(with_runtime(name, &mut sums));
/// }
/// assert_eq!(sums.0, [("ferrio-st", 4950), ("tokio-ct", 4950), ("smol-1t", 4950)]);
/// ```
pub trait Visit {
    /// Called with the runtime built by [`with_runtime`], which drops it afterwards.
    fn visit<R: Rt>(&mut self, rt: &R);
}

/// Builds the runtime called `name` (one of [`SINGLE`], [`MULTI`], or the ferrio
/// extras of [`EXTRAS`]), hands it to `visitor` and drops it. False for an unknown
/// name.
///
/// # Panics
///
/// When the runtime cannot be built (the OS refuses a thread or a descriptor).
pub fn with_runtime(name: &str, visitor: &mut impl Visit) -> bool {
    match name {
        "ferrio-st" => visitor.visit(&Ferrio::st()),
        "ferrio-mt" => visitor.visit(&Ferrio::mt()),
        "ferrio-core-st" => visitor.visit(&Ferrio::core_st()),
        "ferrio-st-eager" => visitor.visit(&Ferrio::st_eager()),
        "ferrio-mt-eager" => visitor.visit(&Ferrio::mt_eager()),
        "tokio-ct" => visitor.visit(&Tokio::ct()),
        "tokio-mt" => visitor.visit(&Tokio::mt()),
        "smol-1t" => visitor.visit(&Smol1t::new()),
        "smol-2t" => visitor.visit(&Smol2t::new()),
        "ferrio-st+async-channel" => visitor.visit(&WithAsyncChannel::new(
            Ferrio::st(),
            "ferrio-st+async-channel",
        )),
        "ferrio-mt+async-channel" => visitor.visit(&WithAsyncChannel::new(
            Ferrio::mt(),
            "ferrio-mt+async-channel",
        )),
        _ => return false,
    }
    true
}

/// One of DESIGN.md's workloads, written once for every runtime.
pub trait Workload {
    /// The criterion group's name, as in DESIGN.md (`spawn_many`, ...).
    const NAME: &'static str;

    /// One run of the workload; it checks its own result (sums, counts).
    fn run<R: Rt>() -> impl Future<Output = ()> + Send + 'static;
}

/// The peers of both flavours in table order: [`SINGLE`], then [`MULTI`].
pub fn peers() -> impl Iterator<Item = &'static str> {
    SINGLE.into_iter().chain(MULTI)
}

/// Runs workload `W` as one criterion function per runtime of `runtimes`, in that
/// order, in `group`. Each runtime is built once, serves criterion's warm-up and
/// timed runs, and is dropped before the next is built.
///
/// # Panics
///
/// On an unknown runtime name, and when the workload's check fails.
pub fn bench<W: Workload>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtimes: impl IntoIterator<Item = &'static str>,
) {
    struct One<'g, 'c, W> {
        group: &'g mut BenchmarkGroup<'c, WallTime>,
        workload: std::marker::PhantomData<W>,
    }
    impl<W: Workload> Visit for One<'_, '_, W> {
        fn visit<R: Rt>(&mut self, rt: &R) {
            self.group
                .bench_function(rt.name(), |b| b.iter(|| rt.block_on(W::run::<R>())));
        }
    }
    for name in runtimes {
        let mut one = One::<W> {
            group,
            workload: std::marker::PhantomData,
        };
        assert!(with_runtime(name, &mut one), "unknown runtime {name}");
    }
}

pin_project_lite::pin_project! {
    /// A future of `Result<T, E>` whose error is a bench failure: it panics on
    /// `Err`, so every runtime's task handle awaits to a plain `T`.
    pub struct Expect<F> {
        #[pin]
        inner: F,
    }
}

impl<F> Expect<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        Expect { inner }
    }
}

impl<T, E: std::fmt::Debug, F: Future<Output = Result<T, E>>> Future for Expect<F> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.project().inner.poll(cx) {
            Poll::Ready(Ok(value)) => Poll::Ready(value),
            Poll::Ready(Err(error)) => panic!("bench task failed: {error:?}"),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A fixed-seed generator for workloads that need random numbers.
pub fn rng() -> fastrand::Rng {
    fastrand::Rng::with_seed(0x5EED_F312)
}
