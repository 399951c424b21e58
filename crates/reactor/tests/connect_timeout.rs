//! `wait_for` on a connect to a black-hole address (a loopback listener whose
//! backlog is full and which never accepts) gives the timeout error, and the
//! abandoned socket is closed.

mod common;

use std::time::Duration;

use ferrio_reactor::net::TcpStream;
use socket2::{Domain, Socket, Type};

#[test]
fn connect_timeout_closes_the_socket() {
    common::on_each_flavor(|| async {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        listener
            .bind(
                &"127.0.0.1:0"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();

        // Fill the accept queue; once it is full the kernel drops further SYNs and
        // a connect hangs until its timeout.
        let mut filled = Vec::new();
        let mut timed_out = false;
        for _ in 0..16 {
            let before = common::fd_count();
            match ferrio_core::wait_for(TcpStream::connect(addr), Duration::from_millis(300)).await
            {
                Ok(stream) => filled.push(stream.unwrap()),
                Err(ferrio_core::Elapsed { .. }) => {
                    assert_eq!(
                        common::fd_count(),
                        before,
                        "the abandoned socket stays open"
                    );
                    timed_out = true;
                    break;
                }
            }
        }
        assert!(
            timed_out,
            "no connect ever hung after {} filled the backlog",
            filled.len()
        );
    });
}
