//! The broadcast channel: every receiver sees every value, laggers learn what they
//! missed, closing wakes everyone.
mod common;

use common::{parked, Polled};
use ferrio_sync::broadcast::{self, RecvError, TryRecvError};
use futures_lite::StreamExt;

#[test]
fn every_receiver_gets_every_value_in_order() {
    let (tx, mut a) = broadcast::channel(8);
    let mut b = tx.subscribe();
    for n in 0..5 {
        assert_eq!(tx.send(n), Ok(2));
    }
    for rx in [&mut a, &mut b] {
        let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(got, [0, 1, 2, 3, 4]);
    }
}

#[test]
fn a_lagging_receiver_learns_how_many_it_missed() {
    let (tx, mut slow) = broadcast::channel(4);
    let mut fast = tx.subscribe();
    for n in 0..10u32 {
        tx.send(n).unwrap();
        assert_eq!(fast.try_recv(), Ok(n));
    }
    assert_eq!(slow.len(), 4);
    assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(6)));
    let rest: Vec<_> = std::iter::from_fn(|| slow.try_recv().ok()).collect();
    assert_eq!(rest, [6, 7, 8, 9], "it goes on from the oldest kept value");
    // Lagged + received accounts for every value sent: none lost silently.
    assert_eq!(6 + rest.len(), 10);
}

#[test]
fn recv_reports_the_lag_as_recv_error() {
    let (tx, mut rx) = broadcast::channel(1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    assert_eq!(Polled::new(rx.recv()).ready(), Err(RecvError::Lagged(2)));
    assert_eq!(Polled::new(rx.recv()).ready(), Ok(3));
}

#[test]
fn a_send_wakes_every_parked_receiver() {
    let (tx, mut a) = broadcast::channel(2);
    let mut b = tx.subscribe();
    let mut wa = parked(a.recv());
    let mut wb = parked(b.recv());
    tx.send('x').unwrap();
    assert!(wa.woken() && wb.woken());
    assert_eq!(wa.ready(), Ok('x'));
    assert_eq!(wb.ready(), Ok('x'));
}

#[test]
fn closing_drains_then_fails_every_receiver() {
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    let mut wb = parked(b.recv());
    tx.send(1).unwrap();
    assert_eq!(wb.ready(), Ok(1));
    drop(wb);
    let mut wb = parked(b.recv());
    drop(tx);
    assert!(wb.woken());
    assert_eq!(wb.ready(), Err(RecvError::Closed));
    assert_eq!(a.try_recv(), Ok(1), "what was sent is still received");
    assert_eq!(a.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_dropped_recv_future_takes_nothing() {
    let (tx, mut rx) = broadcast::channel(2);
    {
        let _waiting = parked(rx.recv());
        tx.send(5).unwrap();
    }
    assert_eq!(rx.try_recv(), Ok(5));
}

#[test]
fn sending_without_receivers_gives_the_value_back() {
    let (tx, rx) = broadcast::channel(2);
    drop(rx);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send("v").unwrap_err().into_inner(), "v");
}

#[test]
fn values_are_dropped_once_every_receiver_saw_them() {
    use std::sync::Arc;
    let (tx, mut a) = broadcast::channel(8);
    let mut b = tx.subscribe();
    let value = Arc::new(());
    tx.send(Arc::clone(&value)).unwrap();
    assert_eq!(Arc::strong_count(&value), 2);
    drop(a.try_recv().unwrap());
    assert_eq!(Arc::strong_count(&value), 2, "b has not seen it");
    drop(b.try_recv().unwrap());
    assert_eq!(Arc::strong_count(&value), 1, "the channel let go of it");
    tx.send(Arc::clone(&value)).unwrap();
    drop(b);
    drop(a.try_recv().unwrap());
    assert_eq!(
        Arc::strong_count(&value),
        1,
        "a dropped receiver counts as having read"
    );
}

#[test]
fn the_receiver_is_a_stream_of_values_and_lags() {
    let (tx, rx) = broadcast::channel(2);
    for n in 0..4 {
        tx.send(n).unwrap();
    }
    drop(tx);
    let all: Vec<_> = futures_lite::future::block_on(rx.collect());
    assert_eq!(all, [Err(RecvError::Lagged(2)), Ok(2), Ok(3)]);
}

#[test]
fn threads_under_a_foreign_executor_see_every_value() {
    let n = common::scaled(10_000) as u64;
    // Large enough that no receiver lags: every value must arrive, in order.
    let (tx, rx) = broadcast::channel(n as usize);
    let receivers: Vec<_> = (0..3)
        .map(|_| {
            let mut rx = rx.resubscribe();
            common::spawn(move || {
                futures_lite::future::block_on(async {
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv().await {
                        got.push(v);
                    }
                    got
                })
            })
        })
        .collect();
    drop(rx);
    for v in 0..n {
        tx.send(v).unwrap();
    }
    drop(tx);
    for handle in receivers {
        assert_eq!(handle.join("a receiver"), (0..n).collect::<Vec<_>>());
    }
}

#[cfg(feature = "sink")]
#[test]
fn the_sender_is_a_sink_that_fails_without_receivers() {
    use futures_sink::Sink;
    use std::pin::Pin;
    let (mut tx, mut rx) = broadcast::channel(2);
    Pin::new(&mut tx).start_send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    drop(rx);
    let err = Pin::new(&mut tx).start_send(2).unwrap_err();
    assert_eq!(err.into_inner(), 2);
}
