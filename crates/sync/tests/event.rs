//! Event: set wakes every waiter, even if cleared before they run; clear resets.
mod common;

use common::{parked, Polled};
use ferrio_sync::Event;

#[test]
fn wait_returns_at_once_when_set() {
    let event = Event::new();
    event.set();
    assert!(event.is_set());
    assert!(Polled::new(event.wait()).poll().is_ready());
}

#[test]
fn set_wakes_every_waiter() {
    let event = Event::new();
    let mut waiters: Vec<_> = (0..3).map(|_| parked(event.wait())).collect();
    event.set();
    for waiter in &mut waiters {
        assert!(waiter.woken());
        assert!(waiter.poll().is_ready());
    }
}

#[test]
fn waiters_woken_by_set_return_even_if_cleared_before_they_run() {
    let event = Event::new();
    let mut waiter = parked(event.wait());
    event.set();
    event.clear();
    assert!(!event.is_set());
    assert!(waiter.poll().is_ready());
}

#[test]
fn clear_makes_later_waits_block() {
    let event = Event::new();
    event.set();
    event.clear();
    let mut waiter = parked(event.wait());
    assert!(!waiter.woken());
    event.set();
    event.set();
    assert_eq!(waiter.take_wakes(), 1, "a second set wakes nobody twice");
    assert!(waiter.poll().is_ready());
}

#[test]
fn dropped_waiter_does_not_disturb_the_others() {
    let event = Event::new();
    let first = parked(event.wait());
    let mut second = parked(event.wait());
    drop(first);
    event.set();
    assert!(second.poll().is_ready());
}

#[test]
fn set_from_another_thread_wakes_a_blocked_thread() {
    let event = std::sync::Arc::new(Event::new());
    let setter = std::sync::Arc::clone(&event);
    let handle = std::thread::spawn(move || setter.set());
    futures_lite::future::block_on(event.wait());
    handle.join().unwrap();
    assert!(event.is_set());
}
