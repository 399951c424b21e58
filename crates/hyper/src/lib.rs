//! hyper 1.x on ferrio.
//!
//! hyper is runtime-agnostic: it needs I/O types with its `rt::Read`/`rt::Write`, an
//! `rt::Executor` for the tasks it spawns (HTTP/2 streams, pooled connections) and an
//! `rt::Timer` for its timeouts. This crate gives all three for ferrio, plus the
//! connector hyper-util's pooled client needs:
//!
//! - [`FerrioIo`]: wraps any futures-io stream (ferrio's `TcpStream`, `UnixStream`, a
//!   TLS stream) with hyper's I/O traits, vectored writes included;
//! - [`FerrioExecutor`]: spawns on the current ferrio runtime, either flavour;
//! - [`FerrioTimer`]: ferrio's timers;
//! - [`Connector`]: a `tower::Service<Uri>` for `hyper_util::client::legacy::Client`.
//!
//! The facade re-exports this crate as `ferrio::hyper` under its `hyper` feature.
//!
//! A server for HTTP/1 and HTTP/2 on one port, with hyper-util's `auto` builder:
//!
//! ```
//! use ferrio_hyper::{FerrioExecutor, FerrioIo, FerrioTimer};
//! use http_body_util::Full;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//! use hyper_util::server::conn::auto;
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("hello"))))
//! }
//!
//! async fn serve(listener: ferrio::net::TcpListener) -> std::io::Result<()> {
//!     loop {
//!         let (stream, _) = listener.accept().await?;
//!         ferrio::spawn(async move {
//!             let mut builder = auto::Builder::new(FerrioExecutor::new());
//!             builder.http1().timer(FerrioTimer::new());
//!             builder.http2().timer(FerrioTimer::new());
//!             let service = hyper::service::service_fn(hello);
//!             if let Err(err) = builder.serve_connection(FerrioIo::new(stream), service).await {
//!                 eprintln!("connection: {err}");
//!             }
//!         })
//!         .detach();
//!     }
//! }
//! # ferrio::run(async {
//! #     let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! #     let server = ferrio::spawn(serve(listener));
//! #     server.cancel();
//! # });
//! ```
//!
//! The README's ten-line server (through the facade's `hyper` feature), compiled here:
//!
//! ```no_run
//! use ferrio::hyper::{FerrioExecutor, FerrioIo};
//! use hyper::{body::Bytes, service::service_fn, Response};
//!
//! #[ferrio::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = ferrio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     loop {
//!         let (stream, _) = listener.accept().await?;
//!         let hello = service_fn(|_: hyper::Request<hyper::body::Incoming>| async {
//!             Ok::<_, std::convert::Infallible>(Response::new(http_body_util::Full::new(Bytes::from("hello"))))
//!         });
//!         let auto = hyper_util::server::conn::auto::Builder::new(FerrioExecutor::new());
//!         ferrio::spawn(async move { auto.serve_connection(FerrioIo::new(stream), hello).await }).detach();
//!     }
//! }
//! ```
#![warn(missing_docs)]

mod connect;
mod io;
mod rt;

pub use connect::Connector;
pub use io::FerrioIo;
pub use rt::{FerrioExecutor, FerrioTimer};
