//! ferrio-reactor: the I/O driver over `polling` (epoll, kqueue), [`Async<T>`],
//! TCP/UDP/Unix sockets, asyncio-style streams, signals and subprocesses.
//!
//! The [`Reactor`] is a ferrio-core [`Driver`](ferrio_core::driver::Driver): a
//! runtime built with it parks on the OS poller, and the I/O types of this crate
//! find it through the runtime running on the current thread.
//!
//! | module | what it holds |
//! |---|---|
//! | [`Reactor`] | the driver: registration, parking, readiness dispatch |
//! | [`Async`] | any descriptor-backed object made asynchronous |
//! | [`net`] | `TcpListener`, `TcpStream`, `UdpSocket`, `UnixListener`, `UnixStream`, `UnixDatagram` |
//! | [`streams`] | asyncio's `open_connection`, `start_server`, `StreamReader`, `StreamWriter` |
//! | [`signal`] | `ctrl_c()` and a stream of any Unix signal |
//! | [`process`] | `Command` with async pipes, `wait`, `kill`, kill-on-drop |
//!
//! The crate targets Unix (Linux, the BSDs, macOS).

mod async_io;
pub mod net;
pub mod process;
mod reactor;
mod runtime;
pub mod signal;
mod source;
pub mod streams;
mod sys;

pub use async_io::Async;
pub use reactor::Reactor;
pub use runtime::{new_runtime, runtime_builder};

/// Runs `future` to completion on a fresh reactor with a minimal loop; used by the
/// documentation examples.
#[doc(hidden)]
pub fn doc_block_on<T>(future: impl std::future::Future<Output = T>) -> std::io::Result<T> {
    use ferrio_core::driver::Driver;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake};

    struct Unpark(Arc<Reactor>);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let reactor = Reactor::new()?;
    let _enter = ferrio_core::driver::enter(reactor.clone());
    let waker = Arc::new(Unpark(reactor.clone())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return Ok(value);
        }
        reactor.park(None);
    }
}
