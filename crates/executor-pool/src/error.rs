//! Error types: what an awaiter of offloaded work gets back instead of a value.

use std::any::Any;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// Why a closure sent to a [`ThreadPool`](crate::ThreadPool) produced no value.
///
/// `Send + Sync + 'static`, so `?` carries it into `Box<dyn Error + Send + Sync>`
/// or `anyhow::Error`.
///
/// # Examples
///
/// ```
/// use ferrio_executor_pool::ThreadPool;
///
/// fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     let pool = ThreadPool::new();
///     let error = futures_lite::future::block_on(pool.run_in_executor(|| -> u32 { panic!("no") }))
///         .unwrap_err();
///     assert_eq!(error.panic_message(), Some("no"));
///     let sum = futures_lite::future::block_on(pool.run_in_executor(|| 2 + 2))?;
///     assert_eq!(sum, 4);
///     Ok(())
/// }
/// ```
#[non_exhaustive]
pub enum ThreadPoolError {
    /// The closure panicked; the payload is kept so the caller can re-raise it with
    /// [`std::panic::resume_unwind`] (see [`ThreadPoolError::try_into_panic`]).
    Panicked(PanicPayload),
    /// The pool was shut down before the closure was accepted.
    Shutdown,
    /// The pool could not start any thread to run the closure (the operating system
    /// refused to create one).
    NoThread(String),
}

/// The payload of a panic caught on a pool thread, with its message.
///
/// The message is kept as text, readable any number of times; the payload itself
/// (a `Box<dyn Any + Send>`, which is not `Sync`) sits behind a mutex and can be
/// taken once, to re-raise the panic. That makes the error `Sync`.
pub struct PanicPayload {
    message: Option<String>,
    payload: Mutex<Option<Box<dyn Any + Send + 'static>>>,
}

impl PanicPayload {
    /// Wraps a payload caught by [`std::panic::catch_unwind`].
    pub fn new(payload: Box<dyn Any + Send + 'static>) -> Self {
        PanicPayload {
            message: panic_payload_message(payload.as_ref()).map(str::to_string),
            payload: Mutex::new(Some(payload)),
        }
    }

    /// The panic message when the payload was the usual `&str` or `String`.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Takes the payload out, to re-raise it with [`std::panic::resume_unwind`];
    /// `None` once it has been taken.
    pub fn take(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.payload
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// The payload, unless it was taken already.
    pub fn into_inner(self) -> Option<Box<dyn Any + Send + 'static>> {
        self.payload
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for PanicPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PanicPayload")
            .field(&self.message().unwrap_or("<non-string payload>"))
            .finish()
    }
}

impl ThreadPoolError {
    /// The panic message when the closure panicked with a `&str` or `String` payload.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            ThreadPoolError::Panicked(payload) => payload.message(),
            _ => None,
        }
    }

    /// Whether the closure panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, ThreadPoolError::Panicked(_))
    }

    /// The panic payload, to re-raise it with [`std::panic::resume_unwind`].
    ///
    /// # Errors
    ///
    /// Returns `self` unchanged when the error is not a panic, or when its payload
    /// was already taken with [`PanicPayload::take`].
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, ThreadPoolError> {
        match self {
            ThreadPoolError::Panicked(payload) => match payload.take() {
                Some(inner) => Ok(inner),
                None => Err(ThreadPoolError::Panicked(payload)),
            },
            other => Err(other),
        }
    }
}

/// The message of a panic payload, when it is the usual `&str` or `String`.
pub(crate) fn panic_payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        Some(text)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

impl fmt::Debug for ThreadPoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadPoolError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
            ThreadPoolError::Shutdown => f.write_str("Shutdown"),
            ThreadPoolError::NoThread(why) => f.debug_tuple("NoThread").field(why).finish(),
        }
    }
}

impl fmt::Display for ThreadPoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadPoolError::Panicked(_) => match self.panic_message() {
                Some(message) => write!(f, "the offloaded closure panicked: {message}"),
                None => f.write_str("the offloaded closure panicked with a non-string payload"),
            },
            ThreadPoolError::Shutdown => {
                f.write_str("the thread pool is shut down and accepts no new work")
            }
            ThreadPoolError::NoThread(why) => {
                write!(f, "the thread pool could not start a thread: {why}")
            }
        }
    }
}

impl std::error::Error for ThreadPoolError {}

/// How a worker process ended while it held a job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Death {
    /// Killed by a signal (`SIGKILL`, `SIGSEGV`, `SIGABRT` from `abort()`, ...).
    Signal {
        /// The signal number.
        number: i32,
        /// The signal's name, such as `"SIGKILL"`.
        name: &'static str,
    },
    /// Exited on its own with this status code (a job called `std::process::exit`).
    Exited {
        /// The exit code.
        code: i32,
    },
    /// Closed its end of the protocol channel and could not be waited for.
    Vanished,
}

impl Death {
    /// Whether the process was killed by a signal that comes from outside it
    /// (`SIGKILL`, `SIGTERM`, `SIGINT`, `SIGHUP`, `SIGQUIT`, `SIGUSR1`, `SIGUSR2`:
    /// an operator, a supervisor, the out-of-memory killer), rather than one it
    /// brought on itself (`SIGABRT` from `abort()`, `SIGSEGV`, `SIGBUS`, `SIGILL`,
    /// `SIGFPE`, ...) or an exit of its own.
    ///
    /// A [`ProcessPool`](crate::ProcessPool) whose worker dies before it is ready
    /// replaces it after a short backoff when this is true; deaths of its own,
    /// several times running, break the pool instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_executor_pool::Death;
    ///
    /// assert!(Death::Signal { number: 9, name: "SIGKILL" }.is_from_outside());
    /// assert!(!Death::Signal { number: 6, name: "SIGABRT" }.is_from_outside());
    /// assert!(!Death::Exited { code: 1 }.is_from_outside());
    /// ```
    pub fn is_from_outside(&self) -> bool {
        match self {
            Death::Signal { number, .. } => matches!(
                *number,
                libc::SIGKILL
                    | libc::SIGTERM
                    | libc::SIGINT
                    | libc::SIGHUP
                    | libc::SIGQUIT
                    | libc::SIGUSR1
                    | libc::SIGUSR2
            ),
            Death::Exited { .. } | Death::Vanished => false,
        }
    }
}

impl fmt::Display for Death {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Death::Signal { number, name } => write!(f, "killed by signal {number} ({name})"),
            Death::Exited { code } => write!(f, "exited with code {code}"),
            Death::Vanished => f.write_str("closed its channel and vanished"),
        }
    }
}

/// A panic reported by a worker: its message and where it happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PanicReport {
    /// The panic message (`"<non-string payload>"` when it was not a string).
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub location: Option<String>,
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.message)?;
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        Ok(())
    }
}

/// Why a job sent to a [`ProcessPool`](crate::ProcessPool) produced no value.
///
/// Every job resolves exactly once, to its value or to one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessPoolError {
    /// The job panicked inside the worker; the worker survived and serves other jobs.
    Panicked {
        /// The job's registered name.
        job: String,
        /// The panic message and location.
        panic: PanicReport,
    },
    /// The worker process died while running this job. Only this job fails; the
    /// worker is replaced and queued jobs go on.
    WorkerDied {
        /// The job's registered name.
        job: String,
        /// How the worker ended.
        death: Death,
        /// The first panic the worker reported during the job, when a panic killed
        /// it (a panic under `panic = "abort"`, or a destructor panicking while
        /// unwinding).
        panic: Option<PanicReport>,
    },
    /// The job ran past its time limit; its worker was killed and replaced.
    Timeout {
        /// The job's registered name.
        job: String,
        /// The limit it ran past.
        limit: Duration,
    },
    /// No job of this name is registered in the worker's registry.
    UnknownJob {
        /// The name that was asked for.
        job: String,
        /// The names the worker knows, sorted.
        known: Vec<String>,
    },
    /// The job is registered with other argument or output types than the caller's.
    SignatureMismatch {
        /// The job's registered name.
        job: String,
        /// The signature the worker registered, as `fn(Args) -> Output`.
        registered: String,
        /// The signature the caller used.
        called: String,
    },
    /// The arguments or the result could not be encoded or decoded.
    Codec {
        /// The job's registered name.
        job: String,
        /// What went wrong.
        detail: String,
    },
    /// An encoded request or reply is larger than the pool's frame limit.
    TooLarge {
        /// The job's registered name.
        job: String,
        /// The encoded size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Workers keep failing on their own before they are ready (exiting, panicking,
    /// crashing, or never answering); the pool is broken and every job fails fast
    /// with the reason. Workers killed from outside while starting
    /// ([`Death::is_from_outside`]) are replaced instead and never break the pool.
    Broken {
        /// Why the workers could not start.
        reason: String,
    },
    /// The pool was shut down (or dropped) before the job ran.
    Shutdown,
}

impl fmt::Display for ProcessPoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessPoolError::Panicked { job, panic } => {
                write!(f, "job `{job}` panicked in its worker: {panic}")
            }
            ProcessPoolError::WorkerDied { job, death, panic } => {
                write!(f, "the worker running job `{job}` {death}")?;
                if let Some(panic) = panic {
                    write!(f, " after panicking: {panic}")?;
                }
                Ok(())
            }
            ProcessPoolError::Timeout { job, limit } => write!(
                f,
                "job `{job}` ran past its {limit:?} time limit; its worker was killed"
            ),
            ProcessPoolError::UnknownJob { job, known } => write!(
                f,
                "no job named `{job}` is registered in the worker (known: {}); register it in \
                 the Registry passed to ferrio_executor_pool::init",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
            ProcessPoolError::SignatureMismatch {
                job,
                registered,
                called,
            } => write!(
                f,
                "job `{job}` is registered as {registered} but was called as {called}"
            ),
            ProcessPoolError::Codec { job, detail } => {
                write!(f, "job `{job}`: encoding or decoding failed: {detail}")
            }
            ProcessPoolError::TooLarge { job, len, max } => write!(
                f,
                "job `{job}`: a {len}-byte message exceeds the pool's {max}-byte frame limit"
            ),
            ProcessPoolError::Broken { reason } => {
                write!(f, "the process pool is broken: {reason}")
            }
            ProcessPoolError::Shutdown => {
                f.write_str("the process pool was shut down before the job ran")
            }
        }
    }
}

impl std::error::Error for ProcessPoolError {}
