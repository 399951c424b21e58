//! 8 producers and 8 consumers move 1 000 000 items through a small queue while
//! randomly abandoning puts and gets half-way; every item must arrive exactly once.
mod common;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use ferrio_sync::Queue;
use futures_lite::future::{block_on, poll_once};

const PRODUCERS: usize = 8;
const CONSUMERS: usize = 8;

#[test]
fn every_item_arrives_exactly_once_despite_cancellations() {
    let items = common::scaled(1_000_000);
    let queue = Queue::<usize>::new(64);
    let seen: Vec<AtomicU8> = (0..items).map(|_| AtomicU8::new(0)).collect();
    let cancelled = AtomicUsize::new(0);

    std::thread::scope(|scope| {
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|c| {
                let (queue, seen, cancelled) = (&queue, &seen, &cancelled);
                scope.spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(100 + c as u64);
                    block_on(async {
                        loop {
                            // About 1% of gets are abandoned after one poll.
                            let item = if rng.u8(..100) == 0 {
                                match poll_once(queue.get()).await {
                                    Some(result) => result,
                                    None => {
                                        cancelled.fetch_add(1, Ordering::Relaxed);
                                        continue;
                                    }
                                }
                            } else {
                                queue.get().await
                            };
                            let Ok(item) = item else { break };
                            seen[item].fetch_add(1, Ordering::Relaxed);
                            queue.task_done().unwrap();
                        }
                    })
                })
            })
            .collect();

        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, cancelled) = (&queue, &cancelled);
                scope.spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(p as u64);
                    block_on(async {
                        for item in (p..items).step_by(PRODUCERS) {
                            // An abandoned put stores nothing, so the item is put again.
                            loop {
                                if rng.u8(..100) == 0 {
                                    match poll_once(queue.put(item)).await {
                                        Some(result) => result.unwrap(),
                                        None => {
                                            cancelled.fetch_add(1, Ordering::Relaxed);
                                            continue;
                                        }
                                    }
                                } else {
                                    queue.put(item).await.unwrap();
                                }
                                break;
                            }
                        }
                    })
                })
            })
            .collect();

        for producer in producers {
            producer.join().unwrap();
        }
        block_on(queue.join());
        queue.shutdown(false);
        for consumer in consumers {
            consumer.join().unwrap();
        }
    });

    let lost = seen
        .iter()
        .filter(|n| n.load(Ordering::Relaxed) == 0)
        .count();
    let duplicated = seen
        .iter()
        .filter(|n| n.load(Ordering::Relaxed) > 1)
        .count();
    assert_eq!((lost, duplicated), (0, 0));
    assert_eq!(queue.unfinished_tasks(), 0);
    assert!(queue.empty());
    // The cancellation paths really ran.
    assert!(cancelled.load(Ordering::Relaxed) > 0 || cfg!(miri));
}
