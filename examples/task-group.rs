//! `TaskGroup`: children that never outlive the group; the first failure cancels
//! the rest and is reported.
//!
//! ```text
//! cargo run --example task-group
//! ```
//!
//! The tutorial's `async with asyncio.TaskGroup() as tg:` (seconds scaled down to
//! tenths): two children sleep 0.2 s and 0.3 s, the group waits for both (0.3 s in
//! all), and their values are read afterwards. Then a group where one child fails:
//! its sibling is cancelled at once (its clean-up runs) and `join` reports which
//! child failed and why, as asyncio raises an `ExceptionGroup`. `#[ferrio::main]`
//! runs the `async fn main` the way `ferrio::run` would.

use std::time::{Duration, Instant};

use ferrio::combinators::FailureKind;
use ferrio::TaskGroup;

const UNIT: Duration = Duration::from_millis(100);

#[derive(Debug)]
struct RequestFailed(&'static str);

impl std::fmt::Display for RequestFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request failed: {}", self.0)
    }
}

/// Prints when the coroutine is dropped before it finished: that is cancellation.
struct CleanUp(u32);

impl Drop for CleanUp {
    fn drop(&mut self) {
        println!("sleep_coro({}) was cancelled; its clean-up ran", self.0);
    }
}

async fn sleep_coro(delay: u32) -> Result<u32, RequestFailed> {
    let clean_up = CleanUp(delay);
    println!("Started sleeping for {delay} tenths of a second!");
    ferrio::sleep(UNIT * delay).await;
    println!("Finished sleeping for {delay} tenths of a second!");
    std::mem::forget(clean_up);
    Ok(delay)
}

async fn failing_request() -> Result<u32, RequestFailed> {
    ferrio::sleep(UNIT).await;
    Err(RequestFailed("connection refused"))
}

#[ferrio::main]
async fn main() {
    println!("Before running task group!");
    let start = Instant::now();
    let tg = TaskGroup::new();
    let task1 = tg.create_task(sleep_coro(2));
    let task2 = tg.create_task(sleep_coro(3));
    tg.join().await.expect("no child fails");
    println!(
        "After running task group! ({:.1} s)",
        start.elapsed().as_secs_f64()
    );
    let (value1, value2) = (task1.await.unwrap(), task2.await.unwrap());
    println!("task1: {value1}, task2: {value2}");

    println!("-- a child fails");
    let tg = TaskGroup::new();
    let slow = tg.create_task(sleep_coro(50));
    tg.create_task(failing_request());
    let error = tg
        .join()
        .await
        .expect_err("the failing child fails the group");
    match &error.first().kind {
        FailureKind::Error(error) => println!("the group failed: {error}"),
        FailureKind::Panic(_) => unreachable!("the child returned an error"),
    }
    println!("failed child: #{}", error.index());
    println!("the slow sibling: {:?}", slow.await.unwrap_err());
}
