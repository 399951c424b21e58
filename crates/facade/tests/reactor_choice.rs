//! `RunnerBuilder::reactor`: the loop parks on the chosen reactor kind, and sockets
//! work on each; the default is the platform's default kind.

use ferrio::reactor::{Reactor, ReactorKind};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

async fn echo_once() -> Vec<u8> {
    let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ferrio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let n = (&stream).read(&mut buf).await.unwrap();
        (&stream).write_all(&buf[..n]).await.unwrap();
    });
    let mut client = ferrio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(b"ping").await.unwrap();
    let mut back = [0u8; 4];
    client.read_exact(&mut back).await.unwrap();
    server.await.unwrap();
    back.to_vec()
}

#[test]
fn the_runner_uses_the_chosen_reactor() {
    for &kind in ReactorKind::available() {
        for multi_thread in [false, true] {
            let builder = ferrio::Runner::builder().reactor(kind);
            let builder = if multi_thread {
                builder.multi_thread().worker_threads(2)
            } else {
                builder
            };
            let runner = builder.build().unwrap();
            let (used, echoed) = runner.run(async {
                let used = Reactor::current().expect("a reactor").kind();
                (used, ferrio::spawn(echo_once()).await.unwrap())
            });
            assert_eq!(used, kind, "multi_thread: {multi_thread}");
            assert_eq!(echoed, b"ping");
        }
    }
}

#[test]
fn the_default_is_the_platforms_default() {
    let used = ferrio::run(async { Reactor::current().expect("a reactor").kind() });
    assert_eq!(used, ReactorKind::default());
    if cfg!(target_os = "linux") {
        assert_eq!(used, ReactorKind::Epoll);
    }
}
