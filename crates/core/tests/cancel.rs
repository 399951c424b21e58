//! Cancellation: `Task::cancel` drops the future at its next scheduling point.
mod common;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::on_both;
use ferrio_core::{sleep, spawn, yield_now};

struct CountOnDrop(Arc<AtomicUsize>);
impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn cancelling_a_waiting_task_drops_its_future() {
    on_both(|_| async {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = CountOnDrop(drops.clone());
        let task = spawn(async move {
            let _g = guard;
            pending::<()>().await
        });
        yield_now().await;
        assert!(task.cancel());
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "destructor ran before await returned"
        );
    });
}

#[test]
fn cancelling_before_first_poll_never_runs_the_body() {
    on_both(|_| async {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let task = spawn(async move {
            r.fetch_add(1, Ordering::SeqCst);
        });
        if task.cancel() {
            // cancel() said yes: the task ends cancelled even if, on the
            // multi-thread executor, a worker was already running its body.
            assert!(task.await.unwrap_err().is_cancelled());
        } else {
            // Another worker finished it first.
            assert!(task.await.is_ok());
        }
        assert!(ran.load(Ordering::SeqCst) <= 1);
    });
}

#[test]
fn cancel_on_a_finished_task_is_a_no_op_that_says_so() {
    on_both(|_| async {
        let mut task = spawn(async { 9 });
        std::future::poll_fn(|cx| task.poll_ready(cx)).await;
        assert!(task.is_finished());
        assert!(!task.cancel());
        assert_eq!(task.await.unwrap(), 9);
    });
}

#[test]
fn cancelling_a_sleeping_task_removes_its_timer() {
    on_both(|_| async {
        let task = spawn(sleep(Duration::from_secs(3600)));
        while ferrio_core::Handle::current().metrics().timers == 0 {
            yield_now().await;
        }
        assert!(task.cancel());
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(ferrio_core::Handle::current().metrics().timers, 0);
    });
}

#[test]
fn a_task_can_be_cancelled_while_it_runs() {
    on_both(|_| async {
        type Slot = Arc<std::sync::Mutex<Option<ferrio_core::Task<()>>>>;
        let slot: Slot = Arc::default();
        let s = slot.clone();
        let reached = Arc::new(AtomicUsize::new(0));
        let r = reached.clone();
        let task = spawn(async move {
            // Wait until the handle is in the slot, then cancel ourselves.
            loop {
                if let Some(me) = s.lock().unwrap().as_ref() {
                    assert!(me.cancel());
                    break;
                }
                yield_now().await;
            }
            r.fetch_add(1, Ordering::SeqCst);
            // The request lands at the next scheduling point.
            yield_now().await;
            r.fetch_add(100, Ordering::SeqCst);
        });
        *slot.lock().unwrap() = Some(task);
        loop {
            let finished = slot.lock().unwrap().as_ref().unwrap().is_finished();
            if finished {
                break;
            }
            yield_now().await;
        }
        let task = slot.lock().unwrap().take().unwrap();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(reached.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn cancel_twice_is_harmless() {
    on_both(|_| async {
        let task = spawn(pending::<()>());
        assert!(task.cancel());
        let second = task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        let _ = second;
    });
}

/// On the multi-thread executor, `cancel()` from outside a task can land while a
/// worker is in the middle of the poll that completes the task. It waits for that
/// poll to end: the value wins, `cancel()` answers false, and awaiting gives it.
#[test]
fn cancel_during_the_completing_poll_keeps_the_value_and_says_false() {
    use std::sync::atomic::AtomicBool;

    let rt = common::runtime(ferrio_core::Flavor::MultiThread);
    rt.block_on(async {
        let started = Arc::new(AtomicBool::new(false));
        let go = Arc::new(AtomicBool::new(false));
        let (s, g) = (started.clone(), go.clone());
        let task = spawn(async move {
            s.store(true, Ordering::SeqCst);
            // One poll that runs until the test lets it finish.
            while !g.load(Ordering::SeqCst) {
                std::hint::spin_loop();
            }
            5
        });
        while !started.load(Ordering::SeqCst) {
            yield_now().await;
        }
        // Lets the poll finish while `cancel()` below waits for it; how long the
        // release takes does not change the outcome.
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            go.store(true, Ordering::SeqCst);
        });
        assert!(!task.cancel(), "the poll in flight finished the task");
        release.join().unwrap();
        assert_eq!(task.await.unwrap(), 5);
    });
}
