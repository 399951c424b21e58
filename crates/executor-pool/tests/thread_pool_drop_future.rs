//! Dropping a job's future: a queued closure never runs, a running one finishes and
//! its result is dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use ferrio_executor_pool::ThreadPool;
use futures_lite::future::block_on;

struct CountsDrops(Arc<AtomicUsize>);

impl Drop for CountsDrops {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_running_closure_finishes_and_its_result_is_dropped() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (finished_tx, finished_rx) = mpsc::channel();
    let result_drops = Arc::clone(&dropped);
    let job = pool.run_in_executor(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        finished_tx.send(()).unwrap();
        CountsDrops(result_drops)
    });
    started_rx.recv().unwrap();
    drop(job);
    release_tx.send(()).unwrap();
    finished_rx.recv().unwrap();
    // The thread drops the result right after publishing finds nobody waiting; wait
    // for it by running one more job on the same (single) thread.
    block_on(pool.run_in_executor(|| ())).unwrap();
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the result was dropped, once"
    );
}

#[test]
fn a_queued_closure_whose_future_is_dropped_never_runs() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.run_in_executor(move || release_rx.recv().unwrap());
    let ran = Arc::new(AtomicUsize::new(0));
    let closure_drops = Arc::new(AtomicUsize::new(0));
    let ran_in_job = Arc::clone(&ran);
    let guard = CountsDrops(Arc::clone(&closure_drops));
    let queued = pool.run_in_executor(move || {
        let _guard = guard;
        ran_in_job.fetch_add(1, Ordering::SeqCst);
    });
    drop(queued);
    assert_eq!(
        closure_drops.load(Ordering::SeqCst),
        1,
        "the closure is dropped at once"
    );
    release_tx.send(()).unwrap();
    block_on(blocker).unwrap();
    block_on(pool.run_in_executor(|| ())).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}
