//! 10 000 connect/close cycles a round over loopback: connect, send a byte, read the
//! echo, close; the server closes its end too. Descriptors must be back to their
//! baseline once each round's runner is gone, and no cycle may fail.

use std::time::{Duration, Instant};

use ferrio::net::{TcpListener, TcpStream};
use ferrio::prelude::*;

use crate::report::{open_fds, runner, settle, Budget, Report};

const CYCLES: u64 = 10_000;
const ROUND_LIMIT: Duration = Duration::from_secs(120);

pub(crate) fn run(share: Duration) -> Report {
    let mut report = Report::new();
    let mut budget = Budget::new(share);
    // Process-wide helpers that open descriptors once (the reactor's signal pipe,
    // say) do so in a first, uncounted round.
    runner(0, 2).run(cycles(100));
    let baseline = open_fds();
    let mut worst_leak = 0;
    while budget.another_round() {
        let runner = runner(budget.rounds(), 2);
        let (done, errors) = runner.run(cycles(CYCLES));
        drop(runner);
        // A descriptor closed by a task that is still finishing on another thread
        // shows up a moment later: settle, with a deadline.
        settle(Duration::from_secs(5), || open_fds() <= baseline);
        worst_leak = worst_leak.max(open_fds().saturating_sub(baseline));
        report
            .info("cycles", done)
            .bad("cycle_errors", errors)
            .bad("cycles_missing", CYCLES.saturating_sub(done).min(CYCLES));
    }
    report
        .info("rounds", budget.rounds())
        .info("fds_baseline", baseline)
        .bad("fds_leaked", worst_leak);
    report
}

/// Runs `count` cycles; returns how many completed and how many failed.
async fn cycles(count: u64) -> (u64, u64) {
    let deadline = Instant::now() + ROUND_LIMIT;
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(_) => return (0, count),
    };
    let Ok(addr) = listener.local_addr() else {
        return (0, count);
    };
    let server = ferrio::spawn(async move {
        let mut errors = 0u64;
        for _ in 0..count {
            let Ok((mut stream, _)) = listener.accept().await else {
                errors += 1;
                continue;
            };
            let mut byte = [0u8; 1];
            if stream.read_exact(&mut byte).await.is_err() || stream.write_all(&byte).await.is_err()
            {
                errors += 1;
            }
        }
        errors
    });
    let client = async move {
        let (mut done, mut errors) = (0u64, 0u64);
        for n in 0..count {
            let byte = [n as u8];
            let mut echo = [0u8; 1];
            let cycle = async {
                let mut stream = TcpStream::connect(addr).await?;
                stream.write_all(&byte).await?;
                stream.read_exact(&mut echo).await?;
                std::io::Result::Ok(())
            };
            match cycle.await {
                Ok(()) if echo == byte => done += 1,
                _ => errors += 1,
            }
        }
        (done, errors)
    };
    match ferrio::timeout_at(deadline, client).await {
        Ok((done, client_errors)) => {
            let server_errors = ferrio::timeout_at(deadline, server)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(count);
            (done, client_errors + server_errors)
        }
        Err(_) => (0, count),
    }
}
