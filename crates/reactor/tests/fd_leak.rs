//! Dropped streams and listeners deregister and close: 10 000 connections opened
//! and closed leave the process's descriptor count where it started.

mod common;

use std::sync::Arc;

use ferrio_reactor::net::{TcpListener, TcpStream};

#[cfg(not(miri))]
const CONNECTIONS: usize = 10_000;
#[cfg(miri)]
const CONNECTIONS: usize = 10;

#[test]
fn ten_thousand_connections_leave_no_descriptor_behind() {
    for &kind in ferrio_reactor::ReactorKind::available() {
        connections_leave_no_descriptor_behind(kind);
    }
}

fn connections_leave_no_descriptor_behind(kind: ferrio_reactor::ReactorKind) {
    let rt = common::runtime_with(kind, ferrio_core::Flavor::CurrentThread);
    let mt = common::runtime_with(kind, ferrio_core::Flavor::MultiThread);
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
    assert_eq!(sources_before, sources_after, "{kind:?}");
    mt.block_on(async {
        ferrio_core::spawn(async {
            let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            // Four tasks on both workers, each connecting and then accepting one
            // connection (not necessarily its own), so the accept queue never
            // overflows into SYN retransmissions.
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let listener = listener.clone();
                    ferrio_core::spawn(async move {
                        for _ in 0..CONNECTIONS / 8 {
                            let client = TcpStream::connect(addr).await.unwrap();
                            let (server_side, _) = listener.accept().await.unwrap();
                            drop(client);
                            drop(server_side);
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    assert_eq!(common::fd_count(), baseline, "{kind:?}");
}
