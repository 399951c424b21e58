//! An explicit thread-pool executor: asyncio's
//! `with ThreadPoolExecutor() as pool: await loop.run_in_executor(pool, blocking_io_function)`.
//!
//! ```text
//! cargo run --example thread-pool-executor
//! ```
//!
//! A `ThreadPool` of four threads runs four blocking I/O calls (each a 200 ms stall,
//! then a blocking read of the first 64 KiB of this program's own file) at once, while a ticker on the
//! loop keeps ticking; then `shutdown(true)` waits for the pool's threads, as leaving
//! the `with` block does. `to_thread` is the same on the shared default pool; the
//! process-pool counterpart is `cargo run --example process-pool`.
//!
//! ```text
//! asyncio                                             ferrio
//! with ThreadPoolExecutor(max_workers=4) as pool:     let pool = ThreadPool::builder().max_threads(4).build();
//!     loop = asyncio.get_running_loop()
//!     await loop.run_in_executor(pool, f)             run_in_executor(&pool, f).await
//! (leaving the with block)                            pool.shutdown(true)
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrio::{run_in_executor, ThreadPool};

const CALLS: usize = 4;
const STALL: Duration = Duration::from_millis(200);

/// Blocks its thread: a stall, then a blocking read of the start of this program's
/// executable.
fn blocking_io_function(call: usize) -> std::io::Result<(usize, usize)> {
    use std::io::Read;

    std::thread::sleep(STALL);
    let mut bytes = Vec::new();
    std::fs::File::open(std::env::current_exe()?)?
        .take(64 * 1024)
        .read_to_end(&mut bytes)?;
    Ok((call, bytes.len()))
}

/// Ticks every 50 ms until cancelled, counting the ticks.
async fn ticker(started: Instant, ticks: Arc<AtomicUsize>) {
    let mut interval = ferrio::interval(Duration::from_millis(50));
    loop {
        interval.tick().await;
        let n = ticks.fetch_add(1, Ordering::Relaxed) + 1;
        println!("tick {n} at {:>4} ms", started.elapsed().as_millis());
    }
}

#[ferrio::main]
async fn main() -> std::io::Result<()> {
    let pool = ThreadPool::builder().max_threads(CALLS).build();
    let started = Instant::now();
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = ferrio::create_task(ticker(started, Arc::clone(&ticks)));

    let calls = (0..CALLS).map(|call| run_in_executor(&pool, move || blocking_io_function(call)));
    for result in ferrio::gather(calls).await {
        let (call, size) = result.expect("the pool runs the call")?;
        println!("Blocking I/O function result: call {call} read {size} bytes");
    }
    let elapsed = started.elapsed();
    println!(
        "{CALLS} blocking calls of {} ms each took {} ms together",
        STALL.as_millis(),
        elapsed.as_millis()
    );

    let ticked = ticks.load(Ordering::Relaxed);
    ticker.cancel();
    pool.shutdown(true); // the end of `with ThreadPoolExecutor() as pool:`
    assert!(pool.is_shutdown());
    // The loop was free while the pool blocked: the ticker kept ticking (about one
    // tick per 50 ms; a generous bound).
    println!("the loop ticked {ticked} times meanwhile");
    assert!(ticked >= 2, "the loop ticked only {ticked} times");
    Ok(())
}
