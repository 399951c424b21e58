//! The Linux backend of the reactor: epoll through rustix, with `EPOLLRDHUP`.
//!
//! Each source is added once with `IN | OUT | RDHUP | ET` and never modified, so
//! waiting costs no `epoll_ctl`. A wait is one `epoll_pwait` with the executor's
//! timeout in milliseconds (rounded up, so a timer never fires early); an eventfd,
//! registered edge-triggered under a key no source uses, wakes a parked thread.
//! That makes the cost of a wait one syscall, against the notifier re-arming and
//! timerfd programming that `polling` adds to each of its waits.
//!
//! `EPOLLRDHUP` is what `polling` cannot register: it tells the reactor that the
//! peer shut down its write side, so a short read can be trusted to mean "drained"
//! (see [`crate::source`]).

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::event::epoll::{self, CreateFlags, Event, EventData, EventFlags};
use rustix::event::{eventfd, EventfdFlags, Timespec};

use crate::source::{READABLE, READ_CLOSED, WRITABLE};

/// The key of the eventfd's events; slab keys never come near it.
const NOTIFY_KEY: u64 = u64::MAX;

/// How many events one wait can return; more stay queued for the next wait.
const EVENTS_PER_WAIT: usize = 512;

/// The longest single wait; a longer timeout just returns early (a spurious
/// return, which the driver contract allows). It keeps the millisecond form of
/// the timeout within an `i32`, so rustix never needs `epoll_pwait2`.
const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// An epoll instance and the eventfd that interrupts its waits.
#[derive(Debug)]
pub(crate) struct Epoll {
    epoll: OwnedFd,
    notifier: OwnedFd,
}

/// The source events of one wait as `(key, readiness bits)`, reused from wait to
/// wait. (rustix's `Event` may hold a pointer, so it is not `Send`: the raw events
/// live on the waiting thread's stack and only their meaning is kept here.)
pub(crate) struct EpollEvents(Vec<(usize, usize)>);

impl EpollEvents {
    pub(crate) fn new() -> Self {
        EpollEvents(Vec::with_capacity(EVENTS_PER_WAIT))
    }

    /// Each source event as `(key, readiness bits)`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.0.iter().copied()
    }
}

/// The readiness bits an epoll event means. A hang-up or error ends both
/// directions (the next operation returns the error or EOF); a hang-up of the read
/// side also sets the sticky [`READ_CLOSED`].
fn readiness(flags: EventFlags) -> usize {
    let closed = EventFlags::RDHUP | EventFlags::HUP | EventFlags::ERR;
    let mut dirs = 0;
    if flags.intersects(EventFlags::IN | EventFlags::PRI | closed) {
        dirs |= READABLE;
    }
    if flags.intersects(EventFlags::OUT | EventFlags::HUP | EventFlags::ERR) {
        dirs |= WRITABLE;
    }
    if flags.intersects(closed) {
        dirs |= READ_CLOSED;
    }
    dirs
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        let epoll = epoll::create(CreateFlags::CLOEXEC)?;
        let notifier = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        epoll::add(
            &epoll,
            &notifier,
            EventData::new_u64(NOTIFY_KEY),
            EventFlags::IN | EventFlags::ET,
        )?;
        Ok(Epoll { epoll, notifier })
    }

    /// Adds `fd` under `key` for both directions and the read side's hang-up,
    /// edge-triggered.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<()> {
        let flags = EventFlags::IN | EventFlags::OUT | EventFlags::RDHUP | EventFlags::ET;
        epoll::add(&self.epoll, fd, EventData::new_u64(key as u64), flags)?;
        Ok(())
    }

    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        epoll::delete(&self.epoll, fd)?;
        Ok(())
    }

    /// Waits for events or `timeout`. An interrupted wait returns with no events.
    pub(crate) fn wait(
        &self,
        events: &mut EpollEvents,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        events.0.clear();
        let timeout = timeout.map(|t| {
            let t = t.min(MAX_WAIT);
            Timespec {
                tv_sec: t.as_secs() as _,
                tv_nsec: t.subsec_nanos() as _,
            }
        });
        let mut raw = [const { MaybeUninit::<Event>::uninit() }; EVENTS_PER_WAIT];
        let (ready, _) = match epoll::wait(&self.epoll, &mut raw[..], timeout.as_ref()) {
            Ok(filled) => filled,
            Err(rustix::io::Errno::INTR) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut notified = false;
        for event in ready.iter() {
            let key = event.data.u64();
            if key == NOTIFY_KEY {
                notified = true;
            } else {
                events.0.push((key as usize, readiness(event.flags)));
            }
        }
        if notified {
            // Reset the counter. Edge-triggered, the next write raises a new event
            // anyway; the read only keeps the counter from ever filling up.
            let mut buf = [0u8; 8];
            let _ = rustix::io::read(&self.notifier, &mut buf);
        }
        Ok(())
    }

    /// Interrupts a wait in progress, or makes the next one return at once.
    pub(crate) fn notify(&self) -> io::Result<()> {
        match rustix::io::write(&self.notifier, &1u64.to_ne_bytes()) {
            // A full counter already guarantees a pending event.
            Ok(_) | Err(rustix::io::Errno::AGAIN) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}
