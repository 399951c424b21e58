//! Misuse gets a clear panic naming the fix, never a deadlock.
mod common;

use std::panic::catch_unwind;
use std::time::Duration;

use common::{on_both, runtime, FLAVORS};
use ferrio_core::{spawn, Flavor, Handle};

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn spawn_outside_a_runtime_names_the_fix() {
    let err = catch_unwind(|| drop(spawn(async {}))).unwrap_err();
    let text = panic_text(err);
    assert!(text.contains("ferrio::run"), "{text}");
    assert!(text.contains("ferrio::spawn"), "{text}");
}

#[test]
fn a_timer_polled_outside_a_runtime_names_the_fix() {
    // Creating one outside is fine (it binds at its first poll); polling is not.
    let line = line!() + 1;
    let sleep = ferrio_core::sleep(Duration::from_millis(1));
    let err = catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures_lite::future::block_on(sleep)
    }))
    .unwrap_err();
    let text = panic_text(err);
    assert!(text.contains("ferrio::run"), "{text}");
    assert!(text.contains(&format!("misuse.rs:{line}")), "{text}");
    let timeout = ferrio_core::timeout(Duration::from_millis(1), std::future::pending::<()>());
    let err = catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures_lite::future::block_on(timeout)
    }))
    .unwrap_err();
    assert!(panic_text(err).contains("ferrio::run"));
    assert!(catch_unwind(Handle::current).is_err());
    assert!(Handle::try_current().is_none());
}

#[test]
fn block_on_inside_a_runtime_panics_instead_of_deadlocking() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        // From the block_on thread itself.
        let inner = runtime(Flavor::CurrentThread);
        let err = rt
            .block_on(async {
                catch_unwind(std::panic::AssertUnwindSafe(|| inner.block_on(async {})))
            })
            .unwrap_err();
        assert!(panic_text(err).contains("deadlock"));
        // From inside a task (a worker, on the multi-thread executor).
        let inner = std::sync::Arc::new(runtime(flavor));
        let i2 = inner.clone();
        let res = rt.block_on(async move { spawn(async move { i2.block_on(async { 1 }) }).await });
        let err = res.unwrap_err();
        assert!(
            err.panic_message().unwrap_or("").contains("deadlock"),
            "{err}"
        );
    }
}

#[test]
fn spawn_local_on_the_multi_thread_executor_is_refused() {
    let rt = runtime(Flavor::MultiThread);
    let res =
        rt.block_on(async { spawn(async { drop(ferrio_core::spawn_local(async {})) }).await });
    let err = res.unwrap_err();
    assert!(
        err.panic_message().unwrap_or("").contains("single-thread"),
        "{err}"
    );
}

#[test]
fn all_tasks_outside_a_runtime_names_the_fix() {
    let err = catch_unwind(ferrio_core::all_tasks).unwrap_err();
    assert!(panic_text(err).contains("ferrio::run"));
    assert!(ferrio_core::current_task().is_none());
}

#[test]
fn the_runtime_keeps_working_after_a_refused_call() {
    on_both(|_| async {
        let r = spawn(async {
            let _ = catch_unwind(|| Handle::current().spawn(async {}).detach());
            3
        });
        assert_eq!(r.await.unwrap(), 3);
    });
}
