//! `settable::Future`: asyncio's `loop.create_future()`.
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{on_both, FLAVORS};
use ferrio_core::settable::{Future, FutureError};
use ferrio_core::{sleep, spawn, yield_now};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn is_send_and_sync() {
    assert_send_sync::<Future<u32>>();
    assert_send_sync::<Future<String>>();
}

#[test]
fn a_value_reaches_every_awaiter() {
    on_both(|_| async {
        let fut: Future<String> = Future::new();
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let f = fut.clone();
                spawn(f)
            })
            .collect();
        yield_now().await;
        assert!(!fut.done());
        let setter = fut.clone();
        spawn(async move {
            sleep(Duration::from_millis(2)).await;
            setter.set_result("hello".to_string()).unwrap();
        })
        .detach();
        for w in waiters {
            assert_eq!(w.await.unwrap().unwrap(), "hello");
        }
        assert!(fut.done() && !fut.cancelled());
        assert_eq!(fut.result().unwrap(), "hello");
        assert_eq!(fut.clone().await.unwrap(), "hello", "awaitable after done");
    });
}

#[test]
fn setting_twice_is_an_invalid_state_error_not_a_panic() {
    let fut = Future::new();
    let err = fut.result().unwrap_err().unwrap_err();
    assert!(!err.already_done());
    fut.set_result(1).unwrap();
    let err = fut.set_result(2).unwrap_err();
    assert!(err.already_done());
    assert!(err.to_string().contains("already done"));
    assert!(fut.set_error("late").is_err());
    assert!(!fut.cancel(), "a done future cannot be cancelled");
    assert_eq!(fut.result().unwrap(), 1, "the first value stays");
}

#[test]
fn an_error_reaches_every_awaiter() {
    on_both(|_| async {
        let fut: Future<u8> = Future::new();
        let f = fut.clone();
        let waiter = spawn(f);
        yield_now().await;
        fut.set_error(std::io::Error::other("disk on fire"))
            .unwrap();
        let err = waiter.await.unwrap().unwrap_err();
        assert!(matches!(err, FutureError::Failed(_)));
        assert!(err.to_string().contains("disk on fire"), "{err}");
        assert!(fut.error().is_some());
        assert!(!fut.cancelled());
        assert!(fut
            .result()
            .unwrap_err()
            .unwrap()
            .to_string()
            .contains("disk on fire"));
    });
}

#[test]
fn cancel_with_a_message() {
    on_both(|_| async {
        let fut: Future<u8> = Future::new();
        let f = fut.clone();
        let waiter = spawn(f);
        yield_now().await;
        assert!(fut.cancel_with("shutting down"));
        assert!(!fut.cancel(), "second cancel");
        let err = waiter.await.unwrap().unwrap_err();
        assert!(err.is_cancelled());
        match err {
            FutureError::Cancelled { message } => {
                assert_eq!(message.as_deref(), Some("shutting down"))
            }
            other => panic!("{other:?}"),
        }
        assert!(fut.cancelled() && fut.done());
        assert!(fut.set_result(1).unwrap_err().already_done());
    });
}

#[test]
fn done_callbacks_run_on_the_loop_in_order_after_the_setter() {
    for flavor in FLAVORS {
        let rt = common::runtime(flavor);
        let log = rt.block_on(async {
            let log = Arc::new(Mutex::new(Vec::new()));
            let fut: Future<u32> = Future::new();
            for name in ["cb1", "cb2"] {
                let log = log.clone();
                fut.add_done_callback(move |f| {
                    log.lock()
                        .unwrap()
                        .push(format!("{name}:{}", f.result().unwrap()))
                });
            }
            fut.set_result(7).unwrap();
            log.lock().unwrap().push("after-set".to_string());
            // Added once done: scheduled at once, after the others.
            let l = log.clone();
            fut.add_done_callback(move |_| l.lock().unwrap().push("cb3".to_string()));
            for _ in 0..50 {
                if log.lock().unwrap().len() == 4 {
                    break;
                }
                sleep(Duration::from_millis(1)).await;
            }
            let out = log.lock().unwrap().clone();
            out
        });
        assert_eq!(
            log[0], "after-set",
            "{flavor:?}: callbacks do not run inline"
        );
        let mut rest = log[1..].to_vec();
        if flavor == ferrio_core::Flavor::MultiThread {
            rest.sort();
        }
        assert_eq!(rest, ["cb1:7", "cb2:7", "cb3"], "{flavor:?}");
    }
}

#[test]
fn works_without_any_runtime() {
    let fut: Future<u32> = Future::new();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    fut.add_done_callback(move |f| *s.lock().unwrap() = Some(f.result().unwrap()));
    let setter = fut.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        setter.set_result(11).unwrap();
    });
    assert_eq!(futures_lite::future::block_on(fut.clone()).unwrap(), 11);
    t.join().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        Some(11),
        "ran on the completing thread"
    );
}
