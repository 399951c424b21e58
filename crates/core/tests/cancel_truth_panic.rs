//! `cancel()` tells the truth against a panic too: raced against a poll that panics,
//! from inside the runtime and from foreign threads, `true` always means the task
//! ended cancelled (the panic is then reported as never retrieved), `false` always
//! means the panic is the outcome. Nothing is lost either way.
mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::task::Poll;

use common::{builder, scaled, FLAVORS};
use ferrio_core::task::catch_cancel;
use ferrio_core::{spawn, yield_now, Runtime, Task, TaskError, TaskHandle};

fn rounds() -> usize {
    if cfg!(debug_assertions) {
        scaled(10_000)
    } else {
        scaled(50_000)
    }
}

const BATCH: usize = 500;

/// The racers' panics are expected: keep them off stderr (other panics still print).
fn quiet_racer_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let racer = info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|m| m.starts_with("racer"));
            if !racer {
                default(info);
            }
        }));
    });
}

/// Runs `make()` on each flavour with a hook that counts the panics reported as
/// never retrieved; returns the counts.
fn on_both_counting<F, Fut>(make: F) -> Vec<usize>
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    quiet_racer_panics();
    FLAVORS
        .iter()
        .map(|&flavor| {
            let reported = Arc::new(AtomicUsize::new(0));
            let r = reported.clone();
            let rt: Runtime = builder(flavor)
                .on_unretrieved_panic(move |_| {
                    r.fetch_add(1, Ordering::SeqCst);
                })
                .build()
                .unwrap();
            rt.block_on(make());
            drop(rt);
            reported.load(Ordering::SeqCst)
        })
        .collect()
}

/// Counts a disagreement between an answer and an outcome; `lost` counts the
/// panics that the outcome hides (reported instead).
fn check(answer: bool, result: &Result<u64, TaskError>, lost: &mut usize) -> usize {
    match (answer, result) {
        (true, Err(e)) if e.is_cancelled() => {
            *lost += 1;
            0
        }
        (false, Err(TaskError::Panicked(_))) => 0,
        (answer, result) => {
            eprintln!("inconsistent: cancel() = {answer}, await = {result:?}");
            1
        }
    }
}

async fn racer(i: u64) -> u64 {
    if i.is_multiple_of(3) {
        yield_now().await;
    }
    panic!("racer {i}");
}

#[test]
fn cancel_from_a_task_agrees_with_a_panic() {
    on_both_counting(|| async {
        let mut inconsistent = 0;
        let mut hidden = 0;
        for batch in 0..rounds() / BATCH {
            let base = (batch * BATCH) as u64;
            let tasks: Vec<Task<u64>> = (0..BATCH as u64).map(|i| spawn(racer(base + i))).collect();
            let (tasks, answers) = common::cancel_from_a_task(tasks).await;
            for (task, answer) in tasks.into_iter().zip(answers) {
                let result = task.await;
                inconsistent += check(answer, &result, &mut hidden);
            }
        }
        assert_eq!(inconsistent, 0);
    });
}

#[test]
fn cancel_from_a_foreign_thread_agrees_with_a_panic() {
    on_both_counting(|| async {
        let (to_thread, requests) = mpsc::channel::<Vec<TaskHandle>>();
        let (to_test, answers) = mpsc::channel::<Vec<bool>>();
        let thread = std::thread::spawn(move || {
            for handles in requests {
                let out = handles.iter().map(TaskHandle::cancel).collect();
                if to_test.send(out).is_err() {
                    break;
                }
            }
        });
        let mut inconsistent = 0;
        let mut hidden = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        for batch in 0..rounds() / BATCH {
            let base = (batch * BATCH) as u64;
            let tasks: Vec<Task<u64>> = (0..BATCH as u64).map(|i| spawn(racer(base + i))).collect();
            to_thread
                .send(tasks.iter().map(Task::handle).collect())
                .unwrap();
            let got = loop {
                match answers.try_recv() {
                    Ok(got) => break got,
                    Err(mpsc::TryRecvError::Empty) => {
                        assert!(std::time::Instant::now() < deadline, "canceller stuck");
                        yield_now().await
                    }
                    Err(e) => panic!("canceller thread gone: {e}"),
                }
            };
            for (task, answer) in tasks.into_iter().zip(got) {
                let result = task.await;
                inconsistent += check(answer, &result, &mut hidden);
            }
        }
        drop(to_thread);
        thread.join().unwrap();
        assert_eq!(inconsistent, 0);
    });
}

/// The interleaving that used to disagree, made deterministic: a request pending
/// when a poll begins, with a catch region registered but not polled in that poll,
/// and the poll panics. `cancel()` said true, so the task ends cancelled and the
/// panic is reported, not returned.
#[test]
fn a_pending_request_not_delivered_wins_over_a_panic() {
    let reported = on_both_counting(|| async {
        let started = common::Started::default();
        let s = started.clone();
        let task = spawn(async move {
            let mut region = pin!(catch_cancel(std::future::pending::<()>()));
            // Registers the region once, then awaits something else.
            std::future::poll_fn(|cx| {
                let _ = region.as_mut().poll(cx);
                Poll::Ready(())
            })
            .await;
            s.mark();
            // Waits until something wakes it (the cancel request), then goes on.
            let mut polled = false;
            std::future::poll_fn(|_| {
                if std::mem::replace(&mut polled, true) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            panic!("racer: after the await");
        });
        started.wait().await;
        let handle = task.handle();
        let answer = handle.cancel_with("stop");
        let result = task.await;
        assert!(answer);
        let err = result.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert_eq!(err.cancel_message(), Some("stop"));
        assert!(handle.cancelled());
    });
    assert_eq!(reported, vec![1, 1]);
}

/// A request pending when the task is next polled, outside any region, whose future
/// panics while dropped: the task ends cancelled and the destructor's panic is
/// reported.
#[test]
fn a_destructor_panic_during_delivery_leaves_the_task_cancelled() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("racer: destructor");
        }
    }
    let reported = on_both_counting(|| async {
        let started = common::Started::default();
        let s = started.clone();
        let task = spawn(async move {
            let _bomb = Bomb;
            s.mark();
            std::future::pending::<()>().await;
            0u64
        });
        started.wait().await;
        assert!(task.cancel());
        assert!(task.await.unwrap_err().is_cancelled());
    });
    assert_eq!(reported, vec![1, 1]);
}
