//! Cancellation at random points: tasks cancelled while holding a mutex guard,
//! inside `Queue::put` and `Queue::get` (by `Task::cancel` and by `wait_for`), inside
//! `gather` and `wait_for`, and while a `TaskGroup` runs. Counts what must not happen:
//! a guard left locked, a queue item lost or seen twice (or seen although its put was
//! cancelled), a future or group child that outlives its cancelled owner.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use ferrio::{Task, TaskGroup};
use ferrio_sync::{Mutex, Queue};

use crate::report::{runner, Budget, Report};

/// How long a round's tasks may take to end once cancelled.
const ROUND_LIMIT: Duration = Duration::from_secs(20);

pub(crate) fn run(share: Duration) -> Report {
    let mut report = Report::new();
    let mut budget = Budget::new(share);
    while budget.another_round() {
        let runner = runner(budget.rounds(), 4);
        let round = runner.run(async {
            let mut report = Report::new();
            report.merge(&mutex_guards().await);
            report.merge(&queue_items().await);
            report.merge(&gather_and_wait_for().await);
            report.merge(&task_groups().await);
            report
        });
        report.merge(&round);
    }
    report.info("rounds", budget.rounds());
    report
}

fn micros(range: std::ops::Range<u64>) -> Duration {
    Duration::from_micros(fastrand::u64(range))
}

/// Cancels about half of `tasks`, each at a random point of the first `window`, then
/// waits for all of them to end; returns how many cancels were accepted and whether
/// all tasks ended.
async fn cancel_half_and_wait<T: Send + 'static>(
    tasks: Vec<Task<T>>,
    window: Duration,
) -> (u64, bool) {
    let start = std::time::Instant::now();
    let mut plan: Vec<(Duration, usize)> = (0..tasks.len())
        .filter(|_| fastrand::bool())
        .map(|index| (micros(0..window.as_micros() as u64), index))
        .collect();
    plan.sort_unstable();
    let mut cancelled = 0;
    for (at, index) in plan {
        ferrio::sleep_until(start + at).await;
        cancelled += u64::from(tasks[index].cancel());
    }
    let ended = ferrio::wait_for(ferrio::gather(tasks), ROUND_LIMIT)
        .await
        .is_ok();
    (cancelled, ended)
}

/// Critical sections that await while holding the guard, cancelled at random.
async fn mutex_guards() -> Report {
    let mutex = Arc::new(Mutex::new(0u64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let mutex = Arc::clone(&mutex);
            ferrio::spawn(async move {
                for _ in 0..20 {
                    let mut guard = mutex.lock().await;
                    *guard += 1;
                    if fastrand::bool() {
                        ferrio::yield_now().await;
                    } else {
                        ferrio::sleep(micros(0..100)).await;
                    }
                    *guard += 1;
                }
            })
        })
        .collect();
    let (cancelled, ended) = cancel_half_and_wait(tasks, Duration::from_millis(50)).await;
    let mut report = Report::new();
    report
        .info("mutex_cancels", cancelled)
        .bad("mutex_stuck_rounds", u64::from(!ended))
        .bad("mutex_guards_leaked", u64::from(mutex.try_lock().is_none()));
    report
}

/// Producers and consumers on a small bounded queue, cancelled at random and with
/// random `wait_for` limits around `put` and `get`.
async fn queue_items() -> Report {
    const PRODUCERS: u64 = 8;
    const PER_PRODUCER: u64 = 500;
    let queue = Arc::new(Queue::<u64>::new(4));
    let put = Arc::new(StdMutex::new(Vec::new()));
    let got = Arc::new(StdMutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for producer in 0..PRODUCERS {
        let (queue, put) = (Arc::clone(&queue), Arc::clone(&put));
        tasks.push(ferrio::spawn(async move {
            for n in producer * PER_PRODUCER..(producer + 1) * PER_PRODUCER {
                // A put that times out or is cancelled must not have put the item.
                if let Ok(Ok(())) = ferrio::wait_for(queue.put(n), micros(0..400)).await {
                    put.lock().unwrap().push(n);
                }
            }
        }));
    }
    for _ in 0..8 {
        let (queue, got) = (Arc::clone(&queue), Arc::clone(&got));
        tasks.push(ferrio::spawn(async move {
            loop {
                match ferrio::wait_for(queue.get(), micros(0..400)).await {
                    Ok(Ok(n)) => got.lock().unwrap().push(n),
                    Ok(Err(_)) => break,
                    Err(_) => {}
                }
            }
        }));
    }
    let closer = {
        let queue = Arc::clone(&queue);
        move || queue.shutdown(false)
    };
    // Consumers end when the queue is shut down: after the producers have ended
    // (cancelled or done), which cancel_half_and_wait cannot tell, so shut down on a
    // timer long after the producers' work.
    let timer = ferrio::spawn(async move {
        ferrio::sleep(Duration::from_millis(300)).await;
        closer();
    });
    let (cancelled, ended) = cancel_half_and_wait(tasks, Duration::from_millis(200)).await;
    let _ = timer.await;
    let mut seen: HashMap<u64, u64> = HashMap::new();
    for n in got.lock().unwrap().iter().copied() {
        *seen.entry(n).or_default() += 1;
    }
    while let Ok(n) = queue.get_nowait() {
        *seen.entry(n).or_default() += 1;
    }
    let put = put.lock().unwrap();
    let lost = put.iter().filter(|n| !seen.contains_key(n)).count() as u64;
    let duplicated = seen.values().map(|&count| count - 1).sum::<u64>();
    let put_set: std::collections::HashSet<u64> = put.iter().copied().collect();
    let phantom = seen.keys().filter(|n| !put_set.contains(n)).count() as u64;
    let mut report = Report::new();
    report
        .info("queue_items_put", put.len() as u64)
        .info("queue_cancels", cancelled)
        .bad("queue_stuck_rounds", u64::from(!ended))
        .bad("queue_items_lost", lost)
        .bad("queue_items_duplicated", duplicated)
        .bad("queue_items_from_cancelled_puts", phantom);
    report
}

/// Counts live instances: a future's state that outlives its cancelled owner shows
/// up as a count above zero once everything has ended.
struct Alive(Arc<AtomicI64>);

impl Alive {
    fn new(count: &Arc<AtomicI64>) -> Alive {
        count.fetch_add(1, Ordering::SeqCst);
        Alive(Arc::clone(count))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tasks inside `gather` and `wait_for`, cancelled at random: every inner future is
/// dropped with its task.
async fn gather_and_wait_for() -> Report {
    let alive = Arc::new(AtomicI64::new(0));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let alive = Arc::clone(&alive);
            ferrio::spawn(async move {
                let inner = (0..8).map(|_| {
                    let held = Alive::new(&alive);
                    async move {
                        ferrio::sleep(micros(0..2_000)).await;
                        drop(held);
                    }
                });
                let held = Alive::new(&alive);
                let _ = ferrio::wait_for(ferrio::gather(inner), micros(0..1_500)).await;
                drop(held);
            })
        })
        .collect();
    let (cancelled, ended) = cancel_half_and_wait(tasks, Duration::from_millis(2)).await;
    let leaked = leaked_after_settling(&alive).await;
    let mut report = Report::new();
    report
        .info("gather_cancels", cancelled)
        .bad("gather_stuck_rounds", u64::from(!ended))
        .bad("gather_futures_leaked", leaked);
    report
}

/// A task running a `TaskGroup` of children, cancelled at random: no child outlives
/// the group.
async fn task_groups() -> Report {
    let alive = Arc::new(AtomicI64::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let alive = Arc::clone(&alive);
            ferrio::spawn(async move {
                let group = TaskGroup::<()>::new();
                for _ in 0..6 {
                    let held = Alive::new(&alive);
                    let _child = group.spawn(async move {
                        ferrio::sleep(micros(0..2_000)).await;
                        drop(held);
                        Ok(())
                    });
                }
                let _ = group.join().await;
            })
        })
        .collect();
    let (cancelled, ended) = cancel_half_and_wait(tasks, Duration::from_millis(2)).await;
    let leaked = leaked_after_settling(&alive).await;
    let mut report = Report::new();
    report
        .info("group_cancels", cancelled)
        .bad("group_stuck_rounds", u64::from(!ended))
        .bad("group_children_leaked", leaked);
    report
}

/// The live count once it reaches zero, or what is left after a deadline: futures
/// cancelled along with their owner are dropped at their next scheduling point.
async fn leaked_after_settling(alive: &AtomicI64) -> u64 {
    let _ = ferrio::wait_for(
        async {
            while alive.load(Ordering::SeqCst) > 0 {
                ferrio::sleep(Duration::from_millis(1)).await;
            }
        },
        ROUND_LIMIT,
    )
    .await;
    alive.load(Ordering::SeqCst).max(0) as u64
}
