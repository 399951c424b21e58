//! Dropped streams and listeners deregister and close: 10 000 connections opened
//! and closed leave the process's descriptor count where it started.

mod common;

use ferrio_reactor::net::{TcpListener, TcpStream};

#[cfg(not(miri))]
const CONNECTIONS: usize = 10_000;
#[cfg(miri)]
const CONNECTIONS: usize = 10;

#[test]
fn ten_thousand_connections_leave_no_descriptor_behind() {
    let rt = common::runtime(ferrio_core::Flavor::CurrentThread);
    let mt = common::runtime(ferrio_core::Flavor::MultiThread);
    let baseline = common::fd_count();
    let (sources_before, sources_after) = rt.block_on(async {
        let reactor = ferrio_reactor::Reactor::current().unwrap();
        let before = reactor.source_count();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for _ in 0..CONNECTIONS / 2 {
            let client = TcpStream::connect(addr).await.unwrap();
            let (server_side, _) = listener.accept().await.unwrap();
            drop(client);
            drop(server_side);
        }
        drop(listener);
        (before, reactor.source_count())
    });
    assert_eq!(sources_before, sources_after);
    mt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = ferrio_core::spawn(async move {
            for _ in 0..CONNECTIONS / 2 {
                drop(listener.accept().await.unwrap());
            }
        });
        for _ in 0..CONNECTIONS / 2 {
            drop(TcpStream::connect(addr).await.unwrap());
        }
        acceptor.await.unwrap();
    });
    assert_eq!(common::fd_count(), baseline);
}
