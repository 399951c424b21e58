//! One offloaded closure: the cell shared by the queue and the awaiting future.
//!
//! The closure, its result and the awaiter's waker live in one allocation behind one
//! mutex. The cell moves through `Queued -> Running -> Finished -> Taken`; dropping the
//! future moves it to `Abandoned`, which drops a closure that has not started (as
//! asyncio cancels a pending `concurrent.futures.Future`) and makes a running
//! closure's result be dropped as soon as it is produced.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::error::{PanicPayload, ThreadPoolError};
use crate::sync::{Mutex, MutexGuard};

/// What a pool thread sees of a queued job: something to run once, or to fail.
pub(crate) trait QueuedJob: Send + Sync {
    /// Runs the closure (unless the awaiter gave up first) and publishes the result.
    fn run(self: Arc<Self>);
    /// Resolves the job with `error` without running it.
    fn fail(self: Arc<Self>, error: ThreadPoolError);
}

enum Stage<F, T> {
    Queued(F),
    Running,
    Finished(Result<T, ThreadPoolError>),
    Abandoned,
    Taken,
}

struct CellState<F, T> {
    stage: Stage<F, T>,
    waker: Option<Waker>,
}

pub(crate) struct JobCell<F, T> {
    state: Mutex<CellState<F, T>>,
}

impl<F, T> JobCell<F, T> {
    pub(crate) fn new(f: F) -> Arc<Self> {
        Arc::new(JobCell {
            state: Mutex::new(CellState {
                stage: Stage::Queued(f),
                waker: None,
            }),
        })
    }

    pub(crate) fn failed(error: ThreadPoolError) -> Arc<Self> {
        Arc::new(JobCell {
            state: Mutex::new(CellState {
                stage: Stage::Finished(Err(error)),
                waker: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, CellState<F, T>> {
        // A poisoned cell only means a waker panicked while we held the lock; the
        // state itself is always consistent between statements.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn publish(&self, result: Result<T, ThreadPoolError>) {
        let mut state = self.lock();
        if matches!(state.stage, Stage::Abandoned) {
            drop(state);
            drop(result);
            return;
        }
        state.stage = Stage::Finished(result);
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<F, T> QueuedJob for JobCell<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>) {
        let f = {
            let mut state = self.lock();
            match std::mem::replace(&mut state.stage, Stage::Running) {
                Stage::Queued(f) => f,
                other => {
                    // The awaiter dropped the future before the job started.
                    state.stage = other;
                    return;
                }
            }
        };
        let result = panic::catch_unwind(AssertUnwindSafe(f))
            .map_err(|payload| ThreadPoolError::Panicked(PanicPayload::new(payload)));
        self.publish(result);
    }

    fn fail(self: Arc<Self>, error: ThreadPoolError) {
        let f = {
            let mut state = self.lock();
            match std::mem::replace(&mut state.stage, Stage::Running) {
                Stage::Queued(f) => Some(f),
                other => {
                    state.stage = other;
                    None
                }
            }
        };
        if f.is_some() {
            drop(f);
            self.publish(Err(error));
        }
    }
}

/// The future of a closure running on a [`ThreadPool`](crate::ThreadPool): resolves to
/// the closure's value, or to a [`ThreadPoolError`] when it panicked or was refused.
///
/// Dropping it before the closure starts removes the closure from the queue (it never
/// runs). Dropping it while the closure runs does not stop the closure — a thread
/// cannot be interrupted — and the closure's result is dropped when it is produced.
#[must_use = "the closure's result is only delivered by awaiting this future"]
pub struct ThreadJob<T> {
    cell: Arc<dyn ResultSlot<T>>,
}

/// The awaiter's view of a cell, with the closure's type erased.
trait ResultSlot<T>: Send + Sync {
    fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<T, ThreadPoolError>>;
    fn abandon(&self);
    fn is_finished(&self) -> bool;
}

impl<F: Send, T: Send> ResultSlot<T> for JobCell<F, T> {
    fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<T, ThreadPoolError>> {
        let mut state = self.lock();
        match std::mem::replace(&mut state.stage, Stage::Taken) {
            Stage::Finished(result) => Poll::Ready(result),
            Stage::Taken => panic!("a ThreadJob was polled after it completed"),
            other => {
                state.stage = other;
                match &mut state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    fn abandon(&self) {
        let mut state = self.lock();
        let previous = std::mem::replace(&mut state.stage, Stage::Abandoned);
        if matches!(previous, Stage::Taken) {
            state.stage = Stage::Taken;
        }
        let waker = state.waker.take();
        drop(state);
        // The closure or the result is dropped here, outside the lock, so that a
        // destructor that touches the pool cannot deadlock.
        drop(previous);
        drop(waker);
    }

    fn is_finished(&self) -> bool {
        matches!(self.lock().stage, Stage::Finished(_) | Stage::Taken)
    }
}

impl<T> ThreadJob<T> {
    pub(crate) fn new<F>(cell: Arc<JobCell<F, T>>) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        ThreadJob { cell }
    }

    /// Whether the result is ready (awaiting the future will not wait).
    pub fn is_finished(&self) -> bool {
        self.cell.is_finished()
    }
}

impl<T> Future for ThreadJob<T> {
    type Output = Result<T, ThreadPoolError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.cell.poll_result(cx)
    }
}

impl<T> Drop for ThreadJob<T> {
    fn drop(&mut self) {
        self.cell.abandon();
    }
}

impl<T> std::fmt::Debug for ThreadJob<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadJob")
            .field("finished", &self.is_finished())
            .finish()
    }
}
