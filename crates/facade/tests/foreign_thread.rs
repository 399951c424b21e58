//! Foreign threads with I/O: `Handle::block_on` with a timer and a TCP loopback
//! connection, and sockets registered through `Handle::enter`, on both flavours.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ferrio::prelude::*;
use ferrio::Runner;

const DEADLINE: Duration = Duration::from_secs(10);

fn runners() -> [(&'static str, Runner); 2] {
    [
        ("single-thread", Runner::new()),
        (
            "multi-thread",
            Runner::builder()
                .multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
    ]
}

/// Connects to `addr` after a 20 ms timer, sends a line and reads the echo.
async fn timed_echo_client(addr: std::net::SocketAddr) -> (Duration, Vec<u8>) {
    let start = Instant::now();
    ferrio::sleep(Duration::from_millis(20)).await;
    let waited = start.elapsed();
    let mut stream = ferrio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut buf = vec![0; 4];
    stream.read_exact(&mut buf).await.unwrap();
    (waited, buf)
}

async fn echo_once(listener: ferrio::net::TcpListener) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = [0; 4];
    stream.read_exact(&mut buf).await.unwrap();
    stream.write_all(&buf).await.unwrap();
}

#[test]
fn block_on_from_a_foreign_thread_with_a_timer_and_a_tcp_connection() {
    for (name, runner) in runners() {
        let handle = runner.handle();
        let (tx, rx) = mpsc::channel();
        let out = runner.run(async move {
            let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = ferrio::spawn(echo_once(listener));
            let foreign = thread::spawn(move || {
                let _ = tx.send(handle.block_on(timed_echo_client(addr)));
            });
            // The runtime keeps running (it serves the echo) while the foreign
            // thread blocks; the wait for its answer does not block the loop.
            let answer = ferrio::to_thread(move || rx.recv_timeout(DEADLINE)).await;
            ferrio::timeout(DEADLINE, server).await.unwrap().unwrap();
            foreign.join().unwrap();
            answer
                .expect("the thread-pool job ran")
                .expect("the foreign block_on finished in time")
        });
        assert!(out.0 >= Duration::from_millis(20), "{name}: {:?}", out.0);
        assert_eq!(out.1, b"ping", "{name}");
    }
}

#[test]
fn block_on_from_a_foreign_thread_does_io_while_the_runtime_idles() {
    // Nobody runs the single-thread loop meanwhile: the foreign thread drives the
    // timers and the reactor itself.
    for (name, runner) in runners() {
        let handle = runner.handle();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let out = handle.block_on(async {
                let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let (client, ()) =
                    ferrio::gather!(timed_echo_client(addr), echo_once(listener)).await;
                client
            });
            let _ = tx.send(out);
        });
        let (waited, echoed) = rx.recv_timeout(DEADLINE).expect("finished in time");
        assert!(waited >= Duration::from_millis(20), "{name}: {waited:?}");
        assert_eq!(echoed, b"ping", "{name}");
        drop(runner);
    }
}

#[test]
fn enter_registers_a_foreign_threads_sockets_with_the_runtime() {
    for (name, runner) in runners() {
        let handle = runner.handle();
        let listener = thread::spawn(move || {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let plain = std_listener.try_clone().unwrap();
            // Without the guard there is no reactor on this thread.
            assert!(
                std::panic::catch_unwind(|| ferrio::net::TcpListener::from_std(plain)).is_err()
            );
            let _guard = handle.enter();
            ferrio::net::TcpListener::from_std(std_listener).unwrap()
        })
        .join()
        .unwrap();
        let addr = listener.local_addr().unwrap();
        let out = runner.run(async move {
            let server = ferrio::spawn(echo_once(listener));
            let client = timed_echo_client(addr);
            let (client, served) =
                ferrio::timeout(DEADLINE, async { ferrio::gather!(client, server).await })
                    .await
                    .expect("in time");
            served.unwrap();
            client.1
        });
        assert_eq!(out, b"ping", "{name}");
    }
}
