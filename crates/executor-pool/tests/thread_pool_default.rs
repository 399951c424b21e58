//! `to_thread` runs on one process-wide pool, created on first use and shared by
//! every caller. (One test: it ends by shutting that pool down.)

use std::sync::{Arc, Barrier};

use ferrio_executor_pool::{to_thread, ThreadPool, ThreadPoolError};
use futures_lite::future::block_on;

#[test]
fn to_thread_uses_one_shared_default_pool() {
    let value = block_on(to_thread(|| (1..=100u64).sum::<u64>())).unwrap();
    assert_eq!(value, 5050);

    let pool = ThreadPool::default_pool();
    assert!(std::ptr::eq(pool, ThreadPool::default_pool()));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        pool.max_threads(),
        (cores + 4).min(32),
        "asyncio's default size"
    );

    // Two calls that can only finish together prove they run on two threads.
    let barrier = Arc::new(Barrier::new(2));
    let (a, b) = (Arc::clone(&barrier), barrier);
    let first = to_thread(move || a.wait().is_leader());
    let second = to_thread(move || b.wait().is_leader());
    assert_ne!(block_on(first).unwrap(), block_on(second).unwrap());

    // Shutting the default pool down (which a program need never do) joins its
    // threads; later calls are refused.
    pool.shutdown(true);
    assert_eq!(pool.thread_count(), 0);
    assert!(matches!(
        block_on(to_thread(|| 1)),
        Err(ThreadPoolError::Shutdown)
    ));
}
