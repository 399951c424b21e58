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

/// The owner pushes while a thief steals and the owner pops: every pointer comes
/// out exactly once.
#[test]
fn local_queue_hands_each_task_to_exactly_one_popper() {
    use ferrio_core::__loom::RawQueue;
    use std::ptr::NonNull;

    fn ptr(n: usize) -> NonNull<()> {
        NonNull::new(n as *mut ()).unwrap()
    }

    loom::model(|| {
        let q = Arc::new(RawQueue::new(2));
        let thief = {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..2 {
                    if let Some(p) = q.pop() {
                        got.push(p.as_ptr() as usize);
                    }
                }
                got
            })
        };
        let mut got = Vec::new();
        let mut rejected = Vec::new();
        for n in 1..=3 {
            // SAFETY: this thread is the only pusher.
            if let Err(p) = unsafe { q.push(ptr(n)) } {
                rejected.push(p.as_ptr() as usize);
            }
        }
        while let Some(p) = q.pop() {
            got.push(p.as_ptr() as usize);
        }
        got.extend(thief.join().unwrap());
        got.extend(rejected);
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
    });
}
