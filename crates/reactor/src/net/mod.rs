//! Networking: TCP, UDP and Unix-domain sockets driven by the reactor.
//!
//! Every stream type implements `futures-io`'s [`AsyncRead`](futures_io::AsyncRead)
//! and [`AsyncWrite`](futures_io::AsyncWrite) (for the type and for a shared
//! reference to it), so the ecosystem's adapters (`futures-lite`'s `AsyncReadExt`,
//! `BufReader`, codecs) plug in. Host names are resolved off the loop.

mod addr;
mod socket;
mod tcp;
mod udp;
mod unix;

#[doc(hidden)]
pub use addr::AddrQuery;
pub use addr::AsyncToSocketAddrs;
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixIncoming, UnixListener, UnixStream};
