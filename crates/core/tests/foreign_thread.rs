//! Foreign threads: `Handle::enter` guards and `Handle::block_on`, on both flavours.
mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{runtime, FLAVORS};
use ferrio_core::settable::Future as Settable;
use ferrio_core::{spawn, Flavor, Handle};

const DEADLINE: Duration = Duration::from_secs(10);

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs `f` on a new thread; its result within the deadline (a hang fails the test).
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(e) => panic!("the foreign thread did not finish within {DEADLINE:?}: {e}"),
    }
}

#[test]
fn a_foreign_thread_spawns_through_enter() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let handle = rt.handle();
        let (task, foreign) = on_thread(move || {
            assert!(Handle::try_current().is_none());
            let _guard = handle.enter();
            assert!(Handle::current().ptr_eq(&handle));
            // Entering does not make this thread run the runtime.
            assert!(!ferrio_core::in_runtime());
            let task = spawn(async { thread::current().id() });
            (task, thread::current().id())
        });
        let ran_on = rt
            .block_on(ferrio_core::timeout(DEADLINE, task))
            .expect("the task ran in time")
            .unwrap();
        assert_ne!(ran_on, foreign, "{flavor:?}: the task runs on the runtime");
    }
}

#[test]
fn guards_nest_and_restore_the_previous_runtime() {
    let a = runtime(Flavor::CurrentThread);
    let b = runtime(Flavor::MultiThread);
    let (ha, hb) = (a.handle(), b.handle());
    on_thread(move || {
        let driver_is = |h: &Handle| {
            ferrio_core::driver::with_current(|d| d.is_some_and(|d| Arc::ptr_eq(d, h.driver())))
        };
        assert!(Handle::try_current().is_none());
        assert!(ferrio_core::driver::with_current(|d| d.is_none()));
        let outer = ha.enter();
        assert!(Handle::current().ptr_eq(&ha) && driver_is(&ha));
        {
            let _inner = hb.enter();
            assert!(Handle::current().ptr_eq(&hb) && driver_is(&hb));
            let _again = ha.enter();
            assert!(Handle::current().ptr_eq(&ha));
        }
        assert!(Handle::current().ptr_eq(&ha) && driver_is(&ha));
        drop(outer);
        assert!(Handle::try_current().is_none());
        assert!(ferrio_core::driver::with_current(|d| d.is_none()));
    });
}

#[test]
fn a_guard_dropped_out_of_order_panics_clearly() {
    let a = runtime(Flavor::CurrentThread);
    let b = runtime(Flavor::CurrentThread);
    let (ha, hb) = (a.handle(), b.handle());
    let text = on_thread(move || {
        let outer = ha.enter();
        let inner = hb.enter();
        let err = catch_unwind(AssertUnwindSafe(|| drop(outer))).unwrap_err();
        // The inner guard is still the innermost: it restores in order.
        drop(inner);
        assert!(Handle::current().ptr_eq(&ha));
        panic_text(err)
    });
    assert!(text.contains("out of order"), "{text}");
}

#[test]
fn block_on_from_a_foreign_thread_runs_timers_and_spawns_on_the_runtime() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let handle = rt.handle();
        let done = Settable::<(Duration, bool)>::new();
        let set = done.clone();
        let foreign = thread::spawn(move || {
            let me = thread::current().id();
            let out = handle.block_on(async {
                let start = Instant::now();
                ferrio_core::sleep(Duration::from_millis(20)).await;
                let elapsed = start.elapsed();
                let ran_on = spawn(async { thread::current().id() }).await.unwrap();
                (elapsed, ran_on != me)
            });
            set.set_result(out).unwrap();
        });
        // The loop (single-thread) runs here while the foreign thread blocks.
        let (elapsed, elsewhere) = rt
            .block_on(ferrio_core::timeout(DEADLINE, done))
            .expect("the foreign block_on finished in time")
            .unwrap();
        foreign.join().unwrap();
        assert!(
            elapsed >= Duration::from_millis(20),
            "{flavor:?}: {elapsed:?}"
        );
        assert!(elsewhere, "{flavor:?}: spawned tasks run on the runtime");
    }
}

#[test]
fn single_thread_block_on_from_a_foreign_thread_drives_timers_when_no_loop_runs() {
    let rt = runtime(Flavor::CurrentThread);
    let handle = rt.handle();
    #[allow(clippy::async_yields_async)] // the task is awaited later, on the loop
    let task = on_thread(move || {
        handle.block_on(async {
            let start = Instant::now();
            ferrio_core::sleep(Duration::from_millis(20)).await;
            assert!(start.elapsed() >= Duration::from_millis(20));
            // Tasks wait for the loop: this one runs at the next `block_on`.
            spawn(async { 7 })
        })
    });
    let out = rt.block_on(ferrio_core::timeout(DEADLINE, task));
    assert_eq!(out.expect("in time").unwrap(), 7);
}

#[test]
fn single_thread_block_on_takes_the_driver_back_from_a_foreign_guest() {
    for _ in 0..20 {
        let rt = runtime(Flavor::CurrentThread);
        let handle = rt.handle();
        let (started_tx, started_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let out = handle.block_on(async {
                started_tx.send(()).unwrap();
                let start = Instant::now();
                ferrio_core::sleep(Duration::from_millis(30)).await;
                start.elapsed()
            });
            let _ = done_tx.send(out);
        });
        started_rx.recv_timeout(DEADLINE).unwrap();
        // The guest may hold the driver now: this must wait for it, not panic.
        let out = rt.block_on(async { spawn(async { 5 }).await.unwrap() });
        assert_eq!(out, 5);
        let waited = done_rx.recv_timeout(DEADLINE).expect("the guest finished");
        assert!(waited >= Duration::from_millis(30), "{waited:?}");
    }
}

#[test]
fn block_on_inside_a_runtime_panics_at_the_callers_line() {
    let sites = common::panic_sites("Handle::block_on");
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let handle = rt.handle();
        let h = handle.clone();
        let line = line!() + 2;
        let err = rt
            .block_on(async { catch_unwind(AssertUnwindSafe(|| h.block_on(async { 1 }))) })
            .unwrap_err();
        let text = panic_text(err);
        assert!(
            text.contains("Handle::block_on") && text.contains(".await"),
            "{text}"
        );
        let here = format!("{}:{line}", file!());
        assert!(sites.contains(&here), "{flavor:?}: {here} not in {sites:?}");
        // From inside a task too (a worker on the multi-thread flavour).
        let h = handle.clone();
        let res = rt.block_on(rt.spawn(async move { h.block_on(async { 1 }) }));
        let msg = res.unwrap_err();
        assert!(
            msg.panic_message()
                .unwrap_or("")
                .contains("Handle::block_on"),
            "{msg}"
        );
    }
}

#[test]
fn a_guest_keeps_its_timers_when_the_runtime_shuts_down_under_it() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let handle = rt.handle();
        let (started_tx, started_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let out = handle.block_on(async {
                started_tx.send(()).unwrap();
                let start = Instant::now();
                ferrio_core::sleep(Duration::from_millis(100)).await;
                start.elapsed()
            });
            let _ = done_tx.send(out);
        });
        started_rx.recv_timeout(DEADLINE).unwrap();
        drop(rt);
        let waited = done_rx
            .recv_timeout(DEADLINE)
            .expect("the guest finished after shutdown");
        assert!(
            waited >= Duration::from_millis(100),
            "{flavor:?}: {waited:?}"
        );
    }
}

#[test]
fn two_single_thread_guests_share_the_driver_while_no_loop_runs() {
    let rt = runtime(Flavor::CurrentThread);
    let (tx, rx) = mpsc::channel();
    for ms in [30u64, 60] {
        let (handle, tx) = (rt.handle(), tx.clone());
        thread::spawn(move || {
            let out = handle.block_on(async move {
                let start = Instant::now();
                for _ in 0..3 {
                    ferrio_core::sleep(Duration::from_millis(ms / 3)).await;
                }
                start.elapsed()
            });
            let _ = tx.send((ms, out));
        });
    }
    let mut done = Vec::new();
    for _ in 0..2 {
        done.push(rx.recv_timeout(DEADLINE).expect("both guests finished"));
    }
    done.sort();
    for (ms, waited) in done {
        assert!(waited >= Duration::from_millis(ms), "{ms}: {waited:?}");
    }
}
