//! Values come back from awaited futures, from tasks, and from `gather` in order.
//!
//! ```text
//! cargo run --example return-values
//! ```
//!
//! asyncio's `result = await coro()`, `task.result()` and the list that `gather`
//! returns, plus what asyncio raises from `task.result()` when the task failed: in
//! ferrio, awaiting a `Task` gives `Ok(value)` or a `TaskError` that says whether the
//! task was cancelled or panicked, with the panic's message.

use std::time::Duration;

async fn nested() -> u32 {
    42
}

async fn get_request(url: u32) -> u32 {
    // Later URLs answer sooner, yet gather keeps the argument order.
    ferrio::sleep(Duration::from_millis(10 * u64::from(6 - url))).await;
    url
}

async fn main_coro() {
    // Awaiting a coroutine returns its value.
    println!("{}", nested().await);

    // A task's value comes back when the task is awaited.
    let task = ferrio::create_task(nested());
    println!("task {} returned {:?}", task.id(), task.await);

    // gather returns the results in argument order, not completion order.
    let results = ferrio::gather((1..=5).map(get_request)).await;
    println!("{results:?}");

    // A task that panics does not take the loop down; its handle reports it.
    let failing = ferrio::TaskBuilder::new()
        .name("failing")
        .spawn(async { panic!("the request failed") });
    match failing.await {
        Err(error) if error.is_panic() => {
            println!("task panicked: {}", error.panic_message().unwrap_or("?"))
        }
        other => unreachable!("a panicking task reports its panic, got {other:?}"),
    }

    // A cancelled task reports that it was cancelled.
    let slow = ferrio::create_task(ferrio::sleep(Duration::from_secs(60)));
    slow.cancel();
    match slow.await {
        Err(error) if error.is_cancelled() => println!("task was cancelled"),
        other => unreachable!("a cancelled task reports cancellation, got {other:?}"),
    }
}

fn main() {
    ferrio::run(main_coro());
}
