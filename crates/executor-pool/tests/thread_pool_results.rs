//! Closures run on pool threads and their values come back, in order, to any number
//! of concurrent awaiters.

use std::sync::mpsc;
use std::sync::{Arc, Barrier};

use ferrio_executor_pool::{run_in_executor, ThreadJob, ThreadPool};
use futures_lite::future::block_on;

#[test]
fn closures_run_on_pool_threads_not_the_caller() {
    let pool = ThreadPool::builder().thread_name("results-test").build();
    let caller = std::thread::current().id();
    let (id, name) = block_on(run_in_executor(&pool, || {
        (
            std::thread::current().id(),
            std::thread::current().name().map(str::to_string),
        )
    }))
    .unwrap();
    assert_ne!(id, caller);
    assert!(name.unwrap().starts_with("results-test-"));
}

#[test]
fn many_concurrent_jobs_each_get_their_own_value() {
    let pool = ThreadPool::builder().max_threads(4).build();
    let count: u64 = if cfg!(miri) { 50 } else { 1000 };
    let jobs: Vec<ThreadJob<u64>> = (0..count)
        .map(|n| pool.run_in_executor(move || n * 3))
        .collect();
    let values: Vec<u64> = jobs.into_iter().map(|job| block_on(job).unwrap()).collect();
    assert_eq!(values, (0..count).map(|n| n * 3).collect::<Vec<_>>());
}

#[test]
fn queued_jobs_start_in_fifo_order() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let blocker = pool.run_in_executor(move || {
        started_tx.send(()).unwrap();
        gate_rx.recv().unwrap()
    });
    started_rx.recv().unwrap();
    let (order_tx, order_rx) = mpsc::channel();
    let jobs: Vec<_> = (0..20)
        .map(|n| {
            let order_tx = order_tx.clone();
            pool.run_in_executor(move || order_tx.send(n).unwrap())
        })
        .collect();
    assert_eq!(pool.queued(), 20, "the only thread is held, so all 20 wait");
    gate_tx.send(()).unwrap();
    block_on(blocker).unwrap();
    for job in jobs {
        block_on(job).unwrap();
    }
    assert_eq!(
        order_rx.try_iter().collect::<Vec<_>>(),
        (0..20).collect::<Vec<_>>()
    );
}

#[test]
fn jobs_run_in_parallel_up_to_the_limit() {
    let pool = ThreadPool::builder().max_threads(3).build();
    // Three closures that can only finish together prove three threads run at once.
    let barrier = Arc::new(Barrier::new(3));
    let jobs: Vec<_> = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            pool.run_in_executor(move || barrier.wait().is_leader())
        })
        .collect();
    let leaders = jobs
        .into_iter()
        .map(|job| block_on(job).unwrap())
        .filter(|&l| l)
        .count();
    assert_eq!(leaders, 1);
    assert!(pool.thread_count() <= 3);
}

#[test]
fn futures_are_send_and_pools_are_send_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    let pool = ThreadPool::new();
    send_sync(&pool);
    let job = pool.run_in_executor(|| std::rc::Rc::strong_count(&std::rc::Rc::new(())));
    send(&job);
    assert_eq!(block_on(job).unwrap(), 1);
}
