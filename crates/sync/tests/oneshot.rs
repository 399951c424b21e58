//! The oneshot channel: one value, clear errors when either side goes away.
mod common;

use common::{parked, Polled};
use ferrio_sync::oneshot::{self, RecvError, TryRecvError};
use futures_lite::StreamExt;

#[test]
fn a_sent_value_wakes_the_receiver() {
    let (tx, rx) = oneshot::channel();
    let mut waiting = parked(rx);
    tx.send(7).unwrap();
    assert!(waiting.woken());
    assert_eq!(waiting.ready(), Ok(7));
}

#[test]
fn a_dropped_sender_wakes_the_receiver_with_an_error() {
    let (tx, rx) = oneshot::channel::<u8>();
    let mut waiting = parked(rx);
    drop(tx);
    assert!(waiting.woken());
    assert_eq!(waiting.ready(), Err(RecvError));
}

#[test]
fn a_dropped_await_of_the_receiver_loses_no_value() {
    let (tx, mut rx) = oneshot::channel();
    {
        let _waiting = parked(&mut rx);
    }
    tx.send("kept").unwrap();
    assert_eq!(rx.try_recv(), Ok("kept"));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed), "taken only once");
}

#[test]
fn a_gone_receiver_gives_the_value_back_and_wakes_closed() {
    let (mut tx, rx) = oneshot::channel();
    {
        let mut closed = parked(tx.closed());
        drop(rx);
        assert!(closed.woken());
        closed.ready();
    }
    assert!(tx.is_closed());
    assert_eq!(tx.send(String::from("back")).unwrap_err().0, "back");
}

#[test]
fn close_refuses_later_sends_but_keeps_an_earlier_value() {
    let (tx, mut rx) = oneshot::channel();
    rx.close();
    assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
    let (tx, mut rx) = oneshot::channel();
    tx.send(2).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn the_receiver_is_a_stream_of_at_most_one_value() {
    let (tx, rx) = oneshot::channel();
    tx.send(3).unwrap();
    let all: Vec<_> = futures_lite::future::block_on(rx.collect());
    assert_eq!(all, [3]);
    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    let none: Vec<_> = futures_lite::future::block_on(rx.collect());
    assert!(none.is_empty());
}

#[test]
fn polling_after_completion_reports_closed_not_a_panic() {
    let (tx, rx) = oneshot::channel();
    tx.send(1).unwrap();
    let mut fut = Polled::new(rx);
    assert_eq!(fut.ready(), Ok(1));
    assert_eq!(fut.ready(), Err(RecvError));
}

#[test]
fn across_threads_under_a_foreign_executor_every_value_arrives() {
    let rounds = common::scaled(2_000);
    let mut got = 0;
    for n in 0..rounds {
        let (tx, rx) = oneshot::channel();
        let sender = common::spawn(move || tx.send(n).unwrap());
        let receiver = common::spawn(move || futures_lite::future::block_on(rx));
        assert_eq!(receiver.join("the receiver"), Ok(n));
        sender.join("the sender");
        got += 1;
    }
    assert_eq!(got, rounds, "no value lost");
}
