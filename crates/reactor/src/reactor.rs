//! The reactor: ferrio-core's [`Driver`] over a [`polling::Poller`].
//!
//! # Mode: edge-triggered, registered once
//!
//! Every source is added to the poller once, with interest in both directions, in
//! [`PollMode::Edge`]. The poller then reports a source each time it *becomes*
//! readable or writable, and nothing needs re-arming: the cost of waiting is zero
//! `epoll_ctl`/`kevent` changes per operation. The alternatives were worse for a
//! request/response workload:
//!
//! - *oneshot* (async-io's choice) disarms the source after each event, so every wait
//!   costs one extra `epoll_ctl(MOD)` syscall before it can block;
//! - *level* reports a readable socket on every `wait` until it is drained, which
//!   busy-loops when a task is slow to read, unless interest is toggled (again one
//!   `epoll_ctl` per wait).
//!
//! Edge triggering is only correct with the per-source readiness state of
//! [`Source`]: a readiness bit stays set until an operation returns `WouldBlock`
//! (or a short write proves the send buffer full), and the clear is skipped when an
//! event arrived meanwhile (the tick check). Sources start out "ready", so the
//! first operation on a fresh socket is tried at once.
//!
//! # Parking
//!
//! [`Driver::park`] waits on the poller with the executor's timeout and wakes the
//! wakers of the sources that became ready before it returns. [`Driver::unpark`] uses
//! [`Poller::notify`] only when a thread is actually blocked in the poller; an unpark
//! while the driver is busy (a task woken from inside dispatch, or by a task running
//! on this thread) is just a flag the next park consumes, without a syscall.
//!
//! # Syscalls per round trip
//!
//! An echo round trip on one connection, per side: one `write`, one `read` that
//! finds the data, one `read` that finds `EAGAIN` (and clears the readiness bit), and
//! a share of a poller wait. polling implements a wait as `epoll_wait` plus the
//! re-arming of its notifier and timer (about five syscalls), amortised over every
//! event the wait returns. No `epoll_ctl` is paid per operation.
//!
//! Measured with `strace -c -f` on the `tcp_echo_rr` bench (50 clients x 1 000
//! round trips of 64 bytes, single-thread flavours): ferrio 6.4 syscalls per round
//! trip (4 `recvfrom`, 2 `sendto`, 0.35 for the waits), tokio 5.1 (its short-read
//! shortcut, which needs `EPOLLRDHUP`, saves one `recvfrom`), smol 11.5 (oneshot
//! re-arming: 3.2 `epoll_ctl` per round trip).

use std::any::Any;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::Duration;

use ferrio_core::driver::{self, Driver};
use polling::{Event, Events, PollMode, Poller};
use slab::Slab;

use crate::source::{Source, READABLE, WRITABLE};

/// Nobody is blocked in the poller and no unpark is pending.
const IDLE: u8 = 0;
/// A thread is blocked in the poller: an unpark must notify it.
const WAITING: u8 = 1;
/// An unpark is pending: the next park returns at once.
const NOTIFIED: u8 = 2;

/// The I/O reactor: registers sources with the OS poller and wakes the tasks waiting
/// on them. It is a ferrio-core [`Driver`], so a runtime parks on it.
///
/// One reactor serves one runtime; I/O types find it through the runtime running on
/// the current thread ([`Reactor::current`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio_core::driver::Driver;
///
/// let reactor = ferrio_reactor::Reactor::new()?;
/// reactor.unpark();
/// reactor.park(None); // returns at once: the unpark was remembered
/// reactor.park(Some(Duration::ZERO)); // only polls
/// # std::io::Result::Ok(())
/// ```
pub struct Reactor {
    poller: Poller,
    sources: Mutex<Slab<Arc<Source>>>,
    /// The event buffer and a reusable list of wakers to call, owned by the parker.
    dispatch: Mutex<Dispatch>,
    park_state: AtomicU8,
    shut_down: AtomicBool,
    me: Weak<Reactor>,
}

struct Dispatch {
    events: Events,
    wakers: Vec<Waker>,
}

impl Reactor {
    /// Creates a reactor over a new OS poller.
    ///
    /// Also makes sure `SIGPIPE` cannot kill the process: writing to a closed socket
    /// or pipe must be an `io::Error`, never a death.
    ///
    /// # Errors
    ///
    /// When the OS poller cannot be created (for example, out of descriptors).
    pub fn new() -> io::Result<Arc<Reactor>> {
        crate::sys::ignore_sigpipe();
        let poller = Poller::new()?;
        if !poller.supports_edge() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "ferrio-reactor needs an edge-triggered poller (epoll or kqueue)",
            ));
        }
        Ok(Arc::new_cyclic(|me| Reactor {
            poller,
            sources: Mutex::new(Slab::new()),
            dispatch: Mutex::new(Dispatch {
                events: Events::new(),
                wakers: Vec::new(),
            }),
            park_state: AtomicU8::new(IDLE),
            shut_down: AtomicBool::new(false),
            me: me.clone(),
        }))
    }

    /// The reactor of the runtime running on this thread, if that runtime was built
    /// with a reactor as its driver.
    pub fn current() -> Option<Arc<Reactor>> {
        driver::with_current(|d| {
            d.and_then(|d| d.as_any().downcast_ref::<Reactor>())
                .and_then(|r| r.me.upgrade())
        })
    }

    /// [`Reactor::current`], or a panic that says how to get a runtime with I/O.
    #[track_caller]
    pub(crate) fn current_or_panic() -> Arc<Reactor> {
        // A `match`, not `unwrap_or_else`: a closure would lose the caller's location.
        match Self::current() {
            Some(reactor) => reactor,
            None => panic!(
                "no ferrio I/O reactor on this thread: I/O objects must be created inside \
                 a runtime with a reactor, e.g. inside `ferrio::run(...)` or a runtime built \
                 with `ferrio_reactor::runtime_builder()`"
            ),
        }
    }

    /// How many sources are registered right now (a counter for leak tests).
    pub fn source_count(&self) -> usize {
        self.lock_sources().len()
    }

    /// Registers `fd` for both directions, edge-triggered.
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Source>> {
        let raw = fd.as_raw_fd();
        let source = {
            let mut sources = self.lock_sources();
            let entry = sources.vacant_entry();
            let source = Arc::new(Source::new(entry.key(), raw));
            entry.insert(source.clone());
            source
        };
        // SAFETY: the caller (`Async`) keeps the descriptor open until it calls
        // `deregister`, which removes it from the poller before the descriptor closes.
        let added = unsafe {
            self.poller
                .add_with_mode(raw, Event::all(source.key), PollMode::Edge)
        };
        if let Err(e) = added {
            self.lock_sources().remove(source.key);
            return Err(e);
        }
        Ok(source)
    }

    /// Removes a source; must be called while its descriptor is still open.
    pub(crate) fn deregister(&self, source: &Source) {
        // SAFETY: the descriptor is still open: `Async` deregisters before it drops
        // the I/O object.
        let fd = unsafe { BorrowedFd::borrow_raw(source.raw) };
        // Deletion can only fail if the descriptor was never added or already gone;
        // neither leaves anything to clean up.
        let _ = self.poller.delete(fd);
        let mut sources = self.lock_sources();
        if sources
            .get(source.key)
            .is_some_and(|s| std::ptr::eq(&**s, source))
        {
            sources.remove(source.key);
        }
    }

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, Slab<Arc<Source>>> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits on the poller and wakes the tasks of the sources that became ready.
    fn wait_and_dispatch(&self, dispatch: &mut Dispatch, timeout: Option<Duration>) {
        let Dispatch { events, wakers } = dispatch;
        events.clear();
        let waited = self.poller.wait(events, timeout);
        // An unpark during a blocking wait saw WAITING and went through the poller's
        // notify, which either woke this wait or makes the next one return at once;
        // so the slot can go back to idle. (A poll never set WAITING.)
        if timeout != Some(Duration::ZERO) {
            self.park_state.store(IDLE, Ordering::Release);
        }
        if let Err(e) = waited {
            // polling retries EINTR itself; anything else means the poller is broken.
            panic!("ferrio reactor: waiting on the OS poller failed: {e}");
        }
        if events.is_empty() {
            return;
        }
        {
            let sources = self.lock_sources();
            for event in events.iter() {
                if let Some(source) = sources.get(event.key) {
                    let mut dirs = 0;
                    if event.readable {
                        dirs |= READABLE;
                    }
                    if event.writable {
                        dirs |= WRITABLE;
                    }
                    source.set_ready(dirs, wakers);
                }
            }
        }
        // Wake outside the sources lock: a wake may drop a task, whose I/O objects
        // deregister themselves.
        for waker in wakers.drain(..) {
            waker.wake();
        }
    }
}

impl Driver for Reactor {
    fn park(&self, timeout: Option<Duration>) {
        // The contract allows one parker at a time; a second one just returns.
        let Ok(mut dispatch) = self.dispatch.try_lock() else {
            return;
        };
        if timeout == Some(Duration::ZERO) {
            // A poll never blocks, so it also answers a pending unpark.
            let _ = self.park_state.compare_exchange(
                NOTIFIED,
                IDLE,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            self.wait_and_dispatch(&mut dispatch, timeout);
            return;
        }
        match self
            .park_state
            .compare_exchange(IDLE, WAITING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => self.wait_and_dispatch(&mut dispatch, timeout),
            // An unpark is pending: consume it and return at once.
            Err(_) => self.park_state.store(IDLE, Ordering::Release),
        }
    }

    fn unpark(&self) {
        if self.park_state.swap(NOTIFIED, Ordering::AcqRel) == WAITING {
            // Only fails if the eventfd is gone, i.e. the poller is being dropped.
            let _ = self.poller.notify();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn shutdown(&self) {
        self.shut_down.store(true, Ordering::Release);
        let mut wakers = Vec::new();
        for (_, source) in self.lock_sources().iter() {
            source.close(&mut wakers);
        }
        for waker in wakers {
            waker.wake();
        }
    }
}

impl Reactor {
    /// Whether [`Driver::shutdown`] was called.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("sources", &self.source_count())
            .finish_non_exhaustive()
    }
}

impl AsRawFd for Reactor {
    fn as_raw_fd(&self) -> RawFd {
        self.poller.as_raw_fd()
    }
}
