//! Unix signals as futures and streams: [`ctrl_c`] and [`Signals`].
//!
//! # How a signal travels
//!
//! Signal handlers are process-wide by nature. The first subscription to a signal
//! installs a handler (through `signal-hook-registry`, which chains with handlers
//! installed by others) that only does async-signal-safe work: it sets the signal's
//! pending flag and writes one byte to a process-wide non-blocking pipe. One helper
//! thread, `ferrio-signal`, blocks on that pipe and hands each pending signal to every
//! live subscription, waking its task on whatever runtime or executor it runs. So a
//! subscription works under any executor, several runtimes in one process each get
//! their signals, and no subscriber can miss a signal because another one read the
//! pipe first. Like the kernel, a subscription coalesces repeats of one signal that
//! arrive before it is polled.
//!
//! Once a handler is installed for a signal it stays installed: for `SIGINT`, that
//! means Ctrl-C no longer kills the process by default but is delivered to the
//! subscriptions (and dropped when there are none), as with tokio.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

/// Signals numbers this module can track (covers real-time signals on Linux).
const MAX_SIGNAL: usize = 128;

/// Process-wide state shared with the signal handlers and the helper thread.
struct Globals {
    write_fd: OwnedFd,
    pending: [AtomicBool; MAX_SIGNAL],
    installed: Mutex<[bool; MAX_SIGNAL]>,
    subscribers: Mutex<Vec<Weak<Subscriber>>>,
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

fn globals() -> io::Result<&'static Globals> {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let _init = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let (read_fd, write_fd) = pipe()?;
    std::thread::Builder::new()
        .name("ferrio-signal".into())
        .spawn(move || dispatch_loop(read_fd))?;
    Ok(GLOBALS.get_or_init(|| Globals {
        write_fd,
        pending: [const { AtomicBool::new(false) }; MAX_SIGNAL],
        installed: Mutex::new([false; MAX_SIGNAL]),
        subscribers: Mutex::new(Vec::new()),
    }))
}

/// A close-on-exec pipe whose write end never blocks (the handler must not).
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
    }
    crate::sys::set_nonblocking(std::os::fd::AsFd::as_fd(&write_fd))?;
    Ok((read_fd, write_fd))
}

/// The helper thread: waits for handler bytes and delivers pending signals.
fn dispatch_loop(read_fd: OwnedFd) {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reading into a valid buffer from a descriptor this thread owns.
        let n = unsafe { libc::read(read_fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return;
        }
        if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
        let Some(g) = GLOBALS_READY.get() else {
            continue;
        };
        deliver(g);
    }
}

/// Set once the globals exist, for the helper thread (which starts before).
static GLOBALS_READY: OnceLock<&'static Globals> = OnceLock::new();

fn deliver(g: &Globals) {
    let mut wakers = Vec::new();
    for (signal, pending) in g.pending.iter().enumerate() {
        if !pending.swap(false, Ordering::AcqRel) {
            continue;
        }
        let signal = signal as i32;
        let mut subscribers = g.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|weak| {
            let Some(sub) = weak.upgrade() else {
                return false;
            };
            let mut state = sub.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.wanted.contains(&signal) && !state.queue.contains(&signal) {
                state.queue.push_back(signal);
                wakers.extend(state.waker.take());
            }
            true
        });
    }
    for waker in wakers {
        waker.wake();
    }
}

/// Installs the handler for `signal` once.
fn install(g: &'static Globals, signal: i32) -> io::Result<()> {
    let index = usize::try_from(signal)
        .ok()
        .filter(|&i| i > 0 && i < MAX_SIGNAL)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{signal} is not a signal number"),
            )
        })?;
    if signal_hook_registry::FORBIDDEN.contains(&signal) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signal} cannot be handled"),
        ));
    }
    let mut installed = g.installed.lock().unwrap_or_else(|e| e.into_inner());
    if installed[index] {
        return Ok(());
    }
    let write_fd = g.write_fd.as_raw_fd();
    let pending = &g.pending[index];
    let action = move || {
        pending.store(true, Ordering::Release);
        let byte = index as u8;
        // SAFETY: write(2) is async-signal-safe; the pipe's write end lives for the
        // whole process (the globals are never dropped). A full pipe only means a
        // wake-up is already queued, so the result is ignored.
        unsafe { libc::write(write_fd, (&byte as *const u8).cast(), 1) };
    };
    // SAFETY: the action only stores an atomic and calls write(2), both
    // async-signal-safe, and touches only 'static data.
    unsafe { signal_hook_registry::register(signal, action) }.map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot handle signal {signal}: {e}"),
        )
    })?;
    installed[index] = true;
    Ok(())
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
}

impl Signals {
    /// Subscribes to `signals` (e.g. `libc::SIGINT`, `libc::SIGTERM`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal, or one that cannot be
    /// handled (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGILL`, `SIGFPE`).
    pub fn new(signals: impl IntoIterator<Item = i32>) -> io::Result<Signals> {
        let g = globals()?;
        let _ = GLOBALS_READY.set(g);
        let wanted: Vec<i32> = signals.into_iter().collect();
        for &signal in &wanted {
            install(g, signal)?;
        }
        let subscriber = Arc::new(Subscriber {
            state: Mutex::new(SubscriberState {
                wanted,
                ..SubscriberState::default()
            }),
        });
        g.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&subscriber));
        Ok(Signals { subscriber })
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> i32 {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next signal.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<i32> {
        let mut state = self
            .subscriber
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match state.queue.pop_front() {
            Some(signal) => Poll::Ready(signal),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
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
