//! `gather` as asyncio's: over tasks, the first error goes to the awaiter and the
//! other tasks keep running (`try_gather`); every outcome kept (`gather`, asyncio's
//! `return_exceptions=True`); cancelling the awaiter cancels every unfinished child,
//! in argument order.
mod common;

use std::future::pending;
use std::sync::{Arc, Mutex};

use common::{on_both, Started};
use ferrio_core::combinators::{gather, try_gather};
use ferrio_core::task::catch_cancel;
use ferrio_core::{spawn, Flavor, TaskOutcome};

#[test]
fn the_first_error_goes_to_the_awaiter_and_the_others_keep_running() {
    on_both(|_| async {
        let gate = Started::default();
        let g = gate.clone();
        let slow = spawn(async move {
            g.wait().await;
            2u32
        });
        let slow_handle = slow.handle();
        let failing = spawn(async { panic!("first error") });
        let result = try_gather([failing, slow]).await;
        assert_eq!(result.unwrap_err().panic_message(), Some("first error"));
        // Not cancelled: it finishes once let go.
        gate.mark();
        assert_eq!(slow_handle.wait().await, TaskOutcome::Returned);
    });
}

#[test]
fn return_exceptions_keeps_every_outcome_in_argument_order() {
    on_both(|_| async {
        let tasks = vec![
            spawn(async { Ok::<u8, String>(1) }),
            spawn(async { Err("two".to_string()) }),
            spawn(async { Ok(3) }),
        ];
        let out: Vec<_> = gather(tasks)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(out, [Ok(1), Err("two".to_string()), Ok(3)]);
    });
}

#[test]
fn cancelling_the_awaiter_cancels_every_unfinished_child_in_argument_order() {
    on_both(|flavor| async move {
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut kids = Vec::new();
        let mut started = Vec::new();
        for n in 0..4 {
            let st = Started::default();
            started.push(st.clone());
            let order = order.clone();
            kids.push(spawn(async move {
                st.mark();
                if let Err(c) = catch_cancel(pending::<()>()).await {
                    order.lock().unwrap().push(n);
                    return c.reraise::<u32>().await;
                }
                unreachable!()
            }));
        }
        let finished = spawn(async { 99u32 });
        kids.insert(2, finished);
        let handles: Vec<_> = kids.iter().map(|t| t.handle()).collect();
        let outer_started = Started::default();
        let os = outer_started.clone();
        let outer = spawn(async move {
            os.mark();
            gather(kids).await
        });
        for st in &started {
            st.wait().await;
        }
        outer_started.wait().await;
        for _ in 0..5 {
            ferrio_core::yield_now().await;
        }
        assert!(outer.cancel_with("stop"));
        assert!(outer.await.unwrap_err().is_cancelled());
        for (i, h) in handles.iter().enumerate() {
            let expect_cancelled = i != 2;
            assert_eq!(h.cancelled(), expect_cancelled, "child {i}");
        }
        let order = order.lock().unwrap().clone();
        if flavor == Flavor::CurrentThread {
            // One thread: the clean-ups run in the order the requests were made.
            assert_eq!(order, [0, 1, 2, 3]);
        } else {
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2, 3]);
        }
    });
}
