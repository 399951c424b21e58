//! Memory plateau: spawn, timer and connection loops for the scenario's whole
//! share on one runner, sampling resident memory (/proc/self/statm). After a
//! warm-up (the first quarter), resident memory must stay within [`ALLOWED_GROWTH_KIB`]
//! of its warm-up level.

use std::time::{Duration, Instant};

use ferrio::net::{TcpListener, TcpStream};
use ferrio::prelude::*;

use crate::report::{resident_kib, Report};

/// Growth past the warm-up level that counts as a leak. Allocator caches and the
/// timer wheel's buckets settle within the warm-up; a leak of even a few bytes per
/// iteration adds up past this over a long run.
const ALLOWED_GROWTH_KIB: u64 = 2 * 1024;

pub(crate) fn run(share: Duration) -> Report {
    plateau(share, false)
}

pub(crate) fn run_multi_thread(share: Duration) -> Report {
    plateau(share, true)
}

fn plateau(share: Duration, multi_thread: bool) -> Report {
    let builder = ferrio::Runner::builder().ctrl_c(Some(false));
    let runner = if multi_thread {
        builder.multi_thread().worker_threads(4)
    } else {
        builder.current_thread()
    }
    .build()
    .expect("the runner starts");
    let start = Instant::now();
    let warm_up_until = start + share / 4;
    let until = start + share;
    runner.run(async move {
        let mut iterations = 0u64;
        let mut errors = 0u64;
        let mut warm = None;
        let mut peak_after = 0;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("a bound address");
        ferrio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut byte = [0u8; 1];
                if stream.read_exact(&mut byte).await.is_ok() {
                    let _ = stream.write_all(&byte).await;
                }
            }
        })
        .detach();
        loop {
            iterations += 1;
            // Spawns.
            let tasks: Vec<_> = (0..1_000u64)
                .map(|n| ferrio::spawn(async move { n * 2 }))
                .collect();
            let sum: u64 = ferrio::gather(tasks)
                .await
                .into_iter()
                .map(|result| result.unwrap_or(0))
                .sum();
            errors += u64::from(sum != 999 * 1_000);
            // Timers, half cancelled.
            let timers: Vec<_> = (0..1_000u64)
                .map(|n| {
                    ferrio::spawn(async move {
                        ferrio::sleep(Duration::from_micros(n % 500)).await;
                    })
                })
                .collect();
            for timer in timers.iter().step_by(2) {
                timer.cancel();
            }
            drop(ferrio::gather(timers).await);
            // Connections.
            for _ in 0..20 {
                let cycle = async {
                    let mut stream = TcpStream::connect(addr).await?;
                    stream.write_all(&[1]).await?;
                    let mut echo = [0u8; 1];
                    stream.read_exact(&mut echo).await?;
                    std::io::Result::Ok(())
                };
                errors += u64::from(cycle.await.is_err());
            }
            let now = Instant::now();
            let rss = resident_kib();
            if now >= warm_up_until {
                match warm {
                    None => warm = Some(rss),
                    Some(_) => peak_after = peak_after.max(rss),
                }
            }
            if now >= until {
                break;
            }
        }
        let warm = warm.unwrap_or(0);
        let growth = peak_after.saturating_sub(warm);
        let mut report = Report::new();
        report
            .info("iterations", iterations)
            .info("rss_warm_kib", warm)
            .info("rss_peak_kib", peak_after.max(warm))
            .info("growth_kib", growth)
            .bad("errors", errors)
            .bad(
                "growth_over_limit_kib",
                growth.saturating_sub(ALLOWED_GROWTH_KIB),
            );
        report
    })
}
