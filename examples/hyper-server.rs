//! A hyper server for HTTP/1.1 and HTTP/2 on one port (hyper-util's `auto` builder
//! tells them apart by the first bytes), on ferrio through `ferrio::hyper`.
//!
//! Run: `cargo run --example hyper-server` serves on 127.0.0.1, sends itself one
//! request over each protocol, prints the responses and exits. With `--serve`, it keeps
//! serving on 127.0.0.1:3000 until Ctrl-C (try `curl --http2-prior-knowledge`).

use std::convert::Infallible;
use std::io;

use ferrio::hyper::{FerrioExecutor, FerrioIo, FerrioTimer};
use ferrio::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::server::conn::auto;

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = format!("Hello, world! ({:?})\n", request.version());
    Ok(Response::new(Full::new(Bytes::from(text))))
}

/// Accepts connections forever, one task each.
async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        ferrio::spawn(async move {
            let mut builder = auto::Builder::new(FerrioExecutor::new());
            builder.http1().timer(FerrioTimer::new());
            builder.http2().timer(FerrioTimer::new());
            let service = hyper::service::service_fn(hello);
            if let Err(err) = builder
                .serve_connection(FerrioIo::new(stream), service)
                .await
            {
                eprintln!("server: {peer}: {err}");
            }
        })
        .detach();
    }
}

/// Sends one GET over a fresh HTTP/1.1 connection; returns the response's text.
async fn get_http1(addr: std::net::SocketAddr) -> Result<String, Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(FerrioIo::new(stream)).await?;
    let conn = ferrio::spawn(conn);
    let request = Request::get(format!("http://{addr}/"))
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    drop(sender);
    conn.await??;
    Ok(format!(
        "{status} {}",
        String::from_utf8_lossy(&body).trim_end()
    ))
}

/// Sends one GET over a fresh HTTP/2 connection (prior knowledge, no upgrade).
async fn get_http2(addr: std::net::SocketAddr) -> Result<String, Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http2::Builder::new(FerrioExecutor::new())
        .timer(FerrioTimer::new())
        .handshake(FerrioIo::new(stream))
        .await?;
    let conn = ferrio::spawn(conn);
    let request = Request::get(format!("http://{addr}/")).body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    drop(sender);
    conn.await??;
    Ok(format!(
        "{status} {}",
        String::from_utf8_lossy(&body).trim_end()
    ))
}

#[ferrio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--serve") {
        let listener = TcpListener::bind("127.0.0.1:3000").await?;
        println!("serving HTTP/1.1 and HTTP/2 on http://127.0.0.1:3000 (Ctrl-C stops)");
        serve(listener).await?;
        return Ok(());
    }

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("serving HTTP/1.1 and HTTP/2 on http://{addr}");
    let server = ferrio::spawn(serve(listener));

    let one = get_http1(addr).await?;
    println!("HTTP/1.1 response: {one}");
    assert_eq!(one, "200 OK Hello, world! (HTTP/1.1)");
    let two = get_http2(addr).await?;
    println!("HTTP/2 response:   {two}");
    assert_eq!(two, "200 OK Hello, world! (HTTP/2.0)");

    server.cancel();
    Ok(())
}
