//! The parent's side of one worker process: start it, hand it jobs, learn how it
//! ended.

use std::ffi::OsString;
use std::io::{self, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::protocol::{Hello, Outcome, ToParent, ToWorker, PROTOCOL_VERSION, WORKER_MARKER};
use crate::error::{Death, PanicReport};
use crate::frame::{self, FrameError};

/// A started worker process and its protocol channel.
pub(crate) struct WorkerProcess {
    child: Child,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    /// Jobs this worker has finished.
    pub(crate) served: usize,
    /// The first panic the worker reported during the current job (or start-up),
    /// kept in case a panic kills it: the first one is the cause, later ones (a
    /// destructor panicking while unwinding, the abort that follows) are effects.
    first_panic: Option<PanicReport>,
}

/// How one job went on a worker.
pub(crate) enum RunResult {
    /// The worker answered: the outcome, and the reply buffer whose bytes from
    /// `offset` on are the encoded output.
    Done {
        outcome: Outcome,
        reply: Vec<u8>,
        offset: usize,
    },
    /// The worker was gone before it could have read the job (the write failed): the
    /// job did not start and may go to another worker.
    NotDelivered,
    /// The worker's channel closed or broke mid-job: it died (to be reaped).
    Lost { panic: Option<PanicReport> },
    /// The job ran past its limit.
    TimedOut,
    /// The worker sent something that is not the protocol.
    Garbled(String),
}

impl WorkerProcess {
    /// Starts `program` as a worker; the handshake is [`WorkerProcess::handshake`].
    pub(crate) fn spawn(
        program: &Path,
        env: &[(OsString, OsString)],
        max_frame: usize,
    ) -> io::Result<WorkerProcess> {
        let (parent_end, child_end) = UnixStream::pair()?;
        let marker = format!("{}:{}", std::process::id(), max_frame);
        // The protocol socket becomes the worker's stdin (the worker moves it to
        // another descriptor and puts /dev/null there first thing); stdout and stderr
        // are inherited so that what jobs print stays visible.
        let child = Command::new(program)
            .envs(env.iter().map(|(key, value)| (key, value)))
            .env(WORKER_MARKER, marker)
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(child_end)))
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()?;
        let writer = parent_end.try_clone()?;
        Ok(WorkerProcess {
            child,
            reader: BufReader::with_capacity(64 * 1024, parent_end),
            writer,
            served: 0,
            first_panic: None,
        })
    }

    /// The worker's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the worker's hello and checks it speaks our protocol from our build.
    ///
    /// On failure returns the reason, or `None` when the worker closed its channel
    /// (it died: reap it to learn how); the worker is still to be reaped.
    pub(crate) fn handshake(
        &mut self,
        expected_build: u64,
        limit: Duration,
        max_frame: usize,
    ) -> Result<(), Option<String>> {
        let deadline = Instant::now() + limit;
        let mut buf = Vec::new();
        loop {
            match self.read_until(deadline, max_frame, &mut buf) {
                Ok(true) => {}
                Ok(false) | Err(FrameError::Truncated { .. }) => return Err(None),
                Err(FrameError::Io(error)) if is_timeout(&error) => {
                    return Err(Some(format!(
                        "the worker did not complete its handshake within {limit:?}"
                    )))
                }
                Err(error) => {
                    return Err(Some(format!("the worker's handshake is garbled: {error}")))
                }
            }
            match postcard::from_bytes::<ToParent>(&buf) {
                Ok(ToParent::Hello(hello)) => {
                    return check_hello(&hello, expected_build).map_err(Some)
                }
                Ok(ToParent::Panicking(report)) => {
                    self.first_panic.get_or_insert(report);
                }
                Ok(other) => {
                    return Err(Some(format!("the worker sent {other:?} before its hello")))
                }
                Err(error) => {
                    return Err(Some(format!("the worker's handshake is garbled: {error}")))
                }
            }
        }
    }

    /// Sends `request` (a complete `Run` frame for job `id`) and waits for its reply.
    pub(crate) fn run(
        &mut self,
        request: &[u8],
        id: u64,
        limit: Option<Duration>,
        max_frame: usize,
    ) -> RunResult {
        self.first_panic = None;
        if self.writer.write_all(request).is_err() {
            return RunResult::NotDelivered;
        }
        let deadline = limit.map(|limit| Instant::now() + limit);
        let mut buf = Vec::new();
        loop {
            let read = match deadline {
                Some(deadline) => self.read_until(deadline, max_frame, &mut buf),
                None => frame::read(&mut self.reader, max_frame, &mut buf),
            };
            match read {
                Ok(true) => {}
                Ok(false) => {
                    return RunResult::Lost {
                        panic: self.first_panic.take(),
                    }
                }
                Err(FrameError::Io(error)) if is_timeout(&error) => return RunResult::TimedOut,
                Err(FrameError::Truncated { .. }) => {
                    return RunResult::Lost {
                        panic: self.first_panic.take(),
                    }
                }
                Err(FrameError::Io(error)) if error.kind() != io::ErrorKind::InvalidData => {
                    return RunResult::Lost {
                        panic: self.first_panic.take(),
                    }
                }
                Err(error) => return RunResult::Garbled(error.to_string()),
            }
            match postcard::take_from_bytes::<ToParent>(&buf) {
                Ok((ToParent::Done { id: done, outcome }, rest)) if done == id => {
                    let offset = buf.len() - rest.len();
                    self.served += 1;
                    return RunResult::Done {
                        outcome,
                        reply: buf,
                        offset,
                    };
                }
                Ok((ToParent::Panicking(report), _)) => {
                    self.first_panic.get_or_insert(report);
                }
                Ok((other, _)) => {
                    return RunResult::Garbled(format!("unexpected message {other:?}"))
                }
                Err(error) => return RunResult::Garbled(error.to_string()),
            }
        }
    }

    /// Reads one frame, giving up at `deadline`.
    fn read_until(
        &mut self,
        deadline: Instant,
        max_frame: usize,
        buf: &mut Vec<u8>,
    ) -> Result<bool, FrameError> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(FrameError::Io(io::ErrorKind::TimedOut.into()));
        }
        // Data already buffered needs no wait; otherwise the socket times out.
        self.reader
            .get_ref()
            .set_read_timeout(Some(remaining))
            .map_err(FrameError::Io)?;
        let read = frame::read(&mut self.reader, max_frame, buf);
        let _ = self.reader.get_ref().set_read_timeout(None);
        read
    }

    /// Asks the worker to exit and waits for it.
    pub(crate) fn retire(mut self) -> Death {
        let mut exit = Vec::new();
        let start = frame::begin(&mut exit);
        if let Ok(mut exit) = postcard::to_extend(&ToWorker::Exit, exit) {
            if frame::finish(&mut exit, start, usize::MAX).is_ok() {
                let _ = self.writer.write_all(&exit);
            }
        }
        // Closing our end also tells a worker that missed the message to exit.
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
        self.reap()
    }

    /// Kills the worker and waits for it.
    pub(crate) fn kill(mut self) -> Death {
        let _ = self.child.kill();
        self.reap()
    }

    /// Waits for the worker to end (it has died or is about to) and says how.
    pub(crate) fn reap(mut self) -> Death {
        match self.child.wait() {
            Ok(status) => death_of(status),
            Err(_) => Death::Vanished,
        }
    }

    /// The first panic the worker reported before its channel closed.
    pub(crate) fn take_first_panic(&mut self) -> Option<PanicReport> {
        self.first_panic.take()
    }
}

fn check_hello(hello: &Hello, expected_build: u64) -> Result<(), String> {
    if hello.protocol != PROTOCOL_VERSION || hello.crate_version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "version mismatch: the worker speaks protocol {} of ferrio-executor-pool {}, the \
             parent protocol {} of {}",
            hello.protocol,
            hello.crate_version,
            PROTOCOL_VERSION,
            env!("CARGO_PKG_VERSION")
        ));
    }
    if hello.build_id != expected_build {
        return Err(format!(
            "version mismatch: worker {} runs a different build of the executable (build id \
             {:016x}, the parent's is {:016x}); was the binary rebuilt or replaced while the \
             pool was running?",
            hello.pid, hello.build_id, expected_build
        ));
    }
    Ok(())
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// How a process ended, from its wait status.
pub(crate) fn death_of(status: ExitStatus) -> Death {
    match (status.signal(), status.code()) {
        (Some(number), _) => Death::Signal {
            number,
            name: signal_name(number),
        },
        (None, Some(code)) => Death::Exited { code },
        (None, None) => Death::Vanished,
    }
}

/// The conventional name of a signal number.
pub(crate) fn signal_name(number: i32) -> &'static str {
    match number {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => "unknown signal",
    }
}
