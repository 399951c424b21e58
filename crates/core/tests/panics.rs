//! A panicking task is reported through its handle; the loop keeps going; a panic no
//! one retrieves is reported through the hook.
mod common;

use std::sync::{mpsc, Arc, Mutex};

use common::{builder, on_both, FLAVORS};
use ferrio_core::{spawn, yield_now, PanicReport, TaskBuilder};

#[test]
fn a_panic_is_reported_through_the_handle() {
    on_both(|_| async {
        let task = spawn(async { panic!("kaboom {}", 7) });
        let err = task.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("kaboom 7"));
        assert!(err.to_string().contains("kaboom 7"));
        let payload = err.into_panic();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        assert_eq!(text, Some("kaboom 7"));
    });
}

#[test]
fn other_tasks_keep_running_after_a_panic() {
    on_both(|_| async {
        let bad = spawn(async {
            yield_now().await;
            panic!("bad task");
        });
        let good: Vec<_> = (0..10).map(|i| spawn(async move { i })).collect();
        assert!(bad.await.is_err());
        let sum: i32 = {
            let mut s = 0;
            for t in good {
                s += t.await.unwrap();
            }
            s
        };
        assert_eq!(sum, 45);
        assert_eq!(spawn(async { 1 }).await.unwrap(), 1);
    });
}

fn capture() -> (
    Arc<Mutex<Vec<PanicReport>>>,
    impl Fn(&PanicReport) + Send + Sync,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (seen, move |r: &PanicReport| {
        s.lock().unwrap().push(r.clone())
    })
}

#[test]
fn an_unretrieved_panic_of_a_detached_task_is_reported() {
    for flavor in FLAVORS {
        let (seen, hook) = capture();
        let rt = builder(flavor).on_unretrieved_panic(hook).build().unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        rt.block_on(async move {
            TaskBuilder::new()
                .name("doomed")
                .spawn(async move {
                    let _tx = tx; // dropped when the task unwinds
                    panic!("nobody listens");
                })
                .detach();
            // Wait for the task to finish without sleeping: its sender drops.
            while rx.try_recv() != Err(mpsc::TryRecvError::Disconnected) {
                yield_now().await;
            }
        });
        drop(rt);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{flavor:?}");
        let report = &seen[0];
        assert_eq!(report.name.as_deref(), Some("doomed"));
        assert_eq!(report.message.as_deref(), Some("nobody listens"));
        assert!(report.location.file().ends_with("panics.rs"));
        let line = report.to_string();
        assert!(
            line.starts_with("Task exception was never retrieved"),
            "{line}"
        );
    }
}

#[test]
fn a_retrieved_panic_is_not_reported() {
    for flavor in FLAVORS {
        let (seen, hook) = capture();
        let rt = builder(flavor).on_unretrieved_panic(hook).build().unwrap();
        rt.block_on(async {
            let err = spawn(async { panic!("caught") }).await.unwrap_err();
            drop(err);
        });
        drop(rt);
        assert!(seen.lock().unwrap().is_empty());
    }
}

/// The request was accepted (`cancel()` said true) before the destructor panicked:
/// the task ends cancelled, and the panic is contained and reported as never
/// retrieved, not lost.
#[test]
fn a_panicking_destructor_during_cancel_is_contained() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop panicked");
        }
    }
    for flavor in FLAVORS {
        let (seen, hook) = capture();
        let rt = builder(flavor).on_unretrieved_panic(hook).build().unwrap();
        rt.block_on(async {
            let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let s = started.clone();
            let task = spawn(async move {
                let _p = PanicOnDrop;
                s.store(true, std::sync::atomic::Ordering::SeqCst);
                std::future::pending::<()>().await
            });
            while !started.load(std::sync::atomic::Ordering::SeqCst) {
                yield_now().await;
            }
            assert!(task.cancel());
            let err = task.await.unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
        });
        drop(rt);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{flavor:?}");
        assert_eq!(seen[0].message.as_deref(), Some("drop panicked"));
    }
}
