//! Address resolution that never blocks the loop.
//!
//! Literal addresses are parsed in place; host names go to the system resolver
//! (`getaddrinfo`, which blocks) on a short-lived thread, and the calling task waits
//! for its answer without holding up the loop.

use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// What an address argument turns into before connecting or binding.
#[doc(hidden)]
#[derive(Debug)]
pub enum AddrQuery {
    /// Already resolved.
    Resolved(Vec<SocketAddr>),
    /// A `host:port` string the system resolver must look up.
    Lookup(String),
}

/// Anything that names one or more socket addresses, resolved without blocking the
/// loop: `SocketAddr`, `(IpAddr, u16)`, `"127.0.0.1:80"`, `("localhost", 80)`, a
/// slice of addresses...
///
/// The async counterpart of [`std::net::ToSocketAddrs`].
pub trait AsyncToSocketAddrs {
    /// Turns the argument into addresses or a lookup request.
    #[doc(hidden)]
    fn to_query(self) -> AddrQuery;
}

impl AsyncToSocketAddrs for SocketAddr {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![self])
    }
}

impl AsyncToSocketAddrs for &SocketAddr {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![*self])
    }
}

impl AsyncToSocketAddrs for SocketAddrV4 {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![self.into()])
    }
}

impl AsyncToSocketAddrs for SocketAddrV6 {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![self.into()])
    }
}

impl AsyncToSocketAddrs for (IpAddr, u16) {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![self.into()])
    }
}

impl AsyncToSocketAddrs for (Ipv4Addr, u16) {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![self.into()])
    }
}

impl AsyncToSocketAddrs for (Ipv6Addr, u16) {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(vec![self.into()])
    }
}

impl AsyncToSocketAddrs for &[SocketAddr] {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(self.to_vec())
    }
}

impl AsyncToSocketAddrs for Vec<SocketAddr> {
    fn to_query(self) -> AddrQuery {
        AddrQuery::Resolved(self)
    }
}

impl AsyncToSocketAddrs for &str {
    fn to_query(self) -> AddrQuery {
        match self.parse::<SocketAddr>() {
            Ok(addr) => AddrQuery::Resolved(vec![addr]),
            Err(_) => AddrQuery::Lookup(self.to_owned()),
        }
    }
}

impl AsyncToSocketAddrs for String {
    fn to_query(self) -> AddrQuery {
        match self.parse::<SocketAddr>() {
            Ok(addr) => AddrQuery::Resolved(vec![addr]),
            Err(_) => AddrQuery::Lookup(self),
        }
    }
}

impl AsyncToSocketAddrs for &String {
    fn to_query(self) -> AddrQuery {
        self.as_str().to_query()
    }
}

impl AsyncToSocketAddrs for (&str, u16) {
    fn to_query(self) -> AddrQuery {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => AddrQuery::Resolved(vec![(ip, self.1).into()]),
            Err(_) => AddrQuery::Lookup(host_port(self.0, self.1)),
        }
    }
}

impl AsyncToSocketAddrs for (String, u16) {
    fn to_query(self) -> AddrQuery {
        (self.0.as_str(), self.1).to_query()
    }
}

/// `host:port`, bracketing bare IPv6 literals the way `getaddrinfo` callers expect.
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Resolves `addr`, on a helper thread when it needs the system resolver.
///
/// # Errors
///
/// The resolver's error, or `InvalidInput` when it found no address.
pub(crate) async fn resolve(addr: impl AsyncToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs = match addr.to_query() {
        AddrQuery::Resolved(addrs) => addrs,
        AddrQuery::Lookup(name) => lookup(name).await?,
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to no socket address",
        ));
    }
    Ok(addrs)
}

#[derive(Default)]
struct Slot {
    answer: Option<io::Result<Vec<SocketAddr>>>,
    waker: Option<Waker>,
}

async fn lookup(name: String) -> io::Result<Vec<SocketAddr>> {
    let slot = Arc::new(Mutex::new(Slot::default()));
    let theirs = slot.clone();
    std::thread::Builder::new()
        .name("ferrio-resolve".into())
        .spawn(move || {
            let answer = std::net::ToSocketAddrs::to_socket_addrs(&name).map(Iterator::collect);
            let waker = {
                let mut slot = theirs.lock().unwrap_or_else(|e| e.into_inner());
                slot.answer = Some(answer);
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })?;
    poll_fn(|cx| {
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.answer.take() {
            Some(answer) => Poll::Ready(answer),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    })
    .await
}

/// Tries `connect` on each address in turn; the last error if none works.
pub(crate) async fn each_addr<T, F, Fut>(addrs: Vec<SocketAddr>, mut connect: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last_error = None;
    for addr in addrs {
        match connect(addr).await {
            Ok(value) => return Ok(value),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to try")))
}
