//! A TCP echo server and three clients in one program: asyncio's
//! `start_server` / `open_connection` idiom, with readline and drain.
//!
//! Run: `cargo run --example tcp-echo`

use std::io;

use ferrio::streams::{StreamReader, StreamWriter};
use ferrio::{open_connection, start_server};

/// Echoes each line back until the client closes its side.
async fn handle_client(mut reader: StreamReader, mut writer: StreamWriter) {
    let peer = writer.get_ref().peer_addr().ok();
    loop {
        match reader.readline().await {
            Ok(line) if line.is_empty() => break, // the client closed its side
            Ok(line) => {
                writer.write(&line);
                if writer.drain().await.is_err() {
                    break;
                }
            }
            Err(e) => {
                eprintln!("server: {peer:?}: {e}");
                break;
            }
        }
    }
    let _ = writer.close().await;
}

async fn client(id: usize, addr: std::net::SocketAddr) -> io::Result<()> {
    let (mut reader, mut writer) = open_connection(addr).await?;
    for n in 1..=3 {
        let message = format!("client {id}: message {n}\n");
        writer.write(message.as_bytes());
        writer.drain().await?;
        let echoed = reader.readline().await?;
        assert_eq!(echoed, message.as_bytes());
        print!("echoed back: {}", String::from_utf8_lossy(&echoed));
    }
    writer.close().await?;
    Ok(())
}

#[ferrio::main]
async fn main() -> io::Result<()> {
    let server = start_server(handle_client, "127.0.0.1:0").await?;
    let addr = server.local_addr().expect("a TCP server has an address");
    println!("serving on {addr}");

    let clients = (1..=3).map(|id| ferrio::create_task(client(id, addr)));
    for result in ferrio::gather(clients).await {
        result.expect("the client task finished")?;
    }

    server.close();
    server.wait_closed().await;
    println!("server closed");
    Ok(())
}
