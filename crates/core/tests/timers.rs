//! Timers on both flavours: sleep, timeout, interval.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{on_both, scaled};
use ferrio_core::{interval, sleep, sleep_until, spawn, timeout, wait_for, Handle};

#[test]
fn sleep_waits_at_least_its_duration() {
    on_both(|_| async {
        let start = Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
fn concurrent_sleeps_overlap() {
    on_both(|_| async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..3)
            .map(|_| spawn(sleep(Duration::from_millis(300))))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let took = start.elapsed();
        // Sequentially they would take 900 ms.
        assert!(took >= Duration::from_millis(300));
        // (Under miri every step is slow in real time: no upper bound there.)
        assert!(
            cfg!(miri) || took < Duration::from_millis(850),
            "took {took:?}"
        );
    });
}

#[test]
fn sleep_until_past_deadline_is_ready() {
    on_both(|_| async {
        let past = Handle::current().now() - Duration::from_millis(1);
        sleep_until(past).await;
        sleep(Duration::ZERO).await;
    });
}

#[test]
fn timeout_passes_value_through() {
    on_both(|_| async {
        assert_eq!(timeout(Duration::from_secs(30), async { 4 }).await, Ok(4));
    });
}

struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn wait_for_drops_the_inner_future_on_expiry() {
    on_both(|_| async {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(dropped.clone());
        let res = wait_for(
            async move {
                let _g = guard;
                std::future::pending::<()>().await
            },
            Duration::from_millis(10),
        )
        .await;
        assert!(res.is_err());
        assert!(
            dropped.load(Ordering::SeqCst),
            "the inner future was dropped"
        );
    });
}

#[test]
fn dropped_sleeps_leave_no_timer_behind() {
    on_both(|_| async {
        let n = scaled(10_000);
        let mut sleeps: Vec<_> = (0..n)
            .map(|i| sleep(Duration::from_secs(60 + i as u64)))
            .collect();
        // Register them all.
        std::future::poll_fn(|cx| {
            for s in sleeps.iter_mut() {
                assert!(s.poll_sleep(cx).is_pending());
            }
            std::task::Poll::Ready(())
        })
        .await;
        assert_eq!(Handle::current().metrics().timers, n);
        drop(sleeps);
        assert_eq!(Handle::current().metrics().timers, 0);
    });
}

#[test]
fn interval_ticks_at_its_period() {
    on_both(|_| async {
        let start = Instant::now();
        let mut every = interval(Duration::from_millis(10));
        let first = every.tick().await;
        for _ in 0..3 {
            every.tick().await;
        }
        let next = every.tick().await;
        assert_eq!(next - first, Duration::from_millis(40));
        assert!(start.elapsed() >= Duration::from_millis(40));
    });
}

#[test]
fn timeout_at_and_interval_stream_follow_the_clock() {
    use futures_lite::StreamExt;
    on_both(|_| async {
        let now = Handle::current().now();
        let late =
            ferrio_core::timeout_at(now + Duration::from_millis(5), std::future::pending::<()>());
        assert_eq!(late.await, Err(ferrio_core::Elapsed::default()));
        let start = Handle::current().now() + Duration::from_millis(2);
        let ticks: Vec<Instant> = ferrio_core::interval_at(start, Duration::from_millis(3))
            .take(3)
            .collect()
            .await;
        assert_eq!(
            ticks,
            [
                start,
                start + Duration::from_millis(3),
                start + Duration::from_millis(6)
            ]
        );
    });
}

#[test]
fn a_fired_sleep_reset_or_dropped_before_its_next_poll_leaves_no_timer() {
    on_both(|_| async {
        let handle = Handle::current();
        let mut first = sleep(Duration::from_millis(1));
        let mut second = sleep(Duration::from_millis(1));
        std::future::poll_fn(|cx| {
            assert!(first.poll_sleep(cx).is_pending());
            assert!(second.poll_sleep(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        assert_eq!(handle.metrics().timers, 2);
        // Both fire meanwhile; neither is polled again.
        sleep(Duration::from_millis(5)).await;
        assert_eq!(handle.metrics().timers, 0);
        drop(first);
        let start = handle.now();
        second.reset(start + Duration::from_millis(2));
        std::future::poll_fn(|cx| {
            assert!(second.poll_sleep(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        assert_eq!(handle.metrics().timers, 1);
        second.await;
        assert!(handle.now() >= start + Duration::from_millis(2));
        assert_eq!(handle.metrics().timers, 0);
    });
}
