//! process-pool: CPU-bound work (counting primes in ranges) spread over worker
//! processes with `run_in_executor`, while the loop keeps answering a timer; prints
//! the wall time with one worker and with one per core.
//!
//! `cargo run --example process-pool` (add `--release` for a bigger, slower run)
//!
//! The workers are this program run again: `ferrio::executor_pool::init` at the top
//! of `main`, before `ferrio::run`, turns such a copy into a worker serving the
//! registered jobs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrio::executor_pool::{init, Job, Registry};
use ferrio::ProcessPool;

/// Counts the primes in `start..end`.
const COUNT_PRIMES: Job<(u64, u64), u64> = Job::new("count_primes");

fn count_primes((start, end): (u64, u64)) -> u64 {
    let is_prime = |n: u64| {
        n > 1
            && (2..)
                .take_while(|d| d * d <= n)
                .all(|d| !n.is_multiple_of(d))
    };
    (start..end).filter(|&n| is_prime(n)).count() as u64
}

fn jobs() -> Registry {
    let mut registry = Registry::new();
    registry.register(COUNT_PRIMES, count_primes);
    registry
}

/// Up to this bound, in this many chunks; debug builds do far less work.
const LIMIT: u64 = if cfg!(debug_assertions) {
    200_000
} else {
    4_000_000
};
const CHUNKS: u64 = 16;

/// Counts the primes below `LIMIT` on `workers` processes; returns the count, the
/// wall time, and how often a 50 ms timer on the loop fired meanwhile.
async fn count_with(workers: usize) -> std::io::Result<(u64, Duration, u32)> {
    let pool = ProcessPool::builder()
        .max_workers(workers)
        .min_workers(workers)
        .build()?;
    let started = Instant::now();
    // The loop stays free while the workers compute: a timer keeps firing.
    let ticks = Arc::new(AtomicU32::new(0));
    let timer_ticks = Arc::clone(&ticks);
    let timer = ferrio::create_task(async move {
        loop {
            ferrio::sleep(Duration::from_millis(50)).await;
            let tick = timer_ticks.fetch_add(1, Ordering::Relaxed) + 1;
            if tick.is_multiple_of(4) {
                println!(
                    "  timer: loop still answering at {} ms",
                    started.elapsed().as_millis()
                );
            }
        }
    });
    let step = LIMIT / CHUNKS;
    let jobs: Vec<_> = (0..CHUNKS)
        .map(|chunk| {
            ferrio::run_in_executor(&pool, COUNT_PRIMES.call((chunk * step, (chunk + 1) * step)))
        })
        .collect();
    let mut primes = 0;
    for job in jobs {
        primes += job.await.expect("count_primes does not fail");
    }
    let elapsed = started.elapsed();
    timer.cancel();
    pool.shutdown(true);
    Ok((primes, elapsed, ticks.load(Ordering::Relaxed)))
}

fn main() -> std::io::Result<()> {
    init(jobs); // a worker process serves jobs here and never returns

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    ferrio::run(async {
        println!("counting primes below {LIMIT} in {CHUNKS} chunks");
        println!("with 1 worker:");
        let (primes_one, one, ticks_one) = count_with(1).await?;
        println!("with {cores} workers:");
        let (primes_all, all, ticks_all) = count_with(cores).await?;
        assert_eq!(primes_one, primes_all, "both runs count the same primes");
        println!("{primes_one} primes below {LIMIT}");
        println!(
            "1 worker:  {:>5} ms (timer fired {ticks_one} times meanwhile)",
            one.as_millis()
        );
        println!(
            "{cores} workers: {:>5} ms (timer fired {ticks_all} times meanwhile)",
            all.as_millis()
        );
        Ok(())
    })
}
