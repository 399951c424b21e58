//! [`Connector`]: TCP connections for hyper-util's pooled client.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio_reactor::net::TcpStream;
use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};

use crate::FerrioIo;

/// A `tower::Service<Uri>` that opens ferrio TCP connections, for hyper-util's
/// pooled client (`hyper_util::client::legacy::Client`, which reqwest wraps).
///
/// It serves `http` URIs: the host is resolved off the loop, the port defaults to
/// 80, and `TCP_NODELAY` is on unless [`nodelay(false)`](Connector::nodelay). An
/// `https` URI is refused with `ErrorKind::Unsupported`: wrap this connector in a TLS
/// one for that.
///
/// # Examples
///
/// ```
/// use ferrio_hyper::{Connector, FerrioExecutor, FerrioIo, FerrioTimer};
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::body::{Bytes, Incoming};
/// use hyper::{Request, Response};
/// use hyper_util::client::legacy::Client;
///
/// ferrio::run(async {
///     // A loopback server answering "hello" on each connection it accepts.
///     let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     ferrio::spawn(async move {
///         while let Ok((stream, _)) = listener.accept().await {
///             ferrio::spawn(async move {
///                 let hello = hyper::service::service_fn(|_: Request<Incoming>| async {
///                     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
///                 });
///                 let _ = hyper::server::conn::http1::Builder::new()
///                     .serve_connection(FerrioIo::new(stream), hello)
///                     .await;
///             })
///             .detach();
///         }
///     })
///     .detach();
///
///     let client = Client::builder(FerrioExecutor::new())
///         .timer(FerrioTimer::new())
///         .pool_timer(FerrioTimer::new())
///         .build::<_, Empty<Bytes>>(Connector::new());
///     for _ in 0..3 {
///         let response = client.get(format!("http://{addr}/").parse().unwrap()).await.unwrap();
///         assert_eq!(response.status(), 200);
///         let body = response.into_body().collect().await.unwrap().to_bytes();
///         assert_eq!(body, "hello");
///     }
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct Connector {
    nodelay: bool,
}

impl Default for Connector {
    fn default() -> Connector {
        Connector::new()
    }
}

impl Connector {
    /// A connector with `TCP_NODELAY` on.
    pub fn new() -> Connector {
        Connector { nodelay: true }
    }

    /// Sets `TCP_NODELAY` on new connections (on by default: HTTP writes whole
    /// messages, so Nagle's delay only adds latency).
    pub fn nodelay(mut self, nodelay: bool) -> Connector {
        self.nodelay = nodelay;
        self
    }
}

/// Where `uri` says to connect: host (without IPv6 brackets) and port.
fn host_port(uri: &Uri) -> io::Result<(String, u16)> {
    let default_port = match uri.scheme_str() {
        Some("http") | None => 80,
        Some("https") => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "{uri}: ferrio_hyper::Connector speaks plain TCP; wrap it in a TLS \
                     connector for https"
                ),
            ))
        }
        Some(other) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{uri}: unsupported scheme {other:?}"),
            ))
        }
    };
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{uri}: the URI has no host"),
        )
    })?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_owned(), uri.port_u16().unwrap_or(default_port)))
}

impl tower_service::Service<Uri> for Connector {
    type Response = FerrioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<FerrioIo<TcpStream>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let nodelay = self.nodelay;
        Box::pin(async move {
            let (host, port) = host_port(&uri)?;
            let stream = TcpStream::connect((host, port)).await?;
            stream.set_nodelay(nodelay)?;
            Ok(FerrioIo::new(stream))
        })
    }
}

impl Connection for FerrioIo<TcpStream> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_reads_host_and_default_ports() {
        let at = |s: &str| host_port(&s.parse().unwrap());
        assert_eq!(
            at("http://example.com/x").unwrap(),
            ("example.com".into(), 80)
        );
        assert_eq!(
            at("http://127.0.0.1:8080/").unwrap(),
            ("127.0.0.1".into(), 8080)
        );
        assert_eq!(at("http://[::1]:9/").unwrap(), ("::1".into(), 9));
        assert_eq!(
            at("https://example.com/").unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        assert_eq!(
            at("ftp://example.com/").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            at("/path-only").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
