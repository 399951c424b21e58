//! Shared by the process-pool tests: the registered jobs, a small test runner for
//! `harness = false` binaries (whose `main` must call `init` first), and helpers to
//! hold a worker mid-job and to count child processes.
#![allow(dead_code, unreachable_pub)]

use std::ffi::CString;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrio_executor_pool::{Bytes, Job, Registry};

pub const ADD: Job<(i64, i64), i64> = Job::new("add");
pub const SQUARE: Job<u64, u64> = Job::new("square");
pub const ECHO: Job<Bytes, Bytes> = Job::new("echo");
/// `n` copies of a byte.
pub const FILL: Job<(u8, u32), Bytes> = Job::new("fill");
pub const PID: Job<(), u32> = Job::new("pid");
pub const PANIC: Job<String, ()> = Job::new("panic");
pub const ABORT: Job<(), ()> = Job::new("abort");
/// Panics, and panics again in a destructor while unwinding: the process aborts.
pub const DOUBLE_PANIC: Job<(), ()> = Job::new("double_panic");
pub const EXIT: Job<i32, ()> = Job::new("exit");
/// Writes the worker's pid into the fifo at the given path, then blocks forever.
pub const HOLD: Job<String, ()> = Job::new("hold");
/// Blocks forever.
pub const BLOCK: Job<(), ()> = Job::new("block");
/// Appends `"<n>\n"` to the file at the path (one atomic O_APPEND write) and returns n.
pub const RECORD: Job<(String, u64), u64> = Job::new("record");
/// Prints its argument on the worker's stdout and stderr.
pub const PRINT: Job<String, ()> = Job::new("print");
/// A name no registry knows.
pub const MISSING: Job<u64, u64> = Job::new("missing");
/// `square` called with the wrong types.
pub const SQUARE_WRONG: Job<String, u64> = Job::new("square");

/// Set in a pool's worker environment: the registry function panics, so the worker
/// dies before it is ready.
pub const PANIC_IN_REGISTRY: &str = "FERRIO_TEST_PANIC_IN_REGISTRY";

/// Set in a pool's worker environment: the registry function never returns, so the
/// worker never completes its handshake.
pub const HANG_IN_REGISTRY: &str = "FERRIO_TEST_HANG_IN_REGISTRY";

pub fn jobs() -> Registry {
    if std::env::var_os(PANIC_IN_REGISTRY).is_some() {
        panic!("registry refused to build");
    }
    if std::env::var_os(HANG_IN_REGISTRY).is_some() {
        loop {
            std::thread::park();
        }
    }
    let mut registry = Registry::new();
    registry
        .register(ADD, |(a, b)| a + b)
        .register(SQUARE, |n| n * n)
        .register(ECHO, |bytes| bytes)
        .register(PRINT, |text| {
            println!("worker stdout: {text}");
            eprintln!("worker stderr: {text}");
        })
        .register(FILL, |(byte, n)| Bytes(vec![byte; n as usize]))
        .register(PID, |()| std::process::id())
        .register(PANIC, |message| panic!("{message}"))
        .register(ABORT, |()| std::process::abort())
        .register(DOUBLE_PANIC, |()| {
            struct PanicsOnDrop;
            impl Drop for PanicsOnDrop {
                fn drop(&mut self) {
                    panic!("destructor panicked during unwinding");
                }
            }
            let _guard = PanicsOnDrop;
            panic!("first panic");
        })
        .register(EXIT, |code| std::process::exit(code))
        .register(HOLD, |fifo| {
            let mut started = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            writeln!(started, "{}", std::process::id()).unwrap();
            drop(started);
            loop {
                std::thread::park();
            }
        })
        .register(BLOCK, |()| loop {
            std::thread::park();
        })
        .register(RECORD, |(path, n)| {
            let mut log = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .unwrap();
            log.write_all(format!("{n}\n").as_bytes()).unwrap();
            n
        });
    registry
}

/// Runs `tests` one after the other (they count child processes, so they must not
/// overlap); arguments that do not start with `-` filter by substring.
pub fn run_tests(tests: &[(&str, fn())]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        for (name, _) in tests {
            println!("{name}: test");
        }
        return;
    }
    let mut filters = Vec::new();
    let mut skip_value = false;
    for arg in &args {
        if skip_value {
            skip_value = false;
        } else if matches!(
            arg.as_str(),
            "--test-threads" | "--skip" | "--format" | "--color" | "--logfile"
        ) {
            skip_value = true;
        } else if !arg.starts_with('-') {
            filters.push(arg.clone());
        }
    }
    let selected: Vec<_> = tests
        .iter()
        .filter(|(name, _)| {
            filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()))
        })
        .collect();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let outcome = panic::catch_unwind(AssertUnwindSafe(test));
        match outcome {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
    }
    let passed = selected.len() - failed.len();
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed\n");
    } else {
        println!(
            "\nfailures: {failed:?}\ntest result: FAILED. {passed} passed; {} failed\n",
            failed.len()
        );
        std::process::exit(101);
    }
}

/// A fresh empty directory for one test.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ferrio-pool-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Creates a named pipe at `path`.
pub fn make_fifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

/// Blocks until a `HOLD` job has opened the fifo and written its worker's pid.
pub fn wait_for_holder(fifo: &Path) -> u32 {
    let mut text = String::new();
    std::fs::File::open(fifo)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text.trim().parse().unwrap()
}

pub fn kill(pid: u32, signal: i32) {
    // SAFETY: kill(2) only sends a signal; the pid is a live worker of the test's pool.
    let rc = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill {pid}: {}", std::io::Error::last_os_error());
}

/// Processes (zombies included) whose parent is this process, read from /proc.
pub fn child_processes() -> Vec<u32> {
    let me = std::process::id();
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name may hold spaces and parentheses: fields start after the
        // last ')': state, then the parent pid.
        let Some(after) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
            continue;
        };
        let ppid = after
            .split_whitespace()
            .nth(1)
            .and_then(|field| field.parse::<u32>().ok());
        if ppid == Some(me) {
            children.push(pid);
        }
    }
    children
}
