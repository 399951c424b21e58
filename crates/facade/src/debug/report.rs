//! What debug mode reports about a slow poll, and where the report goes.

use std::fmt;
use std::io::Write;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::watchdog::PolledTask;
use crate::TaskId;

/// Where slow-poll reports go: stderr by default, or the function given to
/// [`RunnerBuilder::on_slow_poll`](crate::RunnerBuilder::on_slow_poll).
pub(crate) type SlowPollReporter = Arc<dyn Fn(&SlowPoll) + Send + Sync + 'static>;

/// A poll that held a thread of the runtime longer than debug mode's threshold
/// (asyncio's `slow_callback_duration`).
///
/// Debug mode reports each slow poll twice: once **while it is still running**, as
/// soon as the watchdog sees it past the threshold ([`is_finished`] is `false`,
/// [`elapsed`] is how long so far), and once when it returns ([`is_finished`] is
/// `true`, [`elapsed`] is the total). A poll that the watchdog did not catch in time
/// is still reported when it returns. Its [`Display`](fmt::Display) form is the
/// line printed to stderr.
///
/// [`is_finished`]: SlowPoll::is_finished
/// [`elapsed`]: SlowPoll::elapsed
#[derive(Debug, Clone)]
pub struct SlowPoll {
    task: PolledTask,
    thread: Arc<str>,
    elapsed: Duration,
    finished: bool,
}

impl SlowPoll {
    pub(crate) fn new(
        task: PolledTask,
        thread: Arc<str>,
        elapsed: Duration,
        finished: bool,
    ) -> Self {
        SlowPoll {
            task,
            thread,
            elapsed,
            finished,
        }
    }

    /// The id of the task whose poll was slow, or `None` for the future given to
    /// `run` itself (the main task).
    pub fn task_id(&self) -> Option<TaskId> {
        self.task.id
    }

    /// The task's name, if it was given one (the main future is named `"main"`).
    pub fn task_name(&self) -> Option<&str> {
        self.task.name.as_deref()
    }

    /// Where the task was spawned (for the main future: where `run` was called).
    pub fn location(&self) -> &'static Location<'static> {
        self.task.location
    }

    /// The name of the thread the poll held.
    pub fn thread_name(&self) -> &str {
        &self.thread
    }

    /// How long the poll has held the thread: in total once finished; while it runs,
    /// a lower bound (the watchdog stamps a poll when it first sees it, at most a
    /// quarter of the threshold after it began).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// `false` while the poll is still running, `true` once it returned.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ferrio debug: ")?;
        match self.task.id {
            Some(id) => write!(f, "{id}")?,
            None => write!(f, "the main task")?,
        }
        if let Some(name) = &self.task.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " (spawned at {})", self.task.location)?;
        let secs = self.elapsed.as_secs_f64();
        if self.finished {
            write!(
                f,
                " held thread {:?} for {secs:.3} s in one poll",
                &*self.thread
            )
        } else {
            write!(
                f,
                " has held thread {:?} for at least {secs:.3} s and is still running: \
                 a blocking call stalls every task on that thread \
                 (move it to ferrio::to_thread)",
                &*self.thread
            )
        }
    }
}

/// The default reporter: one line per report on stderr, or, with the `tracing`
/// feature and a subscriber listening on the reporting thread, a `tracing` event.
pub(crate) fn to_stderr() -> SlowPollReporter {
    Arc::new(|report: &SlowPoll| {
        #[cfg(feature = "tracing")]
        if to_tracing(report) {
            return;
        }
        // Failing to write a diagnostic must not take the program down.
        let _ = writeln!(std::io::stderr().lock(), "{report}");
    })
}

/// Emits `report` as a WARN event of target `ferrio::debug` (fields `task.id`,
/// `task.name`, `loc.file`, `loc.line`, `loc.col`, `thread`, `elapsed_ms`,
/// `finished`; the message is the stderr line), unless no subscriber listens on
/// this thread: then it returns false and the report goes to stderr, so that it is
/// never lost.
#[cfg(feature = "tracing")]
fn to_tracing(report: &SlowPoll) -> bool {
    let listening =
        tracing::dispatcher::get_default(|d| !d.is::<tracing::subscriber::NoSubscriber>());
    if !listening {
        return false;
    }
    let location = report.location();
    let id = report.task_id().map(|id| id.as_u64());
    let elapsed_ms = report.elapsed().as_secs_f64() * 1000.0;
    tracing::warn!(
        target: "ferrio::debug",
        {
            task.id = id,
            task.name = report.task_name(),
            loc.file = location.file(),
            loc.line = location.line(),
            loc.col = location.column(),
            thread = report.thread_name(),
            elapsed_ms,
            finished = report.is_finished(),
        },
        "{report}"
    );
    true
}
