//! The runtime handle and asyncio's loop calls: `call_soon`, `call_later`,
//! `call_at`, `call_soon_threadsafe`, `time`.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Task;

/// A handle to a running ferrio runtime, with asyncio's event-loop calls.
///
/// Cheap to clone and usable from any thread: [`spawn`](Handle::spawn) and the
/// `call_*` methods from a thread outside the runtime wake the loop if it is parked.
/// Callbacks run as tiny tasks on the runtime: on the single-thread loop,
/// `call_soon` callbacks run in the order they were scheduled and timed ones in
/// deadline order (ones due at exactly the same instant in an unspecified order, as
/// asyncio says); a callback that panics is reported like any detached task's panic
/// and does not stop the loop.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// ferrio::run(async {
///     let handle = ferrio::Handle::current();
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let push = |word: &'static str| {
///         let log = Arc::clone(&log);
///         move || log.lock().unwrap().push(word)
///     };
///     handle.call_later(Duration::from_millis(20), push("later"));
///     handle.call_soon(push("soon"));
///     let cancelled = handle.call_later(Duration::from_millis(10), push("never"));
///     assert!(cancelled.cancel());
///     ferrio::sleep(Duration::from_millis(50)).await;
///     assert_eq!(*log.lock().unwrap(), ["soon", "later"]);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Handle {
    inner: ferrio_core::Handle,
}

impl Handle {
    /// The handle of the runtime running on this thread (asyncio's
    /// `get_running_loop()`).
    ///
    /// # Panics
    ///
    /// Panics outside a runtime, with a message naming the fix (`ferrio::run`); use
    /// [`try_current`](Handle::try_current) to test instead.
    #[track_caller]
    pub fn current() -> Handle {
        Handle {
            inner: ferrio_core::Handle::current(),
        }
    }

    /// The handle of the runtime running on this thread, or `None` outside one.
    pub fn try_current() -> Option<Handle> {
        ferrio_core::Handle::try_current().map(|inner| Handle { inner })
    }

    /// Spawns `future` onto this runtime, from any thread (inside the runtime or
    /// not); it starts at once. The same as [`create_task`](crate::create_task), but
    /// without needing to be on a runtime thread.
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> Task<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        #[cfg(feature = "tracing")]
        let future = crate::task_span::at(future, std::panic::Location::caller());
        self.inner.spawn(future)
    }

    /// The loop's clock now (asyncio's `loop.time()`): the instant that
    /// [`call_at`](Handle::call_at) and [`sleep_until`](crate::sleep_until) measure
    /// against. It is the real monotonic clock unless the runtime was built with a
    /// virtual one.
    pub fn time(&self) -> Instant {
        self.inner.now()
    }

    /// Schedules `callback` to run on the loop as soon as possible (asyncio's
    /// `loop.call_soon`). On the single-thread loop, callbacks run in the order they
    /// were scheduled (asyncio's FIFO); on the multi-thread flavour they may run in
    /// parallel on different workers.
    #[track_caller]
    pub fn call_soon<F>(&self, callback: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        CallbackHandle {
            task: self.inner.spawn(async move {
                // Past this point `cancel()` answers false: the callback runs.
                if ferrio_core::task::commit() {
                    callback()
                }
            }),
            when: None,
        }
    }

    /// Schedules `callback` from any thread, waking the loop if it is parked
    /// (asyncio's `loop.call_soon_threadsafe`).
    ///
    /// In ferrio every `call_*` method is thread-safe; this name is kept so code
    /// written from asyncio reads the same, and it says at the call site that the
    /// caller is outside the loop.
    ///
    /// ```
    /// let runner = ferrio::Runner::new();
    /// let handle = runner.handle();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let outside = std::thread::spawn(move || {
    ///     handle.call_soon_threadsafe(move || tx.send("from another thread").unwrap());
    /// });
    /// let message = runner.run(async move {
    ///     // Poll the channel without blocking the loop.
    ///     loop {
    ///         if let Ok(message) = rx.try_recv() {
    ///             break message;
    ///         }
    ///         ferrio::sleep(std::time::Duration::from_millis(1)).await;
    ///     }
    /// });
    /// outside.join().unwrap();
    /// assert_eq!(message, "from another thread");
    /// ```
    #[track_caller]
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.call_soon(callback)
    }

    /// Schedules `callback` to run once `delay` has passed on the loop's clock
    /// (asyncio's `loop.call_later`).
    #[track_caller]
    pub fn call_later<F>(&self, delay: Duration, callback: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.call_at(self.time() + delay, callback)
    }

    /// Schedules `callback` to run at `when` on the loop's clock (asyncio's
    /// `loop.call_at`); `when` is compared with [`time`](Handle::time).
    ///
    /// As in asyncio, a timed callback goes through the loop's timer queue even
    /// when `when` has already passed: `call_later(Duration::ZERO, f)` and
    /// `call_at(handle.time(), f)` run after the callbacks and tasks that were
    /// already ready, and due timers (callbacks' and sleeping tasks') fire in
    /// deadline order.
    #[track_caller]
    pub fn call_at<F>(&self, when: Instant, callback: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        CallbackHandle {
            task: self.inner.spawn(async move {
                // Through the timer queue even when already due: asyncio runs a
                // `call_later(0, ..)` after what was ready, and due timers in
                // deadline order whatever they belong to.
                crate::sleep_until(when).through_timer_queue().await;
                if ferrio_core::task::commit() {
                    callback()
                }
            }),
            when: Some(when),
        }
    }

    /// Enters the runtime on this thread until the guard drops, so that `spawn`,
    /// timers and the I/O types (sockets, streams) work on a thread that does not
    /// run it: tasks go to the runtime, sockets register with its reactor (tokio's
    /// `Handle::enter`). Guards nest and restore the previous runtime when dropped;
    /// see [`ferrio_core::Handle::enter`] for the rules.
    ///
    /// ```
    /// let runner = ferrio::Runner::new();
    /// let handle = runner.handle();
    /// let listener = std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     // A plain thread: the listener registers with the runner's reactor.
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     ferrio::net::TcpListener::from_std(std_listener).unwrap()
    /// })
    /// .join()
    /// .unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// runner.run(async move {
    ///     let connect = ferrio::net::TcpStream::connect(addr);
    ///     let (accepted, connected) = ferrio::gather!(listener.accept(), connect).await;
    ///     assert!(accepted.is_ok() && connected.is_ok());
    /// });
    /// ```
    pub fn enter(&self) -> ferrio_core::EnterGuard<'_> {
        self.inner.enter()
    }

    /// Runs `future` to completion on the calling thread with the runtime entered:
    /// timers and I/O inside it work, and tasks it spawns run on the runtime
    /// (tokio's `Handle::block_on`). For a thread of your own, not for code already
    /// on the runtime; see [`ferrio_core::Handle::block_on`] for how each flavour
    /// drives it.
    ///
    /// # Panics
    ///
    /// When called from a thread that runs a ferrio runtime (inside a task or
    /// `ferrio::run`): `.await` the future there instead.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runner = ferrio::Runner::builder()
    ///     .multi_thread()
    ///     .worker_threads(1)
    ///     .build()
    ///     .unwrap();
    /// let handle = runner.handle();
    /// let out = std::thread::spawn(move || {
    ///     handle.block_on(async {
    ///         ferrio::sleep(Duration::from_millis(5)).await;
    ///         ferrio::spawn(async { 20 }).await.unwrap() + 1
    ///     })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(out, 21);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// The core handle underneath, for APIs that take `ferrio_core::Handle`.
    pub fn as_core(&self) -> &ferrio_core::Handle {
        &self.inner
    }
}

impl From<ferrio_core::Handle> for Handle {
    fn from(inner: ferrio_core::Handle) -> Self {
        Handle { inner }
    }
}

/// A scheduled callback (asyncio's `Handle` / `TimerHandle`): cancel it before it
/// runs, or ask whether it ran.
///
/// Dropping it does not cancel the callback.
#[derive(Debug)]
pub struct CallbackHandle {
    task: Task<()>,
    when: Option<Instant>,
}

impl CallbackHandle {
    /// Cancels the callback if it has not started yet. The answer is the truth, also
    /// against a timer at its deadline and from any thread: `true` exactly when the
    /// callback will never run (including when it was cancelled before), `false` when
    /// it ran or is running.
    pub fn cancel(&self) -> bool {
        self.task.cancel() || self.task.handle().cancelled()
    }

    /// Whether the callback ran (or was cancelled and is gone).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// When a `call_later` / `call_at` callback is due on the loop's clock (asyncio's
    /// `TimerHandle.when()`); `None` for `call_soon`.
    pub fn when(&self) -> Option<Instant> {
        self.when
    }
}
