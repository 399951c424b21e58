//! Debug mode: what asyncio tells only after the fact, told while it happens.
//!
//! - **Slow polls.** With [`RunnerBuilder::debug`](crate::RunnerBuilder::debug) on,
//!   a watchdog thread reports a poll that holds a runtime thread longer than the
//!   threshold (100 ms by default, asyncio's `slow_callback_duration`; change it with
//!   [`RunnerBuilder::slow_callback_duration`](crate::RunnerBuilder::slow_callback_duration))
//!   while it is still blocking, and again with the total when it returns. See
//!   [`SlowPoll`]. With debug mode off, no hook is installed and the executor's poll
//!   path is exactly the plain one (the `debug_overhead` bench shows it).
//! - **Live tasks.** [`dump`] returns every live task of the current runtime as a
//!   [`TaskTable`] that prints like `python -m asyncio ps`.
//! - **Lost panics.** A detached task that panicked and whose panic nobody retrieved
//!   is reported on stderr when the task is dropped (asyncio's "Task exception was
//!   never retrieved"), in debug mode or not; see
//!   [`RunnerBuilder::on_unretrieved_panic`](crate::RunnerBuilder::on_unretrieved_panic).

mod report;
mod table;
pub(crate) mod watchdog;

pub use report::SlowPoll;
pub(crate) use report::{to_stderr, SlowPollReporter};
pub use table::{dump, TaskTable};

/// A panic that nobody retrieved from its task, as given to
/// [`RunnerBuilder::on_unretrieved_panic`](crate::RunnerBuilder::on_unretrieved_panic).
pub use ferrio_core::PanicReport;

/// Builds the poll hook that feeds the watchdog, for the core runtime builder.
pub(crate) fn install_hook(
    builder: ferrio_core::Builder,
    probe: watchdog::Probe,
) -> ferrio_core::Builder {
    builder.on_task_poll(std::sync::Arc::new(WatchdogHook { probe }))
}

/// Connects the core's poll hook to the watchdog.
struct WatchdogHook {
    probe: watchdog::Probe,
}

impl ferrio_core::PollHook for WatchdogHook {
    fn before_poll(&self, task: &crate::TaskSnapshot) {
        self.probe.poll_started(watchdog::PolledTask {
            id: Some(task.id),
            name: task.name.clone(),
            location: task.location,
        });
    }

    fn after_poll(&self, _id: crate::TaskId, elapsed: std::time::Duration) {
        self.probe.poll_finished(elapsed);
    }
}

/// The threshold above which debug mode reports a poll: 100 ms, as asyncio's
/// `loop.slow_callback_duration`.
pub const DEFAULT_SLOW_CALLBACK_DURATION: std::time::Duration =
    std::time::Duration::from_millis(100);
