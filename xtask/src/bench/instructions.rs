//! `cargo xtask bench --instructions`: instructions per spawn+await and per yield,
//! counted by valgrind, for ferrio's single-thread loop (`ferrio::Runner::new()`),
//! tokio current_thread and smol's `LocalExecutor`, with the bare `ferrio-core`
//! loop as a labelled extra.
//!
//! Wall-clock medians move with the machine's load; an instruction count does not.
//! Each figure comes from two runs of the release binary `ferrio-instructions` (the
//! bench profile, as criterion's benches) under `valgrind --tool=cachegrind`, with
//! N small and N large: the difference of the counts divided by the difference of
//! N leaves one operation's instructions, without start-up and shutdown. The table
//! is printed and written to `target/ferrio-instructions.tsv` (`operation`,
//! `runtime`, `instructions`).

use std::process::Command;

use crate::cmd::{cargo, root};

/// Runtimes in table order: ferrio, its peers, then the extra.
const RUNTIMES: [&str; 4] = ["ferrio-st", "tokio-ct", "smol-1t", "ferrio-core-st"];

/// (operation argument, table name, small N, large N).
const OPERATIONS: [(&str, &str, u64, u64); 2] = [
    ("spawn", "spawn+await", 10_000, 60_000),
    ("yield", "yield", 10_000, 60_000),
];

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
            let few = count(&binary, runtime, op, small)?;
            let many = count(&binary, runtime, op, large)?;
            let per_op = (many as f64 - few as f64) / (large - small) as f64;
            eprintln!("{label:<12} {runtime:<15} {few:>14} / {many:>14} instructions -> {per_op:.0} per op");
            row.push(per_op);
        }
        table.push((label, row));
    }
    print_table(&table);
    write_tsv(&table)
}

/// Instructions of one run, all threads, as cachegrind's summary gives them.
fn count(binary: &std::path::Path, runtime: &str, op: &str, n: u64) -> Result<u64, String> {
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

fn print_table(table: &[(&str, Vec<f64>)]) {
    println!();
    println!(
        "| operation   | {} | ferrio/tokio | ferrio/smol |",
        RUNTIMES.map(|r| format!("{r:>14}")).join(" | ")
    );
    println!(
        "|-------------|-{}-|--------------|-------------|",
        RUNTIMES.map(|_| "-".repeat(14)).join("-|-")
    );
    for (label, row) in table {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:>14.0}")).collect();
        println!(
            "| {label:<11} | {} | {:>12.2} | {:>11.2} |",
            cells.join(" | "),
            row[0] / row[1],
            row[0] / row[2]
        );
    }
    println!(
        "\ninstructions per operation (valgrind, difference of two runs); ferrio = ferrio-st \
         (Runner::new()); ferrio-core-st is a labelled extra"
    );
}

fn write_tsv(table: &[(&str, Vec<f64>)]) -> Result<(), String> {
    let mut tsv = String::from("operation\truntime\tinstructions\n");
    for (label, row) in table {
        for (runtime, v) in RUNTIMES.iter().zip(row) {
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
    fn reads_cachegrind_summary() {
        let stderr =
            "==12== Cachegrind, a cache profiler\n==12== \n==12== I   refs:      1,234,567\n";
        assert_eq!(instruction_refs(stderr), Some(1_234_567));
        assert_eq!(instruction_refs("no summary"), None);
    }
}
