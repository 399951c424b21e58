//! The readers of the signal pipe: the `ferrio-signal` helper thread, and a
//! subscription's own [`Pump`] on a reactor. Whoever reads, delivers to every
//! subscription.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::handler::{ARRIVED, PENDING};
use super::Globals;
use crate::source::{Source, READABLE};
use crate::Reactor;

/// Set once the helper thread runs; it then reads the pipe for the process lifetime.
static HELPER_STARTED: AtomicBool = AtomicBool::new(false);

/// Starts the `ferrio-signal` helper thread unless it already runs.
pub(super) fn start_helper(g: &'static Globals) -> io::Result<()> {
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
pub(super) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
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
            // On a valid descriptor only a shortage of kernel memory fails a poll.
            // This thread is the only reader some subscriptions have: it must not
            // go, so it tries again, without spinning.
            std::thread::sleep(std::time::Duration::from_millis(10));
            continue;
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
pub(super) fn read_pipe(fd: BorrowedFd<'_>) -> usize {
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

pub(super) fn deliver(g: &Globals) {
    let mut wakers = Vec::new();
    for (signal, pending) in PENDING.iter().enumerate() {
        // A load before the swap, so a delivery does not write all 128 flags. The
        // handler's store is seen: it precedes the pipe write whose read (or whose
        // wake-up) brought the caller here, and those system calls order them.
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

/// The signal pipe as one reactor reads it ([`Reactor::signal_pipe`]), registered
/// for that reactor's whole life: one registration serves every subscription read
/// there, and a runner's next `run` finds it in place.
pub(crate) struct SignalPipe {
    /// A duplicate of the pipe's read end (a poller takes each descriptor once,
    /// and the helper thread waits on the original); it shares the original's
    /// non-blocking file description.
    fd: OwnedFd,
    source: Arc<Source>,
}

/// A subscription's own reader of the pipe, through one reactor.
pub(super) struct Pump {
    reactor: Arc<Reactor>,
}

impl Pump {
    pub(super) fn new(g: &Globals, reactor: &Arc<Reactor>) -> io::Result<Pump> {
        if reactor.signal_pipe.get().is_none() {
            let fd = g.read_fd.try_clone()?;
            let source = reactor.register(fd.as_fd())?;
            let mut ours = Some(SignalPipe { fd, source });
            reactor
                .signal_pipe
                .get_or_init(|| ours.take().expect("initialised once"));
            // Another subscription registered the pipe first: keep that one. This
            // one is deregistered before its descriptor closes.
            if let Some(lost) = ours {
                reactor.deregister(&lost.source);
            }
        }
        Ok(Pump {
            reactor: Arc::clone(reactor),
        })
    }

    /// Reads the pipe and delivers what it announced, and asks the reactor to wake
    /// `cx` at the next byte. False when this poll cannot serve the subscription:
    /// this thread does not drive the pump's reactor, or that reactor shut down.
    pub(super) fn poll(&self, g: &Globals, cx: &mut Context<'_>) -> bool {
        if !self.reactor.is_current() {
            return false;
        }
        let Some(SignalPipe { fd, source }) = self.reactor.signal_pipe.get() else {
            return false;
        };
        let mut read = 0;
        let serving = loop {
            match source.poll_ready(READABLE, cx) {
                Poll::Pending => break true,
                Poll::Ready(Err(_)) => break false,
                Poll::Ready(Ok(snapshot)) => {
                    // `read_pipe` stops only at an empty pipe, so readiness ends
                    // here without the `EAGAIN` read another try would cost; a byte
                    // written meanwhile moved the tick, and then it is kept.
                    read += read_pipe(fd.as_fd());
                    source.clear(READABLE, snapshot);
                }
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
        // The registration stays with the reactor; this subscription's waker must
        // not (one per `run` would pile up until the next signal).
        if let Some(pipe) = self.reactor.signal_pipe.get() {
            pipe.source.wake_readers();
        }
    }
}
