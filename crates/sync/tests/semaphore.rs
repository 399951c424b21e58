//! Semaphore and BoundedSemaphore: counting, FIFO order (asyncio's
//! test_acquire_fifo_order_2 and _3), cancellation safety.
mod common;

use common::{parked, Polled};
use ferrio_sync::{BoundedSemaphore, Semaphore, TooManyReleases};

#[test]
fn permits_are_counted() {
    let sem = Semaphore::new(2);
    assert_eq!(sem.available(), 2);
    let a = sem.try_acquire().expect("a free permit");
    let b = sem.try_acquire().expect("a free permit");
    assert!(sem.locked());
    assert!(sem.try_acquire().is_none());
    drop(a);
    assert_eq!(sem.available(), 1);
    drop(b);
    assert_eq!(sem.available(), 2);
}

#[test]
fn forget_and_release_the_asyncio_way() {
    let sem = Semaphore::new(1);
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.available(), 0);
    sem.release();
    assert_eq!(sem.available(), 1);
    sem.release();
    assert_eq!(sem.available(), 2, "a plain Semaphore may grow");
}

#[test]
fn bounded_semaphore_refuses_to_grow() {
    let sem = BoundedSemaphore::new(2);
    assert_eq!(sem.release(), Err(TooManyReleases));
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.release(), Ok(()));
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.available(), 2);
    assert_eq!(sem.bound(), 2);
    assert_eq!(
        TooManyReleases.to_string(),
        "BoundedSemaphore released too many times"
    );
}

#[test]
fn fifo_order_2() {
    // asyncio's test_acquire_fifo_order_2: the result must be [1, 2, 3, 4].
    let sem = Semaphore::new(1);
    let mut result = Vec::new();
    let mut c1 = Polled::new(sem.acquire());
    c1.ready().forget();
    result.push(1);
    let mut c2 = parked(sem.acquire());
    let mut c3 = parked(sem.acquire());
    sem.release();
    sem.release();
    // c2 runs: takes its permit, releases it, asks again: c3 already holds its turn.
    assert!(c2.woken());
    let permit = c2.ready();
    result.push(2);
    drop(permit);
    let mut c2_again = parked(sem.acquire());
    // c3 runs and takes its permit; the free one goes to c2.
    assert!(c3.woken());
    c3.ready().forget();
    result.push(3);
    assert!(c2_again.woken());
    c2_again.ready().forget();
    result.push(4);
    assert_eq!(result, [1, 2, 3, 4]);
}

#[test]
fn fifo_order_3() {
    // asyncio's test_acquire_fifo_order_3: a cancelled first waiter loses its turn, the
    // others are served in order: [2, 3].
    let sem = Semaphore::new(0);
    let c1 = parked(sem.acquire());
    let mut c2 = parked(sem.acquire());
    let mut c3 = parked(sem.acquire());
    drop(c1);
    sem.release();
    sem.release();
    assert!(c2.woken() && c3.woken());
    let mut result = Vec::new();
    c2.ready().forget();
    result.push(2);
    c3.ready().forget();
    result.push(3);
    assert_eq!(result, [2, 3]);
}

#[test]
fn waiter_dropped_after_being_handed_a_permit_passes_it_on() {
    let sem = Semaphore::new(0);
    let first = parked(sem.acquire());
    let mut second = parked(sem.acquire());
    sem.release();
    assert!(first.woken());
    assert!(!second.woken());
    drop(first);
    assert!(second.woken());
    let _permit = second.ready();
    assert_eq!(sem.available(), 0);
}

#[test]
fn waiter_dropped_after_being_handed_a_permit_with_nobody_behind_returns_it() {
    let sem = Semaphore::new(0);
    let only = parked(sem.acquire());
    sem.release();
    drop(only);
    assert_eq!(sem.available(), 1);
    assert!(!sem.locked());
}

#[test]
fn a_newcomer_waits_behind_parked_waiters() {
    let sem = Semaphore::new(0);
    let mut first = parked(sem.acquire());
    sem.release();
    assert!(
        sem.locked(),
        "the released permit belongs to the parked waiter"
    );
    assert!(sem.try_acquire().is_none());
    let _late = parked(sem.acquire());
    let _permit = first.ready();
}

#[test]
fn owned_permits_limit_spawned_work_and_pass_on_when_dropped() {
    let sem = std::sync::Arc::new(Semaphore::new(1));
    let permit = Polled::new(std::sync::Arc::clone(&sem).acquire_owned()).ready();
    let first = parked(std::sync::Arc::clone(&sem).acquire_owned());
    let mut second = parked(std::sync::Arc::clone(&sem).acquire_owned());
    std::thread::spawn(move || drop(permit)).join().unwrap();
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    second.ready().forget();
    assert_eq!(sem.available(), 0);
    assert_eq!(
        std::sync::Arc::strong_count(&sem),
        1,
        "forget leaks no reference"
    );
    sem.release();
    assert_eq!(sem.available(), 1);
}
