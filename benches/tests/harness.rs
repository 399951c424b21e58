//! The bench harness itself: every runtime name builds, and the shared workload
//! bodies give the right results on each (small sizes; the timed sizes are in the
//! benches).

use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};

use ferrio_benches::workloads::{spawn_many, yield_many, ChainedSpawn, Mutex};
use ferrio_benches::{peers, with_runtime, Rt, Visit, Workload, EXTRAS};

/// Every runtime `with_runtime` knows: the peers and the ferrio extras.
fn runtimes() -> Vec<&'static str> {
    peers()
        .chain(EXTRAS.into_iter().filter(|e| *e != "std-blocking"))
        .collect()
}

struct Check {
    ran: Vec<&'static str>,
}

impl Visit for Check {
    fn visit<R: Rt>(&mut self, rt: &R) {
        assert_eq!(rt.block_on(spawn_many::<R>(1_000)), 999 * 1_000 / 2);
        assert_eq!(rt.block_on(yield_many::<R>(10, 50)), 500);
        rt.block_on(ChainedSpawn::run::<R>());
        rt.block_on(Mutex::run::<R>());
        let (woke, values) = rt.block_on(async {
            let (tx, rx) = R::shared_channel(4);
            let consumer = R::spawn(async move {
                let mut got = Vec::new();
                while let Some(v) = R::recv_shared(&rx).await {
                    got.push(v);
                }
                got
            });
            for v in 0..100u32 {
                R::send(&tx, v).await;
            }
            drop(tx);
            let values = consumer.await;
            R::sleep(Duration::from_millis(1)).await;
            let tripled = R::to_thread(|| 7 * 3).await;
            (tripled, values)
        });
        assert_eq!(woke, 21);
        assert_eq!(values, (0..100).collect::<Vec<_>>());
        if rt.name() != "ferrio-core-st" {
            // The bare core loop has no reactor; every other runtime does TCP.
            assert_eq!(rt.block_on(echo::<R>()), b"ping".repeat(10));
        }
        self.ran.push(rt.name());
    }
}

/// Ten 4-byte round trips through an echo server, over the trait's TCP.
async fn echo<R: Rt>() -> Vec<u8> {
    let listener = R::bind_local().await.expect("bind");
    let addr = R::local_addr(&listener);
    let server = R::spawn(async move {
        let mut stream = R::accept(&listener).await.expect("accept");
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf).await.expect("server read") {
                0 => return,
                n => stream.write_all(&buf[..n]).await.expect("server write"),
            }
        }
    });
    let mut stream = R::connect(addr).await.expect("connect");
    let mut echoed = Vec::new();
    for _ in 0..10 {
        stream.write_all(b"ping").await.expect("write");
        let mut back = [0u8; 4];
        stream.read_exact(&mut back).await.expect("read");
        echoed.extend_from_slice(&back);
    }
    drop(stream);
    server.await;
    echoed
}

#[test]
fn every_runtime_runs_the_shared_bodies() {
    let mut check = Check { ran: Vec::new() };
    for name in runtimes() {
        assert!(with_runtime(name, &mut check), "unknown runtime {name}");
    }
    assert_eq!(check.ran, runtimes());
}

#[test]
fn unknown_runtime_is_refused() {
    let mut check = Check { ran: Vec::new() };
    assert!(!with_runtime("no-such-runtime", &mut check));
    assert!(check.ran.is_empty());
}
