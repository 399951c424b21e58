//! The tutorials' producer/consumer program: one producer, N consumers sharing an
//! asyncio-style `Queue`, `task_done()`/`join()` to wait for the work, then a clean
//! `shutdown()` that ends the consumers.
//!
//! `cargo run --example producer-consumer`
//!
//! ```text
//! asyncio                                   ferrio
//! queue = asyncio.Queue(maxsize=4)          let queue = Queue::new(4);
//! await queue.put(item)                     queue.put(item).await?
//! item = await queue.get()                  let item = queue.get().await?
//! queue.task_done()                         queue.task_done()?
//! await queue.join()                        queue.join().await
//! queue.shutdown()                          queue.shutdown(false)
//! except asyncio.QueueShutDown              Err(QueueShutDown(..))
//! ```

use std::time::Duration;

use ferrio::sync::Queue;

const CONSUMERS: usize = 3;
const JOBS: u64 = 12;

/// Puts `JOBS` jobs on the queue, waiting whenever the queue is full.
async fn producer(queue: Queue<u64>) {
    for job in 1..=JOBS {
        queue
            .put(job)
            .await
            .expect("the queue is open while producing");
        println!(
            "producer  put job {job:>2}        (queue size {})",
            queue.qsize()
        );
        ferrio::sleep(Duration::from_millis(1)).await;
    }
}

/// Handles jobs until the queue is shut down; returns the jobs it handled.
async fn consumer(id: usize, queue: Queue<u64>) -> Vec<u64> {
    let mut handled = Vec::new();
    // `get` fails with `QueueShutDown` once the queue is shut down and drained.
    while let Ok(job) = queue.get().await {
        // Pretend to work: longer jobs take longer.
        ferrio::sleep(Duration::from_millis(4 + job % 4)).await;
        println!(
            "consumer {id} handled job {job:>2} (queue size {})",
            queue.qsize()
        );
        handled.push(job);
        queue.task_done().expect("one task_done per job got");
    }
    handled
}

#[ferrio::main]
async fn main() {
    let queue = Queue::new(4);
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|id| ferrio::create_task(consumer(id, queue.clone())))
        .collect();

    producer(queue.clone()).await;
    // Every job put has been marked done once `join` returns.
    queue.join().await;
    println!("all {JOBS} jobs done; shutting the queue down");
    queue.shutdown(false);

    let mut total = 0;
    for (id, consumer) in consumers.into_iter().enumerate() {
        let handled = consumer.await.expect("consumers do not panic");
        println!("consumer {id} handled {} jobs: {handled:?}", handled.len());
        total += handled.len();
    }
    assert_eq!(total as u64, JOBS);
}
