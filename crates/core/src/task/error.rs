//! How a task can fail: cancelled, or panicked with a payload. A panic nobody
//! retrieves is reported when its payload is dropped, like asyncio's "Task exception
//! was never retrieved".

use std::any::Any;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use super::TaskId;

/// Why awaiting a [`Task`](crate::Task) gave no value.
///
/// # Examples
///
/// ```
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let task = ferrio_core::spawn(async { panic!("boom") });
/// let err = task.await.unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.panic_message(), Some("boom"));
/// # });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TaskError {
    /// The task was cancelled (by [`Task::cancel`](crate::Task::cancel), a
    /// [`TaskHandle`](crate::TaskHandle), propagation from a cancelled awaiter, or the
    /// runtime shutting down) before it finished; carries the message of the request.
    Cancelled(Cancelled),
    /// The task panicked; the payload is what `panic!` was given.
    Panicked(PanicPayload),
}

impl TaskError {
    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled(_))
    }

    /// The message the cancel request carried (asyncio's `CancelledError(msg)`);
    /// `None` when the task was not cancelled or the request had no message.
    pub fn cancel_message(&self) -> Option<&str> {
        match self {
            TaskError::Cancelled(c) => c.message(),
            TaskError::Panicked(_) => None,
        }
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// The panic's message when the payload is a string.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            TaskError::Panicked(p) => p.message(),
            TaskError::Cancelled(_) => None,
        }
    }

    /// The panic payload, to resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// Panics when the task was cancelled rather than panicked.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self {
            TaskError::Panicked(p) => p.into_inner(),
            TaskError::Cancelled(_) => {
                panic!("TaskError::into_panic called on a cancelled task")
            }
        }
    }

    /// The panic payload, or the error back when the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, TaskError> {
        match self {
            TaskError::Panicked(p) => Ok(p.into_inner()),
            TaskError::Cancelled(c) => Err(TaskError::Cancelled(c)),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled(c) => fmt::Display::fmt(c, f),
            TaskError::Panicked(p) => match p.message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl std::error::Error for TaskError {}

impl From<Cancelled> for TaskError {
    fn from(cancelled: Cancelled) -> Self {
        TaskError::Cancelled(cancelled)
    }
}

/// A cancellation as a value, asyncio's `CancelledError`: what a
/// [`catch_cancel`](crate::task::catch_cancel) region resolves to when a cancel request
/// reaches it, and what [`TaskError::Cancelled`] carries. Holds the request's message.
///
/// # Examples
///
/// ```
/// use ferrio_core::task::Cancelled;
/// let c = Cancelled::with_message("shutting down");
/// assert_eq!(c.message(), Some("shutting down"));
/// assert_eq!(c.to_string(), "task was cancelled: shutting down");
/// assert_eq!(Cancelled::new().message(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Cancelled {
    /// Boxed to one word: a cancellation may sit in every task's output slot, and
    /// most carry no message.
    message: Option<Box<Arc<str>>>,
}

impl Cancelled {
    /// A cancellation without a message.
    pub fn new() -> Self {
        Cancelled { message: None }
    }

    /// A cancellation carrying `message`.
    pub fn with_message(message: impl Into<Arc<str>>) -> Self {
        Cancelled::from_message(Some(message.into()))
    }

    /// A cancellation carrying `message` if there is one.
    pub(crate) fn from_message(message: Option<Arc<str>>) -> Self {
        Cancelled {
            message: message.map(Box::new),
        }
    }

    /// The message given to the cancel request, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref().map(|m| &**m)
    }

    /// The message as the runtime keeps it (shared with the task's handles).
    pub(crate) fn into_message(self) -> Option<Arc<str>> {
        self.message.map(|m| *m)
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(msg) => write!(f, "task was cancelled: {msg}"),
            None => f.write_str("task was cancelled"),
        }
    }
}

impl std::error::Error for Cancelled {}

/// What a task panicked with.
pub struct PanicPayload {
    /// Boxed to one word: a panic is rare, and [`TaskError`] sits in every task's
    /// output slot.
    inner: Box<PanicInner>,
}

struct PanicInner {
    payload: Option<Box<dyn Any + Send + 'static>>,
    message: Option<Box<str>>,
    /// Set while nobody has retrieved the panic; dropping an armed payload reports it.
    unretrieved: Option<UnretrievedPanic>,
}

// SAFETY: the payload (the only field that may be `!Sync`) is never reachable through
// `&PanicPayload`: it is only moved out by value in `into_inner`. Every `&self`
// method reads the message, a `Box<str>`, which is `Sync`.
unsafe impl Sync for PanicPayload {}

pub(crate) struct UnretrievedPanic {
    pub(crate) id: TaskId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) hook: Option<UnretrievedPanicHook>,
}

/// Called with the report of a detached task whose panic nobody retrieved. Set one
/// per runtime with [`Builder::on_unretrieved_panic`](crate::Builder::on_unretrieved_panic);
/// the default prints the report on stderr.
pub type UnretrievedPanicHook = Arc<dyn Fn(&PanicReport) + Send + Sync + 'static>;

/// A panic that no one retrieved from its task, as given to the
/// [`UnretrievedPanicHook`].
#[derive(Debug, Clone)]
pub struct PanicReport {
    /// The task's id.
    pub id: TaskId,
    /// The task's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// Where the task was spawned.
    pub location: &'static Location<'static>,
    /// The panic message, when the payload was a string.
    pub message: Option<String>,
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task exception was never retrieved: {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " (name {name:?})")?;
        }
        write!(f, " spawned at {}", self.location)?;
        match &self.message {
            Some(msg) => write!(f, " panicked: {msg}"),
            None => write!(f, " panicked"),
        }
    }
}

impl PanicPayload {
    pub(crate) fn new(payload: Box<dyn Any + Send>, unretrieved: Option<UnretrievedPanic>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            Some(Box::from(*s))
        } else {
            payload
                .downcast_ref::<String>()
                .map(|s| Box::from(s.as_str()))
        };
        PanicPayload {
            inner: Box::new(PanicInner {
                payload: Some(payload),
                message,
                unretrieved,
            }),
        }
    }

    /// Marks the panic as retrieved: dropping it no longer reports it.
    pub(crate) fn disarm(&mut self) {
        self.inner.unretrieved = None;
    }

    /// The panic's message when the payload is a `&str` or a `String`.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The payload itself, to resume the panic with `std::panic::resume_unwind`.
    pub fn into_inner(mut self) -> Box<dyn Any + Send + 'static> {
        self.disarm();
        self.inner
            .payload
            .take()
            .expect("the payload is taken only once")
    }
}

impl fmt::Debug for PanicPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicPayload")
            .field("message", &self.inner.message)
            .finish_non_exhaustive()
    }
}

impl Drop for PanicPayload {
    fn drop(&mut self) {
        let Some(info) = self.inner.unretrieved.take() else {
            return;
        };
        let report = PanicReport {
            id: info.id,
            name: info.name,
            location: info.location,
            message: self.inner.message.as_deref().map(String::from),
        };
        // A payload can be dropped where unwinding must not start (inside the task
        // allocator's cleanup): a panicking hook is contained here.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &info.hook {
            Some(hook) => hook(&report),
            None => eprintln!("{report}"),
        }));
    }
}
