//! The cancellation token: cancel reaches clones and children (never parents), wakes
//! every waiter once, and a dropped wait leaves nothing behind.
mod common;

use common::{parked, Polled};
use ferrio_sync::CancellationToken;

#[test]
fn cancel_wakes_every_waiter_of_the_token_and_its_clones() {
    let token = CancellationToken::new();
    let clone = token.clone();
    let mut a = parked(token.cancelled());
    let mut b = parked(clone.cancelled());
    token.cancel();
    assert_eq!((a.take_wakes(), b.take_wakes()), (1, 1));
    a.ready();
    b.ready();
    assert!(clone.is_cancelled());
}

#[test]
fn a_parent_cancels_its_children_and_grandchildren() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    let mut waiting = parked(grandchild.cancelled());
    root.cancel();
    assert!(waiting.woken());
    waiting.ready();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
}

#[test]
fn a_child_never_cancels_its_parent_or_siblings() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let b = root.child_token();
    let mut root_waiting = parked(root.cancelled());
    let mut b_waiting = parked(b.cancelled());
    a.cancel();
    assert!(a.is_cancelled());
    assert!(!root.is_cancelled() && !b.is_cancelled());
    assert!(!root_waiting.woken() && !b_waiting.woken());
    assert!(root_waiting.poll().is_pending());
    assert!(b_waiting.poll().is_pending());
}

#[test]
fn a_child_of_a_cancelled_token_starts_cancelled() {
    let root = CancellationToken::new();
    root.cancel();
    let child = root.child_token();
    assert!(child.is_cancelled());
    Polled::new(child.cancelled()).ready();
}

#[test]
fn a_child_outlives_a_dropped_middle_token() {
    let root = CancellationToken::new();
    let grandchild = root.child_token().child_token();
    let mut waiting = parked(grandchild.clone().cancelled_owned());
    root.cancel();
    assert!(
        waiting.woken(),
        "the chain stays whole after the middle handle drops"
    );
    waiting.ready();
}

#[test]
fn a_dropped_wait_leaves_the_token_working() {
    let token = CancellationToken::new();
    drop(parked(token.cancelled()));
    let mut second = parked(token.cancelled());
    token.cancel();
    assert_eq!(second.take_wakes(), 1);
    second.ready();
}

#[test]
fn a_drop_guard_cancels_unless_disarmed() {
    let token = CancellationToken::new();
    let kept = token.clone().drop_guard().disarm();
    assert!(!token.is_cancelled());
    let result = std::panic::catch_unwind({
        let guard = kept.drop_guard();
        move || {
            let _guard = guard;
            panic!("the scope ends by a panic");
        }
    });
    assert!(result.is_err());
    assert!(token.is_cancelled(), "the guard cancelled on unwind");
}

#[test]
fn under_a_foreign_executor_every_waiting_thread_is_released() {
    use std::sync::mpsc;
    use std::time::Duration;
    let root = CancellationToken::new();
    let threads = 4;
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    for n in 0..threads {
        let token = if n % 2 == 0 {
            root.clone()
        } else {
            root.child_token()
        };
        let (ready_tx, done_tx) = (ready_tx.clone(), done_tx.clone());
        std::thread::spawn(move || {
            ready_tx.send(()).unwrap();
            futures_lite::future::block_on(token.cancelled());
            done_tx.send(token.is_cancelled()).unwrap();
        });
    }
    for _ in 0..threads {
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("every waiter thread started within 10 s");
    }
    root.cancel();
    for _ in 0..threads {
        let cancelled = done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a waiter was not released within 10 s of cancel: a lost wake-up");
        assert!(cancelled);
    }
}
