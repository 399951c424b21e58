//! `ThreadPool`: blocking closures on a pool of threads, awaited from any executor.
//!
//! The pool follows smol's `blocking` crate: threads start on demand, but only when the
//! queue backs up — more than [`GROWTH_RATIO`] queued jobs per idle thread — so 64
//! trivial calls in flight are served by a handful of threads instead of 64 new ones.
//! Idle threads wait on one condition variable and exit after the idle timeout.

mod job;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use job::ThreadJob;
use job::{JobCell, QueuedJob};

use crate::error::ThreadPoolError;
use crate::executor::Executor;
use crate::sync::{thread, Condvar, Mutex, MutexGuard};

/// Queued jobs per idle thread above which the pool starts another thread.
const GROWTH_RATIO: usize = 5;

/// How long an idle thread waits for work before it exits, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of threads for blocking closures, as asyncio's `ThreadPoolExecutor`.
///
/// Cloning gives another handle to the same pool. When the last handle is dropped the
/// pool shuts down without waiting: jobs already submitted still run, then the
/// threads exit.
///
/// # Examples
///
/// ```
/// use ferrio_executor_pool::{run_in_executor, ThreadPool};
/// use std::time::Duration;
///
/// let pool = ThreadPool::builder()
///     .max_threads(4)
///     .idle_timeout(Duration::from_secs(1))
///     .build();
/// let sum = futures_lite::future::block_on(run_in_executor(&pool, || (1..=10u64).sum::<u64>()));
/// assert_eq!(sum.unwrap(), 55);
/// pool.shutdown(true);
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    owner: Arc<Owner>,
}

/// The user-facing handles share one `Owner`; its drop shuts the pool down. Pool
/// threads hold only `Shared`, so they do not keep the pool open.
struct Owner {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
    /// Signalled whenever a thread exits.
    all_exited: Condvar,
    max_threads: usize,
    idle_timeout: Duration,
    name: String,
}

struct State {
    queue: VecDeque<Arc<dyn QueuedJob>>,
    /// Threads that wait for work, or were woken and have not yet taken a job.
    idle: usize,
    /// Threads blocked on `work`, and notifications sent to them not yet consumed:
    /// while every sleeper has a notification coming, another one would only cost a
    /// system call, since each woken thread drains the whole queue.
    sleeping: usize,
    notified: usize,
    threads: usize,
    shutdown: bool,
    next_thread_id: u64,
    /// The live threads and their numbers, so that `shutdown(true)` from inside a
    /// job does not wait for its own thread.
    members: Vec<(thread::ThreadId, u64)>,
    /// Handles of threads that may still run, for `shutdown(true)` to join. A thread
    /// that exits on its idle timeout detaches itself by dropping its own.
    handles: Vec<(u64, thread::JoinHandle<()>)>,
}

/// Options for a [`ThreadPool`]; start from [`ThreadPool::builder`].
#[derive(Debug, Clone)]
pub struct ThreadPoolBuilder {
    max_threads: usize,
    idle_timeout: Duration,
    name: String,
}

impl ThreadPoolBuilder {
    /// The most threads the pool runs at once (at least 1). Default: asyncio's
    /// `min(32, cores + 4)`.
    pub fn max_threads(mut self, max_threads: usize) -> Self {
        self.max_threads = max_threads.max(1);
        self
    }

    /// How long an idle thread waits for work before it exits. Default 10 s.
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }

    /// The prefix of the threads' names (`"<name>-<n>"`). Default `"ferrio-blocking"`.
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Creates the pool. No thread starts until the first job arrives.
    pub fn build(self) -> ThreadPool {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                idle: 0,
                sleeping: 0,
                notified: 0,
                threads: 0,
                shutdown: false,
                next_thread_id: 0,
                members: Vec::new(),
                handles: Vec::new(),
            }),
            work: Condvar::new(),
            all_exited: Condvar::new(),
            max_threads: self.max_threads,
            idle_timeout: self.idle_timeout,
            name: self.name,
        });
        ThreadPool {
            owner: Arc::new(Owner { shared }),
        }
    }
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ThreadPoolBuilder {
            max_threads: (cores + 4).min(32),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            name: "ferrio-blocking".to_string(),
        }
    }
}

impl ThreadPool {
    /// Options for a new pool: [`max_threads`](ThreadPoolBuilder::max_threads),
    /// [`idle_timeout`](ThreadPoolBuilder::idle_timeout).
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::default()
    }

    /// A pool with the default options.
    pub fn new() -> ThreadPool {
        ThreadPool::builder().build()
    }

    /// The process-wide pool used by [`to_thread`], created on first use.
    pub fn default_pool() -> &'static ThreadPool {
        static DEFAULT: OnceLock<ThreadPool> = OnceLock::new();
        DEFAULT.get_or_init(ThreadPool::new)
    }

    /// Runs `f` on a pool thread; the future resolves to its value.
    ///
    /// The future completes through its [`Waker`](std::task::Waker), so it works under
    /// any executor. See [`ThreadJob`] for what dropping it does.
    ///
    /// # Errors
    ///
    /// The future resolves to [`ThreadPoolError::Panicked`] when `f` panics (the pool
    /// keeps its threads), and to [`ThreadPoolError::Shutdown`] when the pool was shut
    /// down before the call.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = ferrio_executor_pool::ThreadPool::new();
    /// let job = pool.run_in_executor(|| std::fs::metadata(".").is_ok());
    /// assert!(futures_lite::future::block_on(job).unwrap());
    /// ```
    pub fn run_in_executor<F, T>(&self, f: F) -> ThreadJob<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let shared = &self.owner.shared;
        let mut state = shared.lock();
        if state.shutdown {
            return ThreadJob::new(JobCell::<F, T>::failed(ThreadPoolError::Shutdown));
        }
        let cell = JobCell::new(f);
        state.queue.push_back(cell.clone());
        if state.sleeping > state.notified {
            state.notified += 1;
            shared.work.notify_one();
        }
        shared.grow(state);
        ThreadJob::new(cell)
    }

    /// Stops the pool accepting jobs; jobs already submitted still run.
    ///
    /// With `wait`, blocks until every submitted job has finished and every thread has
    /// exited (a call from one of the pool's own threads waits for the others only).
    /// Later calls to [`run_in_executor`](Self::run_in_executor) resolve to
    /// [`ThreadPoolError::Shutdown`].
    pub fn shutdown(&self, wait: bool) {
        self.owner.shared.shutdown(wait);
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.owner.shared.lock().shutdown
    }

    /// The number of live threads.
    pub fn thread_count(&self) -> usize {
        self.owner.shared.lock().threads
    }

    /// The number of threads waiting for work.
    pub fn idle_count(&self) -> usize {
        self.owner.shared.lock().idle
    }

    /// The number of jobs waiting for a thread.
    pub fn queued(&self) -> usize {
        self.owner.shared.lock().queue.len()
    }

    /// The most threads this pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.owner.shared.max_threads
    }
}

impl Default for ThreadPool {
    fn default() -> Self {
        ThreadPool::new()
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.owner.shared.lock();
        f.debug_struct("ThreadPool")
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("queued", &state.queue.len())
            .field("max_threads", &self.owner.shared.max_threads)
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.shutdown(false);
    }
}

impl<F, T> Executor<F> for ThreadPool
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = Result<T, ThreadPoolError>;
    type Future = ThreadJob<T>;

    fn run_in_executor(&self, work: F) -> ThreadJob<T> {
        ThreadPool::run_in_executor(self, work)
    }
}

/// Runs the blocking closure `f` on the default [`ThreadPool`], as asyncio's
/// `to_thread`; the loop keeps running while it blocks.
///
/// # Errors
///
/// The future resolves to [`ThreadPoolError::Panicked`] when `f` panics.
///
/// # Examples
///
/// ```
/// use ferrio_executor_pool::to_thread;
///
/// let text = futures_lite::future::block_on(to_thread(|| {
///     std::thread::sleep(std::time::Duration::from_millis(1)); // blocking is fine here
///     "done"
/// }));
/// assert_eq!(text.unwrap(), "done");
/// ```
pub fn to_thread<F, T>(f: F) -> ThreadJob<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ThreadPool::default_pool().run_in_executor(f)
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock, so a poisoned lock can only come from a panic in
        // this module's own bookkeeping, which leaves the state consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts threads while queued jobs greatly outnumber idle threads.
    fn grow(self: &Arc<Self>, mut state: MutexGuard<'_, State>) {
        while state.queue.len() > state.idle * GROWTH_RATIO && state.threads < self.max_threads {
            // The new thread counts as idle from now on, so that the next submissions
            // do not start yet another one before it takes its first job.
            state.idle += 1;
            state.threads += 1;
            state.next_thread_id += 1;
            let number = state.next_thread_id;
            let shared = Arc::clone(self);
            let spawned = thread::Builder::new()
                .name(format!("{}-{number}", self.name))
                .spawn(move || shared.main_loop(number));
            match spawned {
                Ok(handle) => state.handles.push((number, handle)),
                Err(error) => {
                    state.idle -= 1;
                    state.threads -= 1;
                    if state.threads == 0 {
                        // Nobody will ever take these jobs: fail them rather than hang.
                        let jobs: Vec<_> = state.queue.drain(..).collect();
                        drop(state);
                        for job in jobs {
                            job.fail(ThreadPoolError::NoThread(error.to_string()));
                        }
                    }
                    return;
                }
            }
        }
    }

    fn main_loop(self: Arc<Self>, number: u64) {
        let me = thread::current().id();
        let mut state = self.lock();
        state.members.push((me, number));
        loop {
            state.idle -= 1;
            while let Some(job) = state.queue.pop_front() {
                // Other jobs are waiting: maybe start another thread before running.
                self.grow(state);
                job.run();
                state = self.lock();
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            state.sleeping += 1;
            let (guard, wait) = self
                .work
                .wait_timeout(state, self.idle_timeout)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = guard;
            state.sleeping -= 1;
            state.notified = state.notified.saturating_sub(1);
            if wait.timed_out() && state.queue.is_empty() {
                state.idle -= 1;
                break;
            }
        }
        state.threads -= 1;
        state.members.retain(|(member, _)| *member != me);
        if !state.shutdown {
            // Nobody will join this thread: detach it.
            state.handles.retain(|(handle, _)| *handle != number);
        }
        self.all_exited.notify_all();
    }

    fn shutdown(self: &Arc<Self>, wait: bool) {
        let mut state = self.lock();
        state.shutdown = true;
        state.notified = state.sleeping;
        self.work.notify_all();
        if !wait {
            return;
        }
        let me = thread::current().id();
        let own_number = state
            .members
            .iter()
            .find(|(member, _)| *member == me)
            .map(|(_, number)| *number);
        let own_thread = usize::from(own_number.is_some());
        while state.threads > own_thread {
            state = self
                .all_exited
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let handles = std::mem::take(&mut state.handles);
        drop(state);
        for (number, handle) in handles {
            // Every other thread has left its loop; joining waits for it to end.
            if Some(number) != own_number {
                let _ = handle.join();
            }
        }
    }
}
