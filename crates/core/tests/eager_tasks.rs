//! Eager tasks: the first step runs inside the spawn call.
mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use common::{builder, FLAVORS};
use ferrio_core::{spawn, spawn_eager, yield_now, Flavor};

type Log = Arc<Mutex<Vec<&'static str>>>;

fn push(log: &Log, word: &'static str) {
    log.lock().unwrap().push(word);
}

#[test]
fn a_task_that_finishes_in_its_first_step_is_done_when_spawn_returns() {
    for flavor in FLAVORS {
        for runtime_option in [true, false] {
            let rt = builder(flavor).eager_tasks(runtime_option).build().unwrap();
            rt.block_on(async move {
                let t = if runtime_option {
                    spawn(async { 3 })
                } else {
                    spawn_eager(async { 3 })
                };
                assert!(t.is_finished(), "{flavor:?}");
                assert_eq!(t.await.unwrap(), 3);
            });
        }
    }
}

#[test]
fn the_first_step_runs_before_the_spawner_goes_on_and_the_rest_is_queued() {
    // The single-thread loop: the order is deterministic.
    let rt = builder(Flavor::CurrentThread)
        .eager_tasks(true)
        .build()
        .unwrap();
    let log = rt.block_on(async {
        let log: Log = Arc::default();
        let (l1, l2) = (log.clone(), log.clone());
        let ready = ferrio_core::Handle::current().spawn(async move { push(&l2, "ready") });
        let child = spawn(async move {
            push(&l1, "child-step-1");
            yield_now().await;
            push(&l1, "child-step-2");
        });
        push(&log, "spawner");
        yield_now().await;
        push(&log, "spawner-after-yield");
        child.await.unwrap();
        ready.await.unwrap();
        let out = log.lock().unwrap().clone();
        out
    });
    // `ready` was spawned eagerly too (from the loop thread, through a handle).
    assert_eq!(
        log,
        [
            "ready",
            "child-step-1",
            "spawner",
            "child-step-2",
            "spawner-after-yield"
        ]
    );
}

#[test]
fn the_default_order_is_unchanged() {
    let rt = builder(Flavor::CurrentThread).build().unwrap();
    let log = rt.block_on(async {
        let log: Log = Arc::default();
        let l = log.clone();
        let child = spawn(async move { push(&l, "child") });
        push(&log, "spawner");
        child.await.unwrap();
        let out = log.lock().unwrap().clone();
        out
    });
    assert_eq!(log, ["spawner", "child"]);
}

fn chain(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        if n == 0 {
            return 0;
        }
        spawn_eager(chain(n - 1)).await.unwrap() + 1
    })
}

#[test]
fn a_deep_chain_of_eager_spawns_does_not_overflow() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        assert_eq!(rt.block_on(chain(2_000)), 2_000, "{flavor:?}");
    }
}

#[test]
fn a_panic_in_the_first_step_is_the_task_s_not_the_spawner_s() {
    for flavor in FLAVORS {
        let rt = builder(flavor)
            .eager_tasks(true)
            .on_unretrieved_panic(|_| {})
            .build()
            .unwrap();
        rt.block_on(async {
            let t = spawn(async { panic!("first step") });
            assert!(t.is_finished());
            let err = t.await.unwrap_err();
            assert_eq!(err.panic_message(), Some("first step"));
        });
    }
}

#[test]
fn an_eager_task_can_be_cancelled_after_its_first_step() {
    for flavor in FLAVORS {
        let rt = builder(flavor).eager_tasks(true).build().unwrap();
        rt.block_on(async {
            let t = spawn(std::future::pending::<()>());
            assert!(!t.is_finished());
            assert!(t.cancel());
            assert!(t.await.unwrap_err().is_cancelled());
        });
    }
}
