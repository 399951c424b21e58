//! Ctrl-C during `run` cancels the main future, shuts down, and reports
//! `Interrupted` (or panics, for `run`), as asyncio raises `KeyboardInterrupt`.
//!
//! Each scenario runs in a child process (this test binary again, selected by an
//! environment variable) so the signal cannot reach the test harness.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../../../test-support/threads.rs"]
mod threads;
use libc::SIGINT;
use threads::thread_names;

const CHILD_ENV: &str = "FERRIO_CTRL_C_CHILD";

/// Prints when the main future is dropped: its cancellation.
struct Cancelled;

impl Drop for Cancelled {
    fn drop(&mut self) {
        println!("main future dropped");
    }
}

/// The main future of the child: tells the parent it listens, then waits forever.
async fn wait_for_ctrl_c() {
    let _cancelled = Cancelled;
    // One round of the loop, so the Ctrl-C listener is in place before "ready".
    ferrio::yield_now().await;
    println!("ready");
    ferrio::sleep(Duration::from_secs(3600)).await;
}

fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Sets SIGINT's disposition in this (child) process, whatever the parent left:
/// `nohup` and background jobs of a non-interactive shell start with it ignored.
fn set_sigint(disposition: libc::sighandler_t) {
    // SAFETY: SIG_DFL and SIG_IGN are valid dispositions; nothing in the child
    // relies on the inherited one.
    let previous = unsafe { libc::signal(SIGINT, disposition) };
    assert_ne!(previous, libc::SIG_ERR, "cannot set SIGINT's disposition");
}

/// The child's side: runs the scenario named in the environment.
#[test]
fn child() {
    if child_scenario().is_some() {
        set_sigint(libc::SIG_DFL);
    }
    match child_scenario().as_deref() {
        None => {}
        Some("ignored_at_start") => {
            set_sigint(libc::SIG_IGN);
            let runner = ferrio::Runner::builder()
                .ctrl_c(Some(true))
                .build()
                .unwrap();
            let value = runner.run(async {
                // One round of the loop, so a Ctrl-C listener would be in place.
                ferrio::yield_now().await;
                // SAFETY: sending SIGINT to this process, which ignores it.
                unsafe { libc::kill(libc::getpid(), SIGINT) };
                // Turns of the loop in which a listener would have cancelled main.
                ferrio::sleep(Duration::from_millis(50)).await;
                11
            });
            println!("run returned {value}");
            let interrupted = runner.run_until_interrupt(async {
                ferrio::yield_now().await;
                // SAFETY: as above.
                unsafe { libc::kill(libc::getpid(), SIGINT) };
                ferrio::sleep(Duration::from_millis(50)).await;
                12
            });
            println!("run_until_interrupt returned {interrupted:?}");
            println!(
                "still ignored: {}",
                ferrio::signal::is_ignored(SIGINT).unwrap()
            );
        }
        Some("run_until_interrupt") => {
            let runner = ferrio::Runner::new();
            let result = runner.run_until_interrupt(wait_for_ctrl_c());
            println!("result: {result:?}");
            // The runner still works after an interrupt.
            println!("after: {}", runner.run(async { 5 }));
        }
        Some("run") => {
            let runner = ferrio::Runner::builder()
                .ctrl_c(Some(true))
                .build()
                .unwrap();
            runner.run(wait_for_ctrl_c());
            println!("not reached");
        }
        Some("handled_by_program") => {
            let runner = ferrio::Runner::builder()
                .ctrl_c(Some(true))
                .build()
                .unwrap();
            let value = runner.run(async {
                let ctrl_c = ferrio::signal::ctrl_c();
                ferrio::yield_now().await;
                println!("ready");
                ctrl_c.await.unwrap();
                println!("the program got Ctrl-C");
                // A graceful shutdown that takes a few turns of the loop.
                ferrio::sleep(Duration::from_millis(20)).await;
                7
            });
            println!("graceful shutdown returned {value}");
        }
        Some("single_threaded") => {
            let threads_before = thread_names();
            let runner = ferrio::Runner::builder()
                .ctrl_c(Some(true))
                .build()
                .unwrap();
            let result = runner.run_until_interrupt(async {
                let _cancelled = Cancelled;
                ferrio::yield_now().await;
                let listening = thread_names();
                println!("threads before: {}", threads_before.len());
                println!("threads while listening: {}", listening.len());
                println!("thread names: {listening:?}");
                println!("ready");
                ferrio::sleep(Duration::from_secs(3600)).await;
            });
            println!("result: {result:?}");
        }
        Some("after_run") => {
            let value = ferrio::Runner::builder()
                .ctrl_c(Some(true))
                .build()
                .unwrap()
                .run(async { 3 });
            println!("run returned {value}; ready");
            // Nobody listens any more: the parent's Ctrl-C must kill this process.
            // The bound only turns a swallowed signal into a failure, not a hang.
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                std::thread::park_timeout(deadline - std::time::Instant::now());
            }
            println!("still alive");
        }
        Some("caught_by_main") => {
            // The multi-thread flavour here; the others run on the single-thread one.
            let runner = ferrio::Runner::builder()
                .multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let result = runner.run_until_interrupt(async {
                ferrio::yield_now().await;
                println!("ready");
                match ferrio::catch_cancel(ferrio::sleep(Duration::from_secs(3600))).await {
                    Ok(()) => println!("not reached"),
                    Err(cancelled) => {
                        // Clean-up that awaits, then the cancellation goes on out.
                        ferrio::sleep(Duration::from_millis(5)).await;
                        println!("main cleaned up");
                        cancelled.reraise::<()>().await
                    }
                }
            });
            println!("result: {result:?}");
            println!("after: {}", runner.run(async { 5 }));
        }
        Some("suppressed_by_main") => {
            let runner = ferrio::Runner::builder()
                .ctrl_c(Some(true))
                .build()
                .unwrap();
            let value = runner.run(async {
                ferrio::yield_now().await;
                println!("ready");
                match ferrio::catch_cancel(ferrio::sleep(Duration::from_secs(3600))).await {
                    Ok(()) => 0,
                    Err(_) => {
                        ferrio::sleep(Duration::from_millis(5)).await;
                        let me = ferrio::TaskHandle::current().unwrap();
                        assert_eq!(me.uncancel(), 0);
                        println!("main suppressed");
                        9
                    }
                }
            });
            println!("run returned {value}");
        }
        Some(other) => panic!("unknown scenario {other}"),
    }
}

/// Starts the child on `scenario`, waits for "ready", sends SIGINT, and returns its
/// whole output and whether it succeeded.
fn interrupt_child(scenario: &str) -> (bool, String, String) {
    let (status, stdout, stderr) = interrupt_child_status(scenario);
    (status.success(), stdout, stderr)
}

/// [`interrupt_child`], with the child's exit status.
fn interrupt_child_status(scenario: &str) -> (std::process::ExitStatus, String, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "child ended early: {seen}"
        );
        seen.push_str(&line);
        if line.trim_end().ends_with("ready") {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    seen.push_str(&rest);
    let output = child.wait_with_output().unwrap();
    (
        output.status,
        seen,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn run_until_interrupt_returns_interrupted() {
    if child_scenario().is_some() {
        return;
    }
    let (success, stdout, stderr) = interrupt_child("run_until_interrupt");
    assert!(success, "{stdout}\n{stderr}");
    assert!(stdout.contains("main future dropped"), "{stdout}");
    assert!(stdout.contains("result: Err(Interrupted)"), "{stdout}");
    assert!(stdout.contains("after: 5"), "{stdout}");
}

#[test]
fn run_panics_with_an_interrupted_message() {
    if child_scenario().is_some() {
        return;
    }
    let (success, stdout, stderr) = interrupt_child("run");
    assert!(!success, "an interrupted run fails: {stdout}");
    assert!(stdout.contains("main future dropped"), "{stdout}");
    assert!(!stdout.contains("not reached"), "{stdout}");
    assert!(stderr.contains("interrupted by Ctrl-C"), "{stderr}");
}

#[test]
fn a_program_that_handles_ctrl_c_is_not_cancelled() {
    if child_scenario().is_some() {
        return;
    }
    let (success, stdout, stderr) = interrupt_child("handled_by_program");
    assert!(success, "{stdout}\n{stderr}");
    assert!(stdout.contains("the program got Ctrl-C"), "{stdout}");
    assert!(stdout.contains("graceful shutdown returned 7"), "{stdout}");
}

/// A single-threaded runner listens for Ctrl-C on its own reactor: the program
/// stays single-threaded (a second thread would make every allocation lock), and
/// the Ctrl-C still interrupts it.
#[test]
#[cfg(target_os = "linux")]
fn a_single_thread_runner_listens_without_a_thread() {
    if child_scenario().is_some() {
        return;
    }
    let (success, stdout, stderr) = interrupt_child("single_threaded");
    assert!(success, "{stdout}\n{stderr}");
    assert!(stdout.contains("result: Err(Interrupted)"), "{stdout}");
    assert!(stdout.contains("main future dropped"), "{stdout}");
    let count = |prefix: &str| -> usize {
        // The harness prints "test child ... " on the scenario's first line.
        stdout
            .lines()
            .find_map(|line| line.split_once(prefix).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("no line {prefix:?}: {stdout}"))
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{prefix:?} is not a count ({e}): {stdout}"))
    };
    let before = count("threads before: ");
    let listening = count("threads while listening: ");
    assert!(!stdout.contains("ferrio-signal"), "{stdout}");
    assert_eq!(listening, before, "the runner started a thread: {stdout}");
}

/// Once `run` has returned, nobody listens for Ctrl-C: it kills the program again,
/// as after `asyncio.run`.
#[test]
fn ctrl_c_kills_the_program_after_run_returns() {
    use std::os::unix::process::ExitStatusExt;

    if child_scenario().is_some() {
        return;
    }
    let (status, stdout, stderr) = interrupt_child_status("after_run");
    assert!(stdout.contains("run returned 3"), "{stdout}");
    assert!(!stdout.contains("still alive"), "{stdout}\n{stderr}");
    assert_eq!(status.signal(), Some(SIGINT), "{stdout}\n{stderr}");
}

/// A parent that ignores SIGINT for its child (nohup, a background job) has said
/// Ctrl-C must not stop it: `run` leaves SIGINT ignored, as `asyncio.run` does.
#[test]
fn run_leaves_an_ignored_sigint_alone() {
    if child_scenario().is_some() {
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "ignored_at_start")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("run returned 11"), "{stdout}");
    assert!(
        stdout.contains("run_until_interrupt returned Ok(12)"),
        "{stdout}"
    );
    assert!(stdout.contains("still ignored: true"), "{stdout}");
}

/// Ctrl-C reaches a catch region in main (asyncio's Runner cancels the main task):
/// main cleans up with awaits and re-raises, and the run reports `Interrupted`.
#[test]
fn ctrl_c_is_delivered_to_a_catch_region_in_main() {
    if child_scenario().is_some() {
        return;
    }
    let (success, stdout, stderr) = interrupt_child("caught_by_main");
    assert!(success, "{stdout}\n{stderr}");
    let cleaned = stdout.find("main cleaned up").expect(&stdout);
    let result = stdout.find("result: Err(Interrupted)").expect(&stdout);
    assert!(cleaned < result, "{stdout}");
    assert!(stdout.contains("after: 5"), "{stdout}");
}

/// A main that catches the Ctrl-C and suppresses it returns its value (asyncio's
/// `run` raises `KeyboardInterrupt` only when main ends cancelled).
#[test]
fn a_main_that_suppresses_ctrl_c_returns_its_value() {
    if child_scenario().is_some() {
        return;
    }
    let (success, stdout, stderr) = interrupt_child("suppressed_by_main");
    assert!(success, "{stdout}\n{stderr}");
    assert!(stdout.contains("main suppressed"), "{stdout}");
    assert!(stdout.contains("run returned 9"), "{stdout}");
}
