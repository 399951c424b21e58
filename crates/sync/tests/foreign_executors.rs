//! The primitives run under executors that know nothing of ferrio: tokio (both
//! flavours) and `futures_lite::future::block_on` threads.
#![cfg(not(miri))]

use std::sync::Arc;

use ferrio_sync::{Lock, Mutex, Queue, Semaphore};

#[test]
fn fifo_order_under_tokio_current_thread() {
    // asyncio's test_acquire_fifo_order, with yields standing in for its sleeps.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let result = runtime.block_on(async {
        let sem = Arc::new(Semaphore::new(1));
        let result = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks: Vec<_> = ["c1", "c2", "c3"]
            .into_iter()
            .map(|tag| {
                let (sem, result) = (Arc::clone(&sem), Arc::clone(&result));
                tokio::spawn(async move {
                    let _permit = sem.acquire().await;
                    result.lock().unwrap().push(format!("{tag}_1"));
                    for _ in 0..3 {
                        tokio::task::yield_now().await;
                    }
                    result.lock().unwrap().push(format!("{tag}_2"));
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        Arc::try_unwrap(result).unwrap().into_inner().unwrap()
    });
    assert_eq!(result, ["c1_1", "c1_2", "c2_1", "c2_2", "c3_1", "c3_2"]);
}

#[test]
fn producer_consumer_with_join_under_tokio_multi_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let handled = runtime.block_on(async {
        let queue = Queue::new(8);
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move {
                    let mut handled = 0u64;
                    while let Ok(n) = queue.get().await {
                        handled += n;
                        queue.task_done().unwrap();
                    }
                    handled
                })
            })
            .collect();
        for n in 1..=10_000u64 {
            queue.put(n).await.unwrap();
        }
        queue.join().await;
        queue.shutdown(false);
        let mut total = 0;
        for consumer in consumers {
            total += consumer.await.unwrap();
        }
        total
    });
    assert_eq!(handled, 10_000 * 10_001 / 2);
}

#[test]
fn lock_and_mutex_under_tokio_multi_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (count, inside_max) = runtime.block_on(async {
        let mutex = Arc::new(Mutex::new(0u32));
        let lock = Arc::new(Lock::new());
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let inside_max = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (mutex, lock) = (Arc::clone(&mutex), Arc::clone(&lock));
                let (inside, inside_max) = (Arc::clone(&inside), Arc::clone(&inside_max));
                tokio::spawn(async move {
                    for _ in 0..200 {
                        *mutex.lock().await += 1;
                        let _guard = lock.acquire().await;
                        let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        inside_max.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let count = *mutex.lock().await;
        (count, inside_max.load(std::sync::atomic::Ordering::SeqCst))
    });
    assert_eq!(count, 50 * 200);
    assert_eq!(inside_max, 1, "the lock admits one task at a time");
}

#[test]
fn queue_and_lock_under_block_on_threads() {
    let queue = Queue::new(4);
    let lock = Lock::new();
    let sum: u64 = std::thread::scope(|scope| {
        let consumer = scope.spawn(|| {
            futures_lite::future::block_on(async {
                let mut sum = 0;
                while let Ok(n) = queue.get().await {
                    let _guard = lock.acquire().await;
                    sum += n;
                }
                sum
            })
        });
        futures_lite::future::block_on(async {
            for n in 1..=1000u64 {
                queue.put(n).await.unwrap();
                let _guard = lock.acquire().await;
            }
        });
        queue.shutdown(false);
        consumer.join().unwrap()
    });
    assert_eq!(sum, 1000 * 1001 / 2);
}

/// The channels and the cancellation token together on tokio's multi-thread runtime:
/// producers stop on a token, a oneshot reports each consumer's count, a broadcast
/// carries the stop order, a watch the progress; nothing is lost.
#[test]
fn channels_and_token_under_tokio_multi_thread() {
    use ferrio_sync::{broadcast, channel, oneshot, watch, CancellationToken};
    use futures_lite::StreamExt;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let per_producer = 2_000u64;
    let outcome = runtime.block_on(async move {
        tokio::time::timeout(std::time::Duration::from_secs(60), async move {
            let token = CancellationToken::new();
            let (tx, rx) = channel::bounded(16);
            let (progress_tx, mut progress_rx) = watch::channel(0u64);
            let (stop_tx, _) = broadcast::channel::<&str>(4);
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let (tx, token) = (tx.clone(), token.child_token());
                    let mut stop = stop_tx.subscribe();
                    tokio::spawn(async move {
                        for n in 0..per_producer {
                            tx.send(n).await.unwrap();
                        }
                        // Done sending: wait for the stop order on both signals.
                        token.cancelled().await;
                        stop.recv().await
                    })
                })
                .collect();
            drop(tx);
            let mut reports = Vec::new();
            for _ in 0..2 {
                let (report, counted) = oneshot::channel();
                let (mut rx, progress_tx) = (rx.clone(), progress_tx.clone());
                tokio::spawn(async move {
                    let mut sum = 0u64;
                    while let Some(n) = rx.next().await {
                        sum += n;
                        progress_tx.send_modify(|seen| *seen += 1);
                    }
                    report.send(sum).unwrap();
                });
                reports.push(counted);
            }
            drop((rx, progress_tx));
            while *progress_rx.borrow_and_update() < 2 * per_producer {
                progress_rx.changed().await.unwrap();
            }
            token.cancel();
            stop_tx.send("stop").unwrap();
            let mut stops = Vec::new();
            for producer in producers {
                stops.push(producer.await.unwrap());
            }
            let mut total = 0;
            for report in reports {
                total += report.await.unwrap();
            }
            (stops, total)
        })
        .await
        .expect("the workload finished within 60 s")
    });
    let (stops, total) = outcome;
    assert_eq!(stops, [Ok("stop"), Ok("stop")]);
    assert_eq!(total, 2 * per_producer * (per_producer - 1) / 2);
}
