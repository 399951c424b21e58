//! Closing a runner leaks nothing: descriptors (the reactor's poller, sockets) and
//! threads (workers, the debug watchdog) are back to their baseline after many runs.
//!
//! One test in this file, so nothing else in the process opens descriptors or
//! starts threads meanwhile.

#![cfg(target_os = "linux")]

use std::time::Duration;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn one_round() {
    // The default loop, with a socket pair and a leftover task holding a socket.
    ferrio::run(async {
        let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = ferrio::spawn(async move { ferrio::net::TcpStream::connect(addr).await });
        let (accepted, _) = listener.accept().await.unwrap();
        let connected = client.await.unwrap().unwrap();
        ferrio::spawn(async move {
            let _kept = (accepted, connected);
            ferrio::sleep(Duration::from_secs(3600)).await;
        })
        .detach();
        ferrio::yield_now().await;
    });
    // The multi-thread flavour in debug mode: workers and the watchdog thread.
    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(2)
        .debug(true)
        .build()
        .unwrap();
    let sum = runner.run(async {
        let tasks: Vec<_> = (0..50u64)
            .map(|i| ferrio::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 50 * 49 / 2);
}

#[test]
fn runners_give_back_descriptors_and_threads() {
    // Process-wide helpers (the signal thread, for instance) start once.
    one_round();
    let (fds, threads_before) = (open_fds(), threads());
    for _ in 0..20 {
        one_round();
    }
    assert_eq!(open_fds(), fds, "descriptors leaked");
    assert_eq!(threads(), threads_before, "threads leaked");
}
