//! Building a ferrio-core runtime whose driver is a reactor.

use std::io;

use ferrio_core::{Builder, Flavor};

use crate::reactor::Reactor;

/// A ferrio-core [`Builder`] with a fresh [`Reactor`] as its driver: set the flavour
/// and workers as usual, then `build()`.
///
/// # Errors
///
/// When the OS poller cannot be created.
///
/// # Examples
///
/// ```
/// use ferrio_core::Flavor;
/// use ferrio_reactor::net::{TcpListener, TcpStream};
///
/// let rt = ferrio_reactor::runtime_builder()?
///     .flavor(Flavor::MultiThread)
///     .worker_threads(2)
///     .build()?;
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = ferrio_core::spawn(async move { TcpStream::connect(addr).await });
///     listener.accept().await?;
///     client.await.expect("the connect task finished")?;
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub fn runtime_builder() -> io::Result<Builder> {
    Ok(Builder::new().driver(Reactor::new()?))
}

/// A single-thread runtime with a reactor (asyncio's model).
///
/// # Errors
///
/// When the OS poller cannot be created.
pub fn new_runtime() -> io::Result<ferrio_core::Runtime> {
    runtime_builder()?.flavor(Flavor::CurrentThread).build()
}
