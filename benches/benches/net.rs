//! Bench area `net`: `tcp_echo_rr` (50 clients x 1 000 round trips of 64 bytes over
//! loopback) and `tcp_bulk` (1 GiB over one loopback connection in 64 KiB writes)
//! on every runtime, plus plain blocking `std::net` threads (`std-blocking`, the
//! kernel's limit).
//!
//! Run: `cargo bench -p ferrio-benches --bench net`
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ferrio_benches::workloads::{
    echo_message, TcpBulk, TcpEchoRr, BULK_BYTES, BULK_WRITE, ECHO_CLIENTS, ECHO_ROUND_TRIPS,
};
use ferrio_benches::{bench, peers, Workload};

fn std_echo_rr() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let handlers: Vec<_> = (0..ECHO_CLIENTS)
            .map(|_| {
                let (mut stream, _) = listener.accept().unwrap();
                stream.set_nodelay(true).unwrap();
                thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => stream.write_all(&buf[..n]).unwrap(),
                        }
                    }
                })
            })
            .collect();
        for handler in handlers {
            handler.join().unwrap();
        }
    });
    let clients: Vec<_> = (0..ECHO_CLIENTS)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let message = echo_message();
                let mut back = [0u8; 64];
                for _ in 0..ECHO_ROUND_TRIPS {
                    stream.write_all(&message).unwrap();
                    stream.read_exact(&mut back).unwrap();
                    assert_eq!(back, message);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    server.join().unwrap();
}

fn std_bulk() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let chunk = vec![0x5Au8; BULK_WRITE];
        for _ in 0..BULK_BYTES / BULK_WRITE {
            stream.write_all(&chunk).unwrap();
        }
    });
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; BULK_WRITE];
    let mut total = 0;
    while total < BULK_BYTES {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        total += n;
    }
    sender.join().unwrap();
}

fn group<W: Workload>(c: &mut Criterion, blocking: fn()) {
    let mut group = c.benchmark_group(W::NAME);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    bench::<W>(&mut group, peers());
    group.bench_function("std-blocking", |b| b.iter(blocking));
    group.finish();
}

fn net(c: &mut Criterion) {
    group::<TcpEchoRr>(c, std_echo_rr);
    group::<TcpBulk>(c, std_bulk);
}

criterion_group!(benches, net);
criterion_main!(benches);
