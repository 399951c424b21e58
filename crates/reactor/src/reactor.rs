//! The reactor: ferrio-core's [`Driver`] over one of two OS interfaces, chosen by
//! [`ReactorKind`]: [`polling::Poller`] (portable: epoll, kqueue) or, on Linux,
//! epoll directly with `EPOLLRDHUP` (the `epoll` module). Both share everything
//! else: the [`Source`] readiness state, the slab of sources and the park state.
//!
//! # Mode: edge-triggered, registered once
//!
//! Every source is added to the poller once, with interest in both directions, in
//! edge-triggered mode. The poller then reports a source each time it *becomes*
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
//! (or a short write proves the send buffer full, or, on the epoll reactor, a read
//! proves the receive queue empty), and the clear is skipped
//! when an event arrived meanwhile (the tick check). Sources start out "ready", so
//! the first operation on a fresh socket is tried at once.
//!
//! # Parking
//!
//! [`Driver::park`] waits on the poller with the executor's timeout and wakes the
//! wakers of the sources that became ready before it returns. [`Driver::unpark`]
//! notifies the poller only when a thread is actually blocked in it; an unpark
//! while the driver is busy (a task woken from inside dispatch, or by a task running
//! on this thread) is just a flag the next park consumes, without a syscall.
//! A non-blocking park (the poll the loops make every few dozen tasks so that I/O
//! is not starved) returns at once while no source is registered: a yield-only or
//! timer-only program makes no poller call while it has tasks to run. The signal
//! pipe a runtime reads for its own Ctrl-C listener does not count until a signal
//! actually arrived (the handler raises a flag the park reads), so `ferrio::run`
//! keeps that property.
//!
//! # Syscalls per round trip
//!
//! An echo round trip on one connection, per side: one `write`, one `read` that
//! finds the data, and a share of a poller wait. With `polling`, each side also
//! pays one `read` that finds `EAGAIN` (and clears the readiness bit): without
//! `EPOLLRDHUP` a short read does not prove the stream drained, and a full read
//! (a `read_exact` of a whole message) never does. On the epoll reactor TCP
//! streams turn on `TCP_INQ`, so the kernel says with each read whether it drained
//! the queue, full reads included: no `EAGAIN` read is left on either side. (Pipes
//! end readiness at a short read; Unix streams keep the `EAGAIN` read, see
//! `Async::poll_pipe_read`.)
//!
//! A wait is one `epoll_pwait` on the epoll reactor; `polling` adds the re-arming
//! of its notifier and timer (`epoll_ctl`, `timerfd_settime`, a `read`), amortised
//! over every event the wait returns. Neither pays an `epoll_ctl` per operation.
//!
//! Measured with `strace -c -f` on `examples/echo_rr.rs` (50 clients x 1 000 round
//! trips of 64 bytes, single-thread runtime; the server reads into 4 KiB, the
//! client `read_exact`s 64 bytes), whole process, per round trip:
//!
//! | reactor | total | reads (`EAGAIN`) | `sendto` | `epoll_pwait` | `epoll_ctl` |
//! |---|---|---|---|---|---|
//! | `Polling` | 6.35 | 4.0 (2.0) | 2.0 | 0.066 | 0.135 |
//! | `Epoll` with `TCP_INQ` | 4.09 | 2.0 (0.001) | 2.0 | 0.066 | 0.004 |
//!
//! (`Polling` also pays a `timerfd_settime` and a `read` per wait; the epoll
//! reactor's reads are `recvmsg`, for the `TCP_INQ` report.)

use std::any::Any;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Waker;
use std::time::Duration;

use ferrio_core::driver::{self, Driver};
use polling::{Event, Events, PollMode, Poller};
use slab::Slab;

#[cfg(any(target_os = "linux", target_os = "android"))]
use crate::epoll::{Epoll, EpollEvents};
use crate::loom;
use crate::signal::SignalPipe;
use crate::source::{Source, READABLE, WRITABLE};

/// Nobody is blocked in the poller and no unpark is pending.
const IDLE: u8 = 0;
/// A thread is blocked in the poller: an unpark must notify it.
const WAITING: u8 = 1;
/// An unpark is pending: the next park returns at once.
const NOTIFIED: u8 = 2;

/// Whether a thread is blocked in the poller, and whether an unpark is pending: the
/// protocol that lets an unpark skip the poller's notify syscall unless someone
/// actually waits there (see "Parking" in the module docs).
///
/// Promise (checked by the loom models): an unpark that follows a piece of work made
/// visible to the parker is never lost. Either the parker sees `NOTIFIED` and does
/// not wait, or the unpark sees `WAITING` and notifies the poller, whose notify
/// makes the current wait, or the next one, return.
#[derive(Debug)]
pub(crate) struct ParkState(loom::AtomicU8);

impl ParkState {
    pub(crate) fn new() -> Self {
        ParkState(loom::AtomicU8::new(IDLE))
    }

    /// Runs `wait` (the poller's wait) unless a pending unpark says to return at
    /// once; returns what `wait` returned, or `None` when it did not run. A
    /// non-`blocking` wait (a poll) always runs, and answers a pending unpark too.
    /// One parker at a time.
    pub(crate) fn park<R>(&self, blocking: bool, wait: impl FnOnce() -> R) -> Option<R> {
        if !blocking {
            // Loaded first: the exchange takes the line exclusively even when it
            // fails, and every multi-thread worker polls here every few dozen
            // tasks, so the line would move between their caches at each poll.
            // A failed exchange is an Acquire load, which this load is.
            if self.0.load(loom::Ordering::Acquire) == NOTIFIED {
                let _ = self.0.compare_exchange(
                    NOTIFIED,
                    IDLE,
                    loom::Ordering::AcqRel,
                    loom::Ordering::Acquire,
                );
            }
            return Some(wait());
        }
        match self.0.compare_exchange(
            IDLE,
            WAITING,
            loom::Ordering::AcqRel,
            loom::Ordering::Acquire,
        ) {
            Ok(_) => {
                let waited = wait();
                // An unpark during the wait saw WAITING and went through the
                // poller's notify, which either woke this wait or makes the next one
                // return at once; so the slot can go back to idle. A swap, not a
                // store: a second unpark that found NOTIFIED relies on the parker
                // seeing its work, so the parker must read (acquire) its write. With
                // a store, two unparks racing with one wait could leave the second
                // one's work unseen and the next park blocked (the loom model
                // `two_unparks_from_two_threads_are_never_lost` found it).
                self.0.swap(IDLE, loom::Ordering::AcqRel);
                Some(waited)
            }
            // An unpark is pending: consume it (a swap, for the same reason) and
            // return at once.
            Err(_) => {
                self.0.swap(IDLE, loom::Ordering::AcqRel);
                None
            }
        }
    }

    /// Records an unpark; true when a thread waits in the poller and must be
    /// notified.
    pub(crate) fn unpark(&self) -> bool {
        self.0.swap(NOTIFIED, loom::Ordering::AcqRel) == WAITING
    }
}

/// Which OS interface a [`Reactor`] waits on.
///
/// Both kinds keep the same promises (no lost wake-up, no lost end-of-stream); they
/// differ in cost. `Epoll` reports the peer's shutdown (`EPOLLRDHUP`), so a short
/// read of a byte stream ends read readiness without the `EAGAIN` read that
/// `Polling` needs, and its waits are one syscall instead of `polling`'s three to
/// five. [`ReactorKind::default`] is `Epoll` on Linux and Android, `Polling`
/// elsewhere.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::{Reactor, ReactorKind};
///
/// let portable = Reactor::with_kind(ReactorKind::Polling)?;
/// assert_eq!(portable.kind(), ReactorKind::Polling);
/// assert!(ReactorKind::available().contains(&ReactorKind::default()));
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReactorKind {
    /// The `polling` crate: epoll on Linux, kqueue on the BSDs and macOS. Portable;
    /// a short read costs one more `EAGAIN` read.
    Polling,
    /// epoll directly, with `EPOLLRDHUP`: Linux and Android only
    /// ([`Reactor::with_kind`] fails with `Unsupported` elsewhere).
    Epoll,
}

impl ReactorKind {
    /// The kinds this platform supports, the default first.
    pub fn available() -> &'static [ReactorKind] {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            &[ReactorKind::Epoll, ReactorKind::Polling]
        } else {
            &[ReactorKind::Polling]
        }
    }
}

impl Default for ReactorKind {
    /// `Epoll` on Linux and Android, `Polling` elsewhere.
    fn default() -> Self {
        ReactorKind::available()[0]
    }
}

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
    backend: Backend,
    sources: Mutex<Slab<Arc<Source>>>,
    /// How many sources are in the poller (or being added): with none, a
    /// non-blocking park has no event to find and skips its syscall.
    registered: AtomicUsize,
    /// The process's signal pipe as this reactor reads it, registered at the first
    /// subscription that reads it here and kept for the reactor's life, so a
    /// runner's Ctrl-C listener costs no system call per run. Set only once
    /// registered (see [`Reactor::may_have_events`]).
    pub(crate) signal_pipe: OnceLock<SignalPipe>,
    /// The event buffer and a reusable list of wakers to call, owned by the parker.
    dispatch: Mutex<Dispatch>,
    park_state: ParkState,
    shut_down: AtomicBool,
    me: Weak<Reactor>,
}

/// The OS interface behind a reactor.
enum Backend {
    Polling(Poller),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll(Epoll),
}

/// The events of one wait, in the form of the backend that filled them.
enum EventBuf {
    Polling(Events),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll(EpollEvents),
}

struct Dispatch {
    events: EventBuf,
    wakers: Vec<Waker>,
}

impl Backend {
    fn new(kind: ReactorKind) -> io::Result<(Backend, EventBuf)> {
        match kind {
            ReactorKind::Polling => {
                let poller = Poller::new()?;
                if !poller.supports_edge() {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "ferrio-reactor needs an edge-triggered poller (epoll or kqueue)",
                    ));
                }
                Ok((Backend::Polling(poller), EventBuf::Polling(Events::new())))
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            ReactorKind::Epoll => Ok((
                Backend::Epoll(Epoll::new()?),
                EventBuf::Epoll(EpollEvents::new()),
            )),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            ReactorKind::Epoll => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the epoll reactor exists on Linux and Android only; use ReactorKind::Polling",
            )),
        }
    }

    fn kind(&self) -> ReactorKind {
        match self {
            Backend::Polling(_) => ReactorKind::Polling,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(_) => ReactorKind::Epoll,
        }
    }

    /// Adds `fd` under `key` for both directions, edge-triggered.
    ///
    /// # Safety
    ///
    /// `fd` must stay open until [`delete`](Self::delete) removed it.
    unsafe fn add(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<()> {
        match self {
            // SAFETY: the caller keeps `fd` open until it is deleted.
            Backend::Polling(poller) => unsafe {
                poller.add_with_mode(fd.as_raw_fd(), Event::all(key), PollMode::Edge)
            },
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => epoll.add(fd, key),
        }
    }

    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        match self {
            Backend::Polling(poller) => poller.delete(fd),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => epoll.delete(fd),
        }
    }

    fn wait(&self, events: &mut EventBuf, timeout: Option<Duration>) -> io::Result<()> {
        match (self, events) {
            (Backend::Polling(poller), EventBuf::Polling(events)) => {
                events.clear();
                poller.wait(events, timeout).map(drop)
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (Backend::Epoll(epoll), EventBuf::Epoll(events)) => epoll.wait(events, timeout),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            _ => unreachable!("a reactor's event buffer matches its backend"),
        }
    }

    fn notify(&self) -> io::Result<()> {
        match self {
            Backend::Polling(poller) => poller.notify(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => epoll.notify(),
        }
    }
}

impl EventBuf {
    /// Calls `f` with the key and readiness bits of each source event.
    #[inline(always)]
    fn for_each(&self, mut f: impl FnMut(usize, usize)) {
        match self {
            EventBuf::Polling(events) => {
                for event in events.iter() {
                    let mut dirs = 0;
                    if event.readable {
                        dirs |= READABLE;
                    }
                    if event.writable {
                        dirs |= WRITABLE;
                    }
                    f(event.key, dirs);
                }
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            EventBuf::Epoll(events) => {
                for (key, dirs) in events.iter() {
                    f(key, dirs);
                }
            }
        }
    }
}

impl Reactor {
    /// Creates a reactor of the platform's default [`ReactorKind`].
    ///
    /// Also makes sure `SIGPIPE` cannot kill the process: writing to a closed socket
    /// or pipe must be an `io::Error`, never a death.
    ///
    /// # Errors
    ///
    /// When the OS poller cannot be created (for example, out of descriptors).
    pub fn new() -> io::Result<Arc<Reactor>> {
        Self::with_kind(ReactorKind::default())
    }

    /// Creates a reactor over the given OS interface.
    ///
    /// # Errors
    ///
    /// When the OS poller cannot be created, or `kind` does not exist on this
    /// platform (`Unsupported`).
    pub fn with_kind(kind: ReactorKind) -> io::Result<Arc<Reactor>> {
        crate::sys::ignore_sigpipe();
        let (backend, events) = Backend::new(kind)?;
        Ok(Arc::new_cyclic(|me| Reactor {
            backend,
            sources: Mutex::new(Slab::new()),
            registered: AtomicUsize::new(0),
            signal_pipe: OnceLock::new(),
            dispatch: Mutex::new(Dispatch {
                events,
                wakers: Vec::new(),
            }),
            park_state: ParkState::new(),
            shut_down: AtomicBool::new(false),
            me: me.clone(),
        }))
    }

    /// Which OS interface this reactor waits on.
    pub fn kind(&self) -> ReactorKind {
        self.backend.kind()
    }

    /// Whether the backend reports a closed read side ([`READ_CLOSED`]), which
    /// makes a short read of a byte stream proof that it is drained.
    ///
    /// [`READ_CLOSED`]: crate::source::READ_CLOSED
    pub(crate) fn reports_read_closed(&self) -> bool {
        self.kind() == ReactorKind::Epoll
    }

    /// The reactor of the runtime running on this thread, if that runtime was built
    /// with a reactor as its driver.
    pub fn current() -> Option<Arc<Reactor>> {
        Self::with_current(|r| r.and_then(|r| r.me.upgrade()))
    }

    /// Runs `f` with the reactor of the runtime running on this thread, if any.
    fn with_current<R>(f: impl FnOnce(Option<&Reactor>) -> R) -> R {
        driver::with_current(|d| f(d.and_then(|d| d.as_any().downcast_ref::<Reactor>())))
    }

    /// Whether this is the reactor of the runtime running on this thread: a
    /// pointer comparison, cheaper than [`Reactor::current`]'s upgrade. A thread
    /// that only entered the runtime (`Handle::enter`) does not count: nobody may
    /// be driving the reactor then, and what waits on it would wait for ever.
    pub(crate) fn is_current(&self) -> bool {
        ferrio_core::in_runtime()
            && Self::with_current(|r| r.is_some_and(|r| std::ptr::eq(r, self)))
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

    /// Registers `fd` for both directions, edge-triggered. On a reactor that has
    /// shut down the source comes back closed, so waiting on it fails at once
    /// instead of hanging.
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Source>> {
        let raw = fd.as_raw_fd();
        // Counted before the add: an event of this source is never left in the
        // poller by a non-blocking park that read the count as zero after it.
        self.registered.fetch_add(1, Ordering::AcqRel);
        let source = {
            let mut sources = self.lock_sources();
            let entry = sources.vacant_entry();
            let source = Arc::new(Source::new(entry.key(), raw));
            entry.insert(source.clone());
            source
        };
        // SAFETY: the caller (`Async`) keeps the descriptor open until it calls
        // `deregister`, which removes it from the poller before the descriptor closes.
        let added = unsafe { self.backend.add(fd, source.key) };
        if let Err(e) = added {
            self.lock_sources().remove(source.key);
            self.registered.fetch_sub(1, Ordering::AcqRel);
            return Err(e);
        }
        if self.is_shut_down() {
            source.close(&mut Vec::new());
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
        let _ = self.backend.delete(fd);
        let mut sources = self.lock_sources();
        if sources
            .get(source.key)
            .is_some_and(|s| std::ptr::eq(&**s, source))
        {
            sources.remove(source.key);
            self.registered.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Whether a non-blocking poll could find an event: some source other than the
    /// signal pipe is registered, or the pipe is and a signal arrived since it was
    /// last read. `ferrio::run` registers the pipe for its Ctrl-C listener; without
    /// this, every yield-only or spawn-only program would pay a poller call every
    /// few dozen tasks for a pipe that is almost always empty. The pipe is counted
    /// once [`Reactor::signal_pipe`] is set, which is after it was registered: the
    /// count never exceeds the pipe's share of `registered`, so another source's
    /// poll is never skipped for it; in the moment between the two, one poll is made
    /// that was not needed.
    #[inline]
    fn may_have_events(&self) -> bool {
        let registered = self.registered.load(Ordering::Acquire);
        let pipes = usize::from(self.signal_pipe.get().is_some());
        registered != 0 && (registered != pipes || crate::signal::arrived())
    }

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, Slab<Arc<Source>>> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits on the poller (unless an unpark is pending) and wakes the tasks of the
    /// sources that became ready.
    fn wait_and_dispatch(&self, dispatch: &mut Dispatch, timeout: Option<Duration>) {
        let Dispatch { events, wakers } = dispatch;
        let blocking = timeout != Some(Duration::ZERO);
        let Some(waited) = self
            .park_state
            .park(blocking, || self.backend.wait(events, timeout))
        else {
            return;
        };
        if let Err(e) = waited {
            // Both backends return EINTR as an empty wait; anything else means the
            // poller is broken.
            panic!("ferrio reactor: waiting on the OS poller failed: {e}");
        }
        {
            let sources = self.lock_sources();
            // Inlined into each backend's loop: it runs once per event.
            events.for_each(
                #[inline(always)]
                |key, dirs| {
                    if let Some(source) = sources.get(key) {
                        source.set_ready(dirs, wakers);
                    }
                },
            );
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
        // The loops poll without blocking every few dozen tasks so that I/O is not
        // starved; with no source registered that poll can find no event, so it
        // skips the syscall. It still consumes a pending unpark, as the poll would:
        // left pending, it makes the next blocking park return at once, and on the
        // multi-thread executor every spawn's unpark then costs an idle worker a
        // useless round of its loop (chained_spawn on 2 workers ran 2.9 -> 3.5 ms).
        // Blocking parks always wait on the poller: unparks arrive through it.
        if timeout == Some(Duration::ZERO) && !self.may_have_events() {
            self.park_state.park(false, || ());
            return;
        }
        // The contract allows one parker at a time; a second one just returns.
        let Ok(mut dispatch) = self.dispatch.try_lock() else {
            return;
        };
        self.wait_and_dispatch(&mut dispatch, timeout);
    }

    fn unpark(&self) {
        if self.park_state.unpark() {
            // Only fails if the notifier is gone, i.e. the poller is being dropped.
            let _ = self.backend.notify();
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
            .field("kind", &self.kind())
            .field("sources", &self.source_count())
            .finish_non_exhaustive()
    }
}

impl AsRawFd for Reactor {
    fn as_raw_fd(&self) -> RawFd {
        match &self.backend {
            Backend::Polling(poller) => poller.as_raw_fd(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => std::os::fd::AsFd::as_fd(epoll).as_raw_fd(),
        }
    }
}
