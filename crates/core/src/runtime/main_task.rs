//! The main future of `block_on` as a task: it has a header (id, state, poll count,
//! spawn site), it is listed by `all_tasks()`, it is `current_task()` while it runs,
//! and it can be cancelled through the registry like any task.
//!
//! It is not an async-task allocation: the future lives on the `block_on` caller's
//! stack, so it may borrow locals and need not be `Send`. The executor polls it
//! itself, from its ready queue (single-thread loop) or on the calling thread
//! (multi-thread), and counts each poll toward the fairness rule.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use std::thread::Thread;

use super::context::{self, Role};
use super::shared::{Scheduler, Shared};
use crate::task::header::{IN_REGION, PENDING};
use crate::task::{propagate, Header};

/// The error of [`Runtime::try_block_on`](crate::Runtime::try_block_on): the main
/// task was cancelled (asyncio's `run` raises `CancelledError` then). Its future was
/// dropped at its current await (its destructors ran, the tasks it awaited were
/// cancelled and ended first), or a [`catch_cancel`](crate::task::catch_cancel)
/// region in it received the request, cleaned up and re-raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MainCancelled;

impl fmt::Display for MainCancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the main task was cancelled")
    }
}

impl std::error::Error for MainCancelled {}

/// How a wake reaches the executor polling the main future.
pub(crate) enum MainWake {
    /// The single-thread loop: the main task sits in the ready queue like any task.
    Loop {
        /// In the ready queue, or about to be put there: a second wake is a no-op.
        queued: AtomicBool,
        /// Woken from another thread: the loop queues it when it next drains the
        /// injector.
        remote: AtomicBool,
    },
    /// The multi-thread executor's `block_on` thread.
    Thread {
        thread: Thread,
        /// The thread is parked, not counted active (see `multi_thread/block_on.rs`).
        parked: AtomicBool,
    },
}

pub(crate) struct MainTask {
    pub(crate) header: Header,
    pub(crate) wake: MainWake,
    /// A delivered request dropped the main future (kept here: reading the pinned
    /// future itself would make a shared reference to a self-referential value).
    dropped: AtomicBool,
}

impl MainTask {
    /// Creates the main task and lists it in the registry.
    pub(crate) fn register(
        shared: &Arc<Shared>,
        location: &'static Location<'static>,
        wake: MainWake,
    ) -> Arc<MainTask> {
        let main = Arc::new(MainTask {
            header: Header::new(shared, location),
            wake,
            dropped: AtomicBool::new(false),
        });
        let shard = context::with_ctx(|ctx| match ctx {
            Some(c) if c.holds(&**shared) => c.registry_shard(),
            _ => shared.registry.external_shard(),
        });
        shared
            .registry
            .insert(shard, &main.header, std::task::Waker::from(main.clone()));
        if shared.closed.load(Ordering::Acquire) {
            main.header.request_cancel();
        }
        main
    }

    /// Polls the main future once, delivering a pending cancel request as for a
    /// spawned task: to the innermost catch region, or (with none) by dropping the
    /// future at its await, cancelling the tasks it awaited and waiting for them.
    /// `Some` when it is done.
    pub(crate) fn poll<F: Future>(
        &self,
        mut future: Pin<&mut Option<F>>,
        cx: &mut Context<'_>,
    ) -> Option<Result<F::Output, MainCancelled>> {
        let header = &self.header;
        if self.dropped.load(Ordering::Relaxed) {
            // Delivered: inner clean-up first, then `block_on` reports the cancel.
            return header
                .poll_main_drain(cx)
                .is_ready()
                .then_some(Err(MainCancelled));
        }
        let (poll, start) = header.begin_main_poll();
        if start & PENDING != 0 && start & IN_REGION == 0 {
            let message = header.message();
            self.dropped.store(true, Ordering::Relaxed);
            let ((), drained) = propagate::dropping(message, || future.set(None));
            drop(poll);
            if !drained.is_empty() {
                header.shared().lock().draining = drained;
                return header
                    .poll_main_drain(cx)
                    .is_ready()
                    .then_some(Err(MainCancelled));
            }
            header.decide_cancelled();
            return Some(Err(MainCancelled));
        }
        let polled = future
            .as_mut()
            .as_pin_mut()
            .expect("the main future is polled only until it completes")
            .poll(cx);
        match polled {
            Poll::Ready(v) => {
                future.set(None);
                // Decided before the poll ends: a canceller waiting for this poll
                // reads the outcome (see `Header::settle_unconfirmed`).
                let keep = header.decide_value(start);
                drop(poll);
                if keep {
                    Some(Ok(v))
                } else {
                    drop(v);
                    Some(Err(MainCancelled))
                }
            }
            Poll::Pending => None,
        }
    }
}

/// Takes the main task out of the registry when `block_on` ends, even by a panic.
pub(crate) struct MainExit<'a>(pub(crate) &'a MainTask);

impl Drop for MainExit<'_> {
    fn drop(&mut self) {
        self.0.header.finish_main();
    }
}

impl Wake for MainTask {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let shared = &self.header.rt;
        match &self.wake {
            MainWake::Loop { queued, remote } => {
                if queued.swap(true, Ordering::AcqRel) {
                    return;
                }
                let Scheduler::Current(q) = &shared.scheduler else {
                    unreachable!("a loop main task on a multi-thread runtime");
                };
                let local = context::with_ctx(|ctx| match ctx {
                    Some(c) if c.is(shared, Role::Loop) => {
                        c.local
                            .borrow_mut()
                            .push_back(super::current_thread::Ready::Main);
                        true
                    }
                    _ => false,
                });
                if !local {
                    remote.store(true, Ordering::SeqCst);
                    q.wake_loop(shared);
                }
            }
            MainWake::Thread { thread, .. } => {
                super::multi_thread::reactivate(self);
                thread.unpark();
            }
        }
    }
}
