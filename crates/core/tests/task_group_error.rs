//! The task group's error is one `Send + Sync + Error` value listing every failure,
//! iterable and splittable (asyncio's `ExceptionGroup`); cancelling the group's owner
//! cancels the children with its message, their clean-up first.
mod common;

use std::error::Error;
use std::future::pending;
use std::sync::{Arc, Mutex};

use common::{on_both, Started};
use ferrio_core::combinators::{TaskGroup, TaskGroupError};
use ferrio_core::task::catch_cancel;
use ferrio_core::{spawn, yield_now};

fn send_sync_error<T: Error + Send + Sync + 'static>() {}

#[test]
fn the_group_error_is_send_sync_and_an_error() {
    send_sync_error::<TaskGroupError<std::io::Error>>();
}

async fn fails_into_a_box() -> Result<(), Box<dyn Error + Send + Sync>> {
    let group = TaskGroup::<std::io::Error>::new();
    group.spawn(async { Err::<(), _>(std::io::Error::other("disk on fire")) });
    group.join().await?;
    Ok(())
}

#[test]
fn question_mark_into_a_boxed_error() {
    on_both(|_| async {
        let err = fails_into_a_box().await.unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
    });
}

#[test]
fn every_failure_is_listed_and_can_be_split() {
    on_both(|_| async {
        let group = TaskGroup::<String>::new();
        let gate = Started::default();
        for i in 0..3 {
            let g = gate.clone();
            group.spawn(async move {
                // All three fail in the same turn, before any cancellation lands.
                g.wait().await;
                if i == 1 {
                    panic!("child {i} panicked");
                }
                Err::<(), _>(format!("child {i} failed"))
            });
        }
        gate.mark();
        let err = group.join().await.unwrap_err();
        assert!(!err.is_empty());
        assert_eq!(err.len(), err.iter().count());
        let (panics, errors) = err.split(|f| f.kind.is_panic());
        if let Some(p) = &panics {
            assert!(p.iter().all(|f| f.kind.is_panic()));
        }
        let errors = errors.expect("at least the first error or one sibling's");
        assert!(errors.iter().all(|f| !f.kind.is_panic()));
    });
}

#[test]
fn cancelling_the_owner_cancels_the_children_with_its_message() {
    on_both(|_| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let st = Started::default();
        let kids = [Started::default(), Started::default()];
        let (l, s2, k2) = (log.clone(), st.clone(), kids.clone());
        let owner = spawn(async move {
            let group = TaskGroup::<()>::new();
            for k in k2 {
                let l = l.clone();
                group.spawn(async move {
                    k.mark();
                    match catch_cancel(pending::<()>()).await {
                        Ok(()) => Ok(()),
                        Err(c) => {
                            yield_now().await;
                            l.lock().unwrap().push(format!("child: {:?}", c.message()));
                            c.reraise().await
                        }
                    }
                });
            }
            s2.mark();
            match catch_cancel(group.join()).await {
                Ok(r) => r.is_ok(),
                Err(_) => {
                    l.lock().unwrap().push("owner caught".to_string());
                    false
                }
            }
        });
        st.wait().await;
        for k in &kids {
            k.wait().await;
        }
        assert!(owner.cancel_with("closing"));
        assert!(!owner.await.unwrap());
        let log = log.lock().unwrap().clone();
        assert_eq!(
            log,
            [
                "child: Some(\"closing\")",
                "child: Some(\"closing\")",
                "owner caught"
            ]
        );
    });
}
