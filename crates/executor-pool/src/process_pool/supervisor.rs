//! A supervisor thread: owns one worker process at a time, feeds it queued jobs, and
//! replaces it when it dies, times out, or has served its quota.
//!
//! Every job popped from the queue is resolved by the supervisor that popped it,
//! exactly once, or put back at the front of the queue when it provably never reached
//! a worker. Nothing is ever resent after it may have started, so no job runs twice.
//!
//! A worker that dies before it is ready counts towards breaking the pool only when
//! it failed on its own (an exit, a panic, an abort, a crash, a garbled handshake):
//! one killed by a signal sent from outside ([`Death::is_from_outside`]) says nothing
//! about the program, so it is replaced after a backoff that doubles with each such
//! death in a row, and the pool stays up.

use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use super::child::{RunResult, WorkerProcess};
use super::job::{Queued, Reply};
use super::protocol::Outcome;
use super::{ChildEntry, Closing, Shared, State, MAX_STARTUP_FAILURES};

/// The first wait before replacing a worker killed from outside while starting.
const FIRST_RESTART_BACKOFF: Duration = Duration::from_millis(1);
/// The longest such wait: a storm of kills slows start-ups down to about one a
/// quarter second per slot, and no further.
const MAX_RESTART_BACKOFF: Duration = Duration::from_millis(250);
use crate::error::{Death, ProcessPoolError};

pub(super) fn run_slot(shared: Arc<Shared>, slot: u64) {
    let mut worker: Option<WorkerProcess> = None;
    // The wait before the next start, after workers killed from outside while starting.
    let mut backoff: Option<Duration> = None;
    let mut state = shared.lock();
    // Counted as idle by whoever started this thread.
    state.idle -= 1;
    loop {
        if state.closing.is_some() && state.queue.is_empty() || state.broken.is_some() {
            break;
        }
        if worker.is_none() {
            if let Some(wait) = backoff {
                state = back_off(&shared, state, wait);
                if state.closing == Some(Closing::Kill) || state.broken.is_some() {
                    break;
                }
            }
            // Keep a worker warm: start it before a job needs it.
            let (guard, started) = start_worker(&shared, state, slot);
            state = guard;
            match started {
                Started::Ready(ready) => {
                    worker = Some(ready);
                    backoff = None;
                }
                Started::KilledFromOutside => {
                    backoff = Some(backoff.map_or(FIRST_RESTART_BACKOFF, |wait| {
                        (wait * 2).min(MAX_RESTART_BACKOFF)
                    }));
                }
                Started::Failed => {}
            }
            continue;
        }
        let Some(job) = pop_job(&mut state) else {
            if state.closing.is_some() {
                break;
            }
            state.idle += 1;
            let (guard, wait) = shared
                .work
                .wait_timeout(state, shared.config.idle_timeout)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = guard;
            state.idle -= 1;
            if wait.timed_out() && state.queue.is_empty() && state.slots > shared.config.min_workers
            {
                break;
            }
            continue;
        };
        set_busy(&mut state, slot, true);
        drop(state);

        let running = worker
            .as_mut()
            .expect("a worker is started before a job is taken");
        let result = running.run(&job.request, job.id, job.timeout, shared.config.max_frame);
        state = shared.lock();
        set_busy(&mut state, slot, false);
        match result {
            RunResult::Done {
                outcome,
                reply,
                offset,
            } => {
                drop(state);
                job.completion
                    .complete(outcome_to_result(&job, outcome, reply, offset));
                let served = worker.as_ref().map_or(0, |worker| worker.served);
                if shared
                    .config
                    .max_tasks_per_child
                    .is_some_and(|quota| served >= quota)
                {
                    let retiring = worker.take().expect("worker present");
                    unlist(&shared, slot);
                    retiring.retire();
                }
                state = shared.lock();
            }
            RunResult::NotDelivered => {
                // The worker was already gone: the job never started, so it goes back
                // to the front of the queue for the replacement.
                job.completion.unstart();
                state.queue.push_front(job);
                unlist_locked(&mut state, slot);
                drop(state);
                let dead = worker.take().expect("worker present");
                dead.reap();
                state = shared.lock();
            }
            RunResult::Lost { panic } => {
                unlist_locked(&mut state, slot);
                let killed_by_close = state.closing == Some(Closing::Kill);
                drop(state);
                let mut dead = worker.take().expect("worker present");
                let panic = panic.or_else(|| dead.take_first_panic());
                let death = dead.reap();
                job.completion.complete(Err(if killed_by_close {
                    ProcessPoolError::Shutdown
                } else {
                    ProcessPoolError::WorkerDied {
                        job: job.completion.name.to_string(),
                        death,
                        panic,
                    }
                }));
                state = shared.lock();
            }
            RunResult::TimedOut => {
                unlist_locked(&mut state, slot);
                drop(state);
                worker.take().expect("worker present").kill();
                let limit = job.timeout.unwrap_or_default();
                job.completion.complete(Err(ProcessPoolError::Timeout {
                    job: job.completion.name.to_string(),
                    limit,
                }));
                state = shared.lock();
            }
            RunResult::Garbled(detail) => {
                unlist_locked(&mut state, slot);
                drop(state);
                let death = worker.take().expect("worker present").kill();
                job.completion.complete(Err(ProcessPoolError::Codec {
                    job: job.completion.name.to_string(),
                    detail: format!("the worker broke the protocol ({detail}) and was {death}"),
                }));
                state = shared.lock();
            }
        }
    }
    state.slots -= 1;
    unlist_locked(&mut state, slot);
    drop(state);
    if let Some(worker) = worker {
        worker.retire();
    }
}

/// The next job whose awaiter still wants it, moved to running.
fn pop_job(state: &mut State) -> Option<Queued> {
    while let Some(job) = state.queue.pop_front() {
        if job.completion.start() {
            return Some(job);
        }
    }
    None
}

/// Waits `wait` before the next start, unless the pool is dropped meanwhile.
fn back_off<'a>(
    shared: &'a Shared,
    mut state: MutexGuard<'a, State>,
    wait: Duration,
) -> MutexGuard<'a, State> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || state.closing == Some(Closing::Kill) || state.broken.is_some() {
            return state;
        }
        // Woken early by new jobs too; the loop waits out the rest.
        state = shared
            .work
            .wait_timeout(state, left)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
}

/// How a start-up went.
enum Started {
    Ready(WorkerProcess),
    /// Killed by a signal from outside before it was ready: not counted against the
    /// program; the slot backs off and starts another.
    KilledFromOutside,
    /// Failed on its own (counted), or the pool is being dropped.
    Failed,
}

/// Starts a worker and waits for its handshake, outside the lock. On a failure of
/// its own counts it, and breaks the pool after too many in a row.
fn start_worker<'a>(
    shared: &'a Shared,
    mut state: MutexGuard<'a, State>,
    slot: u64,
) -> (MutexGuard<'a, State>, Started) {
    let config = &shared.config;
    drop(state);
    let spawned = WorkerProcess::spawn(&config.program, &config.env, config.max_frame);
    state = shared.lock();
    let mut worker = match spawned {
        Ok(worker) => worker,
        Err(error) => {
            let reason = format!(
                "could not start worker `{}`: {error}",
                config.program.display()
            );
            return (startup_failed(shared, state, reason), Started::Failed);
        }
    };
    state.workers_started += 1;
    state.children.push(ChildEntry {
        slot,
        pid: worker.pid(),
        busy: true,
    });
    if state.closing == Some(Closing::Kill) {
        unlist_locked(&mut state, slot);
        drop(state);
        worker.kill();
        return (shared.lock(), Started::Failed);
    }
    drop(state);
    let handshake = worker.handshake(shared.build_id, config.startup_timeout, config.max_frame);
    state = shared.lock();
    match handshake {
        Ok(()) => {
            state.startup_failures = 0;
            set_busy(&mut state, slot, false);
            (state, Started::Ready(worker))
        }
        Err(reason) => {
            unlist_locked(&mut state, slot);
            let closing = state.closing == Some(Closing::Kill);
            drop(state);
            let pid = worker.pid();
            let panic = worker.take_first_panic();
            let death = worker.kill();
            let state = shared.lock();
            if closing {
                return (state, Started::Failed);
            }
            if reason.is_none() && death.is_from_outside() {
                return (state, Started::KilledFromOutside);
            }
            let reason = reason.unwrap_or_else(|| {
                let mut reason = format!("worker {pid} {death} before it was ready");
                if let Some(panic) = panic {
                    reason.push_str(&format!(" after panicking: {panic}"));
                } else if death == (Death::Exited { code: 0 }) {
                    reason.push_str(
                        "; does main call ferrio_executor_pool::init(jobs) before anything else?",
                    );
                }
                reason
            });
            (startup_failed(shared, state, reason), Started::Failed)
        }
    }
}

fn startup_failed<'a>(
    shared: &'a Shared,
    mut state: MutexGuard<'a, State>,
    reason: String,
) -> MutexGuard<'a, State> {
    state.startup_failures += 1;
    if state.startup_failures < MAX_STARTUP_FAILURES || state.broken.is_some() {
        return state;
    }
    state.broken = Some(reason.clone());
    let failed: Vec<Queued> = state.queue.drain(..).collect();
    shared.work.notify_all();
    drop(state);
    for job in failed {
        job.completion.complete(Err(ProcessPoolError::Broken {
            reason: reason.clone(),
        }));
    }
    shared.lock()
}

fn outcome_to_result(
    job: &Queued,
    outcome: Outcome,
    reply: Vec<u8>,
    offset: usize,
) -> Result<Reply, ProcessPoolError> {
    let name = job.completion.name.to_string();
    match outcome {
        Outcome::Ok => Ok(Reply { buf: reply, offset }),
        Outcome::Panicked(panic) => Err(ProcessPoolError::Panicked { job: name, panic }),
        Outcome::UnknownJob { known } => Err(ProcessPoolError::UnknownJob { job: name, known }),
        Outcome::SignatureMismatch { registered } => Err(ProcessPoolError::SignatureMismatch {
            job: name,
            registered,
            called: (job.completion.signature_text)(),
        }),
        Outcome::Codec(detail) => Err(ProcessPoolError::Codec { job: name, detail }),
        Outcome::TooLarge { len, max } => Err(ProcessPoolError::TooLarge {
            job: name,
            len,
            max,
        }),
    }
}

fn set_busy(state: &mut State, slot: u64, busy: bool) {
    if let Some(child) = state.children.iter_mut().find(|child| child.slot == slot) {
        child.busy = busy;
    }
}

fn unlist_locked(state: &mut State, slot: u64) {
    state.children.retain(|child| child.slot != slot);
}

fn unlist(shared: &Shared, slot: u64) {
    unlist_locked(&mut shared.lock(), slot);
}
