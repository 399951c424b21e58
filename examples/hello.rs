//! Run a main coroutine: asyncio's `asyncio.run(main())` is `ferrio::run(main())`.
//!
//! ```text
//! cargo run --example hello
//! ```
//!
//! The asyncio tutorial's first program: an entry-point coroutine that awaits another
//! one, which returns a value.

async fn coro_func() -> &'static str {
    "Hello, asyncio!"
}

async fn main_coro() {
    println!("In the entrypoint coroutine.");
    // Calling an async fn only builds the future; nothing runs until it is awaited.
    let greeting = coro_func().await;
    println!("{greeting}");
}

fn main() {
    ferrio::run(main_coro());
}
