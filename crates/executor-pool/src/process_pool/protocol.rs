//! Messages between the parent and a worker, inside [`frame`](crate::frame)s.
//!
//! A `Run` request is the postcard-encoded header followed directly by the
//! postcard-encoded arguments; a `Done` reply is the header followed by the encoded
//! output. Keeping the payload outside the header saves a copy of large arguments.

use serde::{Deserialize, Serialize};

use crate::error::PanicReport;

/// Bumped whenever a message changes shape.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// The environment variable that marks a process as a pool worker. Its value is
/// `<parent pid>:<max frame>`.
pub(crate) const WORKER_MARKER: &str = "FERRIO_POOL_WORKER";

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToWorker<'a> {
    /// Run the job `job`; the encoded arguments follow the header.
    Run {
        id: u64,
        job: &'a str,
        signature: u64,
    },
    /// Finish: exit with status 0.
    Exit,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToParent {
    /// The worker is ready to take jobs.
    Hello(Hello),
    /// A job finished; when `outcome` is `Ok`, the encoded output follows the header.
    Done { id: u64, outcome: Outcome },
    /// A panic is unwinding (or aborting) in the worker; sent by its panic hook, so
    /// that the parent can say how the worker died if the panic kills it.
    Panicking(PanicReport),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub(crate) protocol: u32,
    pub(crate) crate_version: String,
    pub(crate) build_id: u64,
    pub(crate) pid: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Outcome {
    Ok,
    Panicked(PanicReport),
    UnknownJob { known: Vec<String> },
    SignatureMismatch { registered: String },
    Codec(String),
    TooLarge { len: usize, max: usize },
}
