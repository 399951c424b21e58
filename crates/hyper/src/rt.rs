//! [`FerrioExecutor`] and [`FerrioTimer`]: hyper's `rt::Executor` and `rt::Timer`
//! on ferrio's tasks and timers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ferrio_core::Handle;
use pin_project_lite::pin_project;

/// hyper's `rt::Executor` on ferrio: each future hyper hands over (an HTTP/2
/// stream, a pooled client's connection) becomes a detached ferrio task.
///
/// [`FerrioExecutor::new`] spawns on the runtime running on the calling thread when
/// hyper spawns, either flavour; [`FerrioExecutor::with_handle`] spawns on a given
/// runtime from any thread.
///
/// # Panics
///
/// `execute` panics when built with [`new`](FerrioExecutor::new) and called outside a
/// ferrio runtime (hyper spawns from inside its connection futures, so this only
/// happens when those run on another runtime).
///
/// # Examples
///
/// ```
/// use ferrio_hyper::FerrioExecutor;
/// use hyper::rt::Executor;
///
/// ferrio::run(async {
///     let (tx, rx) = ferrio::sync::channel::bounded(1);
///     FerrioExecutor::new().execute(async move { tx.send(42).await.unwrap() });
///     assert_eq!(rx.recv().await.unwrap(), 42);
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct FerrioExecutor {
    handle: Option<Handle>,
}

impl FerrioExecutor {
    /// An executor that spawns on the runtime running on the thread that spawns.
    pub fn new() -> FerrioExecutor {
        FerrioExecutor { handle: None }
    }

    /// An executor that spawns on `handle`'s runtime, from any thread.
    pub fn with_handle(handle: Handle) -> FerrioExecutor {
        FerrioExecutor {
            handle: Some(handle),
        }
    }
}

impl<F> hyper::rt::Executor<F> for FerrioExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, future: F) {
        let task = match &self.handle {
            Some(handle) => handle.spawn(future),
            // Spawned through the thread's runtime as lent by the context: no
            // handle is cloned per connection or request.
            None if Handle::with_current(|h| h.is_some()) => ferrio_core::spawn(future),
            None => panic!(
                "FerrioExecutor::execute called outside a ferrio runtime; run hyper inside \
                 `ferrio::run` (or build the executor with `FerrioExecutor::with_handle`)"
            ),
        };
        task.detach();
    }
}

/// hyper's `rt::Timer` on ferrio's timers (header-read timeouts, HTTP/2 keep-alive,
/// the pooled client's idle expiry).
///
/// Sleeps run on the clock of the runtime running on the calling thread, so a runtime
/// with a virtual clock drives hyper's timeouts too.
///
/// # Panics
///
/// `sleep` and `sleep_until` panic outside a ferrio runtime; hyper calls them from
/// inside its connection futures.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio_hyper::FerrioTimer;
/// use hyper::rt::Timer;
///
/// ferrio::run(async {
///     let timer = FerrioTimer::new();
///     let start = timer.now();
///     let mut sleep = timer.sleep(Duration::from_secs(3600));
///     // Moving the deadline to now makes the hour-long sleep end at once.
///     timer.reset(&mut sleep, timer.now());
///     sleep.await;
///     assert!(timer.now() - start < Duration::from_secs(60));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FerrioTimer {
    _private: (),
}

impl FerrioTimer {
    /// The timer.
    pub fn new() -> FerrioTimer {
        FerrioTimer { _private: () }
    }
}

pin_project! {
    // hyper's `Sleep` is a trait that must be implemented by a local type, and
    // `reset` downcasts to it.
    struct FerrioSleep {
        #[pin]
        inner: ferrio_core::Sleep,
    }
}

impl Future for FerrioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl hyper::rt::Sleep for FerrioSleep {}

impl hyper::rt::Timer for FerrioTimer {
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(FerrioSleep {
            inner: ferrio_core::sleep(duration),
        })
    }

    #[track_caller]
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(FerrioSleep {
            inner: ferrio_core::sleep_until(deadline),
        })
    }

    #[track_caller]
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<FerrioSleep>() {
            Some(ours) => ours.project().inner.get_mut().reset(new_deadline),
            // A sleep from another timer: replace it, as hyper's default does.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }

    fn now(&self) -> Instant {
        Handle::with_current(|handle| handle.map_or_else(Instant::now, Handle::now))
    }
}
