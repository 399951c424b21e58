//! `cancel()` tells the truth: raced against completion, from inside the runtime
//! and from foreign threads, `true` always means the task ended cancelled (and did
//! not run past the await it was waiting at), `false` always means the value came.
mod common;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{on_both, scaled};
use ferrio_core::{spawn, yield_now, Task, TaskError, TaskHandle};

/// Races per flavour and per canceller; 100 000 in all per flavour in release.
fn rounds() -> usize {
    if cfg!(debug_assertions) {
        scaled(10_000)
    } else {
        scaled(50_000)
    }
}

const BATCH: usize = 500;

/// Counts a disagreement between an answer and an outcome.
fn check(answer: bool, expected: u64, result: Result<u64, TaskError>) -> usize {
    match (answer, result) {
        (true, Err(e)) if e.is_cancelled() => 0,
        (false, Ok(v)) if v == expected => 0,
        (answer, result) => {
            eprintln!("inconsistent: cancel() = {answer}, await = {result:?}");
            1
        }
    }
}

async fn racer(i: u64) -> u64 {
    // Some finish in their first poll, some after one wake.
    if i.is_multiple_of(3) {
        yield_now().await;
    }
    i
}

#[test]
fn cancel_from_a_task_agrees_with_the_outcome() {
    on_both(|_| async {
        let mut inconsistent = 0;
        for batch in 0..rounds() / BATCH {
            let base = (batch * BATCH) as u64;
            let tasks: Vec<Task<u64>> = (0..BATCH as u64).map(|i| spawn(racer(base + i))).collect();
            let (tasks, answers) = common::cancel_from_a_task(tasks).await;
            for ((i, task), answer) in tasks.into_iter().enumerate().zip(answers) {
                inconsistent += check(answer, base + i as u64, task.await);
            }
        }
        assert_eq!(inconsistent, 0);
    });
}

#[test]
fn cancel_from_a_foreign_thread_agrees_with_the_outcome() {
    on_both(|_| async {
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
        for batch in 0..rounds() / BATCH {
            let base = (batch * BATCH) as u64;
            let tasks: Vec<Task<u64>> = (0..BATCH as u64).map(|i| spawn(racer(base + i))).collect();
            to_thread
                .send(tasks.iter().map(Task::handle).collect())
                .unwrap();
            // Let the runtime run the racers while the thread cancels them.
            let got = loop {
                match answers.try_recv() {
                    Ok(got) => break got,
                    Err(mpsc::TryRecvError::Empty) => yield_now().await,
                    Err(e) => panic!("canceller thread gone: {e}"),
                }
            };
            for ((i, task), answer) in tasks.into_iter().enumerate().zip(got) {
                inconsistent += check(answer, base + i as u64, task.await);
            }
        }
        drop(to_thread);
        thread.join().unwrap();
        assert_eq!(inconsistent, 0);
    });
}

/// A one-shot event: `set` wakes the waiter.
#[derive(Default)]
struct Event {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Event {
    fn set(&self) {
        self.set.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }

    fn wait(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let event = self.clone();
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            *event.waker.lock().unwrap() = Some(cx.waker().clone());
            if event.set.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// A task waiting on an event is woken and cancelled at the same time: when
/// `cancel()` says true it must never run past its wait.
#[test]
fn a_task_cancelled_with_true_never_runs_past_its_wait() {
    on_both(|_| async {
        let rounds = if cfg!(debug_assertions) {
            2_000
        } else {
            20_000
        };
        let passed_with_true = Arc::new(AtomicUsize::new(0));
        let mut cancelled = 0;
        for round in 0..scaled(rounds) {
            let event = Arc::new(Event::default());
            let passed = Arc::new(AtomicBool::new(false));
            let waiting = event.wait();
            let p = passed.clone();
            let task = spawn(async move {
                waiting.await;
                p.store(true, Ordering::SeqCst);
                1u64
            });
            while event.waker.lock().unwrap().is_none() {
                yield_now().await;
            }
            let answer = if round.is_multiple_of(2) {
                // From here (the main future) ...
                event.set();
                task.cancel()
            } else {
                // ... or with the set and the cancel on a foreign thread.
                let handle = task.handle();
                let e = event.clone();
                std::thread::spawn(move || {
                    e.set();
                    handle.cancel()
                })
                .join()
                .unwrap()
            };
            let result = task.await;
            if answer {
                cancelled += 1;
                assert!(result.unwrap_err().is_cancelled());
                if passed.load(Ordering::SeqCst) {
                    passed_with_true.fetch_add(1, Ordering::SeqCst);
                }
            } else {
                assert_eq!(result.unwrap(), 1);
            }
        }
        assert_eq!(passed_with_true.load(Ordering::SeqCst), 0);
        assert!(cancelled > 0, "some cancels landed");
    });
}

/// Two tasks cancelling each other while both run (multi-thread) do not deadlock,
/// and both answers are true.
#[test]
fn tasks_cancelling_each_other_do_not_deadlock() {
    on_both(|_| async {
        for _ in 0..scaled(2_000) {
            type Slot = Arc<Mutex<Option<TaskHandle>>>;
            let (a_slot, b_slot): (Slot, Slot) = Default::default();
            let start = Arc::new(AtomicUsize::new(0));
            let make = |other: Slot, start: Arc<AtomicUsize>| async move {
                start.fetch_add(1, Ordering::SeqCst);
                let other = loop {
                    if let Some(h) = other.lock().unwrap().clone() {
                        if start.load(Ordering::SeqCst) == 2 {
                            break h;
                        }
                    }
                    yield_now().await;
                };
                let answer = other.cancel();
                yield_now().await;
                answer
            };
            let a = spawn(make(b_slot.clone(), start.clone()));
            let b = spawn(make(a_slot.clone(), start.clone()));
            *a_slot.lock().unwrap() = Some(a.handle());
            *b_slot.lock().unwrap() = Some(b.handle());
            let both = ferrio_core::timeout(Duration::from_secs(20), async { (a.await, b.await) })
                .await
                .expect("no deadlock");
            // Each was cancelled by the other (or finished with its answer first).
            let ok =
                |r: &Result<bool, TaskError>| r.as_ref().map_or_else(|e| e.is_cancelled(), |v| *v);
            assert!(ok(&both.0) && ok(&both.1), "{both:?}");
        }
    });
}
