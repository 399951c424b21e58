//! `run` and `Runner`: asyncio's `asyncio.run` and `asyncio.Runner`.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio_core::clock::Clock;
use ferrio_core::{Builder, Flavor, MainCancelled, PanicReport, Runtime};
use ferrio_reactor::{Reactor, ReactorKind};

use crate::debug::watchdog::{PolledTask, Probe, Watchdog};
use crate::debug::{self, SlowPoll, SlowPollReporter, DEFAULT_SLOW_CALLBACK_DURATION};
use crate::Handle;

/// Runs `future` to completion on a fresh single-thread event loop and returns its
/// value: asyncio's `asyncio.run(main())`.
///
/// The loop has the I/O reactor as its driver, so sockets, signals and child
/// processes work inside. When `future` finishes, the tasks it left running are
/// cancelled and dropped (their destructors run), the loop shuts down, and the value
/// is returned. As with asyncio's loop, `future` need not be `Send`.
///
/// # Ctrl-C
///
/// On the main thread, Ctrl-C (SIGINT) during `run` cancels the main future (it is
/// dropped at its current await point), the runtime shuts down as above, and `run`
/// panics with a message saying it was interrupted: the Rust form of asyncio's
/// `KeyboardInterrupt`. To get it as a value instead, use
/// [`Runner::run_until_interrupt`], which returns `Err(Interrupted)`; to handle
/// Ctrl-C inside the program (a graceful shutdown), await
/// [`signal::ctrl_c`](crate::signal::ctrl_c): while that future lives, `run`
/// leaves Ctrl-C to it. When SIGINT is ignored as `run` starts (`nohup`, a
/// background job of a non-interactive shell), `run` leaves it ignored, as
/// `asyncio.run` does.
///
/// # Panics
///
/// Panics when called from inside a runtime (use `.await`, or
/// [`create_task`](crate::create_task)), when the OS refuses the runtime's resources
/// (no descriptor for the poller), on Ctrl-C as described above, and when `future`
/// itself panics.
///
/// # Examples
///
/// ```
/// async fn nested() -> u32 {
///     42
/// }
///
/// let answer = ferrio::run(async { nested().await });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    Runner::new().run(future)
}

/// The error of [`Runner::run_until_interrupt`] when Ctrl-C (SIGINT) cancelled the
/// main future: asyncio's `KeyboardInterrupt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted by Ctrl-C (SIGINT); the main task was cancelled")
    }
}

impl std::error::Error for Interrupted {}

/// When [`Runner::run`] listens for Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CtrlC {
    /// Only on the thread named `main` (asyncio: only in the main thread).
    OnMainThread,
    Always,
    Never,
}

/// An event loop kept across several `run` calls: asyncio's `asyncio.Runner`.
///
/// [`Runner::new`] is the single-thread loop that [`run`] uses;
/// [`Runner::builder`] chooses the multi-thread flavour, its worker count and debug
/// mode. Tasks spawned during one `run` keep running in the next. Dropping the
/// runner closes it: leftover tasks are cancelled and dropped, worker threads are
/// joined, and the reactor is closed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let runner = ferrio::Runner::builder().multi_thread().worker_threads(2).build()?;
/// let background = runner.run(async {
///     ferrio::spawn(async {
///         ferrio::sleep(Duration::from_millis(10)).await;
///         "done in the background"
///     })
/// });
/// // The task kept running between the two runs.
/// assert_eq!(runner.run(background).unwrap(), "done in the background");
/// # std::io::Result::Ok(())
/// ```
pub struct Runner {
    // Field order is drop order: the runtime (and its tasks) goes before the
    // watchdog, so a slow destructor at shutdown is still watched.
    runtime: Runtime,
    watchdog: Option<Watchdog>,
    ctrl_c: CtrlC,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("debug", &self.watchdog.is_some())
            .field("ctrl_c", &self.ctrl_c)
            .finish_non_exhaustive()
    }
}

impl Default for Runner {
    fn default() -> Self {
        Runner::new()
    }
}

impl Runner {
    /// A single-thread event loop with the I/O reactor, as [`run`] uses.
    ///
    /// # Panics
    ///
    /// When the OS refuses the reactor's poller (out of descriptors); use
    /// [`Runner::builder`] and [`RunnerBuilder::build`] to get that as an error.
    #[track_caller]
    pub fn new() -> Runner {
        match Runner::builder().build() {
            Ok(runner) => runner,
            Err(error) => panic!("ferrio: could not start the runtime: {error}"),
        }
    }

    /// Options: flavour, worker threads, debug mode and its threshold.
    pub fn builder() -> RunnerBuilder {
        RunnerBuilder::new()
    }

    /// Runs `future` to completion on this runner's loop and returns its value
    /// (asyncio's `Runner.run`). Tasks it spawned and did not wait for keep running
    /// in later `run` calls, until the runner is dropped.
    ///
    /// # Panics
    ///
    /// When called from inside a runtime, when `future` panics, and on Ctrl-C when
    /// this runner listens for it (see [`run`] and [`RunnerBuilder::ctrl_c`]).
    #[track_caller]
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        match self.try_run_inner(future, Location::caller()) {
            Ok(value) => value,
            Err(MainCancelled) => panic!(
                "ferrio: the main task was cancelled, so run has no value to return \
                 (asyncio's run raises CancelledError); use Runner::try_run to handle it"
            ),
        }
    }

    /// Like [`run`](Runner::run), but when the main task is cancelled (through
    /// [`Handle::cancel_task`](crate::core::Handle::cancel_task) with its id, which
    /// [`current_task`](crate::current_task) gives inside it) this returns
    /// `Err(MainCancelled)` instead of panicking: the Rust form of the
    /// `CancelledError` that asyncio's `run` raises then. The main future was
    /// dropped at its current await (its destructors ran); the tasks it left are
    /// cancelled when the runner closes, as usual.
    ///
    /// ```
    /// let runner = ferrio::Runner::new();
    /// let out = runner.try_run(async {
    ///     let me = ferrio::current_task().unwrap().id;
    ///     ferrio::spawn(async move {
    ///         ferrio::Handle::current().as_core().cancel_task(me);
    ///     });
    ///     ferrio::sleep(std::time::Duration::from_secs(3600)).await;
    /// });
    /// assert_eq!(out, Err(ferrio::MainCancelled));
    /// ```
    #[track_caller]
    pub fn try_run<F: Future>(&self, future: F) -> Result<F::Output, MainCancelled> {
        self.try_run_inner(future, Location::caller())
    }

    fn try_run_inner<F: Future>(
        &self,
        future: F,
        caller: &'static Location<'static>,
    ) -> Result<F::Output, MainCancelled> {
        let listen = match self.ctrl_c {
            CtrlC::Always => true,
            CtrlC::Never => false,
            CtrlC::OnMainThread => std::thread::current().name() == Some("main"),
        };
        match self.run_inner(future, listen, caller)? {
            Ok(value) => Ok(value),
            Err(Interrupted) => panic!(
                "ferrio: {Interrupted} and the runtime shut down (asyncio's \
                 KeyboardInterrupt); use Runner::run_until_interrupt to handle it"
            ),
        }
    }

    /// Like [`run`](Runner::run), but Ctrl-C (SIGINT) is always listened for and
    /// returned as `Err(Interrupted)` after the main task ended cancelled, instead
    /// of a panic. As asyncio's `Runner`, the first Ctrl-C cancels the main task: a
    /// [`catch_cancel`](crate::catch_cancel) region in it receives the request and
    /// may clean up with awaits, then re-raise (`Err(Interrupted)`) or suppress it
    /// and return its value (`Ok`); without a region the main future is dropped at
    /// its await. A second Ctrl-C stops it at once.
    ///
    /// ```no_run
    /// let runner = ferrio::Runner::new();
    /// let an_hour = async { ferrio::sleep(std::time::Duration::from_secs(3600)).await };
    /// match runner.run_until_interrupt(an_hour) {
    ///     Ok(()) => println!("slept an hour"),
    ///     Err(ferrio::Interrupted) => println!("stopped by Ctrl-C"),
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// As [`run`](Runner::run), except on Ctrl-C.
    #[track_caller]
    pub fn run_until_interrupt<F: Future>(&self, future: F) -> Result<F::Output, Interrupted> {
        match self.run_inner(future, true, Location::caller()) {
            Ok(out) => out,
            Err(MainCancelled) => panic!(
                "ferrio: the main task was cancelled, so run has no value to return \
                 (asyncio's run raises CancelledError); use Runner::try_run to handle it"
            ),
        }
    }

    fn run_inner<F: Future>(
        &self,
        future: F,
        listen_for_ctrl_c: bool,
        caller: &'static Location<'static>,
    ) -> Result<Result<F::Output, Interrupted>, MainCancelled> {
        let probe = self.watchdog.as_ref().map(Watchdog::probe);
        let main = WatchedMain {
            future,
            probe,
            task: PolledTask {
                id: None,
                name: Some("main".into()),
                location: caller,
            },
        };
        #[cfg(feature = "tracing")]
        let main = crate::task_span::at(main, caller);
        // asyncio's Runner: the first Ctrl-C cancels the main task (a catch region
        // in it receives the request, cleans up, then re-raises or suppresses); a
        // second one stops it at once. A main that ends cancelled after a Ctrl-C is
        // reported as `Interrupted` (asyncio's `KeyboardInterrupt`).
        let interrupted = std::cell::Cell::new(false);
        let main = async {
            if !listen_for_ctrl_c {
                return Ok(main.await);
            }
            let me = ferrio_core::current_task().map(|t| t.id);
            let mut main = std::pin::pin!(main);
            let mut ctrl_c = crate::signal::UnhandledCtrlC::new();
            std::future::poll_fn(|cx| {
                // The main future first, so a value that is ready wins over a
                // Ctrl-C that arrives at the same moment.
                if let std::task::Poll::Ready(value) = main.as_mut().poll(cx) {
                    return std::task::Poll::Ready(Ok(value));
                }
                while ctrl_c.poll_unhandled(cx).is_ready() {
                    if interrupted.replace(true) {
                        return std::task::Poll::Ready(Err(Interrupted));
                    }
                    match me {
                        Some(me) => {
                            ferrio_core::Handle::current().cancel_task(me);
                        }
                        None => return std::task::Poll::Ready(Err(Interrupted)),
                    }
                }
                std::task::Poll::Pending
            })
            .await
        };
        match self.runtime.try_block_on_at(main, caller) {
            Err(MainCancelled) if interrupted.get() => Ok(Err(Interrupted)),
            out => out,
        }
    }

    /// A handle to this runner's runtime, usable from any thread: spawn onto it or
    /// schedule callbacks while the runner is between `run` calls or inside one.
    pub fn handle(&self) -> Handle {
        Handle::from(self.runtime.handle())
    }

    /// Closes the runner: cancels leftover tasks, joins the worker threads, closes
    /// the reactor (asyncio's `Runner.close`). Dropping the runner does the same.
    pub fn close(self) {
        drop(self);
    }
}

/// Options for a [`Runner`]: `Runner::builder().multi_thread().worker_threads(4)
/// .debug(true).build()`.
pub struct RunnerBuilder {
    flavor: Flavor,
    worker_threads: Option<usize>,
    debug: bool,
    slow_callback_duration: Duration,
    slow_poll_reporter: Option<SlowPollReporter>,
    unretrieved_panic: Option<UnretrievedPanicHook>,
    clock: Option<Arc<dyn Clock>>,
    ctrl_c: CtrlC,
    reactor: ReactorKind,
    eager_tasks: bool,
}

type UnretrievedPanicHook = Arc<dyn Fn(&PanicReport) + Send + Sync + 'static>;

impl fmt::Debug for RunnerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunnerBuilder")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("debug", &self.debug)
            .field("slow_callback_duration", &self.slow_callback_duration)
            .field("ctrl_c", &self.ctrl_c)
            .field("reactor", &self.reactor)
            .finish_non_exhaustive()
    }
}

impl Default for RunnerBuilder {
    fn default() -> Self {
        RunnerBuilder::new()
    }
}

impl RunnerBuilder {
    /// The defaults: single-thread loop, debug mode off, 100 ms threshold, Ctrl-C
    /// handled on the main thread.
    pub fn new() -> Self {
        RunnerBuilder {
            flavor: Flavor::CurrentThread,
            worker_threads: None,
            debug: false,
            slow_callback_duration: DEFAULT_SLOW_CALLBACK_DURATION,
            slow_poll_reporter: None,
            unretrieved_panic: None,
            clock: None,
            ctrl_c: CtrlC::OnMainThread,
            reactor: ReactorKind::default(),
            eager_tasks: false,
        }
    }

    /// The single-thread event loop (the default, asyncio's model): everything runs
    /// on the thread that calls `run`, and `!Send` futures are fine there.
    pub fn current_thread(mut self) -> Self {
        self.flavor = Flavor::CurrentThread;
        self
    }

    /// The multi-thread work-stealing executor: spawned tasks run on
    /// [`worker_threads`](RunnerBuilder::worker_threads) workers.
    pub fn multi_thread(mut self) -> Self {
        self.flavor = Flavor::MultiThread;
        self
    }

    /// Chooses the flavour by value.
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }

    /// How many workers the multi-thread flavour runs (default: the number of
    /// available cores). Ignored by the single-thread flavour.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    #[track_caller]
    pub fn worker_threads(mut self, n: usize) -> Self {
        assert!(n > 0, "worker_threads must be at least 1");
        self.worker_threads = Some(n);
        self
    }

    /// Debug mode (asyncio's `debug=True`): a watchdog thread reports every poll
    /// that holds a runtime thread longer than
    /// [`slow_callback_duration`](RunnerBuilder::slow_callback_duration), while it
    /// is happening and again when it ends. See [`debug`](crate::debug).
    pub fn debug(mut self, enabled: bool) -> Self {
        self.debug = enabled;
        self
    }

    /// The slow-poll threshold of debug mode (asyncio's
    /// `loop.slow_callback_duration`; default 100 ms). Has no effect unless
    /// [`debug`](RunnerBuilder::debug) is on.
    pub fn slow_callback_duration(mut self, threshold: Duration) -> Self {
        self.slow_callback_duration = threshold;
        self
    }

    /// Sends debug mode's slow-poll reports to `reporter` instead of stderr.
    pub fn on_slow_poll<R>(mut self, reporter: R) -> Self
    where
        R: Fn(&SlowPoll) + Send + Sync + 'static,
    {
        self.slow_poll_reporter = Some(Arc::new(reporter));
        self
    }

    /// Replaces the report of a detached task's panic that nobody retrieved
    /// (asyncio's "Task exception was never retrieved"; by default a line on
    /// stderr).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let lost = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&lost);
    /// let runner = ferrio::Runner::builder()
    ///     .on_unretrieved_panic(move |report| sink.lock().unwrap().push(report.to_string()))
    ///     .build()?;
    /// runner.run(async {
    ///     // Detached: nobody will await it.
    ///     ferrio::spawn(async { panic!("lost") }).detach();
    ///     ferrio::sleep(std::time::Duration::from_millis(5)).await;
    /// });
    /// drop(runner);
    /// let lost = lost.lock().unwrap();
    /// assert_eq!(lost.len(), 1);
    /// assert!(lost[0].contains("never retrieved") && lost[0].contains("lost"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_unretrieved_panic<H>(mut self, hook: H) -> Self
    where
        H: Fn(&PanicReport) + Send + Sync + 'static,
    {
        self.unretrieved_panic = Some(Arc::new(hook));
        self
    }

    /// The runtime's clock: the system clock by default. A
    /// [`VirtualClock`](crate::clock::VirtualClock) makes timers deterministic for
    /// tests and demos; with `VirtualClock::auto_advance()` time jumps to the next
    /// timer whenever every task waits, so an hour of sleeps takes no time.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let clock = ferrio::clock::VirtualClock::auto_advance();
    /// let runner = ferrio::Runner::builder().clock(clock.clone()).build()?;
    /// let started = std::time::Instant::now();
    /// runner.run(async { ferrio::sleep(Duration::from_secs(3600)).await });
    /// assert!(clock.elapsed() >= Duration::from_secs(3600));
    /// assert!(started.elapsed() < Duration::from_secs(60));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Whether [`Runner::run`] turns Ctrl-C into cancellation of the main future and
    /// an "interrupted" panic: `Some(true)` always, `Some(false)` never (SIGINT keeps
    /// its usual effect), `None` (the default) only on the main thread, as asyncio.
    pub fn ctrl_c(mut self, handle: Option<bool>) -> Self {
        self.ctrl_c = match handle {
            Some(true) => CtrlC::Always,
            Some(false) => CtrlC::Never,
            None => CtrlC::OnMainThread,
        };
        self
    }

    /// Which I/O reactor the loop parks on: [`ReactorKind::Epoll`] (the default on
    /// Linux and Android: a short socket read needs no second, `EAGAIN` read) or
    /// [`ReactorKind::Polling`] (portable, the default elsewhere). [`build`]
    /// fails with `Unsupported` for a kind the platform lacks.
    ///
    /// [`build`]: RunnerBuilder::build
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio::reactor::ReactorKind;
    ///
    /// let runner = ferrio::Runner::builder().reactor(ReactorKind::Polling).build()?;
    /// assert_eq!(runner.run(async { 1 + 1 }), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reactor(mut self, kind: ReactorKind) -> Self {
        self.reactor = kind;
        self
    }

    /// Eager tasks (asyncio 3.12's `eager_task_factory`; default off): a task
    /// spawned from inside the runtime takes its first step at once, inside
    /// `spawn`, and one that finishes there never touches the ready queue. This
    /// changes the order of execution: see
    /// [`core::Builder::eager_tasks`](crate::core::Builder::eager_tasks).
    /// [`spawn_eager`](crate::spawn_eager) is the per-spawn form.
    ///
    /// ```
    /// let runner = ferrio::Runner::builder().eager_tasks(true).build()?;
    /// runner.run(async {
    ///     let task = ferrio::spawn(async { 1 });
    ///     assert!(task.is_finished());
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn eager_tasks(mut self, eager: bool) -> Self {
        self.eager_tasks = eager;
        self
    }

    /// Builds the runner: the runtime with the I/O reactor as its driver, and the
    /// watchdog thread when debug mode is on.
    ///
    /// # Errors
    ///
    /// When the OS refuses a resource: the poller's descriptor, a worker thread or
    /// the watchdog thread.
    pub fn build(self) -> io::Result<Runner> {
        let reactor = Reactor::with_kind(self.reactor)?;
        let mut builder = Builder::new()
            .flavor(self.flavor)
            .driver(reactor)
            .eager_tasks(self.eager_tasks);
        if let Some(n) = self.worker_threads {
            builder = builder.worker_threads(n);
        }
        if let Some(clock) = self.clock {
            builder = builder.clock(clock);
        }
        if let Some(hook) = self.unretrieved_panic {
            builder = builder.on_unretrieved_panic(move |report| hook(report));
        }
        let watchdog = if self.debug {
            let reporter = self.slow_poll_reporter.unwrap_or_else(debug::to_stderr);
            let watchdog = Watchdog::start(self.slow_callback_duration, reporter)?;
            builder = crate::debug::install_hook(builder, watchdog.probe());
            Some(watchdog)
        } else {
            None
        };
        Ok(Runner {
            runtime: builder.build()?,
            watchdog,
            ctrl_c: self.ctrl_c,
        })
    }
}

pin_project_lite::pin_project! {
    /// The main future, with its polls reported to the watchdog in debug mode: a
    /// blocking call directly in `run`'s future stalls the loop just the same.
    struct WatchedMain<F> {
        #[pin]
        future: F,
        probe: Option<Probe>,
        task: PolledTask,
    }
}

impl<F: Future> Future for WatchedMain<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        match this.probe {
            None => this.future.poll(cx),
            Some(probe) => {
                let _watching = probe.watch(this.task.clone());
                this.future.poll(cx)
            }
        }
    }
}
