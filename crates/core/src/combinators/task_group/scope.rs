//! `TaskGroup::scope`: asyncio's `async with TaskGroup() as tg:` together with its
//! body, so a child failure can interrupt the body and the body's error is reported
//! with the children's.

use std::future::Future;

use super::{cancel_all, ChildFailure, FailureKind, GroupSpawner, TaskGroup, TaskGroupError};
use crate::task::catch_cancel;
use crate::TaskHandle;

impl<E: Send + 'static> TaskGroup<E> {
    /// asyncio's `async with TaskGroup() as tg:` with its body: runs `body` with a
    /// spawner into a fresh group, then waits for every child.
    ///
    /// - The first child failure cancels the other children *and the body* at its
    ///   current await (the body may catch it with
    ///   [`catch_cancel`](crate::task::catch_cancel)); the group takes that
    ///   cancellation back (asyncio's `uncancel`) and reports the failures.
    /// - A body that returns `Err` cancels the children; once they ended, its error
    ///   is reported together with theirs (a [`ChildFailure`] for which
    ///   [`is_body`](ChildFailure::is_body) is true).
    /// - A cancellation from outside cancels the children with the same message,
    ///   waits for them, and goes on out (the task ends cancelled).
    ///
    /// Outside a task (the main future of `block_on`) the body cannot be
    /// interrupted; the rest holds.
    ///
    /// # Errors
    ///
    /// Every failure of the children and of the body, as one [`TaskGroupError`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_core::{combinators::TaskGroup, spawn, Runtime};
    /// # Runtime::new().unwrap().block_on(async {
    /// let outcome = spawn(TaskGroup::<String>::scope(|tg| async move {
    ///     tg.spawn(async { Err::<(), _>("child broke".to_string()) });
    ///     // Interrupted here by the child's failure.
    ///     std::future::pending::<()>().await;
    ///     Ok("never")
    /// }))
    /// .await
    /// .unwrap();
    /// let error = outcome.unwrap_err();
    /// assert_eq!(error.error().map(String::as_str), Some("child broke"));
    /// # });
    /// ```
    pub async fn scope<T, F, Fut>(body: F) -> Result<T, TaskGroupError<E>>
    where
        F: FnOnce(GroupSpawner<E>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let group = TaskGroup::new();
        let owner = TaskHandle::current();
        {
            let mut state = group.shared.lock();
            state.owner = owner.clone();
            // The scope interrupts its body through `owner`, at any await.
            state.body = None;
        }
        let outcome = catch_cancel(body(group.spawner())).await;
        // From here on a child failure no longer interrupts the owner.
        let ours = {
            let mut state = group.shared.lock();
            state.owner = None;
            state.owner_cancelled
        };
        // Take back the request the group made: delivered to the catch point above,
        // or still pending (it is then withdrawn).
        let others = match (&owner, ours) {
            (Some(owner), true) => owner.uncancel() > 0,
            _ => false,
        };
        let mut body_error = None;
        let mut external = None;
        let value = match outcome {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                body_error = Some(error);
                None
            }
            Err(cancelled) => {
                if others || !ours {
                    external = Some(cancelled);
                }
                None
            }
        };
        if body_error.is_some() || external.is_some() {
            let to_cancel = group.shared.lock().abort(None);
            match &external {
                Some(c) => {
                    let message = c.message().map(std::sync::Arc::<str>::from);
                    for task in to_cancel {
                        match &message {
                            Some(m) => task.cancel_with(m.clone()),
                            None => task.cancel(),
                        };
                    }
                }
                None => cancel_all(to_cancel),
            }
        }
        let joined = std::future::poll_fn(|cx| group.poll_join(cx)).await;
        if let Some(cancelled) = external {
            return cancelled.reraise().await;
        }
        let mut failures = joined.err();
        if let Some(error) = body_error {
            let body = ChildFailure {
                index: usize::MAX,
                id: owner.as_ref().map(TaskHandle::id),
                kind: FailureKind::Error(error),
            };
            match failures.as_mut() {
                Some(f) => f.later.push(body),
                None => {
                    failures = Some(TaskGroupError {
                        first: body,
                        later: Vec::new(),
                    })
                }
            }
        }
        match (failures, value) {
            (Some(failures), _) => Err(failures),
            (None, Some(value)) => Ok(value),
            (None, None) => unreachable!("no value only with a failure or a cancellation"),
        }
    }
}
