//! Runners built and dropped with work in flight: an echo server and its clients
//! mid-conversation, and blocking closures running on the thread pool. Each drop
//! must return quickly; descriptors and threads (but the blocking pool's, which outlive
//! runners until their idle timeout) must come back to their baseline; every
//! closure the pool started must still run to its end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrio::net::{TcpListener, TcpStream};
use ferrio::prelude::*;

use crate::report::{
    fd_targets, fds_beyond, open_fds, runner, settle, threads_but_blocking_pool, Budget, Report,
};

/// A drop slower than this counts as hung.
const DROP_LIMIT: Duration = Duration::from_secs(10);

pub(crate) fn run(share: Duration) -> Report {
    let mut report = Report::new();
    let mut budget = Budget::new(share);
    let started = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicU64::new(0));
    // A first round, uncounted, starts process-wide helpers.
    one(0, &started, &finished);
    let (fds, threads) = (open_fds(), threads_but_blocking_pool());
    let fd_baseline = fd_targets();
    let mut slow_drops = 0;
    let mut slowest = Duration::ZERO;
    while budget.another_round() {
        let elapsed = one(budget.rounds(), &started, &finished);
        slowest = slowest.max(elapsed);
        slow_drops += u64::from(elapsed > DROP_LIMIT);
    }
    // Closures still running on the pool end on their own.
    let all_ran = settle(Duration::from_secs(30), || {
        finished.load(Ordering::SeqCst) == started.load(Ordering::SeqCst)
    });
    let fds_back = settle(Duration::from_secs(5), || open_fds() <= fds);
    if !fds_back {
        eprintln!(
            "[soak] runner-drop: descriptors left open: {}",
            fds_beyond(&fd_baseline)
        );
    }
    let threads_back = settle(Duration::from_secs(5), || {
        threads_but_blocking_pool() <= threads
    });
    report
        .info("runners_dropped", budget.rounds())
        .info("closures_started", started.load(Ordering::SeqCst))
        .info("slowest_drop_ms", slowest.as_millis() as u64)
        .bad("slow_drops", slow_drops)
        .bad(
            "closures_never_finished",
            if all_ran {
                0
            } else {
                started.load(Ordering::SeqCst) - finished.load(Ordering::SeqCst)
            },
        )
        .bad(
            "fds_leaked",
            if fds_back {
                0
            } else {
                open_fds().saturating_sub(fds)
            },
        )
        .bad(
            "threads_leaked",
            if threads_back {
                0
            } else {
                threads_but_blocking_pool().saturating_sub(threads)
            },
        );
    report
}

/// Builds a runner, puts I/O and thread-pool work in flight, drops it; returns how
/// long the drop took.
fn one(round: u64, started: &Arc<AtomicU64>, finished: &Arc<AtomicU64>) -> Duration {
    let runner = runner(round, 4);
    let (started, finished) = (Arc::clone(started), Arc::clone(finished));
    runner.run(async move {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
            return;
        };
        let Ok(addr) = listener.local_addr() else {
            return;
        };
        ferrio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                ferrio::spawn(async move {
                    let mut buf = [0u8; 256];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                })
                .detach();
            }
        })
        .detach();
        for _ in 0..8 {
            ferrio::spawn(async move {
                let Ok(mut stream) = TcpStream::connect(addr).await else {
                    return;
                };
                let mut buf = [0u8; 64];
                loop {
                    if stream.write_all(&[7; 64]).await.is_err()
                        || stream.read_exact(&mut buf).await.is_err()
                    {
                        break;
                    }
                }
            })
            .detach();
        }
        for _ in 0..8 {
            let (started, finished) = (Arc::clone(&started), Arc::clone(&finished));
            ferrio::spawn(async move {
                loop {
                    let (started, finished) = (Arc::clone(&started), Arc::clone(&finished));
                    // Counted once running: a closure still queued when its awaiter
                    // is dropped is removed and never runs, by design.
                    let _ = ferrio::to_thread(move || {
                        started.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_micros(fastrand::u64(100..3_000)));
                        finished.fetch_add(1, Ordering::SeqCst);
                    })
                    .await;
                }
            })
            .detach();
        }
        ferrio::sleep(Duration::from_micros(fastrand::u64(1_000..20_000))).await;
    });
    let began = Instant::now();
    drop(runner);
    began.elapsed()
}
