//! The debug-mode watchdog: a thread that notices a poll holding a worker thread
//! longer than the threshold *while it happens*, not only after it returns.
//!
//! Every thread that polls tasks owns one [`Slot`]. The poll hook writes "task X is
//! being polled" into the slot before the poll and clears it after; it reads no
//! clock, so watching costs a lock and a store per poll. The watchdog thread wakes
//! four times per threshold: the first time it sees a poll it stamps it with the
//! time, and once a poll it stamped is still there a threshold later, it reports
//! it, with that time as a lower bound of how long it has run. When the poll
//! returns, the worker reports the exact total (measured by the executor) itself.
//! With debug mode off none of this exists: no hook is installed, so the
//! executor's poll path is untouched.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::report::{SlowPoll, SlowPollReporter};
use crate::TaskId;

/// What the watchdog knows about the task being polled.
#[derive(Debug, Clone)]
pub(crate) struct PolledTask {
    pub(crate) id: Option<TaskId>,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) location: &'static Location<'static>,
}

/// Owns the watchdog thread; stopping and joining it on drop.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    /// Tells this watchdog's slots apart from another runner's in a thread's cache.
    id: u64,
    threshold: Duration,
    slots: Mutex<Vec<Arc<Slot>>>,
    stopping: Mutex<bool>,
    wake: Condvar,
    reporter: SlowPollReporter,
}

/// The poll in progress on one thread, if any.
struct Slot {
    thread_name: Arc<str>,
    active: Mutex<Option<ActivePoll>>,
}

struct ActivePoll {
    task: PolledTask,
    /// When the watchdog first saw this poll: a lower bound of its start.
    first_seen: Option<Instant>,
    reported_while_running: bool,
}

static NEXT_WATCHDOG_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's slot in each watchdog it has polled for (usually exactly one).
    static SLOTS: RefCell<Vec<(u64, Arc<Slot>)>> = const { RefCell::new(Vec::new()) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking reporter must not turn every later poll into a panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Watchdog {
    /// Starts the watchdog thread.
    pub(crate) fn start(threshold: Duration, reporter: SlowPollReporter) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            id: NEXT_WATCHDOG_ID.fetch_add(1, Ordering::Relaxed),
            threshold,
            slots: Mutex::new(Vec::new()),
            stopping: Mutex::new(false),
            wake: Condvar::new(),
            reporter,
        });
        let thread = thread::Builder::new()
            .name("ferrio-watchdog".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.watch()
            })?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    /// A cheap handle for the poll hook, which lives inside the runtime.
    pub(crate) fn probe(&self) -> Probe {
        Probe {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        *lock(&self.shared.stopping) = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            // The watchdog thread only panics if a reporter panicked; that was
            // already printed, and a destructor must not panic again.
            let _ = thread.join();
        }
    }
}

/// The part of the watchdog that the poll hook calls: before and after every poll.
#[derive(Clone)]
pub(crate) struct Probe {
    shared: Arc<Shared>,
}

impl Probe {
    /// Records that this thread starts polling `task`; the returned guard records
    /// the end of the poll, with its duration, when dropped (even if the poll
    /// panics). For polls the executor does not time itself (the main future).
    pub(crate) fn watch(&self, task: PolledTask) -> PollGuard<'_> {
        self.poll_started(task);
        PollGuard {
            probe: self,
            started: Instant::now(),
        }
    }

    /// Records that this thread starts polling `task`.
    pub(crate) fn poll_started(&self, task: PolledTask) {
        self.with_slot(|slot| {
            *lock(&slot.active) = Some(ActivePoll {
                task,
                first_seen: None,
                reported_while_running: false,
            });
        });
    }

    /// Records that this thread's poll returned after `elapsed`; reports it if it
    /// was slow.
    pub(crate) fn poll_finished(&self, elapsed: Duration) {
        let finished = self.with_slot(|slot| {
            let poll = lock(&slot.active).take()?;
            (elapsed >= self.shared.threshold)
                .then(|| SlowPoll::new(poll.task, Arc::clone(&slot.thread_name), elapsed, true))
        });
        // Reported outside the thread-local borrow: the reporter is user code.
        if let Some(report) = finished {
            self.shared.report(&report);
        }
    }

    /// Calls `f` with this thread's slot, registering the slot on first use. The
    /// lookup is a scan of a list that holds one entry per runner this thread has
    /// polled for: in practice one.
    fn with_slot<R>(&self, f: impl FnOnce(&Slot) -> R) -> R {
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            let index = match slots.iter().position(|(id, _)| *id == self.shared.id) {
                Some(index) => index,
                None => {
                    let slot = Arc::new(Slot {
                        thread_name: thread::current().name().unwrap_or("<unnamed>").into(),
                        active: Mutex::new(None),
                    });
                    lock(&self.shared.slots).push(Arc::clone(&slot));
                    // Forget slots of watchdogs that are gone (runners dropped).
                    slots.retain(|(_, slot)| Arc::strong_count(slot) > 1);
                    slots.push((self.shared.id, slot));
                    slots.len() - 1
                }
            };
            f(&slots[index].1)
        })
    }
}

/// Ends the watched poll when dropped. Returned by [`Probe::watch`].
pub(crate) struct PollGuard<'a> {
    probe: &'a Probe,
    started: Instant,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.probe.poll_finished(self.started.elapsed());
    }
}

impl Shared {
    /// Hands `report` to the reporter. A reporter that panics must not unwind into
    /// the executor's poll path or stop the watchdog: its panic is contained here
    /// (the panic hook has already printed it).
    fn report(&self, report: &SlowPoll) {
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| (self.reporter)(report)));
    }

    /// How often the watchdog looks: a slow poll is reported at most half a
    /// threshold after crossing it (one tick to be first seen, one to be reported).
    fn tick(&self) -> Duration {
        (self.threshold / 4).max(Duration::from_millis(1))
    }

    fn watch(&self) {
        let tick = self.tick();
        let mut stopping = lock(&self.stopping);
        loop {
            if *stopping {
                return;
            }
            stopping = self
                .wake
                .wait_timeout(stopping, tick)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if *stopping {
                return;
            }
            drop(stopping);
            self.scan(Instant::now());
            stopping = lock(&self.stopping);
        }
    }

    /// Reports each poll that has run past the threshold and was not reported yet.
    fn scan(&self, now: Instant) {
        let slots: Vec<Arc<Slot>> = {
            let mut slots = lock(&self.slots);
            // A slot only this list still holds belongs to a thread that has exited.
            slots.retain(|slot| Arc::strong_count(slot) > 1);
            slots.clone()
        };
        for slot in slots {
            let report = {
                let mut active = lock(&slot.active);
                match active.as_mut() {
                    Some(poll) if !poll.reported_while_running => {
                        let first_seen = *poll.first_seen.get_or_insert(now);
                        let so_far = now.saturating_duration_since(first_seen);
                        (so_far >= self.threshold).then(|| {
                            poll.reported_while_running = true;
                            SlowPoll::new(
                                poll.task.clone(),
                                Arc::clone(&slot.thread_name),
                                so_far,
                                false,
                            )
                        })
                    }
                    _ => None,
                }
            };
            // Reported outside the slot's lock so the worker never waits on output.
            if let Some(report) = report {
                self.report(&report);
            }
        }
    }
}
