//! hyper-util's pooled client (the one reqwest wraps) on ferrio: `ferrio::hyper`'s
//! `Connector` opens the TCP connections, its executor and timer run the pool.
//!
//! Run: `cargo run --example hyper-client`. It starts a small loopback server, fetches
//! five pages concurrently and five in a row, and prints how many connections the
//! server saw (the pool reuses them).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrio::hyper::{Connector, FerrioExecutor, FerrioIo, FerrioTimer};
use ferrio::net::TcpListener;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::Client;

/// A loopback server: answers `page <path>` and counts the connections it accepts.
async fn server(listener: TcpListener, connections: Arc<AtomicUsize>) {
    while let Ok((stream, _)) = listener.accept().await {
        connections.fetch_add(1, Ordering::SeqCst);
        ferrio::spawn(async move {
            let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                let text = format!("page {}", request.uri().path());
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(FerrioTimer::new())
                .serve_connection(FerrioIo::new(stream), service)
                .await;
        })
        .detach();
    }
}

#[ferrio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let connections = Arc::new(AtomicUsize::new(0));
    let server = ferrio::spawn(server(listener, connections.clone()));

    let client = Client::builder(FerrioExecutor::new())
        .timer(FerrioTimer::new())
        .pool_timer(FerrioTimer::new())
        .build::<_, Empty<Bytes>>(Connector::new());

    let fetch = |path: String| {
        let client = client.clone();
        async move {
            let uri: Uri = format!("http://{addr}{path}").parse()?;
            let response = client.get(uri).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            let text = String::from_utf8_lossy(&body).into_owned();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(format!("{status} {text}"))
        }
    };

    // Five at once: the pool opens one connection per request in flight.
    let tasks = (1..=5).map(|i| ferrio::spawn(fetch(format!("/concurrent/{i}"))));
    for (i, result) in ferrio::gather(tasks).await.into_iter().enumerate() {
        let line = result.expect("the fetch task finished")?;
        println!("{line}");
        assert_eq!(line, format!("200 OK page /concurrent/{}", i + 1));
    }
    // Five in a row: each reuses an idle pooled connection.
    for i in 1..=5 {
        let line = fetch(format!("/sequential/{i}")).await?;
        println!("{line}");
        assert_eq!(line, format!("200 OK page /sequential/{i}"));
    }

    let opened = connections.load(Ordering::SeqCst);
    println!("10 requests over {opened} connections");
    assert!(opened <= 5, "the pool reuses its idle connections");

    server.cancel();
    Ok(())
}
