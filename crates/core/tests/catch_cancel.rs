//! Catchable cancellation: a region receives the request as a value, clean-up may
//! await, then the task re-raises or suppresses; regions nest; shield protects.
mod common;

use std::future::pending;
use std::sync::{Arc, Mutex};

use common::{on_both, Started};
use ferrio_core::task::catch_cancel;
use ferrio_core::{shield, spawn, yield_now, TaskHandle};

type Log = Arc<Mutex<Vec<String>>>;

fn log(l: &Log, s: &str) {
    l.lock().unwrap().push(s.to_string());
}

struct Guard(Log, &'static str);
impl Drop for Guard {
    fn drop(&mut self) {
        log(&self.0, self.1);
    }
}

#[test]
fn catch_clean_up_with_await_then_reraise() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let l2 = l.clone();
        let st = Started::default();
        let s2 = st.clone();
        let task = spawn(async move {
            s2.mark();
            let g = Guard(l2.clone(), "inner dropped");
            match catch_cancel(async move {
                let _g = g;
                pending::<u32>().await
            })
            .await
            {
                Ok(v) => v,
                Err(c) => {
                    log(&l2, &format!("caught {:?}", c.message()));
                    yield_now().await;
                    log(&l2, "cleaned up");
                    c.reraise().await
                }
            }
        });
        st.wait().await;
        assert!(task.cancel_with("bye"));
        let err = task.await.unwrap_err();
        assert_eq!(err.cancel_message(), Some("bye"));
        assert_eq!(
            *l.lock().unwrap(),
            ["inner dropped", "caught Some(\"bye\")", "cleaned up"]
        );
    });
}

#[test]
fn suppress_with_uncancel_and_return_a_value() {
    on_both(|_| async {
        let st = Started::default();
        let s2 = st.clone();
        let task = spawn(async move {
            s2.mark();
            let me = TaskHandle::current().unwrap();
            match catch_cancel(pending::<u32>()).await {
                Ok(v) => v,
                Err(_) => {
                    assert_eq!(me.cancelling(), 1);
                    assert_eq!(me.uncancel(), 0);
                    // Goes on: awaits work normally.
                    yield_now().await;
                    42
                }
            }
        });
        st.wait().await;
        let handle = task.handle();
        assert!(handle.cancel());
        assert_eq!(task.await.unwrap(), 42);
        assert!(!handle.cancelled());
    });
}

#[test]
fn nested_regions_the_innermost_gets_it_and_reraise_goes_outward() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let l2 = l.clone();
        let st = Started::default();
        let s2 = st.clone();
        let task = spawn(async move {
            s2.mark();
            let outer = catch_cancel(async {
                let inner = catch_cancel(pending::<()>()).await;
                log(&l2, "inner caught");
                assert!(inner.is_err());
                inner.unwrap_err().reraise::<()>().await
            })
            .await;
            log(&l2, "outer caught");
            assert_eq!(outer.unwrap_err().message(), Some("m"));
            "finished after catching"
        });
        st.wait().await;
        assert!(task.cancel_with("m"));
        assert_eq!(task.await.unwrap(), "finished after catching");
        assert_eq!(*l.lock().unwrap(), ["inner caught", "outer caught"]);
    });
}

#[test]
fn without_a_region_the_future_is_dropped_at_its_await() {
    on_both(|_| async {
        let l: Log = Arc::default();
        let g = Guard(l.clone(), "dropped");
        let st = Started::default();
        let s2 = st.clone();
        let task = spawn(async move {
            s2.mark();
            let _g = g;
            pending::<()>().await
        });
        st.wait().await;
        assert!(task.cancel());
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(*l.lock().unwrap(), ["dropped"]);
    });
}

#[test]
fn a_region_that_finished_does_not_catch_later_requests() {
    on_both(|_| async {
        let task = spawn(async {
            let v = catch_cancel(async { 1 }).await.unwrap();
            pending::<()>().await;
            v
        });
        yield_now().await;
        assert!(task.cancel());
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn shield_still_protects_inside_a_region() {
    on_both(|_| async {
        let (tx, rx) = std::sync::mpsc::channel();
        let gate = Started::default();
        let g = gate.clone();
        let inner = spawn(async move {
            g.wait().await;
            tx.send(()).unwrap();
            8
        });
        let inner_handle = inner.handle();
        let st = Started::default();
        let s2 = st.clone();
        let outer = spawn(async move {
            s2.mark();
            let r = catch_cancel(shield(inner)).await;
            assert!(r.is_err());
        });
        st.wait().await;
        assert!(outer.cancel());
        outer.await.unwrap();
        assert!(!inner_handle.done());
        gate.mark();
        // The shielded task was not cancelled: it finishes with its value.
        assert_eq!(
            inner_handle.wait().await,
            ferrio_core::TaskOutcome::Returned
        );
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    });
}
