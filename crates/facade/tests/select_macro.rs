//! `ferrio::select!`, `select_all` and `race_all` through the facade, with real
//! timers and sockets, on both flavours.

mod common;

use std::time::Duration;

use futures_lite::AsyncWriteExt;

#[test]
fn select_waits_for_the_first_of_a_timer_a_socket_and_a_task() {
    common::on_each_flavour(|_| async {
        let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = ferrio::spawn(async move {
            let mut stream = ferrio::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"hi").await.unwrap();
        });
        let winner = ferrio::select! {
            _ = ferrio::sleep(Duration::from_secs(30)) => "timer",
            accepted = listener.accept() => {
                accepted.expect("accept succeeds");
                "socket"
            }
            _ = ferrio::spawn(std::future::pending::<()>()) => "task",
        };
        assert_eq!(winner, "socket");
        client.await.unwrap();

        let winner = ferrio::select! {
            biased;
            _ = ferrio::sleep(Duration::from_millis(5)) => "short timer",
            _ = ferrio::sleep(Duration::from_secs(30)) => "long timer",
        };
        assert_eq!(winner, "short timer");
    });
}

#[test]
fn select_all_and_race_all_take_the_fastest_sleep() {
    common::on_each_flavour(|_| async {
        // The long ones never fire within the test: no load can reorder them.
        let delays = [30_000u64, 5, 20_000];
        let sleeps = delays.map(|ms| async move {
            ferrio::sleep(Duration::from_millis(ms)).await;
            ms
        });
        assert_eq!(ferrio::select_all(sleeps).await, (1, 5));
        let tasks: Vec<_> = delays
            .iter()
            .map(|&ms| {
                ferrio::spawn(async move {
                    ferrio::sleep(Duration::from_millis(ms)).await;
                    ms
                })
            })
            .collect();
        assert_eq!(ferrio::race_all(tasks).await.unwrap(), 5);
    });
}
