//! Cancellation travels down the await chain: cancelling the awaiter cancels the
//! awaited tasks with the same message, and their clean-up finishes first.
mod common;

use std::future::pending;
use std::sync::{Arc, Mutex};

use common::{on_both, Started};
use ferrio_core::combinators::{as_completed, gather, wait, ReturnWhen};
use ferrio_core::task::catch_cancel;
use ferrio_core::{spawn, yield_now, Task, TaskHandle, TaskOutcome};

type Log = Arc<Mutex<Vec<String>>>;

fn log(l: &Log, s: &str) {
    l.lock().unwrap().push(s.to_string());
}

/// A task that catches its cancellation, cleans up with an await, logs, re-raises.
fn child(l: &Log, name: &'static str) -> Task<u32> {
    let l = l.clone();
    let st = Started::default();
    let s2 = st.clone();
    let task = spawn(async move {
        s2.mark();
        match catch_cancel(pending::<u32>()).await {
            Ok(v) => v,
            Err(c) => {
                yield_now().await;
                log(
                    &l,
                    &format!("{name} cleaned up ({})", c.message().unwrap_or("-")),
                );
                c.reraise().await
            }
        }
    });
    STARTED.with(|s| s.borrow_mut().push(st));
    task
}

thread_local! {
    static STARTED: std::cell::RefCell<Vec<Started>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Spawns `fut` and returns its task with its start flag.
fn spawn_marked<F>(fut: F) -> (Task<F::Output>, Started)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let st = Started::default();
    let s2 = st.clone();
    let task = spawn(async move {
        s2.mark();
        fut.await
    });
    (task, st)
}

/// Waits until every child and `outers` have begun waiting.
async fn settle(outers: &[&Started]) {
    let children: Vec<Started> = STARTED.with(|s| s.borrow_mut().drain(..).collect());
    for s in children.iter().chain(outers.iter().copied()) {
        s.wait().await;
    }
}

#[test]
fn awaiting_a_task_directly() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let inner = child(&l, "inner");
        let inner_h = inner.handle();
        let l2 = l.clone();
        let (outer, st) = spawn_marked(async move {
            match catch_cancel(inner).await {
                Ok(_) => unreachable!(),
                Err(c) => {
                    log(&l2, "outer caught");
                    c.reraise::<()>().await
                }
            }
        });
        settle(&[&st]).await;
        assert!(outer.cancel_with("down"));
        assert_eq!(outer.await.unwrap_err().cancel_message(), Some("down"));
        assert_eq!(
            *l.lock().unwrap(),
            ["inner cleaned up (down)", "outer caught"]
        );
        assert!(inner_h.cancelled());
    });
}

#[test]
fn without_a_catch_the_awaiter_ends_after_the_inner_clean_up() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let inner = child(&l, "inner");
        let inner_h = inner.handle();
        let (outer, st) = spawn_marked(inner);
        settle(&[&st]).await;
        assert!(outer.cancel());
        assert!(outer.await.unwrap_err().is_cancelled());
        // asyncio's order: the awaiter ends only once the inner task ended.
        assert!(inner_h.done());
        assert_eq!(*l.lock().unwrap(), ["inner cleaned up (-)"]);
    });
}

#[test]
fn through_gather_in_argument_order() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let kids: Vec<_> = ["a", "b", "c"].iter().map(|n| child(&l, n)).collect();
        let handles: Vec<TaskHandle> = kids.iter().map(Task::handle).collect();
        let (outer, st) = spawn_marked(async move { gather(kids).await });
        settle(&[&st]).await;
        assert!(outer.cancel_with("g"));
        assert!(outer.await.unwrap_err().is_cancelled());
        for h in &handles {
            assert!(h.cancelled());
        }
        let mut got = l.lock().unwrap().clone();
        got.sort();
        assert_eq!(
            got,
            ["a cleaned up (g)", "b cleaned up (g)", "c cleaned up (g)"]
        );
    });
}

#[test]
fn through_wait_and_as_completed() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let kids: Vec<_> = ["w1", "w2"].iter().map(|n| child(&l, n)).collect();
        let hs: Vec<TaskHandle> = kids.iter().map(Task::handle).collect();
        let (outer, st) = spawn_marked(async move {
            wait(kids, ReturnWhen::AllCompleted).await;
        });
        let kids2: Vec<_> = ["c1", "c2"].iter().map(|n| child(&l, n)).collect();
        let hs2: Vec<TaskHandle> = kids2.iter().map(Task::handle).collect();
        let (outer2, st2) = spawn_marked(async move {
            let mut it = as_completed(kids2);
            it.next().await;
        });
        settle(&[&st, &st2]).await;
        assert!(outer.cancel());
        assert!(outer2.cancel());
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(outer2.await.unwrap_err().is_cancelled());
        for h in hs.iter().chain(&hs2) {
            assert_eq!(
                h.outcome().map(|o| matches!(o, TaskOutcome::Cancelled(_))),
                Some(true)
            );
        }
    });
}

#[test]
fn dropping_a_task_without_cancellation_still_detaches() {
    on_both(|_| async {
        let (tx, rx) = std::sync::mpsc::channel();
        let t = spawn(async move {
            yield_now().await;
            tx.send(1).unwrap();
        });
        let h = t.handle();
        drop(t);
        assert_eq!(h.wait().await, TaskOutcome::Returned);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(30))
                .expect("a value within 30 s"),
            1
        );
    });
}
