//! The multi-thread executor: a task woken by a worker that then stays busy in a
//! long poll is picked up by an idle worker, instead of waiting in the busy
//! worker's LIFO slot until that poll ends.
#![cfg(not(miri))]

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use ferrio_core::{sleep, spawn, timeout, Builder};

/// How long the waker's poll blocks after the wake.
const BLOCK: Duration = Duration::from_millis(300);
/// The woken task must start well before the waker's poll ends.
const BOUND: Duration = Duration::from_millis(150);

/// A one-shot signal between two tasks.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    async fn wait(&self) {
        poll_fn(|cx| {
            if self.open.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.open.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    fn has_waiter(&self) -> bool {
        self.waker.lock().unwrap().is_some()
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

/// How long the woken task waited to start while its waker's poll blocked.
fn latency(workers: usize) -> Duration {
    let rt = Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap();
    rt.block_on(async {
        let gate = Arc::new(Gate::default());
        let woken = spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                Instant::now()
            }
        });
        let start = Instant::now();
        while !gate.has_waiter() {
            assert!(start.elapsed() < Duration::from_secs(10), "never waited");
            sleep(Duration::from_millis(1)).await;
        }
        let waker = spawn(async move {
            // Long enough for the other workers to stop searching and park.
            std::thread::sleep(Duration::from_millis(20));
            let woke_at = Instant::now();
            // The woken task lands in this worker's LIFO slot...
            gate.open();
            // ...and this poll keeps the worker busy.
            std::thread::sleep(BLOCK);
            woke_at
        });
        let started = timeout(Duration::from_secs(10), woken)
            .await
            .expect("the woken task ran")
            .unwrap();
        let woke_at = waker.await.unwrap();
        started.saturating_duration_since(woke_at)
    })
}

fn check(workers: usize) {
    for trial in 0..3 {
        let waited = latency(workers);
        assert!(
            waited < BOUND,
            "{workers} workers, trial {trial}: the woken task waited {waited:?} \
             while its waker blocked {BLOCK:?}"
        );
    }
}

#[test]
fn woken_task_starts_while_its_waker_blocks_2_workers() {
    check(2);
}

#[test]
fn woken_task_starts_while_its_waker_blocks_8_workers() {
    check(8);
}
