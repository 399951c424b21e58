//! Seen from outside the parent process: workers' stdout and stderr reach the
//! terminal, and killing the parent with SIGKILL leaves no orphaned worker behind.
//!
//! Each test runs this binary again as a child "scenario" process that builds a pool,
//! and watches that child from the outside.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ferrio_executor_pool::ProcessPool;
use futures_lite::future::block_on;

const SCENARIO: &str = "FERRIO_TEST_SCENARIO";
const FIFO: &str = "FERRIO_TEST_FIFO";

fn main() {
    ferrio_executor_pool::init(jobs);
    if cfg!(miri) {
        // Worker processes need fork/exec, which miri does not model.
        return;
    }
    if let Ok(scenario) = std::env::var(SCENARIO) {
        run_scenario(&scenario);
        return;
    }
    run_tests(&[
        ("worker_output_stays_visible", worker_output_stays_visible),
        (
            "killing_the_parent_leaves_no_orphan",
            killing_the_parent_leaves_no_orphan,
        ),
    ]);
}

fn run_scenario(scenario: &str) {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    match scenario {
        "print" => {
            block_on(pool.run(PRINT, "visible".to_string())).unwrap();
            println!("parent done");
        }
        "hold" => {
            let held = pool.run(HOLD, std::env::var(FIFO).unwrap());
            // Never resolves: the outer test kills this process meanwhile.
            let _ = block_on(held);
            unreachable!("the held job never finishes");
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn scenario(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(SCENARIO, name);
    command
}

fn worker_output_stays_visible() {
    let output = scenario("print").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stdout.contains("worker stdout: visible"),
        "stdout: {stdout:?}"
    );
    assert!(stdout.contains("parent done"), "stdout: {stdout:?}");
    assert!(
        stderr.contains("worker stderr: visible"),
        "stderr: {stderr:?}"
    );
}

fn killing_the_parent_leaves_no_orphan() {
    let dir = scratch_dir("orphan");
    let fifo = dir.join("started");
    make_fifo(&fifo);
    let mut parent = scenario("hold")
        .env(FIFO, &fifo)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let worker = wait_for_holder(&fifo);
    assert!(process_exists(worker));
    parent.kill().unwrap();
    parent.wait().unwrap();
    // The kernel kills the worker when its parent dies; whoever adopts it reaps it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(worker) {
        assert!(
            Instant::now() < deadline,
            "worker {worker} outlived its parent"
        );
        std::thread::yield_now();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Exists and is not a zombie waiting for its new parent to reap it.
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .is_some_and(|at| !stat[at + 1..].trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
