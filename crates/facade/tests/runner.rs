//! `Runner`: several runs on one runtime, both flavours, closes on drop.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn tasks_survive_between_runs() {
    for runner in common::runners() {
        #[allow(clippy::async_yields_async)] // returned unawaited on purpose
        let task = runner.run(async {
            ferrio::spawn(async {
                ferrio::sleep(Duration::from_millis(5)).await;
                11
            })
        });
        assert_eq!(runner.run(task).unwrap(), 11);
    }
}

#[test]
fn many_runs_on_one_runner() {
    for runner in common::runners() {
        let total: u32 = (0..20).map(|i| runner.run(async move { i })).sum();
        assert_eq!(total, (0..20).sum());
    }
}

#[test]
fn dropping_the_runner_cancels_leftovers() {
    for runner in common::runners() {
        let drops = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let (d, s) = (Arc::clone(&drops), Arc::clone(&started));
        runner.run(async move {
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let guard = DropCounter(Arc::clone(&d));
                let s = Arc::clone(&s);
                tasks.push(ferrio::spawn(async move {
                    let _guard = guard;
                    s.fetch_add(1, Ordering::SeqCst);
                    ferrio::sleep(Duration::from_secs(3600)).await;
                }));
            }
            // Wait until all of them hold their guard.
            common::until("every task holds its guard", || {
                s.load(Ordering::SeqCst) == 8
            })
            .await;
        });
        assert_eq!(drops.load(Ordering::SeqCst), 0, "still alive between runs");
        runner.close();
        assert_eq!(started.load(Ordering::SeqCst), 8);
        assert_eq!(drops.load(Ordering::SeqCst), 8);
    }
}

#[test]
fn multi_thread_flavour_runs_tasks_on_its_workers() {
    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let main_thread = std::thread::current().id();
    let elsewhere = runner.run(async move {
        let tasks: Vec<_> = (0..16)
            .map(|_| ferrio::spawn(async move { std::thread::current().id() != main_thread }))
            .collect();
        let mut elsewhere = 0;
        for task in tasks {
            elsewhere += usize::from(task.await.unwrap());
        }
        elsewhere
    });
    assert_eq!(elsewhere, 16, "spawned tasks run on the worker threads");
}

#[test]
fn current_thread_flavour_runs_tasks_on_the_calling_thread() {
    let runner = ferrio::Runner::builder().current_thread().build().unwrap();
    let main_thread = std::thread::current().id();
    let same = runner.run(async move {
        ferrio::spawn(async move { std::thread::current().id() == main_thread })
            .await
            .unwrap()
    });
    assert!(same);
}

#[test]
fn handle_spawns_from_outside_the_runtime() {
    for runner in common::runners() {
        let handle = runner.handle();
        let task = std::thread::spawn(move || handle.spawn(async { 3 * 7 }))
            .join()
            .unwrap();
        assert_eq!(runner.run(task).unwrap(), 21);
    }
}

#[test]
fn zero_workers_is_refused_with_a_clear_message() {
    let result = std::panic::catch_unwind(|| ferrio::Runner::builder().worker_threads(0));
    let payload = result.expect_err("0 workers is a bug in the caller");
    let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("at least 1"), "{message}");
}
