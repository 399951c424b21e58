//! Connecting to a closed port fails with `ConnectionRefused`, promptly.

mod common;

use std::io;
use std::time::{Duration, Instant};

use ferrio_reactor::net::TcpStream;

#[test]
fn connect_to_a_closed_port_is_refused_promptly() {
    common::on_each_flavor(|| async {
        // Bind then drop a listener: its port is now closed on loopback.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let started = Instant::now();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "refusal took {:?}",
            started.elapsed()
        );

        let err = ferrio_reactor::streams::open_connection(addr)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn connect_by_host_name_resolves_off_the_loop() {
    common::on_each_flavor(|| async {
        let listener = ferrio_reactor::net::TcpListener::bind(("localhost", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = TcpStream::connect(("localhost", port)).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        let stream = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        let err = TcpStream::connect("no-such-host.invalid:80")
            .await
            .unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
}
