//! `WorkGuard`: real work in flight holds a self-advancing virtual clock.
mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{builder, FLAVORS};
use ferrio_core::clock::VirtualClock;
use ferrio_core::{sleep, timeout, Handle};

#[test]
fn the_clock_waits_for_a_guarded_outside_job_then_jumps_again() {
    for flavor in FLAVORS {
        let clock = VirtualClock::auto_advance();
        let rt = builder(flavor).clock(clock.clone()).build().unwrap();
        let out = rt.block_on(async {
            let guard = Handle::current().work_guard();
            let (tx, rx) = mpsc::channel();
            let worker = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(40));
                tx.send(9).unwrap();
                drop(guard);
            });
            let out = timeout(Duration::from_secs(5), async {
                loop {
                    if let Ok(v) = rx.try_recv() {
                        break v;
                    }
                    sleep(Duration::from_millis(1)).await;
                }
            })
            .await;
            worker.join().unwrap();
            out
        });
        assert_eq!(out, Ok(9), "{flavor:?}");
        assert!(clock.elapsed() < Duration::from_secs(5), "{flavor:?}");
        // With the guard gone, an hour of sleeping takes no real time.
        let real = Instant::now();
        rt.block_on(sleep(Duration::from_secs(3600)));
        assert!(clock.elapsed() >= Duration::from_secs(3600), "{flavor:?}");
        assert!(real.elapsed() < Duration::from_secs(30), "{flavor:?}");
    }
}
