//! TaskGroup: join waits for every child, the first failure (Err or panic) cancels
//! the siblings and is reported, dropping the group cancels its children — on both
//! executor flavours.

mod comb_support;

use std::future::pending;

use comb_support::{on_both_flavours, Gate, Tally};
use ferrio_core::combinators::{FailureKind, GroupTaskError, TaskGroup};

#[derive(Debug, PartialEq)]
struct Oops(u32);

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oops {}", self.0)
    }
}

#[test]
fn join_waits_for_every_child_and_handles_give_their_values() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let gate = Gate::new();
        let finished = Tally::new();
        let handles: Vec<_> = (0..5u32)
            .map(|i| {
                let gate = gate.clone();
                let finished = finished.clone();
                group.spawn(async move {
                    gate.wait().await;
                    finished.hit();
                    Ok(i * 2)
                })
            })
            .collect();
        let text = group.spawn(async { Ok("text") });
        // The five gated children cannot have finished; the sixth may have.
        assert!((5..=6).contains(&group.len()));
        gate.open();
        group.join().await.unwrap();
        // join returned only after every child finished.
        assert_eq!(finished.get(), 5);
        for (i, handle) in handles.into_iter().enumerate() {
            assert!(handle.is_finished());
            assert_eq!(handle.await, Ok(i as u32 * 2));
        }
        assert_eq!(text.await, Ok("text"));
    });
}

#[test]
fn the_first_err_cancels_the_siblings_and_is_reported() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let cancelled = Tally::new();
        let siblings: Vec<_> = (0..3)
            .map(|_| {
                let probe = cancelled.probe();
                group.spawn(async move {
                    let _probe = probe;
                    pending::<Result<(), Oops>>().await
                })
            })
            .collect();
        let gate = Gate::new();
        let failing = group.spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                Err::<(), _>(Oops(7))
            }
        });
        let failing_id = failing.id();
        gate.open();
        let error = group.join().await.unwrap_err();
        // Every sibling was cancelled, and dropped, before join returned.
        assert_eq!(cancelled.get(), 3);
        assert_eq!(error.index(), 3);
        assert_eq!(error.first().id, Some(failing_id));
        assert_eq!(error.error(), Some(&Oops(7)));
        assert!(!error.is_panic());
        assert!(error.later().is_empty());
        assert_eq!(failing.await, Err(GroupTaskError::Failed));
        for sibling in siblings {
            assert_eq!(sibling.await, Err(GroupTaskError::Cancelled));
        }
    });
}

#[test]
fn a_panic_is_a_failure_with_its_payload() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let cancelled = Tally::new();
        let probe = cancelled.probe();
        group.spawn(async move {
            let _probe = probe;
            pending::<Result<(), Oops>>().await
        });
        group.spawn(async { panic!("child panicked") as Result<(), Oops> });
        let error = group.join().await.unwrap_err();
        assert_eq!(cancelled.get(), 1);
        assert!(error.is_panic());
        assert_eq!(error.index(), 1);
        assert_eq!(error.first().kind.panic_message(), Some("child panicked"));
        assert!(matches!(error.first().kind, FailureKind::Panic(_)));
        assert!(error.to_string().contains("child panicked"), "{error}");
    });
}

#[test]
fn dropping_the_group_cancels_its_children() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let cancelled = Tally::new();
        let started = Tally::new();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let probe = cancelled.probe();
                let started = started.clone();
                group.spawn(async move {
                    let _probe = probe;
                    started.hit();
                    pending::<Result<(), Oops>>().await
                })
            })
            .collect();
        started.reach(4).await;
        drop(group);
        cancelled.reach(4).await;
        for handle in handles {
            assert_eq!(handle.await, Err(GroupTaskError::Cancelled));
        }
    });
}

#[test]
fn dropping_an_unfinished_join_cancels_the_children() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let cancelled = Tally::new();
        let probe = cancelled.probe();
        group.spawn(async move {
            let _probe = probe;
            pending::<Result<(), Oops>>().await
        });
        let mut join = Box::pin(group.join());
        assert!(futures_lite::future::poll_once(&mut join).await.is_none());
        drop(join);
        cancelled.reach(1).await;
    });
}

#[test]
fn spawning_into_an_aborting_group_fails_clearly() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let failed = group.spawn(async { Err::<(), _>(Oops(1)) });
        // The handle reports the failure only after the group recorded it.
        assert_eq!(failed.await, Err(GroupTaskError::Failed));
        let refused = group
            .try_spawn(async { Ok::<u8, Oops>(0) })
            .expect_err("an aborting group refuses new children");
        assert!(refused.is_aborting());
        assert!(refused.to_string().contains("shutting down"), "{refused}");
        let future = refused.into_inner();
        assert_eq!(future.await, Ok(0));
        assert_eq!(group.join().await.unwrap_err().error(), Some(&Oops(1)));
    });
}

#[test]
fn cancelling_one_child_is_not_a_failure() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let gate = Gate::new();
        let victim = group.spawn(pending::<Result<u8, Oops>>());
        let survivor = group.spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                Ok(9)
            }
        });
        assert!(victim.cancel());
        gate.open();
        group.join().await.unwrap();
        assert_eq!(victim.await, Err(GroupTaskError::Cancelled));
        assert_eq!(survivor.await, Ok(9));
    });
}

#[test]
fn children_spawn_siblings_through_a_spawner_and_join_waits_for_them() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let spawner = group.spawner();
        let finished = Tally::new();
        let parent = group.spawn({
            let finished = finished.clone();
            async move {
                let sibling = spawner.spawn({
                    let finished = finished.clone();
                    async move {
                        finished.hit();
                        Ok(2)
                    }
                });
                finished.hit();
                Ok(sibling)
            }
        });
        group.join().await.unwrap();
        assert_eq!(finished.get(), 2);
        let sibling = parent.await.unwrap();
        assert_eq!(sibling.index(), 1);
        assert_eq!(sibling.await, Ok(2));
    });
}

#[test]
fn spawning_after_join_fails_clearly() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let spawner = group.spawner();
        group.join().await.unwrap();
        let refused = spawner
            .try_spawn(async { Ok::<(), Oops>(()) })
            .expect_err("a joined group refuses new children");
        assert!(!refused.is_aborting());
        assert!(refused.to_string().contains("closed"), "{refused}");
    });
}

#[test]
fn named_children_carry_their_name() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let named = group.spawn_named("fetcher", async {
            Ok(ferrio_core::current_task().and_then(|task| task.name.map(|n| n.to_string())))
        });
        group.join().await.unwrap();
        assert_eq!(named.await.unwrap().as_deref(), Some("fetcher"));
    });
}

#[test]
fn a_failure_cancels_the_siblings_even_before_join_is_awaited() {
    on_both_flavours(|| async {
        let group = TaskGroup::<Oops>::new();
        let cancelled = Tally::new();
        let probe = cancelled.probe();
        let sibling = group.spawn(async move {
            let _probe = probe;
            pending::<Result<(), Oops>>().await
        });
        group.spawn(async { Err::<(), _>(Oops(3)) });
        // Nobody awaits `join` yet; the failure alone cancels the sibling.
        cancelled.reach(1).await;
        assert_eq!(sibling.await, Err(GroupTaskError::Cancelled));
        assert_eq!(group.join().await.unwrap_err().error(), Some(&Oops(3)));
    });
}

#[test]
fn local_children_may_hold_non_send_state_on_the_single_thread_loop() {
    use std::cell::RefCell;
    use std::rc::Rc;

    let runtime = ferrio_core::Builder::new()
        .flavor(ferrio_core::Flavor::CurrentThread)
        .build()
        .unwrap();
    runtime.block_on(async {
        let group = TaskGroup::<Oops>::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let log = log.clone();
                group.spawn_local(async move {
                    futures_lite::future::yield_now().await;
                    log.borrow_mut().push(i);
                    Ok(Rc::new(i))
                })
            })
            .collect();
        let failing = {
            let log = log.clone();
            group.spawn_local(async move {
                let _keep = log;
                pending::<Result<(), Oops>>().await
            })
        };
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(*handle.await.unwrap(), i);
        }
        assert!(failing.cancel());
        group.join().await.unwrap();
        let mut seen = log.borrow().clone();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2]);
    });
}
