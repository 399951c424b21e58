//! Subprocesses: asyncio's `create_subprocess_exec`, as [`Command`].
//!
//! A [`Child`]'s pipes are registered with the reactor ([`ChildStdin`] is an
//! `AsyncWrite`, [`ChildStdout`]/[`ChildStderr`] are `AsyncRead`), and its exit is
//! noticed through a pidfd on Linux or `SIGCHLD` elsewhere: no thread per child.
//! A child dropped while still running is killed if
//! [`kill_on_drop`](Command::kill_on_drop) was set, and reaped in the background
//! either way, so it never lingers as a zombie.

mod exit;
mod pipes;

pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};
use std::sync::Arc;

use futures_lite::AsyncReadExt;

use crate::reactor::Reactor;
use exit::ExitWatch;

/// A process builder, as [`std::process::Command`], whose children are awaited.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::process::Command;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let output = Command::new("echo").arg("hello").output().await?;
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hello\n");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Command {
    inner: std::process::Command,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    kill_on_drop: bool,
    allow_pidfd: bool,
}

impl Command {
    /// A command running `program`.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            inner: std::process::Command::new(program),
            stdin: None,
            stdout: None,
            stderr: None,
            kill_on_drop: false,
            allow_pidfd: true,
        }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env(key, value);
        self
    }

    /// Sets environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.envs(vars);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Clears the environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// Sets the working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// Configures stdin (`Stdio::piped()` for a [`ChildStdin`]). Defaults to
    /// inherit for `spawn`/`status`, null for `output`.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdin = Some(cfg.into());
        self
    }

    /// Configures stdout (`Stdio::piped()` for a [`ChildStdout`]). Defaults to
    /// inherit for `spawn`/`status`, piped for `output`.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdout = Some(cfg.into());
        self
    }

    /// Configures stderr, as [`stdout`](Self::stdout).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stderr = Some(cfg.into());
        self
    }

    /// Whether dropping the [`Child`] before it exited kills it (default: no; the
    /// child keeps running and is reaped in the background when it exits).
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// Forces the `SIGCHLD` path instead of a pidfd (for testing the fallback).
    #[doc(hidden)]
    pub fn use_pidfd(&mut self, allow: bool) -> &mut Command {
        self.allow_pidfd = allow;
        self
    }

    /// Starts the process.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the program cannot be started (e.g. `NotFound`).
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_with_defaults(Stdio::inherit, Stdio::inherit)
    }

    #[track_caller]
    fn spawn_with_defaults(
        &mut self,
        stdin_default: fn() -> Stdio,
        out_default: fn() -> Stdio,
    ) -> io::Result<Child> {
        let reactor = Reactor::current_or_panic();
        exit::reap_orphans();
        self.inner
            .stdin(self.stdin.take().unwrap_or_else(stdin_default))
            .stdout(self.stdout.take().unwrap_or_else(out_default))
            .stderr(self.stderr.take().unwrap_or_else(out_default));
        let child = self.inner.spawn()?;
        Child::new(child, &reactor, self.allow_pidfd, self.kill_on_drop)
    }

    /// Runs the process with inherited stdio and waits for its exit status.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the program cannot be started or waited for.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        child.wait().await
    }

    /// Runs the process with stdout and stderr captured (stdin null unless
    /// configured) and waits for it.
    ///
    /// # Panics
    ///
    /// Outside a runtime with a reactor.
    ///
    /// # Errors
    ///
    /// When the program cannot be started, or reading its output fails.
    pub async fn output(&mut self) -> io::Result<Output> {
        let child = self.spawn_with_defaults(Stdio::null, Stdio::piped)?;
        child.wait_with_output().await
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// A running child process.
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use ferrio_reactor::process::Command;
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let mut child = Command::new("cat")
///     .stdin(Stdio::piped())
///     .stdout(Stdio::piped())
///     .spawn()?;
/// let mut stdin = child.stdin.take().unwrap();
/// stdin.write_all(b"through cat").await?;
/// drop(stdin); // EOF for cat
/// let mut out = String::new();
/// child.stdout.take().unwrap().read_to_string(&mut out).await?;
/// assert_eq!(out, "through cat");
/// assert!(child.wait().await?.success());
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Child {
    /// The child's stdin, when piped.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, when piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, when piped.
    pub stderr: Option<ChildStderr>,
    child: Option<std::process::Child>,
    watch: ExitWatch,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// Until the exit is seen, the child is real work in flight: a self-advancing
    /// virtual clock does not jump past a `wait_for` around it.
    in_flight: Option<ferrio_core::WorkGuard>,
}

impl Child {
    /// Wraps a freshly spawned child; if it cannot be watched it is killed and
    /// reaped rather than left behind.
    fn new(
        mut child: std::process::Child,
        reactor: &Arc<Reactor>,
        allow_pidfd: bool,
        kill_on_drop: bool,
    ) -> io::Result<Child> {
        let mut wrap = || -> io::Result<Child> {
            let watch = ExitWatch::new(child.id(), reactor, allow_pidfd)?;
            let stdin = child.stdin.take().map(|p| ChildStdin::new(p, reactor));
            let stdout = child.stdout.take().map(|p| ChildStdout::new(p, reactor));
            let stderr = child.stderr.take().map(|p| ChildStderr::new(p, reactor));
            Ok(Child {
                stdin: stdin.transpose()?,
                stdout: stdout.transpose()?,
                stderr: stderr.transpose()?,
                child: None,
                watch,
                status: None,
                kill_on_drop,
                in_flight: ferrio_core::Handle::try_current().map(|h| h.work_guard()),
            })
        };
        match wrap() {
            Ok(mut wrapped) => {
                wrapped.child = Some(child);
                Ok(wrapped)
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }

    /// The OS process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().expect("present until drop").id()
    }

    /// Whether the exit is noticed through a pidfd (rather than `SIGCHLD`).
    #[doc(hidden)]
    pub fn uses_pidfd(&self) -> bool {
        self.watch.uses_pidfd()
    }

    /// Waits for the child to exit. Closes its stdin first, so a child reading
    /// stdin to the end cannot deadlock the wait.
    ///
    /// # Errors
    ///
    /// When waiting fails.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.stdin.take();
        if let Some(status) = self.status {
            return Ok(status);
        }
        let Child { child, watch, .. } = self;
        let child = child.as_mut().expect("present until drop");
        let status = std::future::poll_fn(|cx| watch.poll_exit(cx, child)).await?;
        self.status = Some(status);
        self.in_flight = None;
        Ok(status)
    }

    /// The exit status if the child exited, without waiting.
    ///
    /// # Errors
    ///
    /// When `waitpid` fails.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self
                .child
                .as_mut()
                .expect("present until drop")
                .try_wait()?;
        }
        if self.status.is_some() {
            self.in_flight = None;
        }
        Ok(self.status)
    }

    /// Kills the child (`SIGKILL`); [`wait`](Self::wait) then reports its end.
    /// Killing a child that already exited is not an error.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        self.child.as_mut().expect("present until drop").kill()
    }

    /// Sends `signal` (e.g. `libc::SIGTERM`, asyncio's `terminate()`) to the child.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn send_signal(&mut self, signal: i32) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(self.id())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
        // SAFETY: kill(2) with the pid of our own unreaped child (so not recycled).
        if unsafe { libc::kill(pid, signal) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits for the exit while collecting stdout and stderr (the piped ones).
    ///
    /// # Errors
    ///
    /// When reading or waiting fails.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.stdin.take();
        let mut stdout_pipe = self.stdout.take();
        let mut stderr_pipe = self.stderr.take();
        let read_out = async {
            let mut buf = Vec::new();
            if let Some(pipe) = stdout_pipe.as_mut() {
                pipe.read_to_end(&mut buf).await?;
            }
            io::Result::Ok(buf)
        };
        let read_err = async {
            let mut buf = Vec::new();
            if let Some(pipe) = stderr_pipe.as_mut() {
                pipe.read_to_end(&mut buf).await?;
            }
            io::Result::Ok(buf)
        };
        let (stdout, stderr) = futures_lite::future::zip(read_out, read_err).await;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout: stdout?,
            stderr: stderr?,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = child.kill();
        }
        if !matches!(child.try_wait(), Ok(Some(_))) {
            exit::adopt_orphan(child);
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
