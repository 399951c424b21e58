//! Managing the loop by hand, with try/except/finally: asyncio's
//! `loop.run_until_complete(main())` and the tutorials' `fetch_data_with_timeout`.
//!
//! ```text
//! cargo run --example run-until-complete
//! ```
//!
//! ```text
//! asyncio                                        ferrio
//! loop = asyncio.new_event_loop()                let runner = Runner::new();
//! try:                                           match runner.run(main()) {
//!     loop.run_until_complete(main())                Ok(v) => ...,
//! except Exception as e:                             Err(e) => log_error(e),
//!     log_error(e)                               }
//! finally:                                       runner.close();  (or drop: a guard's
//!     loop.close()                                                  Drop runs on every path)
//! ```
//!
//! Rust has no exceptions: a failing `main` returns `Err`, which the `match` handles,
//! and "finally" is code that runs on every path: here after the `match`, and in
//! `fetch_data_with_timeout` a guard whose `Drop` runs whether the fetch finished,
//! timed out or was cancelled. Closing the runner cancels the tasks still running,
//! and their clean-up runs before `close` returns.

use std::io;
use std::time::Duration;

use ferrio::Runner;

const UNIT: Duration = Duration::from_millis(50);
/// `wait_for`'s limit: well above the fast fetch, well below the slow one.
const TIMEOUT: Duration = Duration::from_millis(200);

/// Stands in for a slow I/O call: answers after `delay`.
async fn some_io_task(delay: Duration) -> io::Result<String> {
    ferrio::sleep(delay).await;
    Ok(format!("data after {} ms", delay.as_millis()))
}

/// Runs its clean-up on drop: Python's `finally:` block.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("  finally: cleanup_resources() for {}", self.0);
    }
}

/// The tutorial's `fetch_data_with_timeout`: `wait_for` with at most `timeout`;
/// `except asyncio.TimeoutError` handles expiry; the guard is the `finally`.
async fn fetch_data_with_timeout(name: &'static str, delay: Duration) -> Option<String> {
    let _finally = Cleanup(name);
    match ferrio::wait_for(some_io_task(delay), TIMEOUT).await {
        Ok(Ok(data)) => Some(data),
        Ok(Err(error)) => {
            println!("  except IOError: {error}");
            None
        }
        Err(ferrio::Elapsed { .. }) => {
            println!(
                "  except TimeoutError: {name} took longer than {} ms",
                TIMEOUT.as_millis()
            );
            None
        }
    }
}

/// A `main` that fails after starting a task it never awaits.
async fn main_that_fails() -> io::Result<()> {
    // Detached on purpose: dropping a `Task` handle leaves the task running.
    drop(ferrio::create_task(async {
        let _finally = Cleanup("the background task");
        ferrio::sleep(Duration::from_secs(3600)).await;
    }));
    ferrio::sleep(UNIT).await;
    Err(io::Error::new(
        io::ErrorKind::ConnectionRefused,
        "the server said no",
    ))
}

fn main() {
    println!("fetch_data_with_timeout, fast then slow:");
    let runner = Runner::new();
    let fast = runner.run(fetch_data_with_timeout("fast fetch", UNIT));
    println!("  result: {fast:?}");
    let slow = runner.run(fetch_data_with_timeout("slow fetch", 10 * UNIT));
    println!("  result: {slow:?}");
    assert!(fast.is_some() && slow.is_none());

    println!("run_until_complete(main()) with try/except/finally:");
    match runner.run(main_that_fails()) {
        Ok(()) => println!("  main finished"),
        Err(error) => println!("  except Exception: log_error({error})"),
    }
    // finally: loop.close() — cancels the task still sleeping; its clean-up runs now.
    println!("  finally: loop.close()");
    runner.close();
    println!("closed");
}
