//! Cross-thread wake storms: tasks on a multi-thread runner wait on their own queue;
//! foreign threads hand each one item at a time and wait for it to be taken, so
//! nearly every item wakes a parked task from another thread. A lost wake-up leaves
//! a task asleep with an item in its queue: the round's deadline counts it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrio_sync::Queue;

use crate::report::{Budget, Report};

const TASKS: usize = 32;
const FEEDERS: usize = 2;
/// Wakes per round, over all tasks.
const WAKES: u64 = 20_000;
/// How long one round may take before its missing items count as lost wake-ups.
const ROUND_LIMIT: Duration = Duration::from_secs(20);

struct Target {
    queue: Queue<u64>,
    taken: AtomicU64,
}

pub(crate) fn storm(workers: usize, share: Duration) -> Report {
    let mut report = Report::new();
    let mut budget = Budget::new(share);
    let runner = ferrio::Runner::builder()
        .ctrl_c(Some(false))
        .multi_thread()
        .worker_threads(workers)
        .build()
        .expect("the runner starts");
    while budget.another_round() {
        let targets: Arc<Vec<Target>> = Arc::new(
            (0..TASKS)
                .map(|_| Target {
                    queue: Queue::new(0),
                    taken: AtomicU64::new(0),
                })
                .collect(),
        );
        let deadline = Instant::now() + ROUND_LIMIT;
        let feeders: Vec<_> = (0..FEEDERS)
            .map(|feeder| {
                let targets = Arc::clone(&targets);
                std::thread::spawn(move || feed(&targets, feeder, deadline))
            })
            .collect();
        let received: u64 = runner.run(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|index| {
                    let targets = Arc::clone(&targets);
                    ferrio::spawn(async move {
                        let target = &targets[index];
                        // Ends when the queue is shut down and empty.
                        while target.queue.get().await.is_ok() {
                            target.taken.fetch_add(1, Ordering::Release);
                        }
                    })
                })
                .collect();
            // The feeders shut the queues down when done; a lost wake-up keeps a task
            // waiting, which the deadline ends.
            let _ = ferrio::timeout_at(deadline, ferrio::gather(tasks)).await;
            targets
                .iter()
                .map(|target| target.taken.load(Ordering::Acquire))
                .sum()
        });
        let sent: u64 = feeders
            .into_iter()
            .map(|feeder| feeder.join().expect("a feeder thread panicked"))
            .sum();
        report
            .info("wakes", received)
            .bad("lost", sent - received.min(sent))
            .bad("duplicated", received.saturating_sub(sent))
            .bad("short_rounds", u64::from(sent < WAKES));
    }
    report.info("rounds", budget.rounds());
    report
}

/// Feeds the tasks `feeder`, `feeder + FEEDERS`, ...: one item at a time each, the
/// next only once the last was taken. Returns how many items it put.
fn feed(targets: &[Target], feeder: usize, deadline: Instant) -> u64 {
    let mine: Vec<&Target> = targets.iter().skip(feeder).step_by(FEEDERS).collect();
    let quota = WAKES / FEEDERS as u64;
    let mut put = vec![0u64; mine.len()];
    let mut sent = 0;
    'feeding: while sent < quota {
        let mut progressed = false;
        for (index, target) in mine.iter().enumerate() {
            if sent == quota {
                break;
            }
            if target.taken.load(Ordering::Acquire) == put[index] {
                target
                    .queue
                    .put_nowait(sent)
                    .expect("an unbounded open queue takes every item");
                put[index] += 1;
                sent += 1;
                progressed = true;
            }
        }
        if !progressed {
            if Instant::now() > deadline {
                break 'feeding;
            }
            std::thread::yield_now();
        }
    }
    for target in &mine {
        target.queue.shutdown(false);
    }
    sent
}
