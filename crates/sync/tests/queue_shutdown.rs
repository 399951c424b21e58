//! `shutdown(immediate)` with asyncio 3.13's semantics.
mod common;

use common::parked;
use ferrio_sync::{Queue, QueueShutDown, TryGetError, TryPutError};

#[test]
fn after_shutdown_put_fails_and_get_drains_then_fails() {
    let queue = Queue::new(0);
    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    queue.shutdown(false);
    assert!(queue.is_shut_down());
    assert!(matches!(queue.put_nowait(3), Err(TryPutError::ShutDown(3))));
    let mut put = common::Polled::new(queue.put(4));
    assert_eq!(put.ready(), Err(QueueShutDown(4)));

    let mut first = common::Polled::new(queue.get());
    assert_eq!(first.ready(), Ok(1));
    assert_eq!(queue.get_nowait(), Ok(2));
    let mut last = common::Polled::new(queue.get());
    assert_eq!(last.ready(), Err(QueueShutDown(())));
    assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
}

#[test]
fn shutdown_fails_parked_getters_of_an_empty_queue() {
    let queue = Queue::<u32>::new(0);
    let mut a = parked(queue.get());
    let mut b = parked(queue.get());
    queue.shutdown(false);
    assert!(a.woken() && b.woken());
    assert_eq!(a.ready(), Err(QueueShutDown(())));
    assert_eq!(b.ready(), Err(QueueShutDown(())));
}

#[test]
fn shutdown_fails_parked_putters_and_gives_their_items_back() {
    let queue = Queue::new(1);
    queue.put_nowait("kept").unwrap();
    let mut putter = parked(queue.put("refused"));
    queue.shutdown(false);
    assert!(putter.woken());
    assert_eq!(putter.ready(), Err(QueueShutDown("refused")));
    assert_eq!(
        queue.get_nowait(),
        Ok("kept"),
        "non-immediate keeps the items"
    );
}

#[test]
fn parked_getters_drain_remaining_items_before_failing() {
    let queue = Queue::new(0);
    let mut a = parked(queue.get());
    let mut b = parked(queue.get());
    queue.put_nowait(10).unwrap();
    queue.shutdown(false);
    assert_eq!(a.ready(), Ok(10));
    assert!(b.woken());
    assert_eq!(b.ready(), Err(QueueShutDown(())));
}

#[test]
fn immediate_shutdown_discards_items_and_releases_join() {
    let queue = Queue::new(0);
    for n in 0..3 {
        queue.put_nowait(n).unwrap();
    }
    let mut join = parked(queue.join());
    queue.shutdown(true);
    assert!(queue.empty());
    assert_eq!(queue.unfinished_tasks(), 0);
    assert!(join.woken());
    assert!(join.poll().is_ready());
    assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
}

#[test]
fn immediate_shutdown_counts_only_discarded_items_as_done() {
    // asyncio decrements the unfinished count once per discarded item; an item a
    // consumer already holds still needs its task_done before join returns.
    let queue = Queue::new(0);
    for n in 0..3 {
        queue.put_nowait(n).unwrap();
    }
    let held = queue.get_nowait().unwrap();
    let mut join = parked(queue.join());
    queue.shutdown(true);
    assert_eq!(queue.unfinished_tasks(), 1);
    assert!(join.poll().is_pending());
    assert_eq!(held, 0);
    queue.task_done().unwrap();
    assert!(join.woken());
    assert!(join.poll().is_ready());
}

#[test]
fn immediate_shutdown_fails_getters_and_putters() {
    let queue = Queue::new(1);
    let mut getter = parked(queue.get());
    queue.put_nowait(1).unwrap();
    let mut putter = parked(queue.put(2));
    // The getter was notified for item 1, but immediate shutdown discards it.
    queue.shutdown(true);
    assert_eq!(getter.ready(), Err(QueueShutDown(())));
    assert_eq!(putter.ready(), Err(QueueShutDown(2)));
}

#[test]
fn discarded_items_are_dropped_without_the_lock() {
    // A destructor that touches the queue must not deadlock.
    struct Reenter(Queue<Reenter>);
    impl Drop for Reenter {
        fn drop(&mut self) {
            let _ = self.0.qsize();
        }
    }
    let queue = Queue::new(0);
    queue.put_nowait(Reenter(queue.clone())).unwrap();
    queue.shutdown(true);
    assert!(queue.empty());
}

#[test]
fn shutdown_twice_is_harmless() {
    let queue = Queue::new(0);
    queue.put_nowait(1).unwrap();
    queue.shutdown(false);
    queue.shutdown(false);
    assert_eq!(queue.get_nowait(), Ok(1));
}
