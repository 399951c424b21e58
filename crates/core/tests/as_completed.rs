//! as_completed: outputs in completion order, as a Stream and through `next()`, on
//! both executor flavours.

mod comb_support;

use comb_support::{after_polls, on_both_flavours, Gate, Tally};
use ferrio_core::combinators::as_completed;
use ferrio_core::spawn;
use futures_lite::stream::{Stream, StreamExt};

#[test]
fn yields_in_completion_order() {
    on_both_flavours(|| async {
        let polls = [4, 0, 7, 2];
        let mut completed = as_completed(polls.iter().enumerate().map(|(i, &n)| after_polls(n, i)));
        let mut order = Vec::new();
        while let Some(index) = completed.next().await {
            order.push(index);
        }
        assert_eq!(order, vec![1, 3, 0, 2]);
    });
}

#[test]
fn yields_tasks_in_the_order_they_finish() {
    on_both_flavours(|| async {
        let gates: Vec<Gate> = (0..3).map(|_| Gate::new()).collect();
        let tasks = gates.iter().enumerate().map(|(i, gate)| {
            let gate = gate.clone();
            spawn(async move {
                gate.wait().await;
                i
            })
        });
        let mut completed = as_completed(tasks);
        for i in [2, 0, 1] {
            gates[i].open();
            assert_eq!(completed.next().await.unwrap().unwrap(), i);
        }
        assert!(completed.next().await.is_none());
        assert!(completed.is_empty());
    });
}

#[test]
fn next_indexed_names_the_finished_future() {
    on_both_flavours(|| async {
        let mut completed = as_completed(
            ["c", "a", "b"]
                .iter()
                .zip([2, 0, 1])
                .map(|(s, n)| after_polls(n, *s)),
        );
        assert_eq!(completed.remaining(), 3);
        assert_eq!(completed.next_indexed().await, Some((1, "a")));
        assert_eq!(completed.next_indexed().await, Some((2, "b")));
        assert_eq!(completed.next_indexed().await, Some((0, "c")));
        assert_eq!(completed.next_indexed().await, None);
    });
}

#[test]
fn is_a_stream() {
    on_both_flavours(|| async {
        let stream = as_completed((0..5u32).map(|i| after_polls(5 - i as usize, i)));
        assert_eq!(stream.size_hint(), (5, Some(5)));
        let collected: Vec<u32> = stream.collect().await;
        assert_eq!(collected, vec![4, 3, 2, 1, 0]);
    });
}

#[test]
fn dropping_it_drops_the_unfinished_futures() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let futures = (0..4).map(|i| {
            let probe = dropped.probe();
            async move {
                let _probe = probe;
                if i == 0 {
                    return i;
                }
                std::future::pending().await
            }
        });
        let mut completed = as_completed(futures);
        assert_eq!(completed.next().await, Some(0));
        assert_eq!(dropped.get(), 1);
        drop(completed);
        assert_eq!(dropped.get(), 4);
    });
}

#[test]
fn handles_many_futures() {
    on_both_flavours(|| async {
        let n = if cfg!(miri) { 100 } else { 10_000 };
        let mut completed = as_completed((0..n).map(|i| after_polls(i % 3, i)));
        let mut seen = vec![false; n];
        let mut last_polls = 0;
        while let Some(i) = completed.next().await {
            // Completion order follows the number of polls each future needs.
            assert!(i % 3 >= last_polls);
            last_polls = i % 3;
            seen[i] = true;
        }
        assert!(seen.into_iter().all(|s| s));
    });
}
