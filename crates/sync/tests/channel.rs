//! The closing channel: values in order, close when the last sender or receiver drops.
mod common;

use common::{parked, Polled};
use ferrio_sync::channel::{self, RecvError, SendError, TryRecvError, TrySendError};

#[test]
fn values_arrive_in_order() {
    let (tx, rx) = channel::unbounded();
    for n in 0..5 {
        tx.try_send(n).unwrap();
    }
    assert_eq!(rx.len(), 5);
    let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(got, [0, 1, 2, 3, 4]);
    assert!(rx.is_empty());
}

#[test]
fn dropping_the_last_sender_lets_receivers_drain_then_close() {
    let (tx, rx) = channel::bounded(4);
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    drop(tx);
    tx2.try_send(2).unwrap();
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(Polled::new(rx.recv()).ready(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn dropping_the_last_sender_wakes_a_waiting_receiver() {
    let (tx, rx) = channel::unbounded::<u8>();
    let mut waiting = parked(rx.recv());
    drop(tx);
    assert!(waiting.woken());
    assert_eq!(waiting.ready(), Err(RecvError));
}

#[test]
fn dropping_the_last_receiver_fails_senders_with_their_value() {
    let (tx, rx) = channel::bounded(1);
    tx.try_send("queued").unwrap();
    let mut blocked = parked(tx.send("blocked"));
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(blocked.ready(), Err(SendError("blocked")));
    assert!(matches!(
        tx.try_send("late"),
        Err(TrySendError::Closed("late"))
    ));
}

#[test]
fn a_full_channel_refuses_try_send() {
    let (tx, rx) = channel::bounded(1);
    tx.try_send(1).unwrap();
    assert_eq!(tx.try_send(2).unwrap_err().into_inner(), 2);
    let mut recv = Polled::new(rx.recv());
    assert_eq!(recv.ready(), Ok(1));
}

#[test]
fn threads_move_every_value_once() {
    let (tx, rx) = channel::bounded(8);
    let per_sender = common::scaled(10_000);
    let total: u64 = std::thread::scope(|scope| {
        for _ in 0..2 {
            let tx = tx.clone();
            scope.spawn(move || {
                futures_lite::future::block_on(async {
                    for n in 0..per_sender as u64 {
                        tx.send(n).await.unwrap();
                    }
                })
            });
        }
        drop(tx);
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                scope.spawn(move || {
                    futures_lite::future::block_on(async {
                        let mut sum = 0;
                        while let Ok(n) = rx.recv().await {
                            sum += n;
                        }
                        sum
                    })
                })
            })
            .collect();
        receivers.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let n = per_sender as u64;
    assert_eq!(total, 2 * n * (n - 1) / 2);
}

#[test]
fn a_dropped_woken_recv_passes_its_wake_up_on_and_loses_no_value() {
    let (tx, rx) = channel::unbounded();
    let first = parked(rx.recv());
    let mut second = parked(rx.recv());
    tx.try_send(1).unwrap();
    assert!(first.woken(), "the oldest receiver is woken first");
    assert!(!second.woken());
    drop(first);
    assert!(second.woken(), "the dropped receiver's wake-up passes on");
    assert_eq!(second.ready(), Ok(1));
    assert!(rx.is_empty());
}

#[test]
fn a_dropped_woken_send_passes_its_wake_up_on() {
    let (tx, rx) = channel::bounded(1);
    tx.try_send(0).unwrap();
    let first = parked(tx.send(1));
    let mut second = parked(tx.send(2));
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    assert_eq!(second.ready(), Ok(()));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_woken_receiver_that_lost_the_value_parks_again() {
    let (tx, rx) = channel::unbounded();
    let mut waiting = parked(rx.recv());
    tx.try_send(1).unwrap();
    assert!(waiting.woken());
    // A running receiver takes the value first.
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(waiting.poll().is_pending());
    tx.try_send(2).unwrap();
    assert!(
        waiting.woken(),
        "it parked again and is woken for the next value"
    );
    assert_eq!(waiting.ready(), Ok(2));
}

#[test]
fn every_parked_receiver_learns_of_the_close() {
    let (tx, rx) = channel::bounded::<u8>(2);
    let rx2 = rx.clone();
    let mut a = parked(rx.recv());
    let mut b = parked(rx2.recv());
    drop(tx);
    assert!(a.woken() && b.woken());
    assert_eq!(a.ready(), Err(RecvError));
    assert_eq!(b.ready(), Err(RecvError));
}

#[test]
fn a_receiver_is_a_stream_that_ends_at_the_close() {
    use futures_lite::StreamExt;
    let (tx, mut rx) = channel::bounded(2);
    let mut next = parked(rx.next());
    tx.try_send(10).unwrap();
    assert!(next.woken());
    assert_eq!(next.ready(), Some(10));
    drop(next);
    tx.try_send(11).unwrap();
    drop(tx);
    let rest: Vec<_> = futures_lite::future::block_on(rx.collect());
    assert_eq!(rest, [11]);
}

#[test]
fn a_dropped_stream_receiver_passes_its_wake_up_on() {
    use futures_lite::StreamExt;
    let (tx, rx) = channel::unbounded();
    let mut stream = rx.clone();
    {
        let next = parked(stream.next());
        drop(next.future);
    }
    let mut other = parked(rx.recv());
    tx.try_send(5).unwrap();
    // The stream receiver parked first and is woken; it goes away unpolled.
    drop(stream);
    assert!(other.woken());
    assert_eq!(other.ready(), Ok(5));
}

#[test]
fn stream_under_a_foreign_executor_sees_every_value_once() {
    use futures_lite::StreamExt;
    let (tx, rx) = channel::bounded(4);
    let n = common::scaled(10_000) as u64;
    let producer = common::spawn(move || {
        futures_lite::future::block_on(async {
            for v in 0..n {
                tx.send(v).await.unwrap();
            }
        })
    });
    let consumer = common::spawn(move || futures_lite::future::block_on(rx.collect::<Vec<u64>>()));
    let got = consumer.join("the consumer");
    producer.join("the producer");
    assert_eq!(got, (0..n).collect::<Vec<_>>(), "in order, none lost");
}

#[cfg(feature = "sink")]
#[test]
fn a_sender_is_a_sink_that_waits_for_room() {
    use futures_sink::Sink;
    use std::pin::Pin;
    let (mut tx, rx) = channel::bounded(1);
    let ready = |tx: &mut channel::Sender<i32>| {
        futures_lite::future::block_on(futures_lite::future::poll_fn(|cx| {
            Pin::new(&mut *tx).poll_ready(cx)
        }))
    };
    ready(&mut tx).unwrap();
    Pin::new(&mut tx).start_send(1).unwrap();
    ready(&mut tx).unwrap();
    Pin::new(&mut tx).start_send(2).unwrap();
    // The channel is full: flushing the second value waits for room.
    let mut flush = parked(futures_lite::future::poll_fn(|cx| {
        Pin::new(&mut tx).poll_flush(cx)
    }));
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(flush.woken());
    assert_eq!(flush.ready(), Ok(()));
    drop(flush);
    assert_eq!(rx.try_recv(), Ok(2));
    drop(rx);
    assert!(Pin::new(&mut tx).start_send(3).is_err());
}

/// A sender can be shared between threads for any `T: Send`, with or without the
/// `sink` feature (its accepted-value slot must not make it `!Sync`).
#[test]
fn a_sender_of_a_send_but_not_sync_value_is_sync() {
    fn shared_across_threads<S: Send + Sync>(_: &S) {}
    let (tx, rx) = ferrio_sync::channel::bounded::<std::cell::Cell<u8>>(1);
    shared_across_threads(&tx);
    std::thread::scope(|s| {
        s.spawn(|| futures_lite::future::block_on(tx.send(std::cell::Cell::new(3))).unwrap());
    });
    assert_eq!(rx.try_recv().unwrap().get(), 3);
}
