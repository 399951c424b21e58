//! `create_task` starts work at once; a bare future does nothing until awaited.
//!
//! ```text
//! cargo run --example create-task
//! ```
//!
//! The tutorial's two programs, with seconds scaled down to tenths of a second:
//!
//! 1. Five "requests" built as plain futures, then a 0.2 s sleep, then `gather`: the
//!    futures only start inside `gather`, so the whole takes 0.3 s, and `all_tasks`
//!    lists no task (the future given to `ferrio::run` is driven by the loop itself,
//!    not counted as a task). Created with `create_task`, they start at once and run
//!    during the sleep: 0.2 s, and five live tasks.
//! 2. Three tasks created in a row interleave at their awaits: all three print
//!    "Before sleeping." before any prints "After sleeping.".

use std::time::{Duration, Instant};

const UNIT: Duration = Duration::from_millis(100);

async fn get_request(url: u32) -> u32 {
    // Sending a request, as far as the loop is concerned, is an await.
    ferrio::sleep(UNIT).await;
    url
}

async fn make_requests_with_futures() -> Vec<u32> {
    let futures: Vec<_> = (1..=5).map(get_request).collect();
    println!("Number of tasks: {}", ferrio::all_tasks().len());
    // Yield to the loop; nothing else is scheduled, so nothing else runs.
    ferrio::sleep(2 * UNIT).await;
    ferrio::gather(futures).await
}

async fn make_requests_with_tasks() -> Vec<u32> {
    let tasks: Vec<_> = (1..=5)
        .map(|url| ferrio::create_task(get_request(url)))
        .collect();
    println!("Number of tasks: {}", ferrio::all_tasks().len());
    // The five tasks already run while this one sleeps.
    ferrio::sleep(2 * UNIT).await;
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("get_request does not fail"));
    }
    results
}

async fn sleepy_function(n: u32) {
    println!("Task {n}: Before sleeping.");
    ferrio::sleep(UNIT).await;
    println!("Task {n}: After sleeping.");
}

async fn main_coro() {
    for (label, with_tasks) in [("plain futures", false), ("create_task", true)] {
        println!("-- {label}");
        let start = Instant::now();
        let results = if with_tasks {
            make_requests_with_tasks().await
        } else {
            make_requests_with_futures().await
        };
        println!("{results:?}");
        println!("took {:.1} s", start.elapsed().as_secs_f64());
    }

    println!("-- three tasks interleave");
    let task1 = ferrio::create_task(sleepy_function(1));
    let task2 = ferrio::create_task(sleepy_function(2));
    let task3 = ferrio::create_task(sleepy_function(3));
    for task in [task1, task2, task3] {
        task.await.expect("sleepy_function does not fail");
    }
}

fn main() {
    ferrio::run(main_coro());
}
