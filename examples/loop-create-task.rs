//! `loop.create_task`: starting a task through the loop object, as the tutorials'
//! `loop = asyncio.get_event_loop(); task1 = loop.create_task(sleep_coro(1))`.
//!
//! ```text
//! cargo run --example loop-create-task
//! ```
//!
//! `ferrio::Handle::current()` is asyncio's `get_running_loop()`, and
//! `handle.spawn(fut)` its `loop.create_task(coro)`: the same as
//! `ferrio::create_task`, but the handle can be kept and used from any thread,
//! as the second half shows (asyncio would need `run_coroutine_threadsafe` there).
//! Seconds are scaled down to tenths.
//!
//! ```text
//! asyncio                                       ferrio
//! loop = asyncio.get_event_loop()               let handle = ferrio::Handle::current();
//! task1 = loop.create_task(sleep_coro(1))       let task1 = handle.spawn(sleep_coro(1));
//! await task1                                   task1.await
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

const SECOND: Duration = Duration::from_millis(100);

/// What happened, in order: `true` for a start, `false` for a finish.
static EVENTS: Mutex<Vec<bool>> = Mutex::new(Vec::new());

async fn sleep_coro(delay: u32) -> u32 {
    println!("Started sleeping for {delay} seconds!");
    EVENTS.lock().unwrap().push(true);
    ferrio::sleep(SECOND * delay).await;
    println!("Finished sleeping for {delay} seconds!");
    EVENTS.lock().unwrap().push(false);
    delay
}

#[ferrio::main]
async fn main() {
    // ex_2_6: the loop's create_task, then await the task.
    let handle = ferrio::Handle::current();
    let task1 = handle.spawn(sleep_coro(1));
    assert_eq!(task1.await.expect("the task finishes"), 1);

    // Two tasks through the loop run concurrently, as with create_task: both start
    // before either finishes.
    EVENTS.lock().unwrap().clear();
    let started = Instant::now();
    let task1 = handle.spawn(sleep_coro(1));
    let task2 = handle.spawn(sleep_coro(1));
    let (a, b) = (task1.await, task2.await);
    assert_eq!((a.unwrap(), b.unwrap()), (1, 1));
    println!(
        "two one-second tasks took {} ms together",
        started.elapsed().as_millis()
    );
    let events = EVENTS.lock().unwrap().clone();
    assert_eq!(events, [true, true, false, false], "they overlapped");

    // The handle is Send: another thread can start a task on this loop.
    let from_thread = std::thread::spawn({
        let handle = handle.clone();
        move || handle.spawn(sleep_coro(2))
    })
    .join()
    .expect("the thread spawned the task");
    assert_eq!(from_thread.await.expect("the task finishes"), 2);
    println!("a task created from another thread ran on the loop");
}
