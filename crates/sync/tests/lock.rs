//! Lock and Mutex<T>: exclusion, FIFO hand-off, cancellation safety.
mod common;

use common::{parked, Polled};
use ferrio_sync::{Lock, Mutex};

#[test]
fn lock_is_exclusive_and_released_by_its_guard() {
    let lock = Lock::new();
    let guard = lock.try_acquire().expect("free lock");
    assert!(lock.locked());
    assert!(lock.try_acquire().is_none());
    drop(guard);
    assert!(!lock.locked());
}

#[test]
fn lock_is_handed_over_in_arrival_order() {
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let mut waiters: Vec<_> = (0..3).map(|_| parked(lock.acquire())).collect();
    drop(held);
    for index in 0..3 {
        assert!(waiters[index].woken(), "waiter {index} is next");
        for later in &waiters[index + 1..] {
            assert!(!later.woken());
        }
        let guard = waiters[index].ready();
        drop(guard);
    }
    assert!(!lock.locked());
}

#[test]
fn lock_waiter_dropped_after_wake_passes_the_lock_on() {
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let first = parked(lock.acquire());
    let mut second = parked(lock.acquire());
    drop(held);
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    let _guard = second.ready();
    assert!(lock.locked());
}

#[test]
fn mutex_guards_its_value() {
    let mutex = Mutex::new(vec![1]);
    {
        let mut guard = Polled::new(mutex.lock()).ready();
        guard.push(2);
        assert!(mutex.locked());
        assert!(mutex.try_lock().is_none());
    }
    assert_eq!(*mutex.try_lock().unwrap(), [1, 2]);
    let mut mutex = mutex;
    mutex.get_mut().push(3);
    assert_eq!(mutex.into_inner(), [1, 2, 3]);
}

#[test]
fn mutex_counts_every_increment_across_threads() {
    let threads = 4;
    let per_thread = common::scaled(10_000);
    let mutex = std::sync::Arc::new(Mutex::new(0usize));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let mutex = &mutex;
            scope.spawn(move || {
                futures_lite::future::block_on(async {
                    for _ in 0..per_thread {
                        *mutex.lock().await += 1;
                    }
                })
            });
        }
    });
    assert_eq!(*mutex.try_lock().unwrap(), threads * per_thread);
}

#[test]
fn owned_guard_moves_into_another_thread() {
    let mutex = std::sync::Arc::new(Mutex::new(String::from("a")));
    let mut guard = Polled::new(std::sync::Arc::clone(&mutex).lock_owned()).ready();
    let mut waiter = parked(std::sync::Arc::clone(&mutex).lock_owned());
    std::thread::spawn(move || guard.push('b')).join().unwrap();
    assert!(
        waiter.woken(),
        "the guard dropped on the other thread unlocks"
    );
    assert_eq!(*waiter.ready(), "ab");
}

#[test]
fn owned_lock_dropped_after_wake_passes_the_mutex_on() {
    let mutex = std::sync::Arc::new(Mutex::new(0));
    let held = mutex.try_lock().unwrap();
    let first = parked(std::sync::Arc::clone(&mutex).lock_owned());
    let mut second = parked(std::sync::Arc::clone(&mutex).lock_owned());
    drop(held);
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    *second.ready() += 1;
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}
