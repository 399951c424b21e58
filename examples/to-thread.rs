//! to-thread: a blocking call (a sleep, then a blocking file read) moved off the loop
//! with `to_thread`, while a ticker task on the loop keeps printing on time.
//!
//! `cargo run --example to-thread`
//!
//! Called directly on the loop, the blocking call would freeze the ticker for its
//! whole duration; on the thread pool, the loop stays free and the ticks arrive every
//! 100 ms as scheduled.

use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(100);

/// Blocks its thread: waits, then reads this program's own executable from disk.
fn blocking_work() -> std::io::Result<usize> {
    std::thread::sleep(Duration::from_millis(550));
    let bytes = std::fs::read(std::env::current_exe()?)?;
    Ok(bytes.len())
}

#[ferrio::main]
async fn main() -> std::io::Result<()> {
    let start = Instant::now();
    let ticker = ferrio::create_task(async move {
        let mut worst_delay = Duration::ZERO;
        for tick in 1..=6u32 {
            ferrio::sleep(TICK).await;
            let due = TICK * tick;
            let delay = start.elapsed().saturating_sub(due);
            worst_delay = worst_delay.max(delay);
            println!(
                "tick {tick} at {:>4} ms (due {:>3} ms)",
                start.elapsed().as_millis(),
                due.as_millis()
            );
        }
        worst_delay
    });

    let bytes = ferrio::to_thread(blocking_work)
        .await
        .expect("the closure does not panic")?;
    println!(
        "blocking call finished after {} ms on a pool thread: read {bytes} bytes",
        start.elapsed().as_millis()
    );

    let worst_delay = ticker.await.expect("the ticker does not panic");
    println!("worst tick delay: {} ms", worst_delay.as_millis());
    // Generous: a loaded machine may be late by a few ms, never by the 550 ms the
    // blocking call would have cost on the loop.
    assert!(
        worst_delay < Duration::from_millis(300),
        "the loop was blocked"
    );
    Ok(())
}
