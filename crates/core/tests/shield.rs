//! shield: cancelling (dropping) the waiter does not cancel the shielded work, which
//! keeps running and can be awaited again — on both executor flavours.

mod comb_support;

use std::future::ready;

use comb_support::{on_both_flavours, Gate, Tally};
use ferrio_core::combinators::{select, shield, shield_future, CancelOnDrop, Either};
use ferrio_core::spawn;

#[test]
fn the_task_keeps_running_when_its_waiter_is_cancelled() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let finished = Tally::new();
        let inner = spawn({
            let gate = gate.clone();
            let finished = finished.clone();
            async move {
                gate.wait().await;
                finished.hit();
                "inner result"
            }
        });
        // The waiter is a task of its own, cancelled while it awaits the shield.
        let waiter_started = Gate::new();
        let waiter = spawn({
            let waiter_started = waiter_started.clone();
            async move {
                let shielded = shield(inner);
                waiter_started.open();
                shielded.await
            }
        });
        waiter_started.wait().await;
        assert!(waiter.cancel());
        assert!(waiter.await.unwrap_err().is_cancelled());
        // The inner task was not cancelled with its waiter.
        gate.open();
        finished.reach(1).await;
    });
}

#[test]
fn the_result_is_available_when_awaited_again() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let mut shielded = shield(spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                42
            }
        }));
        // A select gives up on the shield (as a timeout would) and drops its reference.
        assert!(matches!(
            select(&mut shielded, ready("gave up")).await,
            Either::Right("gave up")
        ));
        assert!(!shielded.is_finished());
        gate.open();
        assert_eq!(shielded.await.unwrap(), 42);
    });
}

#[test]
fn a_shielded_future_runs_to_completion_after_the_shield_is_dropped() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let finished = Tally::new();
        let shielded = shield_future({
            let gate = gate.clone();
            let finished = finished.clone();
            async move {
                gate.wait().await;
                finished.hit();
            }
        });
        drop(shielded);
        gate.open();
        finished.reach(1).await;
    });
}

#[test]
fn without_a_shield_cancel_on_drop_cancels_the_task() {
    on_both_flavours(|| async {
        let cancelled = Tally::new();
        let probe = cancelled.probe();
        let task = CancelOnDrop::new(spawn(async move {
            let _probe = probe;
            std::future::pending::<()>().await
        }));
        drop(task);
        cancelled.reach(1).await;

        // The same, shielded and handed back as a plain handle, is not cancelled.
        let gate = Gate::new();
        let finished = Tally::new();
        let shielded = shield(spawn({
            let gate = gate.clone();
            let finished = finished.clone();
            async move {
                gate.wait().await;
                finished.hit();
            }
        }));
        let task = shielded.into_task();
        drop(task);
        gate.open();
        finished.reach(1).await;
    });
}
