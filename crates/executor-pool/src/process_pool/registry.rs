//! Jobs registered by name: what a worker can run, and typed handles to call them.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::protocol::Outcome;
use crate::error::PanicReport;

/// A typed handle to a job registered under `name`: the parent calls it, a worker's
/// [`Registry`] runs it. Declare it once as a `const` and use it on both sides, so
/// the argument and output types agree at compile time.
///
/// # Examples
///
/// ```
/// use ferrio_executor_pool::{Job, Registry};
///
/// const SQUARE: Job<u64, u64> = Job::new("square");
///
/// fn jobs() -> Registry {
///     let mut registry = Registry::new();
///     registry.register(SQUARE, |n| n * n);
///     registry
/// }
/// # assert!(jobs().contains("square"));
/// ```
pub struct Job<A, O> {
    name: &'static str,
    types: PhantomData<fn(A) -> O>,
}

impl<A, O> Job<A, O> {
    /// A handle to the job registered as `name`.
    pub const fn new(name: &'static str) -> Self {
        Job {
            name,
            types: PhantomData,
        }
    }

    /// The registered name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// This job applied to `args`, ready for
    /// [`run_in_executor`](crate::run_in_executor) on a
    /// [`ProcessPool`](crate::ProcessPool).
    pub fn call(self, args: A) -> JobCall<A, O> {
        JobCall {
            job: self,
            args,
            timeout: None,
        }
    }
}

impl<A, O> From<&'static str> for Job<A, O> {
    fn from(name: &'static str) -> Self {
        Job::new(name)
    }
}

impl<A, O> Clone for Job<A, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, O> Copy for Job<A, O> {}

impl<A, O> fmt::Debug for Job<A, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Job({:?}: {})", self.name, signature_text::<A, O>())
    }
}

/// A registered job with its arguments, and an optional time limit for this call.
pub struct JobCall<A, O> {
    pub(crate) job: Job<A, O>,
    pub(crate) args: A,
    pub(crate) timeout: Option<Duration>,
}

impl<A, O> JobCall<A, O> {
    /// Kills the worker and fails the call with
    /// [`ProcessPoolError::Timeout`](crate::ProcessPoolError::Timeout) if the job runs
    /// longer than `limit` (overrides the pool's
    /// [`job_timeout`](crate::ProcessPoolBuilder::job_timeout)).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }
}

impl<A: fmt::Debug, O> fmt::Debug for JobCall<A, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobCall")
            .field("job", &self.job)
            .field("args", &self.args)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Runs a registered job: decodes `args`, calls the function, appends the encoded
/// output to the buffer.
type Invoke = Box<dyn Fn(&[u8], &mut Vec<u8>) -> Outcome + Send + Sync>;

struct Entry {
    signature: u64,
    signature_text: String,
    invoke: Invoke,
}

/// The jobs a worker process can run, by name.
///
/// Build it in a plain function and hand that function to [`init`](crate::init) at
/// the top of `main`; only a worker process calls it.
#[derive(Default)]
pub struct Registry {
    entries: HashMap<&'static str, Entry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers `f` as `job`: a [`Job`] handle, or a plain name with the types
    /// spelled out (`registry.register::<u64, u64>("square", |n| n * n)`). A second
    /// registration of the same name replaces the first.
    ///
    /// A panic in `f` fails only its call, with
    /// [`ProcessPoolError::Panicked`](crate::ProcessPoolError::Panicked); the worker
    /// stays up.
    pub fn register<A, O>(
        &mut self,
        job: impl Into<Job<A, O>>,
        f: impl Fn(A) -> O + Send + Sync + 'static,
    ) -> &mut Self
    where
        A: DeserializeOwned + 'static,
        O: Serialize + 'static,
    {
        let job = job.into();
        let invoke = move |args: &[u8], out: &mut Vec<u8>| -> Outcome {
            let args: A = match postcard::from_bytes(args) {
                Ok(args) => args,
                Err(error) => return Outcome::Codec(format!("arguments: {error}")),
            };
            let output = match panic::catch_unwind(AssertUnwindSafe(|| f(args))) {
                Ok(output) => output,
                Err(payload) => return Outcome::Panicked(super::worker::take_panic(&payload)),
            };
            let start = out.len();
            match postcard::to_extend(&output, std::mem::take(out)) {
                Ok(encoded) => {
                    *out = encoded;
                    Outcome::Ok
                }
                Err(error) => {
                    out.truncate(start);
                    Outcome::Codec(format!("output: {error}"))
                }
            }
        };
        self.entries.insert(
            job.name,
            Entry {
                signature: signature::<A, O>(),
                signature_text: signature_text::<A, O>(),
                invoke: Box::new(invoke),
            },
        );
        self
    }

    /// Whether a job named `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.entries.keys().map(|name| name.to_string()).collect();
        names.sort();
        names
    }

    /// Runs the job `name` on encoded `args`, appending the encoded output to `out`.
    pub(crate) fn invoke(
        &self,
        name: &str,
        signature: u64,
        args: &[u8],
        out: &mut Vec<u8>,
    ) -> Outcome {
        let Some(entry) = self.entries.get(name) else {
            return Outcome::UnknownJob {
                known: self.names(),
            };
        };
        if entry.signature != signature {
            return Outcome::SignatureMismatch {
                registered: entry.signature_text.clone(),
            };
        }
        (entry.invoke)(args, out)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut jobs: Vec<(&str, &str)> = self
            .entries
            .iter()
            .map(|(name, entry)| (*name, entry.signature_text.as_str()))
            .collect();
        jobs.sort();
        f.debug_map().entries(jobs).finish()
    }
}

/// `fn(A) -> O`, with full type paths.
pub(crate) fn signature_text<A, O>() -> String {
    format!(
        "fn({}) -> {}",
        std::any::type_name::<A>(),
        std::any::type_name::<O>()
    )
}

/// A fingerprint of `fn(A) -> O`, stable across processes of the same binary.
pub(crate) fn signature<A, O>() -> u64 {
    let mut hash = Fnv::new();
    hash.write(std::any::type_name::<A>().as_bytes());
    hash.write(b" -> ");
    hash.write(std::any::type_name::<O>().as_bytes());
    hash.finish()
}

/// FNV-1a: a hash with no per-process keys, so both sides of the pipe agree.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// Converts a caught panic into a report with no location (used when the panic hook
/// did not run, e.g. a payload thrown with `resume_unwind`).
pub(crate) fn report_from_payload(payload: &(dyn std::any::Any + Send)) -> PanicReport {
    PanicReport {
        message: crate::error::panic_payload_message(payload)
            .unwrap_or("<non-string payload>")
            .to_string(),
        location: None,
    }
}
