//! The few OS calls `polling`, `socket2` and std do not cover.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Once;

/// Puts a descriptor into non-blocking mode.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `raw` is open for the lifetime of the borrow; F_GETFL reads flags only.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK != 0 {
        return Ok(());
    }
    // SAFETY: as above; F_SETFL only changes the status flags of an open descriptor.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Makes `SIGPIPE` ignored if it still has its default (process-killing) action, so
/// a write to a closed socket or pipe is an `EPIPE` error. A handler someone else
/// installed is left alone.
pub(crate) fn ignore_sigpipe() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid "out" buffer; passing a null new
        // action only queries the current one.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: valid signal number, null new action, valid out pointer.
        let queried = unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut current) };
        if queried == 0 && current.sa_sigaction == libc::SIG_DFL {
            // SAFETY: setting a signal to SIG_IGN installs no code of ours.
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        }
    });
}

/// A pidfd for `pid` (Linux 5.3+), or `None` where the kernel or a sandbox refuses.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn pidfd_open(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the syscall returned a fresh descriptor that nothing else owns.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

/// No pidfd outside Linux: the SIGCHLD path is used.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn pidfd_open(_pid: u32) -> Option<std::os::fd::OwnedFd> {
    None
}
