//! The queue's synchronous API: sizes, nowait calls and their errors, the three orders,
//! task_done accounting.
mod common;

use common::parked;
use ferrio_sync::{LifoQueue, PriorityQueue, Queue, TaskDoneError, TryGetError, TryPutError};

#[test]
fn sizes_follow_puts_and_gets() {
    let queue = Queue::new(2);
    assert_eq!(queue.maxsize(), 2);
    assert!(queue.empty());
    assert!(!queue.full());
    queue.put_nowait('a').unwrap();
    assert_eq!(queue.qsize(), 1);
    queue.put_nowait('b').unwrap();
    assert!(queue.full());
    assert_eq!(queue.get_nowait(), Ok('a'));
    assert_eq!(queue.qsize(), 1);
}

#[test]
fn put_nowait_on_a_full_queue_gives_the_item_back() {
    let queue = Queue::new(1);
    queue.put_nowait(String::from("first")).unwrap();
    let err = queue.put_nowait(String::from("second")).unwrap_err();
    assert!(err.is_full());
    assert_eq!(err.to_string(), "queue is full");
    assert_eq!(err.into_inner(), "second");
    assert_eq!(queue.qsize(), 1);
}

#[test]
fn get_nowait_on_an_empty_queue_is_queue_empty() {
    let queue = Queue::<u8>::new(0);
    assert_eq!(queue.get_nowait(), Err(TryGetError::Empty));
}

#[test]
fn unbounded_queue_is_never_full() {
    let queue = Queue::default();
    let count = common::scaled(10_000);
    for n in 0..count {
        queue.put_nowait(n).unwrap();
    }
    assert!(!queue.full());
    assert_eq!(queue.maxsize(), 0);
    assert_eq!(queue.qsize(), count);
}

#[test]
fn lifo_queue_hands_out_the_newest_first() {
    let queue = LifoQueue::new(0);
    for n in 1..=4 {
        queue.put_nowait(n).unwrap();
    }
    let order: Vec<_> = std::iter::from_fn(|| queue.get_nowait().ok()).collect();
    assert_eq!(order, [4, 3, 2, 1]);
}

#[test]
fn priority_queue_hands_out_the_smallest_first() {
    let queue = PriorityQueue::new(0);
    for n in [5, 1, 4, 2, 3] {
        queue.put_nowait((n, format!("job {n}"))).unwrap();
    }
    let order: Vec<_> = std::iter::from_fn(|| queue.get_nowait().ok())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(order, [1, 2, 3, 4, 5]);
}

#[test]
fn priority_queue_picks_the_item_when_the_getter_runs() {
    // asyncio decides which item a woken getter gets when it runs: the smallest then.
    let queue = PriorityQueue::new(0);
    let mut getter = parked(queue.get());
    queue.put_nowait(5).unwrap();
    queue.put_nowait(1).unwrap();
    assert!(getter.woken());
    assert_eq!(getter.ready(), Ok(1));
}

#[test]
fn task_done_called_too_often_is_an_error() {
    let queue = Queue::new(0);
    assert_eq!(queue.task_done(), Err(TaskDoneError));
    queue.put_nowait(1).unwrap();
    queue.get_nowait().unwrap();
    assert_eq!(queue.unfinished_tasks(), 1);
    assert_eq!(queue.task_done(), Ok(()));
    assert_eq!(queue.task_done(), Err(TaskDoneError));
    assert_eq!(queue.unfinished_tasks(), 0);
}

#[test]
fn join_waits_for_every_task_done() {
    let queue = Queue::new(0);
    let mut joined = common::Polled::new(queue.join());
    assert!(
        joined.poll().is_ready(),
        "nothing unfinished: join returns at once"
    );

    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    let mut join = parked(queue.join());
    queue.get_nowait().unwrap();
    queue.task_done().unwrap();
    assert!(!join.woken());
    assert!(join.poll().is_pending());
    queue.get_nowait().unwrap();
    queue.task_done().unwrap();
    assert!(join.woken());
    assert!(join.poll().is_ready());
}

#[test]
fn join_released_stays_released_when_new_items_arrive_before_it_runs() {
    // asyncio's `_finished` event: set when the count hits zero; a waiter woken then
    // returns even if a put clears it before the waiter runs.
    let queue = Queue::new(0);
    queue.put_nowait(1).unwrap();
    let mut join = parked(queue.join());
    queue.get_nowait().unwrap();
    queue.task_done().unwrap();
    queue.put_nowait(2).unwrap();
    assert!(join.woken());
    assert!(join.poll().is_ready());
}

#[test]
fn put_nowait_after_shutdown_gives_the_item_back() {
    let queue = Queue::new(1);
    queue.shutdown(false);
    assert!(matches!(queue.put_nowait(1), Err(TryPutError::ShutDown(1))));
}

#[test]
fn clones_share_one_queue() {
    let queue = Queue::new(0);
    let other = queue.clone();
    queue.put_nowait(7).unwrap();
    assert_eq!(other.get_nowait(), Ok(7));
    assert!(format!("{queue:?}").contains("qsize: 0"));
}
