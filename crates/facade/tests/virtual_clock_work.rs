//! A self-advancing virtual clock jumps only when every task waits on timers
//! alone: thread-pool jobs, I/O that is ready and child processes hold it.

use std::time::{Duration, Instant};

use ferrio::clock::VirtualClock;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

fn runners(clock: &VirtualClock) -> [(ferrio::Runner, &'static str); 2] {
    [
        (
            ferrio::Runner::builder()
                .clock(clock.clone())
                .build()
                .unwrap(),
            "current-thread",
        ),
        (
            ferrio::Runner::builder()
                .multi_thread()
                .worker_threads(2)
                .clock(clock.clone())
                .build()
                .unwrap(),
            "multi-thread",
        ),
    ]
}

#[test]
fn a_to_thread_job_under_wait_for_gives_its_real_result() {
    let clock = VirtualClock::auto_advance();
    for (runner, flavor) in runners(&clock) {
        let out = runner.run(async {
            ferrio::wait_for(
                ferrio::to_thread(|| {
                    std::thread::sleep(Duration::from_millis(50));
                    42
                }),
                Duration::from_secs(1),
            )
            .await
        });
        assert_eq!(out.map(Result::unwrap), Ok(42), "{flavor}");
        // A thread pool passed by hand too.
        let pool = ferrio::ThreadPool::new();
        let out = runner.run(async {
            ferrio::wait_for(
                ferrio::run_in_executor(&pool, || {
                    std::thread::sleep(Duration::from_millis(30));
                    7
                }),
                Duration::from_secs(1),
            )
            .await
        });
        assert_eq!(out.map(Result::unwrap), Ok(7), "{flavor}");
    }
}

#[test]
fn a_socket_read_from_a_local_peer_gives_its_real_result() {
    let clock = VirtualClock::auto_advance();
    for (runner, flavor) in runners(&clock) {
        let out = runner.run(async {
            let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let peer = ferrio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                // The peer computes its answer on the thread pool first.
                let line = ferrio::to_thread(|| {
                    std::thread::sleep(Duration::from_millis(30));
                    b"hello\n".to_vec()
                })
                .await
                .unwrap();
                stream.write_all(&line).await.unwrap();
                stream.flush().await.unwrap();
            });
            let out = ferrio::wait_for(
                async move {
                    let mut stream = ferrio::net::TcpStream::connect(addr).await.unwrap();
                    let mut buf = vec![0; 6];
                    stream.read_exact(&mut buf).await.unwrap();
                    buf
                },
                Duration::from_secs(1),
            )
            .await;
            peer.await.unwrap();
            out
        });
        assert_eq!(out.as_deref(), Ok(&b"hello\n"[..]), "{flavor}");
    }
}

#[test]
fn a_subprocess_under_wait_for_gives_its_real_result() {
    let clock = VirtualClock::auto_advance();
    for (runner, flavor) in runners(&clock) {
        let out = runner.run(async {
            ferrio::wait_for(
                ferrio::process::Command::new("sh")
                    .arg("-c")
                    .arg("sleep 0.1; echo done")
                    .output(),
                Duration::from_secs(1),
            )
            .await
        });
        let output = out.expect("no false timeout").unwrap();
        assert!(output.status.success(), "{flavor}");
        assert_eq!(output.stdout, b"done\n", "{flavor}");
    }
}

#[test]
fn pure_timer_code_still_jumps_after_real_work_ended() {
    let clock = VirtualClock::auto_advance();
    for (runner, flavor) in runners(&clock) {
        let before = clock.elapsed();
        let real = Instant::now();
        runner.run(async {
            ferrio::to_thread(|| 1).await.unwrap();
            for _ in 0..3600 {
                ferrio::sleep(Duration::from_secs(1)).await;
            }
        });
        assert!(
            clock.elapsed() - before >= Duration::from_secs(3600),
            "{flavor}"
        );
        assert!(
            real.elapsed() < Duration::from_secs(30),
            "{flavor}: {:?}",
            real.elapsed()
        );
    }
}

#[test]
fn a_timeout_still_fires_on_a_virtual_clock_when_nothing_real_runs() {
    let clock = VirtualClock::auto_advance();
    for (runner, flavor) in runners(&clock) {
        let real = Instant::now();
        let out = runner.run(async {
            ferrio::wait_for(std::future::pending::<()>(), Duration::from_secs(60)).await
        });
        assert!(out.is_err(), "{flavor}");
        assert!(real.elapsed() < Duration::from_secs(30), "{flavor}");
    }
}

/// Many rounds of real work in one runtime, each followed by a virtual sleep: the
/// jobs' lengths sweep the end of the work across the driver holder's wake-up and
/// idle check, where a lost unpark left the holder parked without a deadline.
#[test]
fn the_clock_jumps_after_each_of_many_real_jobs() {
    const ROUNDS: u32 = 1000;
    let clock = VirtualClock::auto_advance();
    for (runner, flavor) in runners(&clock) {
        let before = clock.elapsed();
        let (tx, rx) = std::sync::mpsc::channel();
        let real = Instant::now();
        let rounds = std::thread::spawn(move || {
            runner.run(async {
                for i in 0..ROUNDS {
                    let job = move || {
                        let start = Instant::now();
                        let spin = Duration::from_micros(u64::from(i % 16) * 10);
                        while start.elapsed() < spin {
                            std::hint::spin_loop();
                        }
                        i
                    };
                    assert_eq!(ferrio::to_thread(job).await.unwrap(), i);
                    ferrio::sleep(Duration::from_secs(1)).await;
                }
            });
            let _ = tx.send(());
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(()) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("{flavor}: the clock stopped jumping")
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => rounds.join().unwrap(),
        }
        assert!(
            clock.elapsed() - before >= Duration::from_secs(u64::from(ROUNDS)),
            "{flavor}"
        );
        assert!(
            real.elapsed() < Duration::from_secs(30),
            "{flavor}: {:?}",
            real.elapsed()
        );
    }
}
