//! Graceful shutdown: a TCP server whose connection tasks, when the server is
//! cancelled, catch their cancellation, write a goodbye line, flush, and end; the
//! program exits 0 with no task left behind.
//!
//! asyncio's
//!
//! ```python
//! try:
//!     await serve_lines(reader, writer)
//! except asyncio.CancelledError:
//!     writer.write(b"goodbye\n"); await writer.drain(); writer.close()
//!     raise
//! ```
//!
//! is `catch_cancel(..)` and `cancelled.reraise()` below. By default the program
//! runs its own demo: three clients connect, then the server is cancelled as Ctrl-C
//! would, and each client receives its goodbye. With `--serve` it serves until
//! Ctrl-C.
//!
//! Run: `cargo run --example graceful-shutdown [-- --serve]`

use std::io;
use std::net::SocketAddr;

use ferrio::net::{TcpListener, TcpStream};
use ferrio::streams::{StreamReader, StreamWriter};
use ferrio::{catch_cancel, open_connection, spawn, Task};

/// Echoes lines until the client leaves; on cancellation says goodbye and re-raises.
async fn connection(stream: TcpStream) -> io::Result<()> {
    let mut reader = StreamReader::new(stream.clone());
    let mut writer = StreamWriter::new(stream);
    let served = catch_cancel(async {
        loop {
            let line = reader.readline().await?;
            if line.is_empty() {
                return Ok(()); // the client closed its side
            }
            writer.write(&line);
            writer.drain().await?;
        }
    })
    .await;
    match served {
        Ok(result) => result,
        Err(cancelled) => {
            // Clean-up may await: write, flush, close.
            let why = cancelled.message().unwrap_or("shutting down");
            writer.write(format!("goodbye: {why}\n").as_bytes());
            writer.drain().await?;
            writer.close().await?;
            cancelled.reraise().await
        }
    }
}

/// Accepts connections until cancelled; then cancels every connection with the same
/// message and waits for their goodbyes before it ends cancelled itself.
async fn serve(listener: TcpListener) -> io::Result<()> {
    let mut connections: Vec<Task<io::Result<()>>> = Vec::new();
    let accepted = catch_cancel(async {
        loop {
            let (stream, _) = listener.accept().await?;
            connections.push(spawn(connection(stream)));
        }
    })
    .await;
    let cancelled = match accepted {
        Ok(result) => return result,
        Err(cancelled) => cancelled,
    };
    let why = cancelled.message().unwrap_or("shutting down").to_string();
    for conn in &connections {
        conn.cancel_with(why.as_str());
    }
    for conn in connections {
        // Each ends cancelled, after its goodbye went out.
        let _ = conn.await;
    }
    println!("server: every connection said goodbye");
    cancelled.reraise().await
}

/// A client that says hello and gets its echo; returns its open connection.
async fn hello(id: usize, addr: SocketAddr) -> io::Result<(StreamReader, StreamWriter)> {
    let (mut reader, mut writer) = open_connection(addr).await?;
    let message = format!("hello from client {id}\n");
    writer.write(message.as_bytes());
    writer.drain().await?;
    assert_eq!(reader.readline().await?, message.as_bytes());
    Ok((reader, writer))
}

fn main() -> io::Result<()> {
    let serve_forever = std::env::args().any(|arg| arg == "--serve");
    ferrio::run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = spawn(serve(listener));
        if serve_forever {
            println!("serving on {addr}; press Ctrl-C to stop");
            ferrio::signal::ctrl_c().await?;
            assert!(server.cancel_with("Ctrl-C"));
            let _ = server.await;
            return Ok(());
        }
        let mut clients = Vec::new();
        for id in 1..=3 {
            clients.push(hello(id, addr).await?);
        }
        println!("3 clients connected; cancelling the server as Ctrl-C would");
        assert!(server.cancel_with("server shutting down"));
        let err = server.await.expect_err("the server ends cancelled");
        assert_eq!(err.cancel_message(), Some("server shutting down"));
        for (id, (mut reader, _writer)) in clients.into_iter().enumerate() {
            let goodbye = reader.readline().await?;
            assert_eq!(goodbye, b"goodbye: server shutting down\n");
            print!("client {}: {}", id + 1, String::from_utf8_lossy(&goodbye));
            assert!(
                reader.readline().await?.is_empty(),
                "then the server closed"
            );
        }
        // Only the main task itself is left (it is a task, as asyncio's).
        let main = ferrio::current_task().map(|t| t.id);
        let left: Vec<_> = ferrio::all_tasks()
            .into_iter()
            .filter(|t| Some(t.id) != main)
            .collect();
        assert!(left.is_empty(), "tasks left behind: {left:?}");
        println!("no task left behind");
        Ok(())
    })
}
