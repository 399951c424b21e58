//! wait / try_wait / wait_timeout: the (done, pending) split for each ReturnWhen, on
//! both executor flavours.

mod comb_support;

use std::time::Duration;

use comb_support::{
    on_both_flavours, on_both_flavours_frozen_clock, on_both_flavours_virtual, Gate,
};
use ferrio_core::combinators::{try_wait, wait, wait_timeout, ReturnWhen};
use ferrio_core::{spawn, Handle, Task};
use futures_lite::future::poll_once;

/// A task that finishes with `value` once `gate` opens.
fn gated<T: Send + 'static>(gate: &Gate, value: T) -> Task<T> {
    let gate = gate.clone();
    spawn(async move {
        gate.wait().await;
        value
    })
}

fn ids<T>(tasks: &[Task<T>]) -> Vec<ferrio_core::TaskId> {
    tasks.iter().map(Task::id).collect()
}

#[test]
fn all_completed_waits_for_every_task() {
    on_both_flavours(|| async {
        let gates: Vec<Gate> = (0..3).map(|_| Gate::new()).collect();
        let tasks: Vec<_> = gates.iter().enumerate().map(|(i, g)| gated(g, i)).collect();
        let all = ids(&tasks);
        let opener = spawn({
            let gates = gates.clone();
            async move {
                for gate in gates.iter().rev() {
                    gate.open();
                }
            }
        });
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted).await;
        assert!(pending.is_empty());
        let mut done_ids = ids(&done);
        done_ids.sort();
        let mut all_sorted = all.clone();
        all_sorted.sort();
        assert_eq!(done_ids, all_sorted);
        opener.await.unwrap();
    });
}

#[test]
fn first_completed_returns_once_one_finished() {
    on_both_flavours(|| async {
        let slow = Gate::new();
        let fast = Gate::new();
        let tasks = vec![gated(&slow, 1), gated(&fast, 2), gated(&slow, 3)];
        let fast_id = tasks[1].id();
        fast.open();
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted).await;
        assert_eq!(ids(&done), vec![fast_id]);
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|task| !task.is_finished()));
        // A done task's result is there at once.
        let mut done = done;
        let value = poll_once(&mut done[0])
            .await
            .expect("done tasks are finished");
        assert_eq!(value.unwrap(), 2);
        // Pending tasks keep running.
        slow.open();
        for task in pending {
            assert!(task.await.is_ok());
        }
    });
}

#[test]
fn first_exception_returns_on_a_panic() {
    on_both_flavours(|| async {
        let never = Gate::new();
        let boom = Gate::new();
        let tasks: Vec<Task<u32>> = vec![
            gated(&never, 1),
            spawn({
                let boom = boom.clone();
                async move {
                    boom.wait().await;
                    panic!("exception in task")
                }
            }),
            spawn(async { 3 }),
        ];
        let never_id = tasks[0].id();
        boom.open();
        let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
        // The panicked task is done; the gated one is pending; the quick one is in
        // whichever set its completion reached first.
        assert_eq!(done.len() + pending.len(), 3);
        assert!(!ids(&done).contains(&never_id));
        let mut panicked = 0;
        for task in done {
            assert!(task.is_finished());
            match task.await {
                Err(error) => {
                    assert_eq!(error.panic_message(), Some("exception in task"));
                    panicked += 1;
                }
                Ok(value) => assert_eq!(value, 3),
            }
        }
        assert_eq!(panicked, 1);
        for task in pending {
            if task.id() == never_id {
                assert!(task.cancel());
            } else {
                assert_eq!(task.await.unwrap(), 3);
            }
        }
    });
}

#[test]
fn first_exception_counts_a_cancellation() {
    on_both_flavours(|| async {
        let never = Gate::new();
        let tasks = vec![gated(&never, 1), gated(&never, 2)];
        assert!(tasks[1].cancel());
        let cancelled_id = tasks[1].id();
        let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
        assert_eq!(ids(&done), vec![cancelled_id]);
        assert_eq!(pending.len(), 1);
        let mut done = done;
        assert!(done.pop().unwrap().await.unwrap_err().is_cancelled());
        pending[0].cancel();
    });
}

#[test]
fn first_exception_without_exception_waits_for_all() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let tasks = vec![gated(&gate, 1), gated(&gate, 2), spawn(async { 3 })];
        let opener = spawn({
            let gate = gate.clone();
            async move { gate.open() }
        });
        let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
        assert_eq!((done.len(), pending.len()), (3, 0));
        opener.await.unwrap();
    });
}

#[test]
fn plain_wait_does_not_count_err_values_but_try_wait_does() {
    on_both_flavours_virtual(|| async {
        let never = Gate::new();
        let err_now = || spawn(async { Err::<u8, String>("failed".into()) });
        let never_task = || gated(&never, Ok::<u8, String>(0));

        // `wait`: an `Err` value is an ordinary result, so "an exception, or all
        // completed" never holds and the wait runs into its timeout.
        let (done, pending) = wait_timeout(
            vec![never_task(), err_now()],
            ReturnWhen::FirstException,
            Duration::from_secs(60),
        )
        .await;
        assert_eq!((done.len(), pending.len()), (1, 1));
        pending[0].cancel();

        // `try_wait`: the `Err` counts as the first exception.
        let (done, pending) =
            try_wait(vec![never_task(), err_now()], ReturnWhen::FirstException).await;
        assert_eq!((done.len(), pending.len()), (1, 1));
        for task in done {
            assert_eq!(task.await.unwrap(), Err("failed".to_string()));
        }
        pending[0].cancel();
    });
}

#[test]
fn wait_timeout_returns_the_sets_when_time_runs_out() {
    on_both_flavours_virtual(|| async {
        let never = Gate::new();
        let tasks = vec![gated(&never, 1), spawn(async { 2 })];
        let started = Handle::current().now();
        let (done, pending) =
            wait_timeout(tasks, ReturnWhen::AllCompleted, Duration::from_secs(3600)).await;
        let waited = Handle::current().now() - started;
        assert!(waited >= Duration::from_secs(3600), "{waited:?}");
        assert!(waited < Duration::from_secs(7200), "{waited:?}");
        assert_eq!((done.len(), pending.len()), (1, 1));
        assert!(!pending[0].is_finished());
        never.open();
        for task in pending {
            assert_eq!(task.await.unwrap(), 1);
        }
    });
}

#[test]
fn wait_timeout_returns_early_when_the_condition_holds() {
    // A manual virtual clock never moves here, so returning at all proves the wait
    // ended on its condition, not on its timeout.
    on_both_flavours_frozen_clock(|| async {
        let gate = Gate::new();
        let tasks = vec![spawn(async { 1 }), gated(&gate, 2)];
        let opener = spawn({
            let gate = gate.clone();
            async move { gate.open() }
        });
        let started = Handle::current().now();
        let (done, pending) =
            wait_timeout(tasks, ReturnWhen::AllCompleted, Duration::from_secs(3600)).await;
        assert_eq!(Handle::current().now(), started);
        assert_eq!((done.len(), pending.len()), (2, 0));
        opener.await.unwrap();
    });
}

#[test]
fn waiting_on_nothing_returns_at_once() {
    on_both_flavours(|| async {
        for return_when in [
            ReturnWhen::FirstCompleted,
            ReturnWhen::FirstException,
            ReturnWhen::AllCompleted,
        ] {
            let (done, pending) = wait(Vec::<Task<()>>::new(), return_when).await;
            assert!(done.is_empty() && pending.is_empty());
        }
    });
}

#[test]
fn waits_on_many_tasks() {
    on_both_flavours(|| async {
        let n = if cfg!(miri) { 50 } else { 2_000 };
        let tasks: Vec<_> = (0..n).map(|i| spawn(async move { i })).collect();
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted).await;
        assert_eq!((done.len(), pending.len()), (n, 0));
        let mut values = Vec::new();
        for task in done {
            values.push(task.await.unwrap());
        }
        values.sort();
        assert_eq!(values, (0..n).collect::<Vec<_>>());
    });
}
