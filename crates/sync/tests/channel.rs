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
