//! The one place that picks the synchronisation types of the protocols the loom
//! models check (the thread parker, the local queues, the executors' park and
//! notify): std's normally, loom's under `--cfg loom`, so the models
//! (`#[cfg(all(test, loom))]` modules next to the code) explore every interleaving
//! of the real code.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: the state behind these locks is consistent
/// before any code that could panic runs.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(all(test, loom))]
mod loom_models {
    //! The thread parker's contract: an unpark is never lost, whether it comes
    //! before, during, or after the park.

    use std::time::Duration;

    use loom::sync::atomic::AtomicBool;
    use loom::sync::atomic::Ordering::{Acquire, Release};
    use loom::sync::Arc;
    use loom::thread;

    use crate::driver::{Driver, ThreadParker};

    #[test]
    fn unpark_from_another_thread_is_never_lost() {
        loom::model(|| {
            let parker = Arc::new(ThreadParker::new());
            let p = parker.clone();
            let t = thread::spawn(move || p.unpark());
            // Must return: whether the unpark lands before or while we park.
            parker.park(None);
            t.join().unwrap();
        });
    }

    #[test]
    fn several_unparks_collapse_into_one() {
        loom::model(|| {
            let parker = Arc::new(ThreadParker::new());
            let a = parker.clone();
            let b = parker.clone();
            let ta = thread::spawn(move || a.unpark());
            let tb = thread::spawn(move || b.unpark());
            parker.park(None);
            ta.join().unwrap();
            tb.join().unwrap();
            // At most one notification can remain; polling consumes it without
            // blocking.
            parker.park(Some(Duration::ZERO));
        });
    }

    /// Whatever an unparker wrote before its unpark is visible once a park it
    /// ended (or collapsed into) returns, even when the unpark lands between the
    /// parker's failed exchange and its consumption of the notification. The flags
    /// are release/acquire, so only the parker's own state can carry the writes.
    #[test]
    fn an_unpark_collapsed_into_a_return_still_publishes_its_writes() {
        loom::model(|| {
            let parker = Arc::new(ThreadParker::new());
            let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
            let threads: Vec<_> = (0..2)
                .map(|i| {
                    let (parker, flags) = (parker.clone(), flags.clone());
                    thread::spawn(move || {
                        flags[i].store(true, Release);
                        parker.unpark();
                    })
                })
                .collect();
            while !flags.iter().all(|f| f.load(Acquire)) {
                parker.park(None);
            }
            for t in threads {
                t.join().unwrap();
            }
        });
    }
}
