//! `select!` over N branches (random start, `biased;`), `select_all` and `race_all`:
//! the first to finish wins, the losers are dropped before the handler runs, and no
//! branch is favoured by its position — on both executor flavours.

mod comb_support;

use std::future::{pending, ready, Future};
use std::pin::Pin;

use comb_support::{after_polls, on_both_flavours, Gate, Tally};
use ferrio_core::combinators::{race_all, select_all};

const RUNS: usize = if cfg!(miri) { 40 } else { 3_000 };

#[test]
fn select_macro_runs_the_handler_of_the_first_to_finish() {
    on_both_flavours(|| async {
        let out = ferrio_core::select! {
            n = after_polls(5, 1u8) => format!("u8 {n}"),
            s = after_polls(1, "two") => format!("str {s}"),
            () = after_polls(3, ()) => "unit".to_string(),
            (a, b) = after_polls(9, (4, 'x')) => { format!("{a}{b}") }
        };
        assert_eq!(out, "str two");
        // Block handlers with and without a comma after them, between others.
        let out = ferrio_core::select! {
            n = after_polls(3, 1u8) => { format!("block {n}") }
            n = after_polls(0, 2u8) => {
                format!("block {n}")
            },
            n = after_polls(5, 3u8) => format!("expr {n}"),
        };
        assert_eq!(out, "block 2");

        // Handlers run outside any closure: `?` and `.await` act on this function.
        let result: Result<u32, String> = async {
            let n = ferrio_core::select! {
                r = ready(Err::<u32, String>("bad".into())) => r?,
                () = pending() => 0,
            };
            Ok(n)
        }
        .await;
        assert_eq!(result, Err("bad".to_string()));
        let awaited = ferrio_core::select! {
            n = ready(2) => after_polls(2, n * 10).await,
            () = pending() => 0,
        };
        assert_eq!(awaited, 20);
    });
}

#[test]
fn select_macro_names_do_not_clash_with_the_callers() {
    // Names the expansion uses inside, as the caller's own.
    const BRANCHES: u8 = 7;
    on_both_flavours(|| async {
        let (futures, outputs, winner, branches) = (1u8, 2u8, 3u8, 4u8);
        let got = ferrio_core::select! {
            n = ready(BRANCHES + futures) => n + outputs + winner + branches,
            () = pending() => 0,
        };
        assert_eq!(got, 17);
    });
}

#[test]
fn select_macro_drops_the_losers_before_the_handler_runs() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let (one, two) = (dropped.probe(), dropped.probe());
        let seen_in_handler = ferrio_core::select! {
            () = async move { let _p = one; pending::<()>().await } => usize::MAX,
            () = async move { let _p = two; pending::<()>().await } => usize::MAX,
            () = after_polls(2, ()) => dropped.get(),
        };
        assert_eq!(seen_in_handler, 2, "both losers dropped before the handler");
    });
}

#[test]
fn select_macro_keeps_a_future_given_by_reference() {
    on_both_flavours(|| async {
        let gate = Gate::new();
        let mut slow = Box::pin({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                "slow done"
            }
        });
        let first = ferrio_core::select! {
            s = &mut slow => s,
            s = ready("fast") => s,
        };
        assert_eq!(first, "fast");
        gate.open();
        assert_eq!(slow.await, "slow done");
    });
}

#[test]
fn select_macro_starts_at_a_random_branch() {
    on_both_flavours(|| async {
        let mut wins = [0usize; 4];
        for _ in 0..RUNS {
            let winner = ferrio_core::select! {
                i = ready(0) => i,
                i = ready(1) => i,
                i = ready(2) => i,
                i = ready(3) => i,
            };
            wins[winner] += 1;
        }
        // Each of four always-ready branches wins about a quarter of the runs; a
        // generous bound (an eighth) that a fair start misses with negligible odds.
        for (branch, &n) in wins.iter().enumerate() {
            assert!(n >= RUNS / 8, "branch {branch} won {n} of {RUNS}: {wins:?}");
        }
    });
}

#[test]
fn biased_select_polls_in_the_written_order() {
    on_both_flavours(|| async {
        let polled = std::sync::Mutex::new(Vec::new());
        let probe = |branch: usize, ready_now: bool| {
            let polled = &polled;
            std::future::poll_fn(move |_| {
                polled.lock().unwrap().push(branch);
                if ready_now {
                    std::task::Poll::Ready(branch)
                } else {
                    std::task::Poll::Pending
                }
            })
        };
        for _ in 0..100 {
            polled.lock().unwrap().clear();
            let winner = ferrio_core::select! {
                biased;
                i = probe(0, false) => i,
                i = probe(1, true) => i,
                i = probe(2, true) => i,
            };
            assert_eq!(winner, 1);
            assert_eq!(
                *polled.lock().unwrap(),
                [0, 1],
                "polled in order, stopped at 1"
            );
        }
    });
}

#[test]
fn select_all_returns_the_index_and_output_of_the_first() {
    on_both_flavours(|| async {
        let futures: Vec<Pin<Box<dyn Future<Output = char> + Send>>> = vec![
            Box::pin(after_polls(6, 'a')),
            Box::pin(after_polls(4, 'b')),
            Box::pin(after_polls(1, 'c')),
            Box::pin(after_polls(8, 'd')),
        ];
        assert_eq!(select_all(futures).await, (2, 'c'));
        // An array of one future type.
        assert_eq!(
            select_all([after_polls(3, 0), after_polls(0, 1)]).await,
            (1, 1)
        );
        assert_eq!(
            race_all(vec![after_polls(2, "x"), after_polls(5, "y")]).await,
            "x"
        );
    });
}

#[test]
fn select_all_drops_the_losers_when_it_completes() {
    on_both_flavours(|| async {
        let dropped = Tally::new();
        let futures: Vec<Pin<Box<dyn Future<Output = u8> + Send>>> = (0..5)
            .map(|i| -> Pin<Box<dyn Future<Output = u8> + Send>> {
                if i == 3 {
                    Box::pin(after_polls(2, 3))
                } else {
                    let probe = dropped.probe();
                    Box::pin(async move {
                        let _probe = probe;
                        pending().await
                    })
                }
            })
            .collect();
        let mut selecting = select_all(futures);
        assert_eq!((&mut selecting).await, (3, 3));
        // Dropped on completion, while the `SelectAll` itself is still alive.
        assert_eq!(dropped.get(), 4);
        drop(selecting);
        assert_eq!(dropped.get(), 4);
    });
}

#[test]
fn select_all_starts_at_a_random_future() {
    on_both_flavours(|| async {
        let mut wins = [0usize; 4];
        for _ in 0..RUNS {
            let (index, value) = select_all([ready(0), ready(1), ready(2), ready(3)]).await;
            assert_eq!(index, value, "the index is the winner's position");
            wins[index] += 1;
        }
        for (position, &n) in wins.iter().enumerate() {
            assert!(
                n >= RUNS / 8,
                "future {position} won {n} of {RUNS}: {wins:?}"
            );
        }
    });
}

#[test]
fn select_all_of_nothing_panics_at_the_callers_line() {
    let location = std::sync::Arc::new(std::sync::Mutex::new(None));
    let previous = std::panic::take_hook();
    let thread = std::thread::current().id();
    std::panic::set_hook(Box::new({
        let location = location.clone();
        move |info| {
            if std::thread::current().id() == thread {
                *location.lock().unwrap() = info.location().map(|l| l.file().to_string());
            }
        }
    }));
    let caught = std::panic::catch_unwind(|| {
        drop(select_all(Vec::<std::future::Ready<u8>>::new()));
    });
    std::panic::set_hook(previous);
    let payload = caught.expect_err("an empty select_all has no winner");
    let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("given no futures"), "{message}");
    let file = location
        .lock()
        .unwrap()
        .take()
        .expect("the hook saw the panic");
    assert!(file.ends_with("select_n.rs"), "the panic points at {file}");
}
