//! Far timers (more than a second out) wait in coarse buckets and move into the
//! precise heap before they are due: on a virtual clock, which jumps exactly to each
//! deadline, every one fires exactly at its deadline and in deadline order, however
//! it was armed, moved or cancelled, on both flavours.
mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use common::{builder, scaled, FLAVORS};
use ferrio_core::clock::VirtualClock;
use ferrio_core::time::timeout_none;
use ferrio_core::{sleep, sleep_until, spawn, Handle, Runtime};

fn runtimes() -> impl Iterator<Item = (String, Runtime)> {
    FLAVORS.into_iter().map(|flavor| {
        let rt = builder(flavor)
            .clock(VirtualClock::auto_advance())
            .build()
            .unwrap();
        (format!("{flavor:?}"), rt)
    })
}

/// Polls `future` once with the caller's context (which arms a timer).
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
}

#[test]
fn near_and_far_timers_fire_exactly_at_their_deadlines_in_order() {
    const MS: u64 = 1_000_000;
    let offsets_ns = [
        45_000 * MS,
        5 * MS,
        30_000 * MS + 1,
        2_500 * MS,
        30_000 * MS,
        1_100 * MS,
        90_000 * MS,
        3_000 * MS,
        30_000 * MS + 2,
    ];
    for (flavor, rt) in runtimes() {
        let fired = rt.block_on(async {
            let start = Handle::current().now();
            let log: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
            let tasks: Vec<_> = offsets_ns
                .iter()
                .map(|&ns| {
                    let log = log.clone();
                    spawn(async move {
                        sleep(Duration::from_nanos(ns)).await;
                        log.lock().unwrap().push((ns, Handle::current().now()));
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let log = log.lock().unwrap().clone();
            log.into_iter()
                .map(|(ns, at)| (ns, at - start))
                .collect::<Vec<_>>()
        });
        let mut sorted = offsets_ns;
        sorted.sort_unstable();
        let order: Vec<u64> = fired.iter().map(|&(ns, _)| ns).collect();
        assert_eq!(order, sorted, "{flavor}");
        for (ns, at) in fired {
            // Not early, and not late: the virtual clock jumps to each deadline.
            assert_eq!(at, Duration::from_nanos(ns), "{flavor}");
        }
    }
}

#[test]
fn a_timeout_rescheduled_between_near_and_far_fires_at_its_last_deadline() {
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let handle = Handle::current();
            // Far, then near: fires at the near deadline.
            let start = handle.now();
            let mut t = pin!(timeout_none(std::future::pending::<()>()));
            t.as_mut().reschedule(Some(start + Duration::from_secs(30)));
            assert!(poll_once(&mut t).await.is_pending());
            t.as_mut()
                .reschedule(Some(start + Duration::from_millis(10)));
            assert!(t.await.is_err());
            assert_eq!(handle.now() - start, Duration::from_millis(10), "{flavor}");

            // Near, then far, then farther: fires at the last one, not before.
            let start = handle.now();
            let mut t = pin!(timeout_none(std::future::pending::<()>()));
            t.as_mut()
                .reschedule(Some(start + Duration::from_millis(10)));
            assert!(poll_once(&mut t).await.is_pending());
            t.as_mut().reschedule(Some(start + Duration::from_secs(20)));
            assert!(poll_once(&mut t).await.is_pending());
            t.as_mut().reschedule(Some(start + Duration::from_secs(40)));
            sleep(Duration::from_secs(25)).await;
            assert!(poll_once(&mut t).await.is_pending(), "{flavor}");
            assert!(t.await.is_err());
            assert_eq!(handle.now() - start, Duration::from_secs(40), "{flavor}");
            assert_eq!(handle.metrics().timers, 0);
        });
    }
}

#[test]
fn thousands_of_far_timers_with_two_thirds_cancelled() {
    let n = scaled(3_000);
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let handle = Handle::current();
            let start = handle.now();
            // Spread over a minute, a few milliseconds apart, from 2 s out.
            let deadline = |i: usize| {
                start
                    + Duration::from_secs(2)
                    + Duration::from_micros(((i * 7919) % n) as u64 * 20_000)
            };
            let mut sleeps: Vec<_> = (0..n).map(|i| (i, sleep_until(deadline(i)))).collect();
            std::future::poll_fn(|cx| {
                for (_, s) in sleeps.iter_mut() {
                    assert!(s.poll_sleep(cx).is_pending());
                }
                Poll::Ready(())
            })
            .await;
            assert_eq!(handle.metrics().timers, n);
            sleeps.retain(|&(i, _)| i % 3 == 0);
            assert_eq!(handle.metrics().timers, sleeps.len(), "{flavor}");
            sleeps.sort_by_key(|&(i, _)| deadline(i));
            for (i, s) in sleeps {
                s.await;
                assert_eq!(handle.now(), deadline(i), "{flavor}");
            }
            assert_eq!(handle.metrics().timers, 0);
        });
    }
}

#[test]
fn a_far_timer_cancelled_before_its_bucket_comes_never_fires() {
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let handle = Handle::current();
            let start = handle.now();
            let mut far = sleep(Duration::from_secs(30));
            assert!(poll_once(&mut far).await.is_pending());
            let mut also = sleep(Duration::from_secs(30) + Duration::from_millis(1));
            assert!(poll_once(&mut also).await.is_pending());
            assert_eq!(handle.metrics().timers, 2);
            drop(far);
            assert_eq!(handle.metrics().timers, 1, "{flavor}");
            also.await;
            assert_eq!(
                handle.now() - start,
                Duration::from_secs(30) + Duration::from_millis(1),
                "{flavor}"
            );
        });
    }
}
