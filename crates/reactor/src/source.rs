//! One registered I/O source: its readiness bits and the wakers waiting on them.
//!
//! # Readiness state
//!
//! `state` packs two readiness bits (`READABLE`, `WRITABLE`), a sticky
//! `READ_CLOSED` bit and a tick counter in the bits above them. The reactor sets
//! bits and bumps the tick when the poller reports an event; an operation that hits
//! `WouldBlock` clears its bit, but only if the tick it saw before the operation is
//! still current. That tick check is what makes edge-triggered readiness safe: an
//! event that arrives while the operation runs bumps the tick, the clear is skipped,
//! and the next attempt sees the data.
//!
//! # Reads that drained the source
//!
//! A read that emptied the receive queue may end read readiness like a
//! `WouldBlock` would, saving that syscall ([`Source::clear_after_drained_read`]):
//! any later data raises a new edge. Which reads prove it: a short read of a pipe,
//! and a TCP read whose `TCP_INQ` report says no byte is left (see `Async`). The
//! one thing such a read cannot prove is that no end-of-stream is pending: a FIN
//! or hang-up that came with the data raises no further edge. So the epoll reactor
//! reports the peer's shutdown (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR`) as
//! `READ_CLOSED`, which never clears, and a draining read leaves readiness alone
//! once it is set: the next read then returns the end of the stream. A FIN that
//! arrives after the read raises its own edge, which bumps the tick and sets the
//! bits again.
//!
//! # Wake-up protocol
//!
//! A task that finds its bit clear registers its waker under `wakers`' lock and then
//! re-reads `state`. The reactor sets the bits first and takes the lock second, so
//! either the task sees the new bits or the reactor sees the waker: no lost wake-up.

use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicBool, AtomicUsize, Ordering};
use ferrio_core::spin_lock::{SpinGuard, SpinLock};

/// The readiness bit for reads.
pub(crate) const READABLE: usize = 0b01;
/// The readiness bit for writes.
pub(crate) const WRITABLE: usize = 0b10;
/// The peer shut down its write side (or the source hung up or failed): sticky, so
/// a draining read never ends read readiness afterwards. Only set by a reactor that
/// reports it (epoll with `EPOLLRDHUP`).
pub(crate) const READ_CLOSED: usize = 0b100;
const READY_MASK: usize = READABLE | WRITABLE;
const TICK: usize = 0b1000;
/// The bits of `state` that hold the tick.
const TICK_MASK: usize = !(TICK - 1);

/// A direction of interest: [`READABLE`] or [`WRITABLE`].
pub(crate) type Direction = usize;

/// A source registered with the reactor.
#[derive(Debug)]
pub(crate) struct Source {
    /// The key under which the poller reports this source.
    pub(crate) key: usize,
    /// The raw descriptor, kept for deregistration.
    pub(crate) raw: std::os::fd::RawFd,
    state: AtomicUsize,
    /// Set when the reactor shut down; waiting then fails instead of hanging.
    closed: AtomicBool,
    /// Held for a waker clone or for moving one or two wakers out, never while a
    /// waker is woken: short enough for a spin lock, whose release is a plain
    /// store (a futex mutex's costs a second read-modify-write, and std's checks
    /// the panic count twice per hold).
    wakers: SpinLock<Wakers>,
}

/// One waker slot per direction, plus an overflow list for the rare case of several
/// tasks waiting on the same direction of one source (clones of a socket).
#[derive(Debug)]
struct Wakers {
    read: Option<Waker>,
    write: Option<Waker>,
    read_more: Vec<Waker>,
    write_more: Vec<Waker>,
}

impl Wakers {
    fn register(&mut self, dir: Direction, waker: &Waker) {
        let (slot, more) = if dir == READABLE {
            (&mut self.read, &mut self.read_more)
        } else {
            (&mut self.write, &mut self.write_more)
        };
        match slot {
            None => *slot = Some(waker.clone()),
            Some(w) if w.will_wake(waker) => {}
            Some(_) => {
                if !more.iter().any(|w| w.will_wake(waker)) {
                    more.push(waker.clone());
                }
            }
        }
    }

    #[inline(always)]
    fn take(&mut self, dirs: usize, out: &mut Vec<Waker>) {
        if dirs & READABLE != 0 {
            out.extend(self.read.take());
            // The overflow lists are almost always empty: skip `append`'s reserve.
            if !self.read_more.is_empty() {
                out.append(&mut self.read_more);
            }
        }
        if dirs & WRITABLE != 0 {
            out.extend(self.write.take());
            if !self.write_more.is_empty() {
                out.append(&mut self.write_more);
            }
        }
    }
}

impl Source {
    /// A source that starts out as ready in both directions, so the first operation
    /// is tried at once (it clears the bit itself if it would block).
    pub(crate) fn new(key: usize, raw: std::os::fd::RawFd) -> Self {
        Source {
            key,
            raw,
            state: AtomicUsize::new(READY_MASK),
            closed: AtomicBool::new(false),
            wakers: SpinLock::new(Wakers {
                read: None,
                write: None,
                read_more: Vec::new(),
                write_more: Vec::new(),
            }),
        }
    }

    /// Ready with the state snapshot (for [`clear`](Self::clear)) when `dir` is
    /// ready; otherwise registers the waker and returns pending.
    ///
    /// Inlined: the ready case is one load and a test, and every I/O operation
    /// starts here; the registration is out of line, so an operation that finds its
    /// readiness set pays no call and no saved registers for it.
    #[inline(always)]
    pub(crate) fn poll_ready(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<usize>> {
        let state = self.state.load(Ordering::Acquire);
        if state & dir != 0 {
            return Poll::Ready(Ok(state));
        }
        self.poll_ready_slow(dir, cx)
    }

    /// [`poll_ready`](Self::poll_ready) once `dir` was seen clear: registers the
    /// waker, then looks at the state again (see "Wake-up protocol").
    #[inline(never)]
    fn poll_ready_slow(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<usize>> {
        if self.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(shut_down_error()));
        }
        self.lock().register(dir, cx.waker());
        let state = self.state.load(Ordering::Acquire);
        if state & dir != 0 {
            return Poll::Ready(Ok(state));
        }
        if self.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(shut_down_error()));
        }
        Poll::Pending
    }

    /// Clears `dir` unless an event arrived since `snapshot` was taken.
    pub(crate) fn clear(&self, dir: Direction, snapshot: usize) {
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                (current & TICK_MASK == snapshot & TICK_MASK).then_some(current & !dir)
            });
    }

    /// After a read that drained the source: clears read readiness unless an event
    /// arrived since `snapshot` or the read side is closed (see the module docs).
    /// Only sound with a reactor that reports [`READ_CLOSED`].
    pub(crate) fn clear_after_drained_read(&self, snapshot: usize) {
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                (current & TICK_MASK == snapshot & TICK_MASK && current & READ_CLOSED == 0)
                    .then_some(current & !READABLE)
            });
    }

    /// Marks `dirs` ready (with [`READ_CLOSED`] if given), bumps the tick and moves
    /// the matching wakers into `out`. Inlined into the reactor's event loop: it
    /// runs once per event.
    #[inline(always)]
    pub(crate) fn set_ready(&self, dirs: usize, out: &mut Vec<Waker>) {
        if dirs & READY_MASK == 0 {
            return;
        }
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                Some(current.wrapping_add(TICK) | dirs)
            });
        self.lock().take(dirs, out);
    }

    /// Wakes every task waiting to read, and forgets their wakers: for a source that
    /// outlives its readers (the signal pipe a reactor keeps), when one goes. Its
    /// waker would otherwise stay until the next event; the others poll again and
    /// register anew.
    pub(crate) fn wake_readers(&self) {
        // Taken without `take`'s vector: a runner does this at the end of each run.
        let (first, more) = {
            let mut wakers = self.lock();
            (wakers.read.take(), std::mem::take(&mut wakers.read_more))
        };
        first.into_iter().chain(more).for_each(Waker::wake);
    }

    /// Makes every later wait fail and moves all wakers into `out`.
    pub(crate) fn close(&self, out: &mut Vec<Waker>) {
        self.closed.store(true, Ordering::Release);
        self.lock().take(READY_MASK, out);
    }

    #[inline(always)]
    fn lock(&self) -> SpinGuard<'_, Wakers> {
        self.wakers.lock()
    }
}

fn shut_down_error() -> std::io::Error {
    std::io::Error::other("the ferrio runtime that owned this I/O object has shut down")
}
