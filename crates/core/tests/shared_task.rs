//! `Task::shared`: with `T: Clone`, the value is awaited from several places.
mod common;

use common::{on_both, Started};
use ferrio_core::{spawn, Cancelled, TaskOutcome};

#[test]
fn every_awaiter_gets_the_value() {
    on_both(|_| async {
        let gate = Started::default();
        let g = gate.clone();
        let shared = spawn(async move {
            g.wait().await;
            vec![1, 2, 3]
        })
        .shared();
        let waiters: Vec<_> = (0..8).map(|_| spawn(shared.clone())).collect();
        gate.mark();
        for w in waiters {
            assert_eq!(w.await.unwrap().unwrap(), vec![1, 2, 3]);
        }
        assert_eq!(shared.await.unwrap(), vec![1, 2, 3]);
    });
}

#[test]
fn every_awaiter_sees_the_cancellation_and_its_message() {
    on_both(|_| async {
        let shared = spawn(std::future::pending::<u8>()).shared();
        let waiters: Vec<_> = (0..4).map(|_| spawn(shared.clone())).collect();
        ferrio_core::yield_now().await;
        assert!(shared.handle().cancel_with("no"));
        let expected = Err(TaskOutcome::Cancelled(Cancelled::with_message("no")));
        for w in waiters {
            assert_eq!(w.await.unwrap(), expected);
        }
        assert_eq!(shared.await, expected);
    });
}
