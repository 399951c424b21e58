//! Awaiting one sleep after another takes the sum; `gather` runs them concurrently.
//!
//! ```text
//! cargo run --example sleep-sequential-vs-gather          # real time: about 9 s
//! cargo run --example sleep-sequential-vs-gather -- --fast  # virtual clock: instant
//! ```
//!
//! The asyncio tutorial's lesson: three sleeps of 1, 2 and 3 seconds awaited in a loop
//! take 6 seconds; handed to `gather` they take 3. With `--fast` the runtime runs on
//! a virtual clock that jumps to the next timer whenever every task is asleep, so
//! the program prints the same times without waiting for them.

use std::time::Duration;

use ferrio::Handle;

async fn async_sleep(num: u64) {
    println!("Sleeping {num} seconds.");
    ferrio::sleep(Duration::from_secs(num)).await;
}

async fn sequential() {
    let start = Handle::current().time();
    for i in 1..=3 {
        async_sleep(i).await;
    }
    let took = Handle::current().time() - start;
    println!("Took {:.2} seconds.", took.as_secs_f64());
}

async fn gathered() {
    let start = Handle::current().time();
    ferrio::gather((1..=3).map(async_sleep)).await;
    let took = Handle::current().time() - start;
    println!("Took {:.2} seconds.", took.as_secs_f64());
}

fn main() -> std::io::Result<()> {
    let fast = std::env::args().skip(1).any(|arg| arg == "--fast");
    let mut builder = ferrio::Runner::builder();
    if fast {
        builder = builder.clock(ferrio::clock::VirtualClock::auto_advance());
    }
    let runner = builder.build()?;
    runner.run(sequential());
    runner.run(gathered());
    Ok(())
}
