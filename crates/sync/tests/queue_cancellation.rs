//! A getter or putter dropped before or after it was woken loses nothing and passes its
//! turn on.
mod common;

use common::parked;
use ferrio_sync::Queue;

#[test]
fn getter_dropped_after_wake_passes_the_item_to_the_next() {
    let queue = Queue::new(0);
    let first = parked(queue.get());
    let mut second = parked(queue.get());
    queue.put_nowait("item").unwrap();
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    assert_eq!(second.ready(), Ok("item"));
}

#[test]
fn getter_dropped_after_wake_leaves_the_item_queued() {
    let queue = Queue::new(0);
    let getter = parked(queue.get());
    queue.put_nowait(5).unwrap();
    drop(getter);
    assert_eq!(queue.qsize(), 1);
    assert_eq!(queue.get_nowait(), Ok(5));
}

#[test]
fn getter_dropped_before_wake_changes_nothing() {
    let queue = Queue::new(0);
    let first = parked(queue.get());
    let mut second = parked(queue.get());
    drop(first);
    assert!(!second.woken());
    queue.put_nowait(1).unwrap();
    assert!(second.woken());
    assert_eq!(second.ready(), Ok(1));
}

#[test]
fn putter_dropped_after_wake_passes_the_slot_to_the_next() {
    let queue = Queue::new(1);
    queue.put_nowait(0).unwrap();
    let first = parked(queue.put(1));
    let mut second = parked(queue.put(2));
    assert_eq!(queue.get_nowait(), Ok(0));
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    assert_eq!(second.ready(), Ok(()));
    assert_eq!(
        queue.get_nowait(),
        Ok(2),
        "the dropped put's item was never stored"
    );
    assert_eq!(queue.unfinished_tasks(), 2);
}

#[test]
fn join_dropped_while_waiting_is_forgotten() {
    let queue = Queue::new(0);
    queue.put_nowait(1).unwrap();
    let join = parked(queue.join());
    drop(join);
    queue.get_nowait().unwrap();
    queue.task_done().unwrap();
    assert!(format!("{queue:?}").contains("unfinished_tasks: 0"));
}
