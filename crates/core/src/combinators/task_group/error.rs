//! What a task group reports: a child's failure, the group's error, a refused spawn.

use std::any::Any;
use std::error::Error;
use std::fmt;

#[cfg(doc)]
use super::{GroupTask, TaskGroup};
use crate::{PanicPayload, TaskId};

/// Why awaiting a [`GroupTask`] gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupTaskError {
    /// The child returned `Err` or panicked; the error itself is reported by
    /// [`TaskGroup::join`].
    Failed,
    /// The child was cancelled: by its handle, by a sibling's failure, or because the
    /// group was dropped.
    Cancelled,
}

impl fmt::Display for GroupTaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupTaskError::Failed => {
                f.write_str("task group child failed; TaskGroup::join reports its error")
            }
            GroupTaskError::Cancelled => f.write_str("task group child was cancelled"),
        }
    }
}

impl Error for GroupTaskError {}

/// The failure of one child of a [`TaskGroup`].
pub struct ChildFailure<E> {
    /// The child's position in spawn order (0 for the first child spawned).
    pub index: usize,
    /// The child's task id.
    pub id: Option<TaskId>,
    /// What went wrong: an `Err` it returned, or a panic.
    pub kind: FailureKind<E>,
}

/// How a [`TaskGroup`] child failed.
pub enum FailureKind<E> {
    /// The child returned `Err`.
    Error(E),
    /// The child panicked; [`PanicPayload::into_inner`] gives the payload as
    /// `std::panic::catch_unwind` does. Kept `Sync`, so the group error is
    /// `Send + Sync` and goes into `Box<dyn Error + Send + Sync>` with `?`.
    Panic(PanicPayload),
}

impl<E> FailureKind<E> {
    /// The panic message, if the child panicked with a string.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            FailureKind::Error(_) => None,
            FailureKind::Panic(payload) => payload.message(),
        }
    }

    /// Whether the child panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, FailureKind::Panic(_))
    }
}

pub(super) fn panic_kind<E>(payload: Box<dyn Any + Send>) -> FailureKind<E> {
    FailureKind::Panic(PanicPayload::new(payload, None))
}

impl<E: fmt::Debug> fmt::Debug for FailureKind<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Error(error) => f.debug_tuple("Error").field(error).finish(),
            FailureKind::Panic(payload) => f
                .debug_tuple("Panic")
                .field(&payload.message().unwrap_or("<non-string payload>"))
                .finish(),
        }
    }
}

impl<E> ChildFailure<E> {
    /// Whether this is the failure of the body of a [`TaskGroup::scope`] rather than
    /// of a child (its `index` is then `usize::MAX` and its `id` the body's task).
    pub fn is_body(&self) -> bool {
        self.index == usize::MAX
    }
}

impl<E: fmt::Debug> fmt::Debug for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildFailure")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_body() {
            f.write_str("task group body")?;
        } else {
            write!(f, "task group child #{}", self.index)?;
        }
        if let Some(id) = self.id {
            write!(f, " ({id:?})")?;
        }
        match &self.kind {
            FailureKind::Error(error) => write!(f, " failed: {error}"),
            FailureKind::Panic(payload) => match payload.message() {
                Some(message) => write!(f, " panicked: {message}"),
                None => f.write_str(" panicked"),
            },
        }
    }
}

/// What [`TaskGroup::join`] reports when a child failed.
pub struct TaskGroupError<E> {
    pub(super) first: ChildFailure<E>,
    pub(super) later: Vec<ChildFailure<E>>,
}

impl<E> TaskGroupError<E> {
    /// The first failure, the one that cancelled the other children.
    pub fn first(&self) -> &ChildFailure<E> {
        &self.first
    }

    /// Failures of other children that happened after the first, before their
    /// cancellation took effect (asyncio collects these into its `ExceptionGroup`).
    pub fn later(&self) -> &[ChildFailure<E>] {
        &self.later
    }

    /// The index of the child that failed first.
    pub fn index(&self) -> usize {
        self.first.index
    }

    /// The `Err` the first failing child returned, if it did not panic.
    pub fn error(&self) -> Option<&E> {
        match &self.first.kind {
            FailureKind::Error(error) => Some(error),
            FailureKind::Panic(_) => None,
        }
    }

    /// True if the first failure was a panic.
    pub fn is_panic(&self) -> bool {
        matches!(self.first.kind, FailureKind::Panic(_))
    }

    /// The first failure, by value.
    pub fn into_first(self) -> ChildFailure<E> {
        self.first
    }

    /// Resumes the first child's panic on this thread, or returns its `Err`.
    pub fn into_error_or_resume_panic(self) -> E {
        match self.first.kind {
            FailureKind::Error(error) => error,
            FailureKind::Panic(payload) => std::panic::resume_unwind(payload.into_inner()),
        }
    }

    /// How many children failed (asyncio's `len(eg.exceptions)`).
    pub fn len(&self) -> usize {
        1 + self.later.len()
    }

    /// Always false: a group error holds at least one failure.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Every failure, the first one first (asyncio's `eg.exceptions`).
    pub fn iter(&self) -> impl Iterator<Item = &ChildFailure<E>> {
        std::iter::once(&self.first).chain(self.later.iter())
    }

    /// Splits the failures by `matches` (asyncio's `ExceptionGroup.split`): the
    /// group of those that match and the group of the rest, each `None` when empty.
    pub fn split(
        self,
        mut matches: impl FnMut(&ChildFailure<E>) -> bool,
    ) -> (Option<TaskGroupError<E>>, Option<TaskGroupError<E>>) {
        let (yes, no): (Vec<_>, Vec<_>) = self.into_iter().partition(|f| matches(f));
        (group_of(yes), group_of(no))
    }
}

fn group_of<E>(failures: Vec<ChildFailure<E>>) -> Option<TaskGroupError<E>> {
    let mut failures = failures.into_iter();
    let first = failures.next()?;
    Some(TaskGroupError {
        first,
        later: failures.collect(),
    })
}

impl<E> IntoIterator for TaskGroupError<E> {
    type Item = ChildFailure<E>;
    type IntoIter =
        std::iter::Chain<std::iter::Once<ChildFailure<E>>, std::vec::IntoIter<ChildFailure<E>>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self.first).chain(self.later)
    }
}

impl<E: fmt::Debug> fmt::Debug for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupError")
            .field("first", &self.first)
            .field("later", &self.later)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if !self.later.is_empty() {
            write!(f, " (and {} later failure(s))", self.later.len())?;
        }
        Ok(())
    }
}

impl<E: Error + 'static> Error for TaskGroupError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.first.kind {
            FailureKind::Error(error) => Some(error),
            FailureKind::Panic(_) => None,
        }
    }
}

/// Returned by [`TaskGroup::try_spawn`] when the group no longer accepts children; holds
/// the future that was not spawned.
pub struct GroupClosed<F> {
    pub(super) future: F,
    pub(super) aborting: bool,
}

impl<F> GroupClosed<F> {
    /// The future that was not spawned.
    pub fn into_inner(self) -> F {
        self.future
    }

    /// True if the group is closing because a child failed; false if `join` finished
    /// or the group was dropped.
    pub fn is_aborting(&self) -> bool {
        self.aborting
    }
}

impl<F> fmt::Debug for GroupClosed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupClosed")
            .field("aborting", &self.aborting)
            .finish_non_exhaustive()
    }
}

impl<F> fmt::Display for GroupClosed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.aborting {
            f.write_str(
                "TaskGroup is shutting down: a child failed and the others are being cancelled",
            )
        } else {
            f.write_str("TaskGroup is closed: join() returned or the group was dropped")
        }
    }
}

impl<F> Error for GroupClosed<F> {}
