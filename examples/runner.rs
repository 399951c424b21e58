//! One `Runner`, several `run` calls: asyncio's `with asyncio.Runner() as runner:`.
//!
//! ```text
//! cargo run --example runner
//! ```
//!
//! The runtime lives as long as the `Runner`: a task spawned in one `run` keeps
//! running during the next, and dropping the runner closes it, cancelling what is
//! still running (its clean-up runs). The same code then runs on the multi-thread
//! flavour with two workers.

use std::time::Duration;

async fn async_sleep_for_one_tenth() {
    println!("started sleeping for 0.1 second!");
    ferrio::sleep(Duration::from_millis(100)).await;
    println!("Finished sleeping!");
}

struct Leftover;

impl Drop for Leftover {
    fn drop(&mut self) {
        println!("leftover task cancelled when the runner closed");
    }
}

fn main() -> std::io::Result<()> {
    {
        let runner = ferrio::Runner::new();
        runner.run(async_sleep_for_one_tenth());

        // A task spawned in the first run...
        #[allow(clippy::async_yields_async)] // returned unawaited on purpose
        let counter = runner.run(async {
            ferrio::spawn(async {
                ferrio::sleep(Duration::from_millis(50)).await;
                7
            })
        });
        // ...is awaited in the second.
        let value = runner.run(counter).expect("the counter task does not fail");
        println!("value from a task spawned in an earlier run: {value}");

        // A task nobody waits for is cancelled when the runner closes.
        runner.run(async {
            ferrio::spawn(async {
                let _leftover = Leftover;
                ferrio::sleep(Duration::from_secs(3600)).await;
            })
            .detach();
            // Let it start, so it holds its guard when the runner closes.
            ferrio::yield_now().await;
        });
        println!("closing the runner");
    }

    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(2)
        .build()?;
    let sums = runner.run(async {
        let tasks: Vec<_> = (0..4u64)
            .map(|i| ferrio::spawn(async move { (i * 1000..(i + 1) * 1000).sum::<u64>() }))
            .collect();
        let mut sums = Vec::new();
        for task in tasks {
            sums.push(task.await.expect("summing does not fail"));
        }
        sums
    });
    println!("sums computed on two workers: {sums:?}");
    println!("total: {}", sums.iter().sum::<u64>());
    Ok(())
}
