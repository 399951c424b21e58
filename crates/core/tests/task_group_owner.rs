//! `TaskGroup::new()` + `join()`: the first child failure interrupts the task that
//! created the group at a catch region opened inside its body (asyncio cancels the
//! body of `async with TaskGroup()`); the owner cleans up, reaches `join`, which
//! takes the interruption back and returns the group's error. Without such a
//! region the owner is not interrupted and learns of the failure at `join`. On both
//! executor flavours, with the owner a spawned task and the main task.

mod comb_support;

use std::future::pending;
use std::sync::{Arc, Mutex};

use comb_support::{on_both_flavours, Gate};
use ferrio_core::combinators::{GroupTaskError, TaskGroup};
use ferrio_core::task::catch_cancel;
use ferrio_core::{spawn, yield_now, TaskHandle};

#[derive(Debug, PartialEq)]
struct Oops(u32);

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oops {}", self.0)
    }
}

type Log = Arc<Mutex<Vec<&'static str>>>;

/// The body: a group whose second child fails once the first is waiting; the body
/// waits in a catch region, is interrupted, cleans up with an await, then joins.
async fn interrupted_body(log: Log) {
    let group = TaskGroup::<Oops>::new();
    let l = log.clone();
    let sibling_ready = Gate::new();
    let ready = sibling_ready.clone();
    let sibling = group.spawn(async move {
        let waiting = async {
            ready.open();
            pending::<()>().await
        };
        match catch_cancel(waiting).await {
            Ok(()) => unreachable!(),
            Err(c) => {
                yield_now().await;
                l.lock().unwrap().push("sibling clean-up");
                c.reraise::<Result<(), Oops>>().await
            }
        }
    });
    let gate = Gate::new();
    let g = gate.clone();
    group.spawn(async move {
        // Fails once the sibling waits in its region and the body in its own.
        sibling_ready.wait().await;
        g.wait().await;
        Err::<(), _>(Oops(1))
    });
    let me = TaskHandle::current().unwrap();
    let caught = catch_cancel(async {
        gate.open();
        pending::<()>().await
    })
    .await;
    assert!(caught.is_err(), "the body is interrupted");
    assert_eq!(me.cancelling(), 1);
    log.lock().unwrap().push("body caught");
    yield_now().await;
    log.lock().unwrap().push("body clean-up");
    let error = group.join().await.unwrap_err();
    log.lock().unwrap().push("joined");
    assert_eq!(error.error(), Some(&Oops(1)));
    assert_eq!(error.len(), 1);
    // The group took its interruption back.
    assert_eq!(me.cancelling(), 0);
    assert!(!me.cancelled());
    assert_eq!(sibling.await.unwrap_err(), GroupTaskError::Cancelled);
}

#[test]
fn a_child_failure_interrupts_the_owner_at_its_catch_region() {
    on_both_flavours(|| async {
        for in_main in [false, true] {
            let log: Log = Arc::default();
            if in_main {
                interrupted_body(log.clone()).await;
            } else {
                spawn(interrupted_body(log.clone())).await.unwrap();
            }
            let log = log.lock().unwrap().clone();
            // The body's clean-up runs before join returns, the sibling's clean-up
            // before join returns; join reports after both.
            assert_eq!(log.last(), Some(&"joined"), "{log:?}");
            let at = |e: &str| log.iter().position(|x| *x == e).unwrap();
            assert!(at("body caught") < at("body clean-up"));
            assert!(at("sibling clean-up") < at("joined"));
            assert_eq!(log.len(), 4, "{log:?}");
        }
    });
}

/// Without a catch region in the body, the owner is not interrupted: it goes on and
/// learns of the failure at `join`.
#[test]
fn without_a_region_the_owner_goes_on_and_join_reports() {
    on_both_flavours(|| async {
        let owner = spawn(async {
            let group = TaskGroup::<Oops>::new();
            let gate = Gate::new();
            let g = gate.clone();
            let failed = group.spawn(async move {
                g.wait().await;
                Err::<(), _>(Oops(2))
            });
            gate.open();
            // Waits (no region) until the child failed.
            assert_eq!(failed.await.unwrap_err(), GroupTaskError::Failed);
            yield_now().await;
            let error = group.join().await.unwrap_err();
            assert_eq!(error.error(), Some(&Oops(2)));
            assert_eq!(TaskHandle::current().unwrap().cancelling(), 0);
            "went on"
        });
        assert_eq!(owner.await.unwrap(), "went on");
    });
}

/// A region opened before the group (outside its body), or one around `join`
/// itself, is not interrupted.
#[test]
fn regions_outside_the_body_are_not_interrupted() {
    on_both_flavours(|| async {
        let owner = spawn(async {
            let outer = catch_cancel(async {
                let group = TaskGroup::<Oops>::new();
                let gate = Gate::new();
                let g = gate.clone();
                group.spawn(async move {
                    g.wait().await;
                    Err::<(), _>(Oops(3))
                });
                gate.open();
                // `join` inside a region: the body has ended, nothing interrupts it.
                catch_cancel(group.join()).await
            })
            .await;
            let joined = outer.expect("the outer region caught nothing");
            let error = joined.expect("the region around join caught nothing");
            error.unwrap_err().error().map(|e| e.0)
        });
        assert_eq!(owner.await.unwrap(), Some(3));
    });
}
