//! Threads take, hold, release and abandon permits at random; no permit is lost or
//! created, and the mutex never admits two holders.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use ferrio_sync::{Mutex, Semaphore};
use futures_lite::future::{block_on, poll_once};

#[test]
fn permits_are_conserved_under_cancellation() {
    const PERMITS: usize = 3;
    let rounds = common::scaled(20_000);
    let sem = Semaphore::new(PERMITS);
    let holders = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for seed in 0..4 {
            let (sem, holders) = (&sem, &holders);
            scope.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                block_on(async {
                    for _ in 0..rounds {
                        let permit = if rng.u8(..10) == 0 {
                            // Abandon the acquisition after one poll, granted or not.
                            match poll_once(sem.acquire()).await {
                                Some(permit) => permit,
                                None => continue,
                            }
                        } else {
                            sem.acquire().await
                        };
                        let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                        assert!(now <= PERMITS, "{now} holders of {PERMITS} permits");
                        holders.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                    }
                })
            });
        }
    });
    assert_eq!(sem.available(), PERMITS);
    assert!(!sem.locked());
}

#[test]
fn mutex_counts_every_increment_under_cancellation() {
    let rounds = common::scaled(20_000);
    let counter = Mutex::new(0usize);
    let done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for seed in 0..4 {
            let (counter, done) = (&counter, &done);
            scope.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(100 + seed);
                block_on(async {
                    for _ in 0..rounds {
                        let guard = if rng.u8(..10) == 0 {
                            poll_once(counter.lock()).await
                        } else {
                            Some(counter.lock().await)
                        };
                        if let Some(mut guard) = guard {
                            *guard += 1;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            });
        }
    });
    assert_eq!(*counter.try_lock().unwrap(), done.load(Ordering::Relaxed));
}
