//! `ProcessPool`: registered functions run in worker processes, as asyncio's
//! `ProcessPoolExecutor`.
//!
//! Workers are the current executable run again with a marker in the environment
//! (never a bare `fork()` of a multi-threaded parent); [`init`] at the top of `main`
//! turns such a process into a worker. Each worker is driven by one supervisor thread
//! in the parent that starts it, hands it one job at a time over a Unix socket, and
//! on its death reaps it, fails only the job it held, and starts a replacement. A
//! worker killed from outside before it is ready is replaced too, after a backoff;
//! only a worker program that fails on its own, several times running, breaks the
//! pool.

mod child;
mod job;
mod protocol;
mod registry;
mod supervisor;
mod worker;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use job::ProcessJob;
pub use registry::{Job, JobCall, Registry};
pub use worker::init;

use crate::error::ProcessPoolError;
use crate::executor::Executor;
use crate::frame;
use job::{Completion, Queued};
use protocol::ToWorker;

/// Consecutive worker start-ups that may fail on their own before the pool is
/// declared broken. Workers killed by a signal from outside while starting do not
/// count: they are replaced after a backoff (see `supervisor`).
const MAX_STARTUP_FAILURES: u32 = 3;

/// A pool of worker processes running jobs registered by name.
///
/// Cloning gives another handle to the same pool. Every [`ProcessJob`] future also
/// keeps the pool open, so a job is never cut short because the handle that
/// submitted it went away. The pool closes when the last handle and the last job
/// future are dropped: jobs still queued or running then have no awaiter left, so
/// workers running one are killed, idle workers are told to exit, and every worker
/// process is reaped before the drop returns. [`shutdown`](Self::shutdown) closes it
/// earlier, letting submitted jobs finish.
///
/// # Examples
///
/// ```
/// use ferrio_executor_pool::{init, run_in_executor, Job, ProcessPool, Registry};
///
/// const COUNT_PRIMES: Job<(u64, u64), u64> = Job::new("count_primes");
///
/// fn count_primes((start, end): (u64, u64)) -> u64 {
///     (start..end).filter(|&n| n > 1 && (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0)).count() as u64
/// }
///
/// fn jobs() -> Registry {
///     let mut registry = Registry::new();
///     registry.register(COUNT_PRIMES, count_primes);
///     registry
/// }
///
/// fn main() {
///     init(jobs); // in a worker process, serves jobs and never returns
///
///     let pool = ProcessPool::builder().max_workers(2).build().unwrap();
///     let primes = futures_lite::future::block_on(run_in_executor(&pool, COUNT_PRIMES.call((0, 1000))));
///     assert_eq!(primes.unwrap(), 168);
///     pool.shutdown(true);
/// }
/// ```
#[derive(Clone)]
pub struct ProcessPool {
    owner: Arc<Owner>,
}

/// Shared by the handles and the job futures; its drop closes the pool.
/// Supervisor threads hold only `Shared`.
struct Owner {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued, or the pool closes.
    work: Condvar,
    config: Config,
    build_id: u64,
    next_job_id: AtomicU64,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    program: PathBuf,
    max_workers: usize,
    min_workers: usize,
    idle_timeout: Duration,
    max_tasks_per_child: Option<usize>,
    job_timeout: Option<Duration>,
    startup_timeout: Duration,
    max_frame: usize,
    env: Vec<(OsString, OsString)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// `shutdown`: no new jobs; queued ones still run.
    Graceful,
    /// Drop: queued jobs fail, running ones are killed.
    Kill,
}

struct State {
    queue: VecDeque<Queued>,
    /// Live supervisor threads (each owns at most one worker process).
    slots: usize,
    /// Supervisors waiting for a job (or started and not yet looking for one).
    idle: usize,
    closing: Option<Closing>,
    broken: Option<String>,
    startup_failures: u32,
    next_slot_id: u64,
    /// Worker processes not yet reaped, so that closing can kill them. A supervisor
    /// removes its worker from here before reaping it, so a listed pid always
    /// belongs to our child.
    children: Vec<ChildEntry>,
    threads: Vec<JoinHandle<()>>,
    workers_started: u64,
}

#[derive(Debug, Clone, Copy)]
struct ChildEntry {
    slot: u64,
    pid: u32,
    /// Running a job, or starting up: killed when the pool is dropped.
    busy: bool,
}

/// Options for a [`ProcessPool`]; start from [`ProcessPool::builder`].
#[derive(Debug, Clone)]
pub struct ProcessPoolBuilder {
    config: Config,
}

impl ProcessPoolBuilder {
    /// The most worker processes at once (at least 1). Default: the number of cores.
    pub fn max_workers(mut self, max_workers: usize) -> Self {
        self.config.max_workers = max_workers.max(1);
        self
    }

    /// Workers kept started even when idle; they start when the pool is built.
    /// Default 0 (workers start on demand).
    pub fn min_workers(mut self, min_workers: usize) -> Self {
        self.config.min_workers = min_workers;
        self
    }

    /// How long a worker above the minimum waits for a job before it exits.
    /// Default 30 s.
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.config.idle_timeout = idle_timeout;
        self
    }

    /// Replace each worker with a fresh process after it has run this many jobs
    /// (at least 1), as Python's `max_tasks_per_child`. Queued jobs wait for the
    /// replacement; none is lost. Default: never.
    pub fn max_tasks_per_child(mut self, jobs: usize) -> Self {
        self.config.max_tasks_per_child = Some(jobs.max(1));
        self
    }

    /// A time limit for every job; a job past it fails with
    /// [`ProcessPoolError::Timeout`] and its worker is killed and replaced.
    /// [`JobCall::timeout`] overrides it per call. Default: none.
    pub fn job_timeout(mut self, limit: Duration) -> Self {
        self.config.job_timeout = Some(limit);
        self
    }

    /// How long a new worker may take to report ready. Default 30 s.
    pub fn startup_timeout(mut self, limit: Duration) -> Self {
        self.config.startup_timeout = limit;
        self
    }

    /// The largest encoded request or reply, in bytes. Default 256 MiB.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame = bytes.min(u32::MAX as usize);
        self
    }

    /// Sets an environment variable in every worker process (on top of the parent's
    /// environment, which workers inherit). A worker's registry function can read it
    /// to configure itself, as Python's `initializer`.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.config.env.push((key.into(), value.into()));
        self
    }

    /// Creates the pool and starts [`min_workers`](Self::min_workers) workers
    /// (without waiting for them to be ready).
    ///
    /// # Errors
    ///
    /// Fails when the current executable cannot be found, or when called inside a
    /// pool worker whose `main` did not call [`init`] first (which would otherwise
    /// start workers recursively).
    pub fn build(self) -> io::Result<ProcessPool> {
        if worker::marker_set() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a ProcessPool cannot be built inside a pool worker: call \
                 ferrio_executor_pool::init(jobs) first thing in main",
            ));
        }
        let mut config = self.config;
        if config.program.as_os_str().is_empty() {
            config.program = std::env::current_exe()?;
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                slots: 0,
                idle: 0,
                closing: None,
                broken: None,
                startup_failures: 0,
                next_slot_id: 0,
                children: Vec::new(),
                threads: Vec::new(),
                workers_started: 0,
            }),
            work: Condvar::new(),
            config,
            build_id: worker::build_id(),
            next_job_id: AtomicU64::new(1),
        });
        {
            let mut state = shared.lock();
            for _ in 0..shared.config.min_workers.min(shared.config.max_workers) {
                shared.start_slot(&mut state)?;
            }
        }
        Ok(ProcessPool {
            owner: Arc::new(Owner { shared }),
        })
    }
}

impl Default for ProcessPoolBuilder {
    fn default() -> Self {
        ProcessPoolBuilder {
            config: Config {
                program: PathBuf::new(),
                max_workers: thread::available_parallelism().map_or(1, |n| n.get()),
                min_workers: 0,
                idle_timeout: Duration::from_secs(30),
                max_tasks_per_child: None,
                job_timeout: None,
                startup_timeout: Duration::from_secs(30),
                max_frame: frame::DEFAULT_MAX_FRAME,
                env: Vec::new(),
            },
        }
    }
}

impl ProcessPool {
    /// Options for a new pool.
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder::default()
    }

    /// A pool with the default options.
    ///
    /// # Errors
    ///
    /// As [`ProcessPoolBuilder::build`].
    pub fn new() -> io::Result<ProcessPool> {
        ProcessPool::builder().build()
    }

    /// Runs `job` on `args` in a worker; same as
    /// [`run_in_executor`](crate::run_in_executor)`(&pool, job.call(args))`.
    ///
    /// `job` is a [`Job`] handle, or a plain name with the types spelled out:
    /// `pool.run::<u64, u64>("square", 12)`.
    pub fn run<A, O>(&self, job: impl Into<Job<A, O>>, args: A) -> ProcessJob<O>
    where
        A: Serialize,
        O: DeserializeOwned,
    {
        self.submit(job.into().call(args))
    }

    /// Queues `call`; the future resolves to the job's output.
    ///
    /// The arguments are encoded here, on the caller's thread. The future completes
    /// through its [`Waker`](std::task::Waker), under any executor.
    ///
    /// # Errors
    ///
    /// The future resolves to a [`ProcessPoolError`]: the job panicked, its worker
    /// died or ran past the time limit, the name is not registered, the encoded
    /// arguments are too large, or the pool is shut down or broken.
    pub fn submit<A, O>(&self, call: JobCall<A, O>) -> ProcessJob<O>
    where
        A: Serialize,
        O: DeserializeOwned,
    {
        let shared = &self.owner.shared;
        let name = call.job.name();
        let completion = Completion::new(name, registry::signature_text::<A, O>);
        let pool: Arc<dyn Send + Sync> = self.owner.clone();
        let job = ProcessJob::new(Arc::clone(&completion), Some(pool));
        let id = shared.next_job_id.fetch_add(1, Ordering::Relaxed);
        let request = match encode_request(id, call.job, &call.args, shared.config.max_frame) {
            Ok(request) => request,
            Err(error) => {
                completion.complete(Err(error));
                return job;
            }
        };
        let timeout = call.timeout.or(shared.config.job_timeout);
        let mut state = shared.lock();
        if let Some(reason) = &state.broken {
            let reason = reason.clone();
            drop(state);
            completion.complete(Err(ProcessPoolError::Broken { reason }));
            return job;
        }
        if state.closing.is_some() {
            drop(state);
            completion.complete(Err(ProcessPoolError::Shutdown));
            return job;
        }
        state.queue.push_back(Queued {
            id,
            request,
            timeout,
            completion,
        });
        if state.idle > 0 {
            shared.work.notify_one();
        }
        if state.queue.len() > state.idle && state.slots < shared.config.max_workers {
            if let Err(error) = shared.start_slot(&mut state) {
                if state.slots == 0 {
                    let queued: Vec<Queued> = state.queue.drain(..).collect();
                    drop(state);
                    let reason = format!("could not start a supervisor thread: {error}");
                    for job in queued {
                        job.completion.complete(Err(ProcessPoolError::Broken {
                            reason: reason.clone(),
                        }));
                    }
                }
            }
        }
        job
    }

    /// Stops the pool accepting jobs; submitted jobs still run, then the workers exit.
    ///
    /// With `wait`, blocks until every submitted job has resolved and every worker
    /// process has exited and been reaped. Later submissions resolve to
    /// [`ProcessPoolError::Shutdown`].
    pub fn shutdown(&self, wait: bool) {
        self.owner.shared.close(Closing::Graceful, wait);
    }

    /// Process ids of the live worker processes.
    pub fn worker_pids(&self) -> Vec<u32> {
        self.owner
            .shared
            .lock()
            .children
            .iter()
            .map(|child| child.pid)
            .collect()
    }

    /// Worker processes started since the pool was built (replacements included).
    pub fn workers_started(&self) -> u64 {
        self.owner.shared.lock().workers_started
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.owner.shared.lock().queue.len()
    }

    /// Why the pool is broken, if it is.
    pub fn broken_reason(&self) -> Option<String> {
        self.owner.shared.lock().broken.clone()
    }

    /// The most worker processes this pool runs at once.
    pub fn max_workers(&self) -> usize {
        self.owner.shared.config.max_workers
    }
}

impl fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.owner.shared.lock();
        f.debug_struct("ProcessPool")
            .field("workers", &state.children.len())
            .field("queued", &state.queue.len())
            .field("max_workers", &self.owner.shared.config.max_workers)
            .field("closing", &state.closing)
            .field("broken", &state.broken)
            .finish()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.close(Closing::Kill, true);
    }
}

impl<A, O> Executor<JobCall<A, O>> for ProcessPool
where
    A: Serialize,
    O: DeserializeOwned,
{
    type Output = Result<O, ProcessPoolError>;
    type Future = ProcessJob<O>;

    fn run_in_executor(&self, work: JobCall<A, O>) -> ProcessJob<O> {
        self.submit(work)
    }
}

/// The complete `Run` frame: header, then the encoded arguments.
fn encode_request<A: Serialize, O>(
    id: u64,
    job: Job<A, O>,
    args: &A,
    max_frame: usize,
) -> Result<Vec<u8>, ProcessPoolError> {
    let codec = |error: postcard::Error| ProcessPoolError::Codec {
        job: job.name().to_string(),
        detail: format!("arguments: {error}"),
    };
    let mut request = Vec::with_capacity(64);
    let start = frame::begin(&mut request);
    let header = ToWorker::Run {
        id,
        job: job.name(),
        signature: registry::signature::<A, O>(),
    };
    let request = postcard::to_extend(&header, request).map_err(codec)?;
    let mut request = postcard::to_extend(args, request).map_err(codec)?;
    frame::finish(&mut request, start, max_frame).map_err(|_| ProcessPoolError::TooLarge {
        job: job.name().to_string(),
        len: request.len() - frame::HEADER_LEN,
        max: max_frame,
    })?;
    Ok(request)
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under this lock; a poisoned lock still holds a
        // consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a supervisor thread; it counts as idle until it looks for a job.
    fn start_slot(self: &Arc<Self>, state: &mut State) -> io::Result<()> {
        state.next_slot_id += 1;
        let slot = state.next_slot_id;
        let shared = Arc::clone(self);
        let handle = thread::Builder::new()
            .name(format!("ferrio-process-pool-{slot}"))
            .spawn(move || supervisor::run_slot(shared, slot))?;
        state.slots += 1;
        state.idle += 1;
        state.threads.retain(|thread| !thread.is_finished());
        state.threads.push(handle);
        Ok(())
    }

    fn close(&self, mode: Closing, wait: bool) {
        let mut state = self.lock();
        if state.closing != Some(Closing::Kill) {
            state.closing = Some(mode);
        }
        let mut failed = Vec::new();
        if mode == Closing::Kill {
            failed.extend(state.queue.drain(..));
            for child in state.children.iter().filter(|child| child.busy) {
                // SAFETY: kill(2) only sends a signal; the pid is our unreaped child
                // (supervisors unlist a worker before reaping it, under this lock),
                // so it cannot have been reused by another process.
                unsafe { libc::kill(child.pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        self.work.notify_all();
        let threads = if wait {
            std::mem::take(&mut state.threads)
        } else {
            Vec::new()
        };
        drop(state);
        for job in failed {
            job.completion.complete(Err(ProcessPoolError::Shutdown));
        }
        let me = thread::current().id();
        for thread in threads {
            // The last claim on the pool can go away on a supervisor thread (a waker
            // that drops its task); that thread cannot wait for itself.
            if thread.thread().id() != me {
                let _ = thread.join();
            }
        }
    }
}
