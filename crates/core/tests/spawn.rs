//! Spawning and awaiting tasks on both flavours.
mod common;

use common::{on_both, scaled};
use ferrio_core::{spawn, Handle, TaskBuilder};

#[test]
fn spawn_and_await_values() {
    on_both(|_| async {
        let n = scaled(1000);
        let tasks: Vec<_> = (0..n).map(|i| spawn(async move { i * 2 })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        assert_eq!(sum, (0..n).map(|i| i * 2).sum::<usize>());
    });
}

#[test]
fn nested_spawns_complete() {
    on_both(|_| async {
        let t = spawn(async {
            let inner = spawn(async { spawn(async { 7 }).await.unwrap() + 1 });
            inner.await.unwrap() * 2
        });
        assert_eq!(t.await.unwrap(), 16);
    });
}

#[test]
fn named_tasks_keep_their_name_and_location() {
    on_both(|_| async {
        let t = TaskBuilder::new().name("alpha").spawn(async { 1 });
        assert_eq!(t.name(), Some("alpha"));
        assert!(t.location().file().ends_with("spawn.rs"));
        assert_eq!(t.await.unwrap(), 1);
    });
}

#[test]
fn handle_spawns_from_another_thread() {
    on_both(|_| async {
        let handle = Handle::current();
        let task = std::thread::spawn(move || handle.spawn(async { 11 }))
            .join()
            .unwrap();
        assert_eq!(task.await.unwrap(), 11);
    });
}

#[test]
fn dropped_handle_detaches_and_task_still_runs() {
    on_both(|_| async {
        let (tx, rx) = std::sync::mpsc::channel();
        drop(spawn(async move { tx.send(5).unwrap() }));
        let done = spawn(async {}).await;
        assert!(done.is_ok());
        // The detached task runs before or after; wait for it without sleeping.
        loop {
            if let Ok(v) = rx.try_recv() {
                assert_eq!(v, 5);
                break;
            }
            ferrio_core::yield_now().await;
        }
    });
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ferrio_core::Runtime>();
    send_sync::<ferrio_core::Handle>();
    send_sync::<ferrio_core::Task<u8>>();
    send_sync::<ferrio_core::TaskError>();
    send_sync::<ferrio_core::TaskSnapshot>();
    send_sync::<ferrio_core::Sleep>();
    send_sync::<ferrio_core::Elapsed>();
    send_sync::<ferrio_core::Interval>();
}

/// The suite's flavour helper names the flavour a body failed on, with the
/// body's own message.
#[test]
#[should_panic(expected = "on the multi-thread flavour: only the current-thread one")]
fn the_flavour_helper_names_the_failing_flavour() {
    on_both(|flavor| async move {
        assert!(
            flavor == ferrio_core::Flavor::CurrentThread,
            "only the current-thread one"
        );
    });
}

#[test]
fn with_current_lends_the_running_runtime_and_nothing_outside() {
    assert!(Handle::with_current(|h| h.is_none()));
    on_both(|_| async {
        // The lent handle is this runtime's: what it spawns runs here.
        let task = Handle::with_current(|h| h.expect("inside a runtime").spawn(async { 5 }));
        assert_eq!(task.await.unwrap(), 5);
        let (owned, lent) = (
            Handle::current().now(),
            Handle::with_current(|h| h.map(Handle::now)),
        );
        assert!(lent.is_some_and(|lent| lent >= owned));
    });
    assert!(Handle::with_current(|h| h.is_none()));
}
