//! `wait_for` gives up after a timeout and cancels the work it waited for.
//!
//! ```text
//! cargo run --example wait-for-timeout
//! ```
//!
//! The tutorial's `asyncio.wait_for(sleep_coro(2), timeout=1.0)` (seconds scaled
//! down to tenths): the coroutine needs 0.2 s, the timeout is 0.1 s, so `wait_for`
//! returns `Err(Elapsed)` and the coroutine is cancelled, which its clean-up guard
//! shows. Then the same with enough time, and `timeout_at` with a deadline.

use std::time::Duration;

const UNIT: Duration = Duration::from_millis(100);

/// Prints when the coroutine is dropped before it finished: that is cancellation.
struct CleanUp(u32);

impl Drop for CleanUp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        println!("clean-up of sleep_coro({}) ran", self.0);
    }
}

async fn sleep_coro(delay: u32) -> u32 {
    let _clean_up = CleanUp(delay);
    println!("Started sleeping for {delay} tenths of a second!");
    ferrio::sleep(UNIT * delay).await;
    println!("Finished sleeping for {delay} tenths of a second!");
    delay
}

async fn main_coro() {
    match ferrio::wait_for(sleep_coro(2), UNIT).await {
        Ok(delay) => println!("finished in time: {delay}"),
        Err(ferrio::Elapsed { .. }) => println!("timeout!"),
    }

    match ferrio::wait_for(sleep_coro(2), UNIT * 3).await {
        Ok(delay) => println!("finished in time: {delay}"),
        Err(_) => println!("timeout!"),
    }

    let deadline = ferrio::Handle::current().time() + UNIT;
    match ferrio::timeout_at(deadline, sleep_coro(3)).await {
        Ok(delay) => println!("finished before the deadline: {delay}"),
        Err(elapsed) => println!("deadline passed: {elapsed}"),
    }
}

fn main() {
    ferrio::run(main_coro());
}
