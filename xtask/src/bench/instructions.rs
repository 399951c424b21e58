//! `cargo xtask bench --instructions`: instructions per spawn+await, per yield, per
//! ping_pong round trip, per chained spawn and per run (`block_on`), counted by
//! valgrind, for ferrio's single-thread loop (`ferrio::Runner::new()`), tokio
//! current_thread and smol's `LocalExecutor`, with the bare `ferrio-core` loop as a
//! labelled extra.
//!
//! `ping_pong rt` is one round trip of `ping_pong` (two sends, two receives, two
//! task switches), `chain spawn` one link of `chained_spawn` (a task that spawns the
//! next). `block_on` is the fixed cost of one run (for ferrio one `Runner::run`,
//! with its spawned main task), which every criterion sample pays once.
//! `armed sleep` is one spawned task sleeping 10 s plus up to 10 ms, armed and fired
//! (each run takes ten seconds of wall time, parked); `far timer` one 30 s sleep
//! armed and cancelled with 64 others armed (an HTTP server's header-read timeout).
//!
//! Wall-clock medians move with the machine's load; an instruction count does not.
//! Each figure comes from two runs of the release binary `ferrio-instructions` (the
//! bench profile, as criterion's benches) under `valgrind --tool=cachegrind`, with
//! N small and N large: the difference of the counts divided by the difference of
//! N leaves one operation's instructions, without start-up and shutdown. The table
//! is printed and written to `target/ferrio-instructions.tsv` (`operation`,
//! `runtime`, `instructions`).
//!
//! Where `strace` is installed, the same two runs are also counted for system calls
//! (`strace -f -c`), a second table: instructions leave out the kernel, and a
//! loop that asks the OS poller too much pays there.

use std::path::Path;
use std::process::Command;

use crate::cmd::{cargo, root};

/// Runtimes in table order: ferrio, its peers, then the extra.
const RUNTIMES: [&str; 4] = ["ferrio-st", "tokio-ct", "smol-1t", "ferrio-core-st"];

/// (operation argument, table name, small N, large N).
const OPERATIONS: [(&str, &str, u64, u64); 8] = [
    ("spawn", "spawn+await", 10_000, 60_000),
    ("yield", "yield", 10_000, 60_000),
    ("ping", "ping_pong rt", 10_000, 60_000),
    ("chain", "chain spawn", 10_000, 60_000),
    ("echo", "tcp echo rt", 5_000, 25_000),
    ("sleep10s", "armed sleep", 10_000, 60_000),
    ("far", "far timer", 10_000, 60_000),
    ("block_on", "block_on", 100, 1_100),
];

/// Whether `runtime` can run `op`: the echo needs a reactor, which the bare core
/// loop does not have.
fn runs(runtime: &str, op: &str) -> bool {
    !(op == "echo" && runtime == "ferrio-core-st")
}

pub(crate) fn run() -> Result<(), String> {
    let status = cargo(&[
        "build",
        "--profile",
        "bench",
        "-p",
        "ferrio-benches",
        "--bin",
        "ferrio-instructions",
    ])
    .status()
    .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("building ferrio-instructions failed: {status}"));
    }
    let binary = root().join("target/release/ferrio-instructions");

    // operation -> runtime -> instructions per operation
    let mut table: Vec<(&str, Vec<f64>)> = Vec::new();
    for (op, label, small, large) in OPERATIONS {
        let mut row = Vec::new();
        for runtime in RUNTIMES {
            if !runs(runtime, op) {
                row.push(f64::NAN);
                continue;
            }
            let few = count(&binary, runtime, op, small)?;
            let many = count(&binary, runtime, op, large)?;
            let per_op = (many as f64 - few as f64) / (large - small) as f64;
            eprintln!("{label:<12} {runtime:<15} {few:>14} / {many:>14} instructions -> {per_op:.0} per op");
            row.push(per_op);
        }
        table.push((label, row));
    }
    print_table(&table, "instructions", 0);
    write_tsv(&table)?;

    if Command::new("strace").arg("-V").output().is_err() {
        println!("\n(strace not found: no system-call counts)");
        return Ok(());
    }
    let mut calls: Vec<(&str, Vec<f64>)> = Vec::new();
    for (op, label, small, large) in OPERATIONS {
        let mut row = Vec::new();
        for runtime in RUNTIMES {
            if !runs(runtime, op) {
                row.push(f64::NAN);
                continue;
            }
            let few = syscalls(&binary, runtime, op, small)?;
            let many = syscalls(&binary, runtime, op, large)?;
            row.push((many as f64 - few as f64) / (large - small) as f64);
        }
        calls.push((label, row));
    }
    print_table(&calls, "system calls", 3);
    Ok(())
}

/// System calls of one run, all threads, as `strace -f -c` totals them.
fn syscalls(binary: &Path, runtime: &str, op: &str, n: u64) -> Result<u64, String> {
    let summary = root().join("target/ferrio-instructions.strace");
    let status = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&summary)
        .arg(binary)
        .args([runtime, op, &n.to_string()])
        .status()
        .map_err(|e| format!("strace: {e}"))?;
    if !status.success() {
        return Err(format!("{runtime} {op} {n} under strace failed ({status})"));
    }
    let text =
        std::fs::read_to_string(&summary).map_err(|e| format!("{}: {e}", summary.display()))?;
    total_calls(&text).ok_or_else(|| format!("no total line in strace's summary:\n{text}"))
}

/// The `calls` column of strace's `total` line
/// (`100.00 0.020512 2 8216 1641 total`: % time, seconds, usecs/call, calls, ...).
fn total_calls(summary: &str) -> Option<u64> {
    let line = summary.lines().find(|l| l.trim_end().ends_with("total"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Instructions of one run, all threads, as cachegrind's summary gives them.
fn count(binary: &Path, runtime: &str, op: &str, n: u64) -> Result<u64, String> {
    let output = Command::new("valgrind")
        .args([
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
        ])
        .arg(binary)
        .args([runtime, op, &n.to_string()])
        .output()
        .map_err(|e| format!("valgrind (is it installed?): {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "{runtime} {op} {n} under valgrind failed ({}):\n{stderr}",
            output.status
        ));
    }
    instruction_refs(&stderr)
        .ok_or_else(|| format!("no \"I refs\" line in valgrind's output:\n{stderr}"))
}

/// The number of `==PID== I   refs:      1,234,567` (cachegrind's summary line).
fn instruction_refs(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.contains("I   refs:"))?;
    let digits: String = line
        .split("refs:")
        .nth(1)?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn print_table(table: &[(&str, Vec<f64>)], what: &str, decimals: usize) {
    println!();
    println!(
        "| operation    | {} | ferrio/tokio | ferrio/smol |",
        RUNTIMES.map(|r| format!("{r:>14}")).join(" | ")
    );
    println!(
        "|--------------|-{}-|--------------|-------------|",
        RUNTIMES.map(|_| "-".repeat(14)).join("-|-")
    );
    for (label, row) in table {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v.is_nan() {
                true => format!("{:>14}", "-"),
                false => format!("{v:>14.decimals$}"),
            })
            .collect();
        println!(
            "| {label:<12} | {} | {:>12.2} | {:>11.2} |",
            cells.join(" | "),
            row[0] / row[1],
            row[0] / row[2]
        );
    }
    println!(
        "\n{what} per operation (difference of two runs); ferrio = ferrio-st \
         (Runner::new()); ferrio-core-st is a labelled extra"
    );
}

fn write_tsv(table: &[(&str, Vec<f64>)]) -> Result<(), String> {
    let mut tsv = String::from("operation\truntime\tinstructions\n");
    for (label, row) in table {
        for (runtime, v) in RUNTIMES.iter().zip(row).filter(|(_, v)| !v.is_nan()) {
            tsv.push_str(&format!("{label}\t{runtime}\t{v:.0}\n"));
        }
    }
    let path = root().join("target/ferrio-instructions.tsv");
    std::fs::write(&path, tsv).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::instruction_refs;

    #[test]
    fn reads_strace_total() {
        let summary = "% time     seconds  usecs/call     calls    errors syscall\n\
                       ------ ----------- ----------- --------- --------- -------\n\
                       100.00    0.020512           2      8216      1641 total\n";
        assert_eq!(super::total_calls(summary), Some(8216));
        assert_eq!(super::total_calls("nothing"), None);
    }

    #[test]
    fn reads_cachegrind_summary() {
        let stderr =
            "==12== Cachegrind, a cache profiler\n==12== \n==12== I   refs:      1,234,567\n";
        assert_eq!(instruction_refs(stderr), Some(1_234_567));
        assert_eq!(instruction_refs("no summary"), None);
    }
}
