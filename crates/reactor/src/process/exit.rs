//! Noticing a child's exit without a thread per child.
//!
//! On Linux a pidfd (`pidfd_open`, 5.3+) is registered with the reactor: it turns
//! readable when the child exits. Where pidfds are missing (older kernels, other
//! Unixes, sandboxes that refuse the call) the child waits on `SIGCHLD` through the
//! [`signal`](crate::signal) module and re-checks with a non-blocking `waitpid`
//! after each one.

use std::io;
use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::async_io::Async;
use crate::reactor::Reactor;
use crate::signal::Signals;
use crate::source::READABLE;

/// How a child's exit is noticed.
pub(crate) enum ExitWatch {
    Pidfd(Async<OwnedFd>),
    Sigchld(Signals),
}

impl ExitWatch {
    /// Picks the pidfd path when possible. Must be called right after spawning,
    /// before the child can have been reaped.
    pub(crate) fn new(pid: u32, reactor: &Arc<Reactor>, allow_pidfd: bool) -> io::Result<Self> {
        if allow_pidfd {
            if let Some(fd) = crate::sys::pidfd_open(pid) {
                return Ok(ExitWatch::Pidfd(Async::with_reactor(fd, reactor)?));
            }
        }
        Ok(ExitWatch::Sigchld(Signals::new([libc::SIGCHLD])?))
    }

    /// Whether the pidfd path is in use.
    pub(crate) fn uses_pidfd(&self) -> bool {
        matches!(self, ExitWatch::Pidfd(_))
    }

    /// Polls until `try_wait` reports an exit.
    pub(crate) fn poll_exit(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut std::process::Child,
    ) -> Poll<io::Result<ExitStatus>> {
        reap_orphans();
        match self {
            ExitWatch::Pidfd(fd) => {
                let mut check = |_: &OwnedFd| match child.try_wait()? {
                    Some(status) => Ok(status),
                    None => Err(io::ErrorKind::WouldBlock.into()),
                };
                fd.poll_op(READABLE, cx, &mut check)
            }
            ExitWatch::Sigchld(signals) => loop {
                // The subscription predates this check, so a SIGCHLD that arrives
                // after it is queued and wakes us.
                if let Some(status) = child.try_wait()? {
                    return Poll::Ready(Ok(status));
                }
                if signals.poll_recv(cx).is_pending() {
                    return Poll::Pending;
                }
            },
        }
    }
}

/// Children dropped before they exited, reaped later so they do not stay zombies.
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Hands a child that was dropped while running to the orphan list.
pub(crate) fn adopt_orphan(child: std::process::Child) {
    ORPHANS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(child);
}

/// Reaps the orphans that exited meanwhile (cheap: one `waitpid(WNOHANG)` each).
pub(crate) fn reap_orphans() {
    let Ok(mut orphans) = ORPHANS.try_lock() else {
        return;
    };
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}
