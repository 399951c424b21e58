//! A WebSocket echo server and client with async-tungstenite, straight over ferrio's
//! `TcpStream` (a futures-io stream: no adapter).
//!
//! Run: `cargo run --example websocket-echo`

use async_tungstenite::tungstenite::Message;
use ferrio::net::{TcpListener, TcpStream};
use futures_lite::StreamExt;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Echoes every text and binary message until the client closes.
async fn echo(stream: TcpStream) -> Result<(), Error> {
    let mut ws = async_tungstenite::accept_async(stream).await?;
    while let Some(message) = ws.next().await {
        // Close and ping frames are not echoed: tungstenite queues the close reply
        // (and pongs) itself, polling on sends them, and the stream then ends.
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
        }
    }
    Ok(())
}

#[ferrio::main]
async fn main() -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("WebSocket echo server on ws://{addr}");
    let server = ferrio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        echo(stream).await
    });

    let stream = TcpStream::connect(addr).await?;
    let (mut ws, response) =
        async_tungstenite::client_async(format!("ws://{addr}/"), stream).await?;
    println!("client: handshake answered {}", response.status());

    for text in ["hello", "from", "ferrio"] {
        ws.send(Message::text(text)).await?;
        let reply = ws.next().await.ok_or("the server hung up")??;
        println!("client: sent {text:?}, got {reply}");
        assert_eq!(reply, Message::text(text));
    }
    ws.send(Message::binary(vec![1u8, 2, 3])).await?;
    let reply = ws.next().await.ok_or("the server hung up")??;
    assert_eq!(reply, Message::binary(vec![1u8, 2, 3]));
    println!("client: binary frame echoed");

    ws.close(None).await?;
    // Read until the server's close reply arrives and the stream ends.
    while let Some(message) = ws.next().await {
        println!("client: got {:?} after closing", message?);
    }
    server.await.expect("the server task finished")?;
    println!("closed cleanly");
    Ok(())
}
