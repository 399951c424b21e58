//! select and race: the first to finish wins, the loser is dropped at once, and
//! neither side is always polled first — on both executor flavours.

mod comb_support;

use std::future::{pending, ready};

use comb_support::{after_polls, on_both_flavours, Gate, Tally};
use ferrio_core::combinators::{race, select, CancelOnDrop, Either};
use ferrio_core::spawn;

#[test]
fn the_first_to_finish_wins() {
    on_both_flavours(|| async {
        assert_eq!(
            select(after_polls(1, 'a'), after_polls(5, 2u8)).await,
            Either::Left('a')
        );
        assert_eq!(
            select(after_polls(5, 'a'), after_polls(1, 2u8)).await,
            Either::Right(2)
        );
        assert_eq!(
            race(after_polls(3, "slow"), after_polls(0, "fast")).await,
            "fast"
        );
    });
}

#[test]
fn the_loser_is_dropped_when_select_completes() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let probe = dropped.probe();
        let loser = async move {
            let _probe = probe;
            pending::<()>().await
        };
        let mut selected = Box::pin(select(loser, after_polls(2, 7)));
        let winner = (&mut selected).await;
        assert_eq!(winner, Either::Right(7));
        // Dropped on completion, while the `Select` itself is still alive.
        assert_eq!(dropped.get(), 1);
        drop(selected);
        assert_eq!(dropped.get(), 1);
    });
}

#[test]
fn is_fair_when_both_are_ready() {
    on_both_flavours(|| async {
        let mut left_wins = 0;
        for _ in 0..1_000 {
            if select(ready(()), ready(())).await.is_left() {
                left_wins += 1;
            }
        }
        // A fair coin: both sides win often (a 1-in-2^1000 chance says otherwise).
        assert!(
            (100..=900).contains(&left_wins),
            "left won {left_wins} of 1000"
        );
    });
}

#[test]
fn keeps_the_loser_alive_when_given_by_reference() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let mut slow = Box::pin({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                "slow done"
            }
        });
        assert_eq!(select(&mut slow, ready(1)).await, Either::Right(1));
        gate.open();
        assert_eq!(slow.await, "slow done");
    });
}

#[test]
fn selecting_tasks_detaches_the_loser_unless_it_cancels_on_drop() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let finished = Tally::new();
        let loser = spawn({
            let gate = gate.clone();
            let finished = finished.clone();
            async move {
                gate.wait().await;
                finished.hit();
            }
        });
        let winner = spawn(async { 5 });
        assert_eq!(select(loser, winner).await.right().unwrap().unwrap(), 5);
        // The losing task was only detached: it still runs to the end.
        gate.open();
        finished.reach(1).await;

        let cancelled = Tally::new();
        let probe = cancelled.probe();
        let loser = CancelOnDrop::new(spawn(async move {
            let _probe = probe;
            pending::<u8>().await
        }));
        let winner = CancelOnDrop::new(spawn(async { 6 }));
        assert_eq!(race(loser, winner).await.unwrap(), 6);
        cancelled.reach(1).await;
    });
}

#[test]
fn either_helpers() {
    let left: Either<u8, &str> = Either::Left(1);
    let right: Either<u8, &str> = Either::Right("r");
    assert!(left.is_left() && !left.is_right());
    assert_eq!(left.left(), Some(1));
    assert_eq!(right.right(), Some("r"));
    assert_eq!(right.left(), None);
    assert_eq!(Either::<u8, u8>::Right(3).into_inner(), 3);
}
