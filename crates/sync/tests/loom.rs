//! loom models: every interleaving of the queue (put, get, cancel, shutdown), the
//! semaphore (acquire, release, cancel), the event (set, wait), the channels (send,
//! receive, cancel, close) and the cancellation token, checking that no wake-up,
//! item or permit is lost.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p ferrio-sync
//! --release --test loom`.
#![cfg(loom)]

use std::sync::Arc;

use ferrio_sync::{
    broadcast, channel, oneshot, watch, CancellationToken, Event, Queue, QueueShutDown, Semaphore,
    TryGetError,
};
use futures_lite::future::poll_once;
use loom::future::block_on;
use loom::thread;

#[test]
fn queue_put_wakes_a_parked_get() {
    loom::model(|| {
        let queue = Queue::new(1);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.get()))
        };
        block_on(queue.put(7)).unwrap();
        assert_eq!(getter.join().unwrap(), Ok(7));
    });
}

#[test]
fn queue_get_frees_a_slot_for_a_parked_put() {
    loom::model(|| {
        let queue = Queue::new(1);
        queue.put_nowait(1).unwrap();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.put(2)))
        };
        assert_eq!(block_on(queue.get()), Ok(1));
        putter.join().unwrap().unwrap();
        assert_eq!(queue.get_nowait(), Ok(2));
    });
}

#[test]
fn queue_cancelled_get_loses_no_item() {
    loom::model(|| {
        let queue = Queue::new(0);
        let canceller = {
            let queue = queue.clone();
            // Polls a get once, then drops it: it either got the item or left it.
            thread::spawn(move || block_on(poll_once(queue.get())).map(Result::unwrap))
        };
        let waiter = {
            let queue = queue.clone();
            thread::spawn(move || {
                block_on(async {
                    match poll_once(queue.get()).await {
                        Some(item) => item.ok(),
                        None => None,
                    }
                })
            })
        };
        queue.put_nowait(1).unwrap();
        let got = [canceller.join().unwrap(), waiter.join().unwrap()];
        let taken = got.iter().flatten().count();
        assert_eq!(
            taken + queue.qsize(),
            1,
            "the item is taken once or still queued"
        );
    });
}

#[test]
fn queue_shutdown_releases_a_parked_get() {
    loom::model(|| {
        let queue = Queue::<u8>::new(0);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.get()))
        };
        queue.shutdown(false);
        assert_eq!(getter.join().unwrap(), Err(QueueShutDown(())));
        assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
    });
}

#[test]
fn queue_shutdown_lets_a_parked_get_drain() {
    loom::model(|| {
        let queue = Queue::new(0);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.get()))
        };
        queue.put_nowait(5).unwrap();
        queue.shutdown(false);
        assert_eq!(getter.join().unwrap(), Ok(5));
    });
}

#[test]
fn queue_immediate_shutdown_races_put_and_get() {
    loom::model(|| {
        let queue = Queue::new(1);
        queue.put_nowait(0).unwrap();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.put(1)).is_ok())
        };
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.get()).is_ok())
        };
        queue.shutdown(true);
        putter.join().unwrap();
        let got = getter.join().unwrap();
        // Discarded items count as done; only an item a getter took stays unfinished.
        assert_eq!(queue.qsize(), 0);
        assert_eq!(queue.unfinished_tasks(), usize::from(got));
    });
}

#[test]
fn semaphore_release_wakes_a_parked_acquire() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let acquirer = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || block_on(sem.acquire()).forget())
        };
        sem.release();
        acquirer.join().unwrap();
        assert_eq!(sem.available(), 0);
    });
}

#[test]
fn semaphore_cancelled_acquire_passes_its_permit_on() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let canceller = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || {
                block_on(poll_once(sem.acquire()))
                    .map(|p| p.forget())
                    .is_some()
            })
        };
        let acquirer = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || block_on(sem.acquire()).forget())
        };
        sem.release();
        sem.release();
        let cancelled_took_one = canceller.join().unwrap();
        acquirer.join().unwrap();
        let expected_free = if cancelled_took_one { 0 } else { 1 };
        assert_eq!(sem.available(), expected_free);
    });
}

#[test]
fn semaphore_permit_drop_wakes_the_next() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let sem = Arc::clone(&sem);
                thread::spawn(move || drop(block_on(sem.acquire())))
            })
            .collect();
        for other in others {
            other.join().unwrap();
        }
        assert_eq!(sem.available(), 1);
    });
}

#[test]
fn event_set_wakes_a_parked_wait() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let waiter = {
            let event = Arc::clone(&event);
            thread::spawn(move || block_on(event.wait()))
        };
        event.set();
        waiter.join().unwrap();
        assert!(event.is_set());
    });
}

#[test]
fn event_set_wakes_every_parked_wait() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let event = Arc::clone(&event);
                thread::spawn(move || block_on(event.wait()))
            })
            .collect();
        event.set();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
}

#[test]
fn event_waiter_woken_by_set_returns_despite_a_clear() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let parked = Arc::new(Event::new());
        let waiter = {
            let (event, parked) = (Arc::clone(&event), Arc::clone(&parked));
            thread::spawn(move || {
                block_on(async {
                    let mut wait = std::pin::pin!(event.wait());
                    assert!(poll_once(wait.as_mut()).await.is_none());
                    parked.set();
                    wait.await;
                })
            })
        };
        block_on(parked.wait());
        // The waiter is parked: a set then a clear must still release it.
        event.set();
        event.clear();
        waiter.join().unwrap();
        assert!(!event.is_set());
    });
}

#[test]
fn channel_send_wakes_a_parked_recv() {
    loom::model(|| {
        let (tx, rx) = channel::bounded(1);
        let receiver = thread::spawn(move || block_on(rx.recv()));
        block_on(tx.send(7)).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(7));
    });
}

#[test]
fn channel_recv_frees_room_for_a_parked_send() {
    loom::model(|| {
        let (tx, rx) = channel::bounded(1);
        tx.try_send(1).unwrap();
        let sender = thread::spawn(move || block_on(tx.send(2)));
        assert_eq!(block_on(rx.recv()), Ok(1));
        sender.join().unwrap().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
    });
}

#[test]
fn channel_cancelled_recv_loses_no_value() {
    loom::model(|| {
        let (tx, rx) = channel::unbounded();
        let canceller = {
            let rx = rx.clone();
            // Polls a receive once, then drops it: it took the value, found
            // nothing, or found the channel closed after the other took it.
            thread::spawn(move || block_on(poll_once(rx.recv())).and_then(Result::ok))
        };
        let waiter = {
            let rx = rx.clone();
            thread::spawn(move || block_on(rx.recv()).ok())
        };
        tx.try_send(1).unwrap();
        drop(tx);
        let got = [canceller.join().unwrap(), waiter.join().unwrap()];
        let taken = got.iter().flatten().count();
        assert_eq!(
            taken + rx.len(),
            1,
            "the value is taken once or still queued"
        );
    });
}

#[test]
fn channel_last_sender_drop_releases_a_parked_recv() {
    loom::model(|| {
        let (tx, rx) = channel::bounded::<u8>(1);
        let receiver = thread::spawn(move || block_on(rx.recv()));
        drop(tx);
        assert_eq!(receiver.join().unwrap(), Err(channel::RecvError));
    });
}

#[test]
fn oneshot_send_wakes_the_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel();
        let receiver = thread::spawn(move || block_on(rx));
        tx.send(3).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(3));
    });
}

#[test]
fn broadcast_send_wakes_a_parked_recv() {
    loom::model(|| {
        let (tx, mut rx) = broadcast::channel(1);
        let receiver = thread::spawn(move || block_on(rx.recv()));
        tx.send(9).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(9));
    });
}

#[test]
fn watch_the_last_value_is_always_seen() {
    loom::model(|| {
        let (tx, mut rx) = watch::channel(0);
        let watcher = thread::spawn(move || {
            block_on(async {
                while rx.changed().await.is_ok() {
                    if *rx.borrow_and_update() == 2 {
                        return true;
                    }
                }
                *rx.borrow() == 2
            })
        });
        tx.send_replace(1);
        tx.send_replace(2);
        drop(tx);
        assert!(watcher.join().unwrap());
    });
}

#[test]
fn cancellation_reaches_a_parked_child_waiter() {
    loom::model(|| {
        let root = CancellationToken::new();
        let child = root.child_token();
        let waiter = thread::spawn(move || block_on(child.cancelled()));
        root.cancel();
        waiter.join().unwrap();
    });
}

#[test]
fn channel_two_parked_receivers_both_get_a_value() {
    loom::model(|| {
        let (tx, rx) = channel::unbounded();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || block_on(rx.recv()).unwrap())
            })
            .collect();
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        let sum: i32 = receivers.into_iter().map(|r| r.join().unwrap()).sum();
        assert_eq!(sum, 3);
    });
}

#[test]
fn channel_cancelled_send_passes_its_wake_up_on() {
    loom::model(|| {
        let (tx, rx) = channel::bounded(1);
        tx.try_send(0).unwrap();
        let canceller = {
            let tx = tx.clone();
            thread::spawn(move || block_on(poll_once(tx.send(1))).is_some())
        };
        let sender = thread::spawn(move || block_on(tx.send(2)).unwrap());
        // Receive until the blocking sender's value arrives: if a dropped send kept
        // its wake-up, the sender would never run and loom would report a deadlock.
        let mut got = Vec::new();
        while got.last() != Some(&2) {
            got.push(block_on(rx.recv()).unwrap());
        }
        sender.join().unwrap();
        let cancelled_sent = canceller.join().unwrap();
        got.extend(rx.try_recv());
        got.sort_unstable();
        let expected: &[i32] = if cancelled_sent { &[0, 1, 2] } else { &[0, 2] };
        assert_eq!(got, expected);
    });
}

#[test]
fn watch_close_wakes_a_parked_changed() {
    loom::model(|| {
        let (tx, mut rx) = watch::channel(0);
        let watcher = thread::spawn(move || block_on(rx.changed()));
        drop(tx);
        assert_eq!(watcher.join().unwrap(), Err(watch::RecvError));
    });
}
