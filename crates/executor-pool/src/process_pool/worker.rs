//! The worker side: [`init`] turns a re-executed copy of the program into a worker
//! that runs registered jobs until its parent tells it to exit or goes away.

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::{self, BufReader, IoSlice, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::panic;
use std::sync::{Arc, Mutex};

use super::protocol::{Hello, Outcome, ToParent, ToWorker, PROTOCOL_VERSION, WORKER_MARKER};
use super::registry::{report_from_payload, Fnv, Registry};
use crate::error::PanicReport;
use crate::frame;

/// Turns this process into a pool worker when it was started as one; otherwise
/// returns at once.
///
/// Call it first thing in `main`, before anything with side effects: a
/// [`ProcessPool`](crate::ProcessPool) starts its workers by running the current
/// executable again with a marker in the environment, and in such a process `init`
/// builds the registry with `jobs`, serves jobs, and exits without returning. In any
/// other process `jobs` is not called.
///
/// Integration tests, whose `main` belongs to the test harness, use a test target
/// with `harness = false` whose own `main` calls `init` before running its tests.
///
/// # Examples
///
/// ```no_run
/// use ferrio_executor_pool::{init, Job, Registry};
///
/// const DOUBLE: Job<u32, u32> = Job::new("double");
///
/// fn jobs() -> Registry {
///     let mut registry = Registry::new();
///     registry.register(DOUBLE, |n| n * 2);
///     registry
/// }
///
/// fn main() {
///     init(jobs); // a worker never returns from here
///     // ... the program proper, which may build ProcessPools ...
/// }
/// ```
pub fn init<J: FnOnce() -> Registry>(jobs: J) {
    let Some(marker) = std::env::var_os(WORKER_MARKER) else {
        return;
    };
    let code = match serve(jobs, &marker) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!(
                "ferrio-executor-pool worker {}: {error}",
                std::process::id()
            );
            70
        }
    };
    std::process::exit(code);
}

/// Whether this process is a pool worker (its `init` is running).
pub(crate) fn marker_set() -> bool {
    std::env::var_os(WORKER_MARKER).is_some()
}

/// What the parent wrote in the marker.
struct Marker {
    parent_pid: u32,
    max_frame: usize,
}

fn parse_marker(marker: &OsString) -> io::Result<Marker> {
    let text = marker.to_str().unwrap_or_default();
    let mut fields = text.split(':');
    let mut next = || fields.next().and_then(|field| field.parse::<u64>().ok());
    match (next(), next()) {
        (Some(parent_pid), Some(max_frame)) => Ok(Marker {
            parent_pid: parent_pid as u32,
            max_frame: max_frame as usize,
        }),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("malformed {WORKER_MARKER} value {text:?}"),
        )),
    }
}

fn serve<J: FnOnce() -> Registry>(jobs: J, marker: &OsString) -> io::Result<()> {
    let marker = parse_marker(marker)?;
    // The marker must not leak into processes a job starts, or into pools a job
    // builds: those are not workers.
    std::env::remove_var(WORKER_MARKER);
    let channel = take_protocol_channel()?;
    die_with_parent(marker.parent_pid);

    let writer = Arc::new(Mutex::new(channel.try_clone()?));
    // Installed before the registry is built, so that a registry that panics is
    // reported to the parent with its message.
    install_panic_hook(Arc::clone(&writer), marker.max_frame);
    let registry = jobs();

    let hello = ToParent::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        build_id: build_id(),
        pid: std::process::id(),
    });
    send(&writer, &hello, &[], marker.max_frame)?;

    let mut reader = BufReader::with_capacity(64 * 1024, channel);
    let mut request = Vec::new();
    let mut output = Vec::new();
    loop {
        match frame::read(&mut reader, marker.max_frame, &mut request) {
            Ok(true) => {}
            // The parent closed the channel: it is gone or done with us.
            Ok(false) => return Ok(()),
            Err(error) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    error.to_string(),
                ))
            }
        }
        let (message, args) = postcard::take_from_bytes::<ToWorker<'_>>(&request)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
        match message {
            ToWorker::Exit => return Ok(()),
            ToWorker::Run { id, job, signature } => {
                output.clear();
                let mut outcome = registry.invoke(job, signature, args, &mut output);
                if output.len() > marker.max_frame {
                    outcome = Outcome::TooLarge {
                        len: output.len(),
                        max: marker.max_frame,
                    };
                    output.clear();
                }
                let payload = if matches!(outcome, Outcome::Ok) {
                    &output[..]
                } else {
                    &[][..]
                };
                send(
                    &writer,
                    &ToParent::Done { id, outcome },
                    payload,
                    marker.max_frame,
                )?;
                // Keep the buffer for the next job unless one job made it huge.
                if output.capacity() > 16 << 20 {
                    output = Vec::new();
                }
            }
        }
    }
}

/// Moves the protocol socket the parent passed as standard input to a fresh
/// close-on-exec descriptor, and puts `/dev/null` on standard input, so that a job
/// reading stdin cannot consume protocol bytes.
fn take_protocol_channel() -> io::Result<UnixStream> {
    // SAFETY: fcntl with F_DUPFD_CLOEXEC only reads descriptor 0 and returns a new one.
    let fd = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by fcntl, is open, and nothing else owns it.
    let channel = UnixStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let null = std::fs::File::open("/dev/null")?;
    // SAFETY: dup2 between two descriptors we hold open; replacing descriptor 0 is
    // intended, the protocol socket now lives on `fd`.
    if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(channel)
}

/// Asks the kernel to kill this worker if its parent dies, so that no worker is
/// orphaned even when the parent is killed with SIGKILL.
fn die_with_parent(parent_pid: u32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        // SAFETY: getppid has no preconditions.
        let parent_now = unsafe { libc::getppid() };
        if parent_now as u32 != parent_pid {
            // The parent died before the request above took effect.
            std::process::exit(0);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent_pid;
}

/// Sends one frame: `message` followed by `payload`, without copying the payload.
fn send(
    writer: &Mutex<UnixStream>,
    message: &ToParent,
    payload: &[u8],
    max_frame: usize,
) -> io::Result<()> {
    let mut head = Vec::with_capacity(64);
    let start = frame::begin(&mut head);
    let mut head = postcard::to_extend(message, head)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
    let len = head.len() - frame::HEADER_LEN + payload.len();
    if len > max_frame || len > u32::MAX as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "reply exceeds the frame limit",
        ));
    }
    head[start..start + frame::HEADER_LEN].copy_from_slice(&(len as u32).to_le_bytes());
    let mut stream = writer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    write_all_parts(&mut stream, &head, payload)
}

fn write_all_parts(stream: &mut UnixStream, mut first: &[u8], mut second: &[u8]) -> io::Result<()> {
    while !first.is_empty() || !second.is_empty() {
        let written = match stream.write_vectored(&[IoSlice::new(first), IoSlice::new(second)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let from_first = written.min(first.len());
        first = &first[from_first..];
        second = &second[written - from_first..];
    }
    Ok(())
}

thread_local! {
    /// The report of the panic now unwinding on this thread, left by the hook for the
    /// job runner that catches it.
    static LAST_PANIC: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
}

fn install_panic_hook(writer: Arc<Mutex<UnixStream>>, max_frame: usize) {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let report = PanicReport {
            message: crate::error::panic_payload_message(info.payload())
                .unwrap_or("<non-string payload>")
                .to_string(),
            location: info.location().map(|location| location.to_string()),
        };
        // Tell the parent first: if this panic aborts the process, this frame is how
        // the parent learns the message and the location.
        if let Ok(mut stream) = writer.try_lock() {
            let _ = send_locked(&mut stream, &ToParent::Panicking(report.clone()), max_frame);
        }
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(report));
        // The default hook prints the panic on the worker's stderr, which the parent
        // shares: the message stays visible.
        previous(info);
    }));
}

fn send_locked(stream: &mut UnixStream, message: &ToParent, max_frame: usize) -> io::Result<()> {
    let mut buf = Vec::with_capacity(128);
    let start = frame::begin(&mut buf);
    let mut buf = postcard::to_extend(message, buf)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
    frame::finish(&mut buf, start, max_frame)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
    stream.write_all(&buf)
}

/// The report of the panic whose payload a job runner just caught.
pub(crate) fn take_panic(payload: &Box<dyn std::any::Any + Send>) -> PanicReport {
    LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .unwrap_or_else(|| report_from_payload(payload.as_ref()))
}

/// An identity of the executable: its path, size and modification time, with the
/// crate version. A worker whose binary was rebuilt since the parent started reports
/// a different id.
pub(crate) fn build_id() -> u64 {
    let mut hash = Fnv::new();
    hash.write(env!("CARGO_PKG_VERSION").as_bytes());
    if let Ok(exe) = std::env::current_exe() {
        hash.write(exe.as_os_str().as_encoded_bytes());
        if let Ok(metadata) = std::fs::metadata(&exe) {
            hash.write(&metadata.len().to_le_bytes());
            if let Ok(modified) = metadata.modified() {
                let since = modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                hash.write(&since.as_nanos().to_le_bytes());
            }
        }
    }
    hash.finish()
}
