//! Barrier: indices in arrival order, rounds that repeat, abort and reset breaking
//! waiters, a dropped party leaving its round.
mod common;

use common::{parked, Polled};
use ferrio_sync::{Barrier, BrokenBarrierError};

#[test]
fn parties_are_released_together_with_their_arrival_index() {
    let barrier = Barrier::new(3);
    let mut a = parked(barrier.wait());
    let mut b = parked(barrier.wait());
    assert_eq!(barrier.n_waiting(), 2);
    let mut c = Polled::new(barrier.wait());
    assert_eq!(c.ready(), Ok(2), "the last to arrive releases the round");
    assert!(a.woken() && b.woken());
    assert_eq!(a.ready(), Ok(0));
    assert_eq!(b.ready(), Ok(1));
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn the_barrier_refills_for_another_round() {
    let barrier = Barrier::new(2);
    for _ in 0..3 {
        let mut a = parked(barrier.wait());
        assert_eq!(Polled::new(barrier.wait()).ready(), Ok(1));
        assert_eq!(a.ready(), Ok(0));
    }
}

#[test]
fn arrivals_during_a_drain_wait_for_the_next_round() {
    let barrier = Barrier::new(2);
    let mut a = parked(barrier.wait());
    assert_eq!(Polled::new(barrier.wait()).ready(), Ok(1));
    // `a` has not left yet: the barrier is still draining.
    let mut next = parked(barrier.wait());
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(a.ready(), Ok(0));
    assert!(next.woken());
    assert!(next.poll().is_pending());
    assert_eq!(barrier.n_waiting(), 1);
    assert_eq!(Polled::new(barrier.wait()).ready(), Ok(1));
    assert_eq!(next.ready(), Ok(0));
}

#[test]
fn abort_breaks_waiting_and_later_parties() {
    let barrier = Barrier::new(3);
    let mut a = parked(barrier.wait());
    barrier.abort();
    assert!(barrier.broken());
    assert_eq!(a.ready(), Err(BrokenBarrierError));
    assert_eq!(Polled::new(barrier.wait()).ready(), Err(BrokenBarrierError));
    barrier.reset();
    assert!(!barrier.broken());
    let mut b = parked(barrier.wait());
    let mut c = parked(barrier.wait());
    assert_eq!(Polled::new(barrier.wait()).ready(), Ok(2));
    assert_eq!((b.ready(), c.ready()), (Ok(0), Ok(1)));
}

#[test]
fn reset_breaks_the_waiters_of_the_round() {
    let barrier = Barrier::new(3);
    let mut a = parked(barrier.wait());
    let mut b = parked(barrier.wait());
    barrier.reset();
    assert_eq!(a.ready(), Err(BrokenBarrierError));
    assert_eq!(b.ready(), Err(BrokenBarrierError));
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn a_dropped_party_leaves_the_round() {
    let barrier = Barrier::new(2);
    let a = parked(barrier.wait());
    assert_eq!(barrier.n_waiting(), 1);
    drop(a);
    assert_eq!(barrier.n_waiting(), 0);
    let mut b = parked(barrier.wait());
    assert_eq!(Polled::new(barrier.wait()).ready(), Ok(1));
    assert_eq!(b.ready(), Ok(0));
}

#[test]
fn threads_meet_at_the_barrier() {
    let barrier = Barrier::new(4);
    let mut indices: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| futures_lite::future::block_on(barrier.wait()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2, 3]);
}
