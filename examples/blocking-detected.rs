//! Debug mode catches a blocking call inside a task while it blocks the loop.
//!
//! ```text
//! cargo run --example blocking-detected
//! ```
//!
//! The tutorial's `requests.get` lesson: a counter task wants to wake every
//! millisecond, but the main task makes a blocking call (here
//! `std::thread::sleep`, standing in for a synchronous HTTP request). Nothing else
//! can run on the loop until it returns, so the counter's first wait stretches to the
//! length of the call. With debug mode on, the watchdog reports the stall on stderr
//! *while* it happens (after 100 ms), with the task's name and where it was spawned,
//! and again with the total when the call returns. Then the same call moved to
//! `ferrio::to_thread` leaves the counter ticking on time. Finally
//! `ferrio::debug::dump()` lists the live tasks, like `python -m asyncio ps`.

use std::time::{Duration, Instant};

const BLOCKING_CALL: Duration = Duration::from_millis(300);

/// Stands in for `requests.get`: a synchronous call that holds its thread.
fn blocking_http_get() -> u16 {
    std::thread::sleep(BLOCKING_CALL);
    200
}

async fn counter() -> Duration {
    println!("Started counter");
    let mut longest = Duration::ZERO;
    for i in 0..10 {
        let last = Instant::now();
        ferrio::sleep(Duration::from_millis(1)).await;
        let asleep = last.elapsed();
        longest = longest.max(asleep);
        println!("{i}: Was asleep for {:.4}s", asleep.as_secs_f64());
    }
    longest
}

async fn request(blocking_on_loop: bool) -> Duration {
    let counter = ferrio::TaskBuilder::new().name("counter").spawn(counter());
    // Switch to the counter task so it starts its first sleep.
    ferrio::yield_now().await;
    println!("Sending HTTP request");
    let status = if blocking_on_loop {
        blocking_http_get()
    } else {
        ferrio::to_thread(blocking_http_get)
            .await
            .expect("the request does not panic")
    };
    println!("Got HTTP response with status {status}");
    counter.await.expect("the counter does not fail")
}

async fn main_coro() {
    println!("-- the blocking call on the loop (watch stderr)");
    let stalled = ferrio::TaskBuilder::new()
        .name("blocking-request")
        .spawn(request(true))
        .await
        .expect("the request does not fail");
    println!("longest counter wait: {:.3}s", stalled.as_secs_f64());

    println!("-- the blocking call on a thread with ferrio::to_thread");
    let smooth = ferrio::TaskBuilder::new()
        .name("threaded-request")
        .spawn(request(false))
        .await
        .expect("the request does not fail");
    println!("longest counter wait: {:.3}s", smooth.as_secs_f64());

    let idle = ferrio::TaskBuilder::new()
        .name("idle-worker")
        .spawn(ferrio::sleep(Duration::from_secs(60)));
    ferrio::yield_now().await;
    println!("-- live tasks");
    print!("{}", ferrio::debug::dump());
    idle.cancel();
}

fn main() -> std::io::Result<()> {
    let runner = ferrio::Runner::builder().debug(true).build()?;
    runner.run(main_coro());
    Ok(())
}
