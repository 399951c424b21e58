//! The signal handler and the process's dispositions: what runs inside the handler
//! (async-signal-safe work on atomics only), and installing and restoring it as
//! subscriptions come and go.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};

use libc::{c_int, c_void, siginfo_t};

use super::Globals;

/// Signals numbers this module can track (covers real-time signals on Linux).
pub(super) const MAX_SIGNAL: usize = 128;

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
pub(super) static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Per signal: a signal arrived and is not yet handed to the subscriptions.
pub(super) static PENDING: [AtomicBool; MAX_SIGNAL] =
    [const { AtomicBool::new(false) }; MAX_SIGNAL];
/// Raised by the handler after it wrote to the pipe, lowered by a reader before it
/// empties the pipe: while it is down, a reactor whose only source is the pipe
/// skips its non-blocking polls. In that order, a byte is never left in the pipe
/// with the flag down; at worst the flag stays up over an empty pipe (a reader
/// emptied it between the handler's write and raise), which costs polls, not a
/// signal.
pub(super) static ARRIVED: AtomicBool = AtomicBool::new(false);
/// Per signal: how many live subscriptions want it.
static LISTENERS: [AtomicUsize; MAX_SIGNAL] = [const { AtomicUsize::new(0) }; MAX_SIGNAL];
/// Per signal: the handler function that was installed before ours (0 for the
/// default action, 1 for "ignore", as `sa_sigaction` spells them).
static PREVIOUS_HANDLER: [AtomicUsize; MAX_SIGNAL] = [const { AtomicUsize::new(0) }; MAX_SIGNAL];
/// Per signal: whether that previous handler takes `SA_SIGINFO` arguments.
static PREVIOUS_SIGINFO: [AtomicBool; MAX_SIGNAL] = [const { AtomicBool::new(false) }; MAX_SIGNAL];

/// The index of `signal` in the per-signal tables, or why it cannot be handled.
pub(super) fn signal_index(signal: i32) -> io::Result<usize> {
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
pub(super) fn subscribe(g: &Globals, signal: i32) -> io::Result<()> {
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

pub(super) fn cannot_handle(signal: i32, error: io::Error) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("cannot handle signal {signal}: {error}"),
    )
}

/// Removes one subscription to `signal`; the last puts the replaced disposition
/// back, unless someone else installed a handler over ours meanwhile (theirs stays,
/// and ours, which they may chain to, keeps falling back to the replaced one).
pub(super) fn unsubscribe(g: &Globals, signal: i32) {
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
