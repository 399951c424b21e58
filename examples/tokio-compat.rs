//! tokio-only crates on ferrio, through async-compat: `Compat::new(future)` enters a
//! background tokio runtime around every poll, so tokio's timers and tokio's I/O traits
//! work inside ferrio tasks; `Compat::new(stream)` turns a futures-io stream (ferrio's
//! `TcpStream`) into a `tokio::io` one.
//!
//! The trap: a tokio timer *created* outside `Compat` panics, even when it is awaited
//! inside one: `tokio::time::sleep(d)` looks for the tokio runtime when it is called,
//! not when it is polled. This program shows the panic (caught) and the fix.
//!
//! Run: `cargo run --example tokio-compat`

use std::time::{Duration, Instant};

use async_compat::{Compat, CompatExt};
use ferrio::net::{TcpListener, TcpStream};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The trap, made safe to show: the panic is caught and its message printed.
fn trap() {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // the message is printed below instead
    let outcome = std::panic::catch_unwind(|| {
        // Created here, outside any Compat: tokio's timer is looked up now, and is not there.
        let sleep = tokio::time::sleep(Duration::from_millis(10));
        ferrio::run(Compat::new(sleep)); // never reached
    });
    std::panic::set_hook(quiet);
    let payload = outcome.expect_err("a tokio timer made outside Compat panics");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    println!("trap: tokio::time::sleep outside Compat panicked: {message}");
}

/// A tokio-io line server over ferrio's listener: each accepted ferrio `TcpStream` is
/// wrapped with `.compat()` and driven with tokio's `AsyncBufReadExt`/`AsyncWriteExt`.
async fn upper_case_server(listener: TcpListener) -> Result<(), Error> {
    let (stream, _) = listener.accept().await?;
    let (reader, mut writer) = tokio::io::split(stream.compat());
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        writer.write_all(line.to_uppercase().as_bytes()).await?;
        writer.write_all(b"\n").await?;
    }
    writer.shutdown().await?;
    Ok(())
}

fn main() -> Result<(), Error> {
    trap();

    ferrio::run(async {
        // The fix: create the tokio timer inside the Compat future.
        let start = Instant::now();
        Compat::new(async { tokio::time::sleep(Duration::from_millis(20)).await }).await;
        println!(
            "fix: tokio::time::sleep inside Compat slept {:?}",
            start.elapsed()
        );

        // tokio's timeout wraps a ferrio future too, as long as it is made inside Compat.
        let slow = ferrio::sleep(Duration::from_secs(3600));
        let timed_out =
            Compat::new(async { tokio::time::timeout(Duration::from_millis(10), slow).await })
                .await;
        assert!(timed_out.is_err());
        println!("fix: tokio::time::timeout over a ferrio sleep timed out as it should");

        // tokio I/O traits over ferrio's sockets.
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = ferrio::spawn(Compat::new(upper_case_server(listener)));
        let stream = TcpStream::connect(addr).await?.compat();
        let (reader, mut writer) = tokio::io::split(stream);
        Compat::new(async {
            writer.write_all(b"tokio io\nover ferrio sockets\n").await?;
            writer.shutdown().await?;
            let mut lines = BufReader::new(reader).lines();
            let mut got = Vec::new();
            while let Some(line) = lines.next_line().await? {
                println!("client got: {line}");
                got.push(line);
            }
            assert_eq!(got, ["TOKIO IO", "OVER FERRIO SOCKETS"]);
            Ok::<_, Error>(())
        })
        .await?;
        server.await.expect("the server task finished")?;
        Ok(())
    })
}
