//! Wakes from threads outside the runtime racing its shutdown. Such a wake can
//! queue a task after shutdown's last drain; the task's header owns the runtime, so
//! if nobody ran it the runtime, its driver and the task's future would never be
//! freed (a reference cycle through the queue). Every round must free them all.
mod common;

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{builder, scaled, FLAVORS};
use ferrio_core::driver::{Driver, ThreadParker};
use ferrio_core::{spawn, yield_now};

#[derive(Default)]
struct ParkerDriver(ThreadParker);

impl Driver for ParkerDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.0.park(timeout)
    }
    fn unpark(&self) {
        self.0.unpark()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Set from another thread; the task waiting on it is woken there.
#[derive(Default)]
struct Flag {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Flag {
    fn raise(&self) {
        self.set.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

struct Raised(Arc<Flag>);

impl Future for Raised {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.set.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.0.set.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct CountOnDrop(Arc<AtomicUsize>);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

const TASKS: usize = 32;

#[test]
fn wakes_from_outside_racing_shutdown_free_the_runtime_and_every_task() {
    for flavor in FLAVORS {
        for round in 0..scaled(1500) {
            let driver = Arc::new(ParkerDriver::default());
            let rt = builder(flavor).driver(driver.clone()).build().unwrap();
            let dropped = Arc::new(AtomicUsize::new(0));
            let flags: Vec<Arc<Flag>> = (0..TASKS).map(|_| Arc::default()).collect();
            rt.block_on({
                let (flags, dropped) = (flags.clone(), dropped.clone());
                async move {
                    for flag in flags {
                        let guard = CountOnDrop(dropped.clone());
                        spawn(async move {
                            let _guard = guard;
                            // Woken from outside, then waits for ever: only the
                            // shutdown ends it.
                            Raised(flag).await;
                            std::future::pending::<()>().await;
                        })
                        .detach();
                    }
                    yield_now().await;
                }
            });
            // Two threads wake the tasks while the runtime is being dropped.
            let (odd, even): (Vec<_>, Vec<_>) =
                flags.into_iter().enumerate().partition(|(i, _)| i % 2 == 1);
            let wakers: Vec<_> = [odd, even]
                .into_iter()
                .map(|half| {
                    std::thread::spawn(move || {
                        for (_, flag) in half {
                            flag.raise();
                        }
                    })
                })
                .collect();
            drop(rt);
            for waker in wakers {
                waker.join().expect("the waking thread ends");
            }
            assert_eq!(
                dropped.load(Ordering::SeqCst),
                TASKS,
                "{flavor:?}, round {round}: task futures were never dropped"
            );
            assert_eq!(
                Arc::strong_count(&driver),
                1,
                "{flavor:?}, round {round}: the runtime was never freed (a task queued after shutdown holds it)"
            );
        }
    }
}
