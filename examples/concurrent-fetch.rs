//! The aiohttp idiom of the asyncio tutorials: start a small local HTTP/1.1 server,
//! then fetch ten pages one after another and then concurrently with `gather`,
//! printing each page's size and the total time of both runs.
//!
//! Run: `cargo run --example concurrent-fetch`

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferrio::streams::{StreamReader, StreamWriter};
use ferrio::{open_connection, start_server};

/// Each page takes this long to "render", so concurrency shows.
const RENDER_TIME: Duration = Duration::from_millis(100);

/// A tiny HTTP/1.1 server: `GET /page/N` answers N KiB of text, one request per
/// connection.
async fn serve(mut reader: StreamReader, mut writer: StreamWriter) {
    let Ok(request_line) = reader.readline().await else {
        return;
    };
    // Skip the headers, up to the blank line.
    while let Ok(header) = reader.readline().await {
        if header == b"\r\n" || header.is_empty() {
            break;
        }
    }
    let request = String::from_utf8_lossy(&request_line);
    let page: usize = request
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.strip_prefix("/page/"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    ferrio::sleep(RENDER_TIME).await;
    let (status, body) = if page == 0 {
        ("404 Not Found", b"no such page\n".to_vec())
    } else {
        ("200 OK", vec![b'x'; page * 1024])
    };
    writer.write(
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    writer.write(&body);
    let _ = writer.close().await;
}

/// Fetches `path` and returns the body's length.
async fn fetch(addr: SocketAddr, path: String) -> io::Result<usize> {
    let (mut reader, mut writer) = open_connection(addr).await?;
    writer.write(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
    writer.drain().await?;
    let status = reader.readline().await?;
    if !status.starts_with(b"HTTP/1.1 200") {
        return Err(io::Error::other(format!(
            "{path}: {}",
            String::from_utf8_lossy(&status).trim_end()
        )));
    }
    let mut content_length = 0;
    loop {
        let header = reader.readline().await?;
        if header == b"\r\n" {
            break;
        }
        let header = String::from_utf8_lossy(&header);
        if let Some(value) = header.strip_prefix("Content-Length:") {
            content_length = value.trim().parse().map_err(io::Error::other)?;
        }
    }
    Ok(reader.readexactly(content_length).await?.len())
}

#[ferrio::main]
async fn main() -> io::Result<()> {
    let server = start_server(serve, "127.0.0.1:0").await?;
    let addr = server.local_addr().expect("a TCP server has an address");
    let paths: Vec<String> = (1..=10).map(|n| format!("/page/{n}")).collect();

    let started = Instant::now();
    for path in &paths {
        let size = fetch(addr, path.clone()).await?;
        println!("sequential  {path:<9} {size:>6} bytes");
    }
    let sequential = started.elapsed();

    let started = Instant::now();
    let sizes = ferrio::gather(paths.iter().map(|path| fetch(addr, path.clone()))).await;
    let concurrent = started.elapsed();
    let mut total = 0;
    for (path, size) in paths.iter().zip(sizes) {
        let size = size?;
        total += size;
        println!("concurrent  {path:<9} {size:>6} bytes");
    }

    println!("fetched {total} bytes twice");
    println!("sequential: {:>5} ms", sequential.as_millis());
    println!("concurrent: {:>5} ms", concurrent.as_millis());
    assert!(concurrent < sequential);
    server.close();
    Ok(())
}
