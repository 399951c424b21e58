//! gather, try_gather, try_gather_tasks and the gather!/try_gather! macros: argument
//! order, concurrency, cancellation of the rest — on both executor flavours.

mod comb_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use comb_support::{after_polls, on_both_flavours, on_both_flavours_virtual, Gate, Tally};
use ferrio_core::combinators::{gather, try_gather, try_gather_tasks, CancelOnDrop};
use ferrio_core::{sleep, spawn, Handle, TaskError};

#[test]
fn keeps_argument_order_when_completion_order_differs() {
    on_both_flavours(|| async {
        let finished = Arc::new(Mutex::new(Vec::new()));
        let futures = (0..8usize).map(|i| {
            let finished = finished.clone();
            async move {
                let value = after_polls(8 - i, i * 10).await;
                finished.lock().unwrap().push(i);
                value
            }
        });
        let out = gather(futures).await;
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50, 60, 70]);
        assert_eq!(*finished.lock().unwrap(), vec![7, 6, 5, 4, 3, 2, 1, 0]);
    });
}

#[test]
fn runs_the_futures_concurrently() {
    on_both_flavours(|| async {
        // Each future opens the next one's gate only after its own opened: the chain
        // only completes if all are polled at once, starting from the last.
        let gates: Vec<Gate> = (0..5).map(|_| Gate::new()).collect();
        let futures = (0..5usize).map(|i| {
            let mine = gates[i].clone();
            let previous = (i > 0).then(|| gates[i - 1].clone());
            async move {
                mine.wait().await;
                if let Some(previous) = previous {
                    previous.open();
                }
                i
            }
        });
        let opener = async {
            gates[4].open();
            usize::MAX
        };
        let out = gather(
            futures
                .map(futures_lite::future::FutureExt::boxed)
                .chain([futures_lite::future::FutureExt::boxed(opener)]),
        )
        .await;
        assert_eq!(out, vec![0, 1, 2, 3, 4, usize::MAX]);
    });
}

#[test]
fn three_gathered_one_second_sleeps_take_one_second() {
    on_both_flavours_virtual(|| async {
        let started = Handle::current().now();
        let out = gather((1..=3u64).map(|i| async move {
            sleep(Duration::from_secs(1)).await;
            i
        }))
        .await;
        let took = Handle::current().now() - started;
        assert_eq!(out, vec![1, 2, 3]);
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(2),
            "{took:?}"
        );
    });
}

#[test]
fn gathers_tasks_in_argument_order() {
    on_both_flavours(|| async {
        let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
        let tasks: Vec<_> = (0..4u32)
            .map(|i| {
                let gate = gates[i as usize].clone();
                spawn(async move {
                    gate.wait().await;
                    i * i
                })
            })
            .collect();
        for gate in gates.iter().rev() {
            gate.open();
        }
        let out: Vec<u32> = gather(tasks)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(out, vec![0, 1, 4, 9]);
    });
}

#[test]
fn polls_each_future_only_when_woken() {
    on_both_flavours(|| async {
        let n = if cfg!(miri) { 200 } else { 10_000 };
        let polls = Tally::new();
        let futures = (0..n).map(|i| {
            let polls = polls.clone();
            let yields = i % 5;
            std::future::poll_fn({
                let mut left = yields;
                move |cx| {
                    polls.hit();
                    if left == 0 {
                        return std::task::Poll::Ready(i);
                    }
                    left -= 1;
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
        });
        let out = gather(futures).await;
        assert_eq!(out, (0..n).collect::<Vec<_>>());
        // Exactly one poll per wake-up plus the first: no sweeps over idle futures.
        let expected: usize = (0..n).map(|i| i % 5 + 1).sum();
        assert_eq!(polls.get(), expected);
    });
}

#[test]
fn empty_gather_is_ready_at_once() {
    on_both_flavours(|| async {
        let out = gather(Vec::<std::future::Ready<u8>>::new()).await;
        assert!(out.is_empty());
        let out = try_gather(Vec::<std::future::Ready<Result<u8, ()>>>::new()).await;
        assert_eq!(out, Ok(vec![]));
    });
}

#[test]
fn gather_over_results_keeps_every_error_like_return_exceptions() {
    on_both_flavours(|| async {
        let futures = (0..4).map(|i| {
            after_polls(
                4 - i,
                if i % 2 == 0 {
                    Ok(i)
                } else {
                    Err(format!("bad {i}"))
                },
            )
        });
        let out = gather(futures).await;
        assert_eq!(
            out,
            vec![
                Ok(0),
                Err("bad 1".to_string()),
                Ok(2),
                Err("bad 3".to_string())
            ]
        );
    });
}

#[test]
fn try_gather_returns_values_in_order() {
    on_both_flavours(|| async {
        let out = try_gather((0..6).map(|i| after_polls(6 - i, Ok::<_, String>(i)))).await;
        assert_eq!(out, Ok(vec![0, 1, 2, 3, 4, 5]));
    });
}

#[test]
fn try_gather_returns_the_first_error_and_drops_the_rest() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let futures = (0..6u32).map(|i| {
            let probe = dropped.probe();
            async move {
                let _probe = probe;
                match i {
                    2 => after_polls(3, Err(format!("first {i}"))).await,
                    4 => after_polls(6, Err(format!("later {i}"))).await,
                    _ => std::future::pending::<Result<u32, String>>().await,
                }
            }
        });
        let gathered = try_gather(futures);
        let out = gathered.await;
        assert_eq!(out, Err("first 2".to_string()));
        // All six futures are gone by the time the error is returned: none leaks.
        assert_eq!(dropped.get(), 6);
    });
}

#[test]
fn dropping_a_gather_drops_its_futures() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let futures = (0..3).map(|_| {
            let probe = dropped.probe();
            async move {
                let _probe = probe;
                std::future::pending::<()>().await
            }
        });
        let mut gathered = gather(futures);
        assert!(futures_lite::future::poll_once(&mut gathered)
            .await
            .is_none());
        assert_eq!(dropped.get(), 0);
        drop(gathered);
        assert_eq!(dropped.get(), 3);
    });
}

#[test]
fn try_gather_tasks_cancels_the_other_tasks_on_first_error() {
    on_both_flavours(|| async {
        let cancelled = Tally::new();
        let failing_gate = Gate::new();
        let mut tasks = Vec::new();
        for i in 0..4u32 {
            let probe = cancelled.probe();
            let gate = failing_gate.clone();
            tasks.push(spawn(async move {
                let _probe = probe;
                if i == 1 {
                    gate.wait().await;
                    return Err::<u32, Failure>(Failure::Bad(i));
                }
                std::future::pending().await
            }));
        }
        failing_gate.open();
        let out = try_gather_tasks(tasks).await;
        assert!(matches!(out, Err(Failure::Bad(1))));
        // The failing task finished; the three others are cancelled and dropped.
        cancelled.reach(4).await;
        assert_eq!(cancelled.get(), 4);
    });
}

#[test]
fn try_gather_tasks_reports_a_panic_as_task_error() {
    on_both_flavours(|| async {
        let tasks = vec![
            spawn(async { Ok::<u8, Failure>(1) }),
            spawn(async { panic!("child exploded") }),
        ];
        match try_gather_tasks(tasks).await {
            Err(Failure::Task(error)) => {
                assert!(error.is_panic());
                assert_eq!(error.panic_message(), Some("child exploded"));
            }
            other => panic!("expected a panic, got {other:?}"),
        }
    });
}

#[test]
fn try_gather_over_cancel_on_drop_tasks_cancels_the_rest() {
    on_both_flavours(|| async {
        let cancelled = Tally::new();
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let probe = cancelled.probe();
            tasks.push(spawn(async move {
                let _probe = probe;
                std::future::pending::<u8>().await
            }));
        }
        let victim = spawn(std::future::pending::<u8>());
        assert!(victim.cancel());
        tasks.push(victim);
        let out = try_gather(tasks.into_iter().map(CancelOnDrop::new)).await;
        assert!(matches!(out, Err(TaskError::Cancelled(_))));
        cancelled.reach(3).await;
    });
}

#[test]
fn gather_macro_returns_a_tuple_in_argument_order() {
    on_both_flavours(|| async {
        let (a, b, c, d) = ferrio_core::gather!(
            after_polls(5, 1u8),
            after_polls(1, "two"),
            async { 3.5f64 },
            spawn(async { 'x' }),
        )
        .await;
        assert_eq!((a, b, c, d.unwrap()), (1, "two", 3.5, 'x'));
    });
}

#[test]
fn try_gather_macro_short_circuits_and_drops_the_others() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let probe_a = dropped.probe();
        let probe_b = dropped.probe();
        let out: Result<(u8, String, ()), &str> = ferrio_core::try_gather!(
            async move {
                let _probe = probe_a;
                std::future::pending().await
            },
            async move {
                let _probe = probe_b;
                std::future::pending().await
            },
            after_polls(2, Err("boom")),
        )
        .await;
        assert_eq!(out, Err("boom"));
        assert_eq!(dropped.get(), 2);

        let ok: Result<(u8, &str), &str> =
            ferrio_core::try_gather!(after_polls(3, Ok(1)), async { Ok("a") }).await;
        assert_eq!(ok, Ok((1, "a")));
    });
}

#[derive(Debug)]
enum Failure {
    Bad(u32),
    Task(TaskError),
}

impl From<TaskError> for Failure {
    fn from(error: TaskError) -> Self {
        Failure::Task(error)
    }
}

#[test]
fn gather_macro_takes_one_future_and_names_like_its_own() {
    on_both_flavours(|| async {
        let (only,) = ferrio_core::gather!(async { 1 }).await;
        assert_eq!(only, 1);
        // Caller variables named like the macro's internals are the caller's.
        let futures = after_polls(2, "mine");
        let future = async { "also mine" };
        let (a, b) = ferrio_core::gather!(futures, future).await;
        assert_eq!((a, b), ("mine", "also mine"));
    });
}
