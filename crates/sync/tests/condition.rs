//! Condition: wait releases the lock, notify(n) wakes n oldest, notify_all wakes all,
//! wait_for re-checks its predicate, a dropped notified waiter passes the wake-up on.
mod common;

use common::{parked, Polled};
use ferrio_sync::Condition;

#[test]
fn wait_releases_the_lock_and_takes_it_back() {
    let cond = Condition::new(0);
    let guard = Polled::new(cond.lock()).ready();
    let mut waiting = parked(guard.wait());
    assert!(!cond.locked(), "waiting releases the lock");
    {
        let mut guard = cond.try_lock().expect("the lock is free while waiting");
        *guard = 7;
        guard.notify(1);
    }
    assert!(waiting.woken());
    let guard = waiting.ready();
    assert_eq!(*guard, 7);
    assert!(cond.locked());
}

#[test]
fn notify_n_wakes_the_n_oldest() {
    let cond = Condition::new(());
    let mut waiters: Vec<_> = (0..3)
        .map(|_| parked(Polled::new(cond.lock()).ready().wait()))
        .collect();
    cond.try_lock().unwrap().notify(2);
    assert!(waiters[0].woken());
    assert!(waiters[1].woken());
    assert!(!waiters[2].woken());
    drop(waiters[0].ready());
    drop(waiters[1].ready());
    cond.try_lock().unwrap().notify_all();
    assert!(waiters[2].woken());
    drop(waiters[2].ready());
}

#[test]
fn notifications_do_not_accumulate() {
    let cond = Condition::new(());
    cond.try_lock().unwrap().notify(5);
    let mut waiter = parked(Polled::new(cond.lock()).ready().wait());
    assert!(!waiter.woken());
    assert!(waiter.poll().is_pending());
}

#[test]
fn waiter_dropped_after_notify_passes_it_on() {
    let cond = Condition::new(());
    let first = parked(Polled::new(cond.lock()).ready().wait());
    let mut second = parked(Polled::new(cond.lock()).ready().wait());
    cond.try_lock().unwrap().notify(1);
    assert!(first.woken());
    assert!(!second.woken());
    drop(first);
    assert!(second.woken());
    drop(second.ready());
}

#[test]
fn waiter_dropped_while_retaking_the_lock_passes_the_notification_on() {
    let cond = Condition::new(());
    let mut first = parked(Polled::new(cond.lock()).ready().wait());
    let mut second = parked(Polled::new(cond.lock()).ready().wait());
    let held = cond.try_lock().unwrap();
    held.notify(1);
    // `first` observes the notification, then waits for the lock, then is dropped.
    assert!(first.poll().is_pending());
    drop(first);
    assert!(second.woken());
    drop(held);
    drop(second.ready());
}

#[test]
fn wait_for_rechecks_the_predicate() {
    let cond = Condition::new(0);
    let guard = Polled::new(cond.lock()).ready();
    let mut waiting = parked(guard.wait_for(|n| *n >= 2));
    for n in 1..=2 {
        let mut guard = cond.try_lock().unwrap();
        *guard = n;
        guard.notify_all();
        drop(guard);
        let woken = waiting.woken();
        assert!(woken);
        if n < 2 {
            assert!(waiting.poll().is_pending(), "predicate still false");
        }
    }
    assert_eq!(*waiting.ready(), 2);
}

#[test]
fn wait_for_a_true_predicate_does_not_wait() {
    let cond = Condition::new(true);
    let guard = Polled::new(cond.lock()).ready();
    let guard = Polled::new(guard.wait_for(|ready| *ready)).ready();
    assert!(*guard);
}
