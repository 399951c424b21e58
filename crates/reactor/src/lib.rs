//! ferrio-reactor: the I/O driver over `polling` (epoll, kqueue) or, on Linux, epoll
//! directly (see [`ReactorKind`]), [`Async<T>`],
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
//!
//! # Examples
//!
//! ```
//! use ferrio_reactor::net::{TcpListener, TcpStream};
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//!
//! let rt = ferrio_reactor::new_runtime()?;
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = ferrio_core::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         stream.read_exact(&mut buf).await?;
//!         stream.write_all(&buf).await?;
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut echoed = [0; 5];
//!     client.read_exact(&mut echoed).await?;
//!     assert_eq!(&echoed, b"hello");
//!     server.await.expect("the server task finished")
//! })?;
//! # std::io::Result::Ok(())
//! ```

mod async_io;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
mod loom;
pub mod net;
pub mod process;
mod reactor;
mod runtime;
pub mod signal;
mod source;
pub mod streams;
mod sys;

pub use async_io::Async;
pub use reactor::{Reactor, ReactorKind};
pub use runtime::{new_runtime, runtime_builder};
