//! loom models of the thread parker's contract: an unpark is never lost, whether it
//! comes before, during, or after the park.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p ferrio-core
//! --release --test loom`.
#![cfg(loom)]

use ferrio_core::driver::{Driver, ThreadParker};
use loom::sync::Arc;
use loom::thread;

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
        // At most one notification can remain; polling consumes it without blocking.
        parker.park(Some(std::time::Duration::ZERO));
    });
}
