//! Unix signals as futures and streams: [`ctrl_c`] and [`Signals`].
//!
//! # How a signal travels
//!
//! Signal handlers are process-wide by nature. The first subscription to a signal
//! installs a handler that only does async-signal-safe work: it sets the signal's
//! pending flag and writes one byte to a process-wide non-blocking pipe. Whoever
//! reads that pipe hands each pending signal to every live subscription, waking its
//! task on whatever runtime or executor it runs, so no subscriber can miss a signal
//! because another one read the pipe first. Two kinds of reader exist:
//!
//! - A subscription made with [`Signals::with_reactor`] reads the pipe itself when
//!   it is polled on a thread that drives that reactor, which wakes it when the
//!   pipe turns readable. This is how a runtime listens for its own Ctrl-C without
//!   a thread of its own: an extra thread would make a single-threaded program
//!   multi-threaded, and the allocator then locks on every allocation.
//! - Any other subscription (and one of the first kind polled elsewhere, or after
//!   its reactor shut down) relies on one helper thread, `ferrio-signal`, started at
//!   the first such need, which blocks on the pipe. So a subscription works under
//!   any executor, and several runtimes in one process each get their signals.
//!
//! Like the kernel, a subscription coalesces repeats of one signal that arrive
//! before it is polled. A handler that was installed before ours (a function, not
//! the default action or "ignore") still runs on every signal.
//!
//! # When nobody listens
//!
//! When the last subscription to a signal is dropped, the signal's previous
//! disposition is restored, as asyncio's `remove_signal_handler` does: once
//! `ferrio::run` or a [`ctrl_c`] future is gone, Ctrl-C kills the program again.
//! The next subscription installs the handler anew. A signal that arrives while the
//! disposition switches either reaches a subscription or gets the previous
//! disposition's treatment (for `SIGINT`, the process dies by it); it is never
//! swallowed while a subscription exists.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use libc::{c_int, c_void, siginfo_t};
use slab::Slab;

use crate::source::READABLE;
use crate::{Async, Reactor};

/// Signals numbers this module can track (covers real-time signals on Linux).
const MAX_SIGNAL: usize = 128;

/// Signals a process cannot (or must not) catch.
const FORBIDDEN: [c_int; 5] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
];

// What the signal handler reads: plain atomics, since it may take no lock.

/// The pipe's write end, or -1 before the globals exist.
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Per signal: a signal arrived and is not yet handed to the subscriptions.
static PENDING: [AtomicBool; MAX_SIGNAL] = [const { AtomicBool::new(false) }; MAX_SIGNAL];
/// Raised by the handler after it wrote to the pipe, lowered by a reader before it
/// empties the pipe: while it is down, a reactor whose only source is the pipe
/// skips its non-blocking polls. In that order, a byte is never left in the pipe
/// with the flag down; at worst the flag stays up over an empty pipe (a reader
/// emptied it between the handler's write and raise), which costs polls, not a
/// signal.
static ARRIVED: AtomicBool = AtomicBool::new(false);
/// Per signal: how many live subscriptions want it.
static LISTENERS: [AtomicUsize; MAX_SIGNAL] = [const { AtomicUsize::new(0) }; MAX_SIGNAL];
/// Per signal: the handler function that was installed before ours (0 for the
/// default action, 1 for "ignore", as `sa_sigaction` spells them).
static PREVIOUS_HANDLER: [AtomicUsize; MAX_SIGNAL] = [const { AtomicUsize::new(0) }; MAX_SIGNAL];
/// Per signal: whether that previous handler takes `SA_SIGINFO` arguments.
static PREVIOUS_SIGINFO: [AtomicBool; MAX_SIGNAL] = [const { AtomicBool::new(false) }; MAX_SIGNAL];

/// Process-wide state of the pipe and the subscriptions.
struct Globals {
    /// The pipe's read end, non-blocking: the helper thread and every reactor that
    /// reads it for a subscription ([`Pump`]) share it.
    read_fd: OwnedFd,
    /// Owns the pipe's write end that [`WRITE_FD`] names, for the process lifetime.
    _write_fd: OwnedFd,
    /// Per signal: the disposition ours replaced, while ours is installed.
    /// Installing and restoring happen under this lock, never concurrently.
    replaced: Mutex<[Option<libc::sigaction>; MAX_SIGNAL]>,
    /// The live subscriptions. Each [`Signals`] removes its own entry when dropped,
    /// so the table holds exactly the live ones and a freed slot is reused: a
    /// program that subscribes and drops in a loop (each `ferrio::run` does) keeps
    /// the table at the size of its largest number of simultaneous subscriptions.
    subscribers: Mutex<Slab<Arc<Subscriber>>>,
}

#[derive(Default)]
struct Subscriber {
    state: Mutex<SubscriberState>,
}

#[derive(Default)]
struct SubscriberState {
    wanted: Vec<i32>,
    queue: VecDeque<i32>,
    waker: Option<Waker>,
}

static GLOBALS: OnceLock<Globals> = OnceLock::new();

/// The pipe and the tables, created at the first subscription. Starts no thread.
fn globals() -> io::Result<&'static Globals> {
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let _init = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let (read_fd, write_fd) = pipe()?;
    WRITE_FD.store(write_fd.as_raw_fd(), Ordering::Release);
    Ok(GLOBALS.get_or_init(|| Globals {
        read_fd,
        _write_fd: write_fd,
        replaced: Mutex::new([None; MAX_SIGNAL]),
        subscribers: Mutex::new(Slab::new()),
    }))
}

/// Set once the helper thread runs; it then reads the pipe for the process lifetime.
static HELPER_STARTED: AtomicBool = AtomicBool::new(false);

/// Starts the `ferrio-signal` helper thread unless it already runs.
fn start_helper(g: &'static Globals) -> io::Result<()> {
    static START: Mutex<()> = Mutex::new(());
    if HELPER_STARTED.load(Ordering::Acquire) {
        return Ok(());
    }
    let _start = START.lock().unwrap_or_else(|e| e.into_inner());
    if HELPER_STARTED.load(Ordering::Acquire) {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("ferrio-signal".into())
        .spawn(move || dispatch_loop(g))?;
    HELPER_STARTED.store(true, Ordering::Release);
    Ok(())
}

/// A close-on-exec pipe that never blocks: the handler must not, and the readers
/// share the read end, so whoever comes second must find it empty, not wait.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid two-element out buffer.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe() returned two fresh descriptors that nothing else owns.
    let (read_fd, write_fd) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    for fd in [&read_fd, &write_fd] {
        // SAFETY: F_SETFD on a descriptor we own.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        crate::sys::set_nonblocking(fd.as_fd())?;
    }
    Ok((read_fd, write_fd))
}

/// The helper thread: waits for handler bytes and delivers pending signals.
fn dispatch_loop(g: &'static Globals) {
    loop {
        let mut wait = libc::pollfd {
            fd: g.read_fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for a descriptor that lives as long as the process.
        let n = unsafe { libc::poll(&mut wait, 1, -1) };
        if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
        // Another reader may have drained the pipe first; then it delivers.
        if read_pipe(g.read_fd.as_fd()) > 0 {
            deliver(g);
        }
    }
}

/// Whether a signal may have been written to the pipe since a reader last emptied
/// it (see [`ARRIVED`]).
#[inline]
pub(crate) fn arrived() -> bool {
    ARRIVED.load(Ordering::Acquire)
}

/// Empties the pipe without waiting; returns how many bytes it read.
fn read_pipe(fd: BorrowedFd<'_>) -> usize {
    // Lowered first: a signal written during the reads raises it again after.
    ARRIVED.store(false, Ordering::SeqCst);
    let mut buf = [0u8; 64];
    let mut total = 0;
    loop {
        // SAFETY: reading into a valid buffer from a descriptor the caller holds.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            n if n > 0 => total += n as usize,
            // -1 with EINTR: try again; EAGAIN (empty) or anything else: done.
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return total,
        }
    }
}

fn deliver(g: &Globals) {
    let mut wakers = Vec::new();
    for (signal, pending) in PENDING.iter().enumerate() {
        if !pending.load(Ordering::Relaxed) || !pending.swap(false, Ordering::AcqRel) {
            continue;
        }
        let signal = signal as i32;
        let subscribers = g.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        for (_, sub) in subscribers.iter() {
            let mut state = sub.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.wanted.contains(&signal) && !state.queue.contains(&signal) {
                state.queue.push_back(signal);
                wakers.extend(state.waker.take());
            }
        }
    }
    for waker in wakers {
        waker.wake();
    }
}

/// A subscription's own reader of the pipe, registered with one reactor.
struct Pump {
    /// A duplicate of the pipe's read end: one reactor may hold several pumps, and
    /// a poller takes each descriptor once.
    pipe: Async<OwnedFd>,
}

impl Pump {
    fn new(g: &Globals, reactor: &Arc<Reactor>) -> io::Result<Pump> {
        let pipe = g.read_fd.try_clone()?;
        // The duplicate shares the original's non-blocking file description.
        let pipe = Async::with_reactor_nonblocking(pipe, reactor)?;
        // Counted once registered (see `Reactor::signal_pipes`).
        reactor.signal_pipes.fetch_add(1, Ordering::AcqRel);
        Ok(Pump { pipe })
    }

    /// Reads the pipe and delivers what it announced, and asks the reactor to wake
    /// `cx` at the next byte. False when this poll cannot serve the subscription:
    /// this thread does not drive the pump's reactor, or that reactor shut down.
    fn poll(&self, g: &Globals, cx: &mut Context<'_>) -> bool {
        if !self.pipe.reactor().is_current() {
            return false;
        }
        let mut read = 0;
        let serving = loop {
            match self
                .pipe
                .poll_op(READABLE, cx, &mut |fd| match read_pipe(fd.as_fd()) {
                    0 => Err(io::ErrorKind::WouldBlock.into()),
                    n => Ok(n),
                }) {
                Poll::Ready(Ok(n)) => read += n,
                Poll::Ready(Err(_)) => break false,
                Poll::Pending => break true,
            }
        };
        if read > 0 {
            deliver(g);
        }
        serving
    }
}

impl Drop for Pump {
    fn drop(&mut self) {
        // Uncounted before `pipe` deregisters itself (see `Reactor::signal_pipes`).
        self.pipe
            .reactor()
            .signal_pipes
            .fetch_sub(1, Ordering::AcqRel);
    }
}

/// The index of `signal` in the per-signal tables, or why it cannot be handled.
fn signal_index(signal: i32) -> io::Result<usize> {
    let index = usize::try_from(signal)
        .ok()
        .filter(|&i| i > 0 && i < MAX_SIGNAL)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{signal} is not a signal number"),
            )
        })?;
    if FORBIDDEN.contains(&signal) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signal} cannot be handled"),
        ));
    }
    Ok(index)
}

/// The installed handler: hands the signal to the subscriptions, or, when there
/// are none, treats it as the disposition ours replaced would have.
extern "C" fn on_signal(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    let Some(index) = usize::try_from(signal).ok().filter(|&i| i < MAX_SIGNAL) else {
        return;
    };
    let errno = Errno::save();
    if LISTENERS[index].load(Ordering::SeqCst) > 0 {
        PENDING[index].store(true, Ordering::Release);
        let byte = index as u8;
        // SAFETY: write(2) is async-signal-safe; the pipe's write end lives for the
        // whole process (the globals are never dropped). A full pipe only means a
        // wake-up is already queued, so the result is ignored.
        unsafe {
            libc::write(
                WRITE_FD.load(Ordering::Acquire),
                (&byte as *const u8).cast(),
                1,
            )
        };
        ARRIVED.store(true, Ordering::SeqCst);
    } else if PREVIOUS_HANDLER[index].load(Ordering::Acquire) == libc::SIG_DFL {
        default_action(signal);
    }
    let previous = PREVIOUS_HANDLER[index].load(Ordering::Acquire);
    if previous != libc::SIG_DFL && previous != libc::SIG_IGN {
        if PREVIOUS_SIGINFO[index].load(Ordering::Acquire) {
            // SAFETY: `previous` is the `sa_sigaction` of a handler installed with
            // SA_SIGINFO, so it has this signature; we pass on our own arguments.
            let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) =
                unsafe { std::mem::transmute(previous) };
            handler(signal, info, context);
        } else {
            // SAFETY: `previous` is the `sa_handler` of a handler installed without
            // SA_SIGINFO, so it takes the signal number only.
            let handler: extern "C" fn(c_int) = unsafe { std::mem::transmute(previous) };
            handler(signal);
        }
    }
    errno.restore();
}

/// Takes the default action of `signal` from inside its handler, with no lock.
fn default_action(signal: c_int) {
    match signal {
        libc::SIGCHLD | libc::SIGURG | libc::SIGWINCH | libc::SIGCONT => {}
        libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => {
            // SAFETY: raise(3) is async-signal-safe; SIGSTOP stops the process as
            // these signals' default action would, without touching dispositions.
            unsafe { libc::raise(libc::SIGSTOP) };
        }
        _ => {
            // The process must die *by this signal*: put the default action back and
            // raise it again. The signal stays blocked until this handler returns,
            // and is then taken with the disposition of that moment: the default
            // (death), or ours if a subscription re-installed it meanwhile, which
            // then hands it to that subscription. Either way nothing is lost.
            // SAFETY: a zeroed sigaction with SIG_DFL is a valid disposition;
            // sigaction(2) and raise(3) are async-signal-safe.
            unsafe {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &default, std::ptr::null_mut());
                libc::raise(signal);
            }
        }
    }
}

/// Adds one subscription to `signal`; the first installs the handler.
///
/// The count goes up before the handler is installed, so a signal caught by the
/// new handler always finds a listener; one that arrives before the install gets
/// the previous disposition.
fn subscribe(g: &Globals, signal: i32) -> io::Result<()> {
    let index = signal_index(signal)?;
    let mut replaced = g.replaced.lock().unwrap_or_else(|e| e.into_inner());
    LISTENERS[index].fetch_add(1, Ordering::SeqCst);
    if replaced[index].is_some() {
        return Ok(());
    }
    match install(signal, index) {
        Ok(previous) => {
            replaced[index] = Some(previous);
            Ok(())
        }
        Err(error) => {
            LISTENERS[index].fetch_sub(1, Ordering::SeqCst);
            Err(error)
        }
    }
}

/// Installs [`on_signal`] for `signal`; returns the disposition it replaced.
fn install(signal: i32, index: usize) -> io::Result<libc::sigaction> {
    // SAFETY: a zeroed sigaction is a valid out buffer; a null new action only
    // queries.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: valid signal number and out pointer.
    if unsafe { libc::sigaction(signal, std::ptr::null(), &mut previous) } != 0 {
        return Err(cannot_handle(signal, io::Error::last_os_error()));
    }
    // The handler reads these when it chains or falls back; they must be in place
    // before it can run.
    PREVIOUS_HANDLER[index].store(previous.sa_sigaction, Ordering::Release);
    PREVIOUS_SIGINFO[index].store(previous.sa_flags & libc::SA_SIGINFO != 0, Ordering::Release);

    // SAFETY: a zeroed sigaction is valid; the fields are filled below.
    let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
    ours.sa_sigaction = on_signal as *const () as usize;
    ours.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
    // SAFETY: `sa_mask` is a valid sigset to initialise; the handler only does
    // async-signal-safe work on 'static data (see `on_signal`).
    if unsafe {
        libc::sigemptyset(&mut ours.sa_mask);
        libc::sigaction(signal, &ours, std::ptr::null_mut())
    } != 0
    {
        return Err(cannot_handle(signal, io::Error::last_os_error()));
    }
    Ok(previous)
}

fn cannot_handle(signal: i32, error: io::Error) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("cannot handle signal {signal}: {error}"),
    )
}

/// Removes one subscription to `signal`; the last puts the replaced disposition
/// back, unless someone else installed a handler over ours meanwhile (theirs stays,
/// and ours, which they may chain to, keeps falling back to the replaced one).
fn unsubscribe(g: &Globals, signal: i32) {
    let Ok(index) = signal_index(signal) else {
        return;
    };
    let mut replaced = g.replaced.lock().unwrap_or_else(|e| e.into_inner());
    if LISTENERS[index].fetch_sub(1, Ordering::SeqCst) != 1 {
        return;
    }
    let Some(previous) = replaced[index] else {
        return;
    };
    // SAFETY: a zeroed sigaction is a valid out buffer.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: valid signal number and out pointer; a null new action only queries.
    let queried = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    if queried != 0 || current.sa_sigaction != on_signal as *const () as usize {
        return;
    }
    // A signal between the count reaching zero and this call meets our handler,
    // which falls back to `previous` itself.
    // SAFETY: `previous` is the disposition sigaction(2) reported for this signal.
    if unsafe { libc::sigaction(signal, &previous, std::ptr::null_mut()) } == 0 {
        replaced[index] = None;
    }
}

/// The thread's `errno`, kept across the handler so the interrupted code does not
/// see the handler's write(2) result.
struct Errno(c_int);

impl Errno {
    fn save() -> Errno {
        // SAFETY: the errno location is valid for the current thread.
        Errno(unsafe { *errno_location() })
    }

    fn restore(self) {
        // SAFETY: as in `save`.
        unsafe { *errno_location() = self.0 };
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "emscripten"))]
fn errno_location() -> *mut c_int {
    // SAFETY: returns the calling thread's errno address; no preconditions.
    unsafe { libc::__errno_location() }
}

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
fn errno_location() -> *mut c_int {
    // SAFETY: returns the calling thread's errno address; no preconditions.
    unsafe { libc::__error() }
}

#[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
fn errno_location() -> *mut c_int {
    // SAFETY: returns the calling thread's errno address; no preconditions.
    unsafe { libc::__errno() }
}

/// Whether `signal` is ignored (`SIG_IGN`) by the process, ferrio's own handler
/// aside: while ferrio listens for the signal, this reports the disposition it
/// replaced and will restore.
///
/// A process started by `nohup`, or as a background job of a non-interactive
/// shell, starts with `SIGINT` and `SIGQUIT` ignored. `ferrio::run` checks this
/// for `SIGINT`, as `asyncio.run` does, and then leaves Ctrl-C alone.
///
/// # Errors
///
/// `InvalidInput` for a number that is not a signal, or one that cannot be
/// handled; the OS's error when the disposition cannot be read.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::signal::is_ignored;
///
/// // SAFETY: no handler of this process relies on SIGUSR2's disposition.
/// unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
/// assert!(is_ignored(libc::SIGUSR2)?);
/// // SAFETY: as above.
/// unsafe { libc::signal(libc::SIGUSR2, libc::SIG_DFL) };
/// assert!(!is_ignored(libc::SIGUSR2)?);
/// # std::io::Result::Ok(())
/// ```
pub fn is_ignored(signal: i32) -> io::Result<bool> {
    let index = signal_index(signal)?;
    // Under the lock, so ours cannot be installed or removed while we look.
    let replaced = GLOBALS
        .get()
        .map(|g| g.replaced.lock().unwrap_or_else(|e| e.into_inner()));
    if let Some(previous) = replaced.as_ref().and_then(|replaced| replaced[index]) {
        return Ok(previous.sa_sigaction == libc::SIG_IGN);
    }
    // SAFETY: a zeroed sigaction is a valid out buffer.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: valid signal number and out pointer; a null new action only queries.
    if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0 {
        return Err(cannot_handle(signal, io::Error::last_os_error()));
    }
    Ok(current.sa_sigaction == libc::SIG_IGN)
}

/// A stream of the Unix signals it was created for, in the order they arrive.
///
/// Repeats of one signal that arrive before the stream is polled are coalesced, as
/// the kernel does. The stream never ends.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::signal::Signals;
/// use futures_lite::StreamExt;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let mut signals = Signals::new([libc::SIGUSR1])?;
/// // SAFETY: sending a signal to our own process.
/// unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
/// assert_eq!(signals.next().await, Some(libc::SIGUSR1));
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Signals {
    subscriber: Arc<Subscriber>,
    /// This subscription's entry in [`Globals::subscribers`], removed on drop.
    key: usize,
    /// The reactor's reader of the pipe, for a subscription made with
    /// [`Signals::with_reactor`]; `None` when the helper thread serves it.
    pump: Option<Pump>,
}

impl Signals {
    /// Subscribes to `signals` (e.g. `libc::SIGINT`, `libc::SIGTERM`).
    ///
    /// The subscription may be polled by any executor on any thread: the
    /// `ferrio-signal` helper thread reads the signals for it.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal, or one that cannot be
    /// handled (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGILL`, `SIGFPE`); the OS's
    /// error when the helper thread cannot be started.
    pub fn new(signals: impl IntoIterator<Item = i32>) -> io::Result<Signals> {
        let signals = Self::subscribe(signals, None)?;
        start_helper(globals()?)?;
        Ok(signals)
    }

    /// Subscribes to `signals` with `reactor` as their reader: polled on a thread
    /// that drives `reactor` (a task of its runtime), the subscription reads the
    /// signals itself and the reactor wakes it, so no helper thread is needed.
    /// This is how `ferrio::run` listens for Ctrl-C and a single-threaded program
    /// stays single-threaded.
    ///
    /// Polled anywhere else, or after `reactor` shut down, the subscription falls
    /// back to the helper thread of [`Signals::new`] and works as one made there.
    /// Awaited by blocking a thread that is meant to drive `reactor` (a nested
    /// `block_on` inside one of its tasks), it waits for that runtime to run again;
    /// use [`Signals::new`] for that.
    ///
    /// # Errors
    ///
    /// As [`Signals::new`], and the OS's error when the pipe cannot be registered
    /// with `reactor`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_reactor::signal::Signals;
    /// use ferrio_reactor::Reactor;
    ///
    /// # ferrio_reactor::new_runtime()?.block_on(async {
    /// let reactor = Reactor::current().expect("a runtime with a reactor");
    /// let mut signals = Signals::with_reactor([libc::SIGUSR1], &reactor)?;
    /// // SAFETY: sending a signal to our own process.
    /// unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
    /// assert_eq!(signals.recv().await, libc::SIGUSR1);
    /// # std::io::Result::Ok(()) })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_reactor(
        signals: impl IntoIterator<Item = i32>,
        reactor: &Arc<Reactor>,
    ) -> io::Result<Signals> {
        let pump = Pump::new(globals()?, reactor)?;
        Self::subscribe(signals, Some(pump))
    }

    fn subscribe(
        signals: impl IntoIterator<Item = i32>,
        pump: Option<Pump>,
    ) -> io::Result<Signals> {
        let mut wanted: Vec<i32> = signals.into_iter().collect();
        for &signal in &wanted {
            signal_index(signal)?;
        }
        wanted.sort_unstable();
        wanted.dedup();
        let g = globals()?;
        // Listed before the handler can count it, so every signal the handler
        // passes on finds this subscription.
        let subscriber = Arc::new(Subscriber::default());
        let key = g
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(Arc::clone(&subscriber));
        let signals = Signals {
            subscriber,
            key,
            pump,
        };
        for signal in wanted {
            // Wanted before it is counted, so a signal the new handler catches is
            // queued here; recorded one by one, so a failure part-way unsubscribes
            // (on drop) exactly what was subscribed.
            signals.state().wanted.push(signal);
            if let Err(error) = subscribe(g, signal) {
                signals.state().wanted.pop();
                return Err(error);
            }
        }
        Ok(signals)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SubscriberState> {
        self.subscriber
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> i32 {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next signal.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<i32> {
        if let (Some(pump), Some(g)) = (&self.pump, GLOBALS.get()) {
            if !pump.poll(g, cx) {
                // Not on its reactor's thread, or the reactor is gone: the helper
                // reads for it. Should the thread fail to start, the next poll
                // tries again; there is no error to return from a poll.
                let _ = start_helper(g);
            }
        }
        let mut state = self
            .subscriber
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match state.queue.pop_front() {
            Some(signal) => Poll::Ready(signal),
            None => {
                // A runtime polls its Ctrl-C listener at every turn of its main
                // task: keep the waker it already has.
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        let Some(g) = GLOBALS.get() else {
            return;
        };
        // A reactor reads the pipe only when its subscription is polled, so a
        // signal can still be in it as that subscription goes (a runner's main
        // future that ends in the poll a Ctrl-C came in). Handed out now, it
        // reaches the subscriptions of its time, this one included; left there,
        // the next subscription (the next `ferrio::run`) would take it for its own.
        if arrived() && read_pipe(g.read_fd.as_fd()) > 0 {
            deliver(g);
        }
        let wanted = std::mem::take(&mut self.state().wanted);
        for signal in wanted {
            unsubscribe(g, signal);
        }
        // Only this subscription knows its key, so the entry is still its own.
        let mut subscribers = g.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.try_remove(self.key);
        // A burst of simultaneous subscriptions does not pin its table for ever.
        if subscribers.is_empty() && subscribers.capacity() > 1024 {
            *subscribers = Slab::new();
        }
    }
}

impl Stream for Signals {
    type Item = i32;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<i32>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self
            .subscriber
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Signals")
            .field("signals", &state.wanted)
            .field("queued", &state.queue)
            .finish()
    }
}

/// Completes at the next Ctrl-C (`SIGINT`). The subscription starts when this
/// function is called, so a Ctrl-C between the call and the first poll counts.
///
/// This is what a runtime's `run` uses to turn Ctrl-C into the cancellation of its
/// main task, as `asyncio.run` does.
///
/// # Errors
///
/// When the handler cannot be installed.
///
/// # Examples
///
/// ```
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let ctrl_c = ferrio_reactor::signal::ctrl_c();
/// // SAFETY: sending a signal to our own process.
/// unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
/// ctrl_c.await?;
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub fn ctrl_c() -> impl std::future::Future<Output = io::Result<()>> + Send {
    let signals = Signals::new([libc::SIGINT]);
    async move {
        signals?.recv().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    /// Live entries and allocated slots of the subscriber table.
    fn table() -> (usize, usize) {
        let subscribers = globals()
            .unwrap()
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        (subscribers.len(), subscribers.capacity())
    }

    /// Resident memory of this process, in bytes.
    fn resident_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
        let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        // SAFETY: sysconf has no preconditions.
        pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
    }

    /// What each `ferrio::run` does with Ctrl-C, and a program that races each step
    /// against `ctrl_c()` and drops it unfired: neither may leave anything behind.
    #[test]
    #[cfg(target_os = "linux")]
    fn dropped_subscriptions_leave_nothing_behind() {
        let cycles = if cfg!(miri) {
            100
        } else if cfg!(debug_assertions) {
            200_000
        } else {
            1_000_000
        };
        let cycle = |i: usize| {
            if i.is_multiple_of(2) {
                drop(Signals::new([libc::SIGINT]).unwrap());
            } else {
                // Created (the subscription starts here), polled once, dropped unfired.
                let mut ctrl_c = std::pin::pin!(ctrl_c());
                let mut cx = Context::from_waker(Waker::noop());
                assert!(ctrl_c.as_mut().poll(&mut cx).is_pending());
            }
        };
        // Warm-up: the globals, the helper thread, the allocator's pools.
        for i in 0..1_000 {
            cycle(i);
        }
        let (live_before, slots_before) = table();
        let resident_before = resident_bytes();
        for i in 0..cycles {
            cycle(i);
        }
        let (live_after, slots_after) = table();
        let grown = resident_bytes().saturating_sub(resident_before);
        assert_eq!(live_before, 0, "a dropped subscription is still listed");
        assert_eq!(live_after, 0, "a dropped subscription is still listed");
        assert_eq!(slots_after, slots_before, "the subscriber table grew");
        assert!(
            grown < 1 << 20,
            "resident memory grew by {grown} bytes over {cycles} cycles"
        );
        eprintln!(
            "{cycles} subscribe/drop cycles: table {slots_after} slots, \
             resident memory +{grown} bytes"
        );
    }
}
