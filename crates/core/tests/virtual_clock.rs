//! The virtual clock drives every timer: auto-advance runs long sleeps at once, and
//! a manual clock moves only when advanced.
mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{builder, FLAVORS};
use ferrio_core::clock::VirtualClock;
use ferrio_core::{sleep, spawn, timeout, Handle};

#[test]
fn three_gathered_one_second_sleeps_take_one_virtual_second() {
    for flavor in FLAVORS {
        let clock = VirtualClock::auto_advance();
        let rt = builder(flavor).clock(clock.clone()).build().unwrap();
        let real = Instant::now();
        let virtual_took = rt.block_on(async {
            let start = Handle::current().now();
            let tasks: Vec<_> = (0..3)
                .map(|_| spawn(sleep(Duration::from_secs(1))))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            Handle::current().now() - start
        });
        assert!(
            virtual_took >= Duration::from_secs(1),
            "{flavor:?}: {virtual_took:?}"
        );
        assert!(
            virtual_took < Duration::from_secs(2),
            "{flavor:?}: {virtual_took:?}"
        );
        assert!(
            cfg!(miri) || real.elapsed() < Duration::from_secs(1),
            "{flavor:?}: ran in real time"
        );
    }
}

#[test]
fn sequential_sleeps_add_up_in_virtual_time() {
    for flavor in FLAVORS {
        let clock = VirtualClock::auto_advance();
        let rt = builder(flavor).clock(clock.clone()).build().unwrap();
        rt.block_on(async {
            for _ in 0..3 {
                sleep(Duration::from_secs(1)).await;
            }
        });
        let e = clock.elapsed();
        assert!(
            e >= Duration::from_secs(3) && e < Duration::from_secs(4),
            "{e:?}"
        );
    }
}

#[test]
fn timeouts_fire_in_virtual_time() {
    for flavor in FLAVORS {
        let clock = VirtualClock::auto_advance();
        let rt = builder(flavor).clock(clock.clone()).build().unwrap();
        let res = rt.block_on(async {
            timeout(Duration::from_secs(5), sleep(Duration::from_secs(3600))).await
        });
        assert!(res.is_err(), "{flavor:?} {:?}", clock.elapsed());
        assert!(clock.elapsed() >= Duration::from_secs(5));
        assert!(clock.elapsed() < Duration::from_secs(3600));
    }
}

#[test]
fn a_manual_clock_moves_only_when_advanced() {
    for flavor in FLAVORS {
        let clock = VirtualClock::new();
        let rt = builder(flavor).clock(clock.clone()).build().unwrap();
        let (registered_tx, registered_rx) = mpsc::channel::<()>();
        let advancer = {
            let clock = clock.clone();
            std::thread::spawn(move || {
                registered_rx
                    .recv_timeout(Duration::from_secs(30))
                    .expect("the timer was registered within 30 s");
                clock.advance(Duration::from_secs(10));
            })
        };
        rt.block_on(async move {
            let mut s = sleep(Duration::from_secs(10));
            std::future::poll_fn(|cx| {
                assert!(s.poll_sleep(cx).is_pending());
                std::task::Poll::Ready(())
            })
            .await;
            registered_tx.send(()).unwrap();
            s.await;
        });
        advancer.join().unwrap();
        assert_eq!(clock.elapsed(), Duration::from_secs(10));
    }
}
