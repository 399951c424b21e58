//! The few OS calls `polling`, `socket2`, rustix and std do not cover.

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

/// Asks the kernel to report, with each `recvmsg` on this TCP socket, how many
/// bytes are left in its receive queue (`TCP_INQ`, Linux 4.18+). Whether it
/// took; without it (a kernel before 4.18) TCP reads end readiness only at
/// `WouldBlock`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn enable_tcp_inq(fd: BorrowedFd<'_>) -> bool {
    let on: libc::c_int = 1;
    // SAFETY: `fd` is open for the borrow; the value points at a live c_int and the
    // length passed is its size.
    let set = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_TCP,
            libc::TCP_INQ,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    set == 0
}

/// `recvmsg` into `buf` on a socket with [`enable_tcp_inq`]: the bytes read and,
/// when the kernel sent it, how many bytes the receive queue still holds (a
/// pending FIN counts as one, so `Some(0)` means drained and not at its end).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn recv_with_inq(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
) -> io::Result<(usize, Option<usize>)> {
    // Room for a few control messages; u64 keeps it aligned for `cmsghdr`. Left
    // uninitialised: the kernel writes the messages and says how long they are in
    // `msg_controllen`, and only those bytes are read.
    let mut control = [std::mem::MaybeUninit::<u64>::uninit(); 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is valid (null pointers with zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at `iov` (which covers `buf`, writable for its length)
    // and at `control` (writable for `msg_controllen` bytes); all outlive the call.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut inq = None;
    // SAFETY: `msg` was filled in by recvmsg; the CMSG macros only walk headers
    // that lie within its control buffer and return null past the end.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !cmsg.is_null() {
        // SAFETY: a non-null header from CMSG_FIRSTHDR/CMSG_NXTHDR lies within the
        // first `msg_controllen` bytes of `control`, which the kernel wrote.
        let header = unsafe { &*cmsg };
        if header.cmsg_level == libc::SOL_TCP && header.cmsg_type == libc::TCP_CM_INQ {
            // SAFETY: a TCP_CM_INQ message carries one c_int at CMSG_DATA, within
            // the part of `control` the kernel wrote; it may be unaligned, hence
            // read_unaligned.
            let value =
                unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>()) };
            inq = usize::try_from(value).ok();
            // The kernel sends one such message: no need to walk on.
            break;
        }
        // SAFETY: as for CMSG_FIRSTHDR; `cmsg` is a header of this message.
        cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
    }
    Ok((n as usize, inq))
}

/// No pidfd outside Linux: the SIGCHLD path is used.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn pidfd_open(_pid: u32) -> Option<std::os::fd::OwnedFd> {
    None
}
