//! The watch channel: the latest value, change notification, closing on both sides.
mod common;

use common::{parked, Polled};
use ferrio_sync::watch::{self, RecvError};
use futures_lite::StreamExt;

#[test]
fn changed_waits_for_a_new_value_and_marks_it_seen() {
    let (tx, mut rx) = watch::channel(0);
    let mut changed = parked(rx.changed());
    tx.send(1).unwrap();
    assert!(changed.woken());
    assert_eq!(changed.ready(), Ok(()));
    drop(changed);
    assert_eq!(rx.has_changed(), Ok(false));
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn several_changes_wake_once_and_show_the_latest() {
    let (tx, mut rx) = watch::channel(0);
    for n in 1..=3 {
        tx.send(n).unwrap();
    }
    assert_eq!(Polled::new(rx.changed()).ready(), Ok(()));
    assert_eq!(*rx.borrow(), 3);
    assert!(Polled::new(rx.changed()).poll().is_pending());
}

#[test]
fn borrow_does_not_mark_seen_but_borrow_and_update_does() {
    let (tx, mut rx) = watch::channel("a");
    tx.send("b").unwrap();
    assert_eq!(*rx.borrow(), "b");
    assert_eq!(rx.has_changed(), Ok(true));
    assert_eq!(*rx.borrow_and_update(), "b");
    assert_eq!(rx.has_changed(), Ok(false));
}

#[test]
fn a_dropped_sender_reports_an_unseen_change_then_closes() {
    let (tx, mut rx) = watch::channel(0);
    let mut other = rx.clone();
    let mut waiting = parked(other.changed());
    tx.send(1).unwrap();
    drop(tx);
    assert!(waiting.woken());
    assert_eq!(waiting.ready(), Ok(()));
    drop(waiting);
    assert_eq!(
        Polled::new(rx.changed()).ready(),
        Ok(()),
        "the change comes first"
    );
    assert_eq!(Polled::new(rx.changed()).ready(), Err(RecvError));
    assert_eq!(rx.has_changed(), Err(RecvError));
    assert_eq!(*rx.borrow(), 1, "the last value stays readable");
    let mut seen_all = other.clone();
    assert_eq!(Polled::new(seen_all.changed()).ready(), Err(RecvError));
}

#[test]
fn a_parked_changed_is_woken_by_the_close() {
    let (tx, mut rx) = watch::channel(());
    let mut waiting = parked(rx.changed());
    drop(tx);
    assert!(waiting.woken());
    assert_eq!(waiting.ready(), Err(RecvError));
}

#[test]
fn send_fails_without_receivers_but_send_replace_publishes() {
    let (tx, rx) = watch::channel(0);
    let mut closed = parked(tx.closed());
    drop(rx);
    assert!(closed.woken());
    closed.ready();
    drop(closed);
    assert!(tx.is_closed());
    assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
    assert_eq!(*tx.borrow(), 0, "a failed send publishes nothing");
    assert_eq!(tx.send_replace(2), 0);
    let rx = tx.subscribe();
    assert_eq!((*rx.borrow(), rx.has_changed()), (2, Ok(false)));
}

#[test]
fn send_if_modified_tells_receivers_only_when_it_says_so() {
    let (tx, rx) = watch::channel(1);
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(tx.send_if_modified(|v| {
        *v = 5;
        true
    }));
    assert_eq!(rx.has_changed(), Ok(true));
}

#[test]
fn a_dropped_changed_future_marks_nothing_seen() {
    let (tx, mut rx) = watch::channel(0);
    {
        let _waiting = parked(rx.changed());
        tx.send(1).unwrap();
    }
    assert_eq!(rx.has_changed(), Ok(true));
}

#[test]
fn the_receiver_is_a_stream_of_changes() {
    let (tx, mut rx) = watch::channel(0);
    let mut next = parked(rx.next());
    tx.send(1).unwrap();
    assert_eq!(next.ready(), Some(1));
    drop(next);
    tx.send(2).unwrap();
    drop(tx);
    let rest: Vec<_> = futures_lite::future::block_on(rx.collect());
    assert_eq!(rest, [2]);
}

#[test]
fn under_a_foreign_executor_the_last_value_is_always_seen() {
    let n = common::scaled(10_000) as u64;
    let (tx, rx) = watch::channel(0u64);
    let watchers: Vec<_> = (0..2)
        .map(|_| {
            let mut rx = rx.clone();
            common::spawn(move || {
                futures_lite::future::block_on(async {
                    let mut last = 0;
                    let mut seen = 0;
                    while rx.changed().await.is_ok() {
                        let v = *rx.borrow_and_update();
                        assert!(v >= last, "values never go back: {v} after {last}");
                        last = v;
                        seen += 1;
                    }
                    (last, seen)
                })
            })
        })
        .collect();
    drop(rx);
    for v in 1..=n {
        tx.send_replace(v);
    }
    drop(tx);
    for handle in watchers {
        let (last, seen) = handle.join("a watcher");
        assert_eq!(last, n, "the final value is never missed");
        assert!(seen >= 1 && seen <= n);
    }
}

#[cfg(feature = "sink")]
#[test]
fn the_sender_is_a_sink_that_publishes_each_value() {
    use futures_sink::Sink;
    use std::pin::Pin;
    let (mut tx, rx) = watch::channel(0);
    Pin::new(&mut tx).start_send(1).unwrap();
    assert_eq!((*rx.borrow(), rx.has_changed()), (1, Ok(true)));
    drop(rx);
    assert_eq!(Pin::new(&mut tx).start_send(2).unwrap_err().into_inner(), 2);
}

#[test]
fn the_channel_closes_when_the_last_of_its_cloned_senders_drops() {
    let (tx, mut rx) = watch::channel(0);
    let tx2 = tx.clone();
    let mut waiting = parked(rx.changed());
    drop(tx);
    assert!(!waiting.woken(), "one sender is still there");
    tx2.send(1).unwrap();
    assert_eq!(waiting.ready(), Ok(()));
    drop(waiting);
    let mut waiting = parked(rx.changed());
    drop(tx2);
    assert!(waiting.woken());
    assert_eq!(waiting.ready(), Err(RecvError));
}
