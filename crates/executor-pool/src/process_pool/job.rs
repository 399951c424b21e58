//! One submitted process job: the completion shared by the queue, the supervisor
//! thread that runs it, and the awaiting future.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::ProcessPoolError;

/// The encoded reply of a job: its output starts at `offset`.
pub(crate) struct Reply {
    pub(crate) buf: Vec<u8>,
    pub(crate) offset: usize,
}

enum Stage {
    Queued,
    Running,
    Done(Result<Reply, ProcessPoolError>),
    Abandoned,
    Taken,
}

struct State {
    stage: Stage,
    waker: Option<Waker>,
}

/// Where a job's result is delivered, exactly once.
pub(crate) struct Completion {
    pub(crate) name: &'static str,
    /// The caller's `fn(A) -> O`, for a signature-mismatch message.
    pub(crate) signature_text: fn() -> String,
    state: Mutex<State>,
}

impl Completion {
    pub(crate) fn new(name: &'static str, signature_text: fn() -> String) -> Arc<Self> {
        Arc::new(Completion {
            name,
            signature_text,
            state: Mutex::new(State {
                stage: Stage::Queued,
                waker: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Moves a queued job to running; `false` when its awaiter gave up, in which case
    /// the job is dropped without running.
    pub(crate) fn start(&self) -> bool {
        let mut state = self.lock();
        match state.stage {
            Stage::Queued => {
                state.stage = Stage::Running;
                true
            }
            _ => false,
        }
    }

    /// Puts a job that did not reach its worker back to queued.
    pub(crate) fn unstart(&self) {
        let mut state = self.lock();
        if matches!(state.stage, Stage::Running) {
            state.stage = Stage::Queued;
        }
    }

    /// Delivers the result; a second delivery is a bug and is ignored.
    pub(crate) fn complete(&self, result: Result<Reply, ProcessPoolError>) {
        let mut state = self.lock();
        match state.stage {
            Stage::Queued | Stage::Running => {
                state.stage = Stage::Done(result);
                let waker = state.waker.take();
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            Stage::Abandoned | Stage::Done(_) | Stage::Taken => {
                drop(state);
                drop(result);
            }
        }
    }

    fn abandon(&self) {
        let mut state = self.lock();
        let previous = std::mem::replace(&mut state.stage, Stage::Abandoned);
        let waker = state.waker.take();
        drop(state);
        drop(previous);
        drop(waker);
    }
}

/// A queued job: its request frame and where its result goes.
pub(crate) struct Queued {
    pub(crate) id: u64,
    pub(crate) request: Vec<u8>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) completion: Arc<Completion>,
}

/// The future of a job sent to a [`ProcessPool`](crate::ProcessPool): resolves to the
/// job's output or to a [`ProcessPoolError`].
///
/// Dropping it before the job reaches a worker removes the job (it never runs);
/// dropping it while the job runs lets the job finish and drops the result. While it
/// exists it keeps the pool open.
#[must_use = "the job's result is only delivered by awaiting this future"]
pub struct ProcessJob<O> {
    completion: Arc<Completion>,
    /// Keeps the pool's workers alive until the job resolves.
    _pool: Option<Arc<dyn Send + Sync>>,
    output: PhantomData<fn() -> O>,
}

impl<O> ProcessJob<O> {
    pub(crate) fn new(completion: Arc<Completion>, pool: Option<Arc<dyn Send + Sync>>) -> Self {
        ProcessJob {
            completion,
            _pool: pool,
            output: PhantomData,
        }
    }

    /// The job's registered name.
    pub fn job_name(&self) -> &'static str {
        self.completion.name
    }
}

impl<O: DeserializeOwned> Future for ProcessJob<O> {
    type Output = Result<O, ProcessPoolError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.completion.lock();
        let reply = match std::mem::replace(&mut state.stage, Stage::Taken) {
            Stage::Done(result) => result,
            Stage::Taken => panic!("a ProcessJob was polled after it completed"),
            other => {
                state.stage = other;
                match &mut state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
        };
        drop(state);
        Poll::Ready(reply.and_then(|reply| {
            postcard::from_bytes(&reply.buf[reply.offset..]).map_err(|error| {
                ProcessPoolError::Codec {
                    job: self.completion.name.to_string(),
                    detail: format!("output: {error}"),
                }
            })
        }))
    }
}

impl<O> Drop for ProcessJob<O> {
    fn drop(&mut self) {
        self.completion.abandon();
    }
}

impl<O> std::fmt::Debug for ProcessJob<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessJob")
            .field("job", &self.completion.name)
            .finish()
    }
}
