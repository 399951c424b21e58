//! `TaskHandle`: cloneable, `Send + Sync`, cancel with a message, inspect the outcome
//! after the value was taken, done callbacks in asyncio's order, many awaiters.
mod common;

use std::future::pending;
use std::sync::{Arc, Mutex};

use common::on_both;
use ferrio_core::{spawn, yield_now, Flavor, TaskHandle, TaskOutcome};

fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}

#[test]
fn a_handle_is_send_sync_and_cloneable() {
    assert_send_sync::<TaskHandle>();
}

#[test]
fn cancel_with_a_message_reaches_every_observer() {
    on_both(|_| async {
        let task = ferrio_core::TaskBuilder::new()
            .name("sleeper")
            .spawn(pending::<u8>());
        let handle = task.handle();
        assert_eq!(handle.name(), Some("sleeper"));
        assert_eq!(handle.id(), task.id());
        assert!(!handle.done());
        assert_eq!(handle.cancelling(), 0);
        let watchers: Vec<_> = (0..3)
            .map(|_| {
                let h = handle.clone();
                spawn(async move { h.wait().await })
            })
            .collect();
        yield_now().await;
        assert!(handle.cancel_with("stop now"));
        assert_eq!(handle.cancelling(), 1);
        let err = task.await.unwrap_err();
        assert_eq!(err.cancel_message(), Some("stop now"));
        assert!(handle.done() && handle.cancelled());
        // The outcome stays inspectable after the Task gave its result away.
        let expected = TaskOutcome::Cancelled(ferrio_core::Cancelled::with_message("stop now"));
        assert_eq!(handle.outcome(), Some(expected.clone()));
        for w in watchers {
            assert_eq!(w.await.unwrap(), expected);
        }
        // A finished task refuses further requests.
        assert!(!handle.cancel());
    });
}

#[test]
fn outcome_of_a_value_and_of_a_panic() {
    on_both(|_| async {
        let ok = spawn(async { 3 });
        let h = ok.handle();
        assert_eq!(ok.await.unwrap(), 3);
        assert_eq!(h.outcome(), Some(TaskOutcome::Returned));
        assert!(!h.cancelled());

        let boom = spawn(async {
            let h = TaskHandle::current().expect("inside a task");
            // Force the shared part to exist so the panic message is kept.
            drop(h);
            panic!("boom")
        });
        let h = boom.handle();
        assert!(boom.await.unwrap_err().is_panic());
        assert_eq!(
            h.outcome(),
            Some(TaskOutcome::Panicked(Some("boom".into())))
        );
    });
}

#[test]
fn done_callbacks_run_in_order_before_awaiters_resume() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let g = gate.clone();
        let task = spawn(async move {
            while !g.load(std::sync::atomic::Ordering::SeqCst) {
                yield_now().await;
            }
            7
        });
        let handle = task.handle();
        for n in 0..3 {
            let log = log.clone();
            handle.add_done_callback(move |h| {
                assert!(h.done());
                log.lock().unwrap().push(n);
            });
        }
        gate.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(task.await.unwrap(), 7);
        assert_eq!(*log.lock().unwrap(), [0, 1, 2]);
        // Added after the end: runs soon.
        let l = log.clone();
        handle.add_done_callback(move |_| l.lock().unwrap().push(9));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while log.lock().unwrap().len() < 4 {
            assert!(
                std::time::Instant::now() < deadline,
                "late callback never ran"
            );
            yield_now().await;
        }
        assert_eq!(*log.lock().unwrap(), [0, 1, 2, 9]);
    });
}

#[test]
fn uncancel_withdraws_a_request_not_yet_delivered() {
    on_both(|flavor| async move {
        let gate = ferrio_core::settable::Future::<()>::new();
        let task = spawn({
            let gate = gate.clone();
            async move {
                let _ = gate.await;
                5
            }
        });
        let handle = task.handle();
        // Requests count; uncancel brings the count down and, at zero, withdraws.
        let me = spawn(async move {
            let seen = (
                handle.cancel(),
                handle.cancel(),
                handle.cancelling(),
                handle.uncancel(),
                handle.uncancel(),
            );
            (handle, seen)
        });
        let (handle, seen) = me.await.unwrap();
        gate.set_result(()).unwrap();
        match flavor {
            // One thread: nothing polls the task between the requests and their
            // withdrawal, so none is delivered.
            Flavor::CurrentThread => {
                assert_eq!(seen, (true, true, 2, 1, 0));
                assert_eq!(task.await.unwrap(), 5);
                assert_eq!(handle.outcome(), Some(TaskOutcome::Returned));
            }
            // Another worker may poll the woken task between `cancel` and
            // `uncancel`, and a request delivered is not taken back (once the task
            // ended, its count stays): either way the outcome agrees with what the
            // awaiter saw.
            Flavor::MultiThread => match task.await {
                Ok(value) => {
                    assert_eq!(value, 5);
                    assert_eq!(seen, (true, true, 2, 1, 0));
                    assert_eq!(handle.outcome(), Some(TaskOutcome::Returned));
                }
                Err(error) => {
                    assert!(error.is_cancelled(), "{error}");
                    assert!(handle.cancelled());
                }
            },
        }
    });
}
