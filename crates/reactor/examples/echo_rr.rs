//! An echo workload for counting syscalls: 50 clients x 1 000 round trips of 64
//! bytes over loopback on a single-thread runtime with a reactor, the shape of the
//! `tcp_echo_rr` bench.
//!
//! Run: `cargo build --release -p ferrio-reactor --example echo_rr`, then
//! `strace -c -f target/release/examples/echo_rr [polling|epoll]` and divide the
//! counts by the 50 000 round trips it prints.

use ferrio_reactor::net::{TcpListener, TcpStream};
use ferrio_reactor::{Reactor, ReactorKind};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 50;
const ROUND_TRIPS: usize = 1_000;
const MESSAGE: usize = 64;

fn main() -> std::io::Result<()> {
    let kind = match std::env::args().nth(1).as_deref() {
        None => ReactorKind::default(),
        Some("polling") => ReactorKind::Polling,
        Some("epoll") => ReactorKind::Epoll,
        Some(other) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("unknown reactor {other:?}: expected polling or epoll"),
            ))
        }
    };
    let rt = ferrio_core::Builder::new()
        .driver(Reactor::with_kind(kind)?)
        .flavor(ferrio_core::Flavor::CurrentThread)
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = ferrio_core::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                stream.set_nodelay(true).expect("nodelay");
                ferrio_core::spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        match (&stream).read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => (&stream).write_all(&buf[..n]).await.expect("echo"),
                        }
                    }
                })
                .detach();
            }
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                ferrio_core::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await?;
                    stream.set_nodelay(true)?;
                    let msg = [7u8; MESSAGE];
                    let mut back = [0u8; MESSAGE];
                    for _ in 0..ROUND_TRIPS {
                        stream.write_all(&msg).await?;
                        stream.read_exact(&mut back).await?;
                        assert_eq!(back, msg);
                    }
                    std::io::Result::Ok(())
                })
            })
            .collect();
        for client in clients {
            client.await.expect("client task")?;
        }
        server.cancel();
        println!("{} round trips on {kind:?}", CLIENTS * ROUND_TRIPS);
        std::io::Result::Ok(())
    })
}
