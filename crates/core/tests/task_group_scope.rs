//! `TaskGroup::scope`, asyncio's `async with TaskGroup() as tg:` with its body: a
//! child failure interrupts the body, a body error cancels the children and is
//! reported with theirs, an outside cancellation goes through.
mod common;

use std::future::pending;
use std::sync::{Arc, Mutex};

use common::{on_both, Started};
use ferrio_core::combinators::TaskGroup;
use ferrio_core::task::catch_cancel;
use ferrio_core::{spawn, yield_now};

#[test]
fn a_child_failure_interrupts_the_body_which_may_catch_it() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let outcome = spawn(TaskGroup::<String>::scope(|tg| async move {
            tg.spawn(async {
                yield_now().await;
                Err::<(), _>("child broke".to_string())
            });
            match catch_cancel(pending::<()>()).await {
                Ok(()) => unreachable!(),
                Err(_) => {
                    // Clean-up in the body may await.
                    yield_now().await;
                    l.lock().unwrap().push("body cleaned up");
                }
            }
            Ok("body finished")
        }))
        .await
        .unwrap();
        let error = outcome.unwrap_err();
        assert_eq!(error.error().map(String::as_str), Some("child broke"));
        assert_eq!(error.len(), 1);
        assert_eq!(*log.lock().unwrap(), ["body cleaned up"]);
    });
}

#[test]
fn a_body_error_cancels_the_children_and_is_reported_with_theirs() {
    on_both(|_| async {
        let started = Started::default();
        let s = started.clone();
        let outcome = spawn(TaskGroup::<String>::scope(|tg| async move {
            let child = tg.spawn(async move {
                s.mark();
                pending::<Result<(), String>>().await
            });
            started.wait().await;
            drop(child);
            Err::<(), _>("body broke".to_string())
        }))
        .await
        .unwrap();
        let error = outcome.unwrap_err();
        assert!(error.first().is_body());
        assert_eq!(error.error().map(String::as_str), Some("body broke"));
        assert_eq!(error.len(), 1, "a cancelled child is not a failure");
    });
}

#[test]
fn success_returns_the_body_value_after_the_children() {
    on_both(|_| async {
        let value = spawn(TaskGroup::<()>::scope(|tg| async move {
            let a = tg.spawn(async { Ok(2) });
            Ok(a.await.unwrap() * 21)
        }))
        .await
        .unwrap();
        assert_eq!(value.unwrap(), 42);
    });
}

#[test]
fn an_outside_cancellation_cancels_the_children_and_goes_through() {
    on_both(|_| async {
        let started = Started::default();
        let s = started.clone();
        let child_saw = Arc::new(Mutex::new(None));
        let c = child_saw.clone();
        let task = spawn(TaskGroup::<()>::scope(|tg| async move {
            tg.spawn(async move {
                s.mark();
                match catch_cancel(pending::<()>()).await {
                    Ok(()) => Ok(()),
                    Err(cancelled) => {
                        *c.lock().unwrap() = cancelled.message().map(String::from);
                        cancelled.reraise().await
                    }
                }
            });
            pending::<Result<(), ()>>().await
        }));
        started.wait().await;
        for _ in 0..5 {
            yield_now().await;
        }
        assert!(task.cancel_with("outside"));
        let err = task.await.unwrap_err();
        assert_eq!(err.cancel_message(), Some("outside"));
        assert_eq!(child_saw.lock().unwrap().as_deref(), Some("outside"));
    });
}

#[test]
fn children_may_return_plain_values() {
    on_both(|_| async {
        let value = spawn(TaskGroup::<String>::scope(|tg| async move {
            let a = tg.spawn_value(async { 20 });
            let b = tg.spawn_value(async { "two" });
            Ok((a.await.unwrap(), b.await.unwrap()))
        }))
        .await
        .unwrap();
        assert_eq!(value.unwrap(), (20, "two"));
    });
}
