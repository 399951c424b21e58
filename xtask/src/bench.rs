//! `cargo xtask bench [--quick] [--steady-heap] [--filter REGEX] [BENCH...]`: runs
//! the criterion benches, then prints one table (workload, each runtime's median,
//! ferrio's ratio to the best peer of the same flavour, the labelled extras) and
//! writes `target/ferrio-bench.tsv` (`workload`, `runtime`, `median_ns`).
//!
//! `cargo xtask bench --instructions`: instructions per operation under valgrind
//! instead (see [`instructions`]).
//!
//! `--steady-heap` runs the benches with glibc's heap trimming off (fixed
//! `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD`, through `GLIBC_TUNABLES`), for every
//! runtime alike. By default glibc gives the top of its heap back to the OS when a
//! large block is freed and the free space there exceeds a threshold that it raises
//! as the process frees big mapped blocks; so whether a workload that frees
//! megabytes per run (`spawn_many`: about 16 MB of tasks and handles) finds its
//! memory again or page-faults it back in every run depends on what the process
//! did before: which runtime ran first, and whether some live allocation happens to
//! sit above the freed space. On this 2-core VM that moved `spawn_many` on
//! `ferrio-st` between 8.6 ms and 19 ms (about 3 800 page faults a run) with the
//! code unchanged. The default keeps what users get; this flag shows the runtimes'
//! own cost.
//!
//! Criterion stores each result in `target/criterion/<group>/<id>/new/estimates.json`;
//! groups are workloads and ids are runtime names, so the table is read back from
//! there, keeping only what this run wrote. The runtime names come from the benches'
//! own list, `benches/src/runtimes.rs`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use crate::cmd::root;

mod instructions;

// The benches' list of runtime names, shared with them (the file has no
// dependencies); xtask uses the names only.
#[path = "../../benches/src/runtimes.rs"]
#[allow(dead_code, unreachable_pub)]
mod runtimes;

use runtimes::{EXTRAS, MULTI, SINGLE};

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--instructions") {
        return instructions::run();
    }
    let quick = args.iter().any(|a| a == "--quick");
    let steady_heap = args.iter().any(|a| a == "--steady-heap");
    let mut filter = None;
    let mut benches = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" | "--steady-heap" => {}
            "--filter" => {
                filter = Some(
                    rest.next()
                        .ok_or("--filter needs a regex (group/runtime)")?,
                );
            }
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
            bench => benches.push(bench),
        }
    }
    let started = SystemTime::now();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .current_dir(root())
        .args(["bench", "-p", "ferrio-benches"]);
    for bench in &benches {
        command.args(["--bench", bench]);
    }
    command.arg("--");
    if let Some(filter) = filter {
        command.arg(filter);
    }
    if quick {
        command.args([
            "--warm-up-time",
            "0.5",
            "--measurement-time",
            "1.5",
            "--sample-size",
            "10",
        ]);
    }
    if steady_heap {
        command.env("GLIBC_TUNABLES", steady_heap_tunables());
    }
    let status = command.status().map_err(|e| format!("cargo bench: {e}"))?;
    if !status.success() {
        return Err(format!("cargo bench failed: {status}"));
    }

    let results = collect(&root().join("target/criterion"), started);
    if results.is_empty() {
        return Err("no criterion results were written".to_string());
    }
    print_table(&results);
    write_tsv(&results)?;
    Ok(())
}

/// `GLIBC_TUNABLES` for `--steady-heap`: a trim threshold no bench reaches, and the
/// largest mmap threshold glibc accepts (32 MiB), so big vectors come from the heap
/// and are reused too. Setting either one also stops glibc's dynamic adjustment of
/// both, which is what made the figures depend on the bench order. Tunables already
/// in the environment are kept, with these after them.
fn steady_heap_tunables() -> String {
    const STEADY: &str =
        "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432";
    match std::env::var("GLIBC_TUNABLES") {
        Ok(existing) if !existing.is_empty() => format!("{existing}:{STEADY}"),
        _ => STEADY.to_string(),
    }
}

/// workload -> runtime (or other id) -> median in nanoseconds.
type Results = BTreeMap<String, BTreeMap<String, f64>>;

fn collect(dir: &Path, since: SystemTime) -> Results {
    let mut results = Results::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "report" && n != "base") {
                    stack.push(p);
                }
                continue;
            }
            if p.file_name().is_none_or(|n| n != "estimates.json")
                || p.parent()
                    .and_then(|d| d.file_name())
                    .is_none_or(|n| n != "new")
            {
                continue;
            }
            let fresh = p
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= since);
            if !fresh {
                continue;
            }
            let Some(median) = std::fs::read_to_string(&p).ok().and_then(|t| median_ns(&t)) else {
                continue;
            };
            // <dir>/<group>/<id...>/new/estimates.json
            let Ok(rel) = p.parent().unwrap().parent().unwrap().strip_prefix(dir) else {
                continue;
            };
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.len() < 2 {
                continue;
            }
            results
                .entry(parts[0].clone())
                .or_default()
                .insert(parts[1..].join("/"), median);
        }
    }
    results
}

/// The median's point estimate from criterion's `estimates.json`, read without a
/// JSON dependency: the file's shape is fixed by criterion.
fn median_ns(json: &str) -> Option<f64> {
    let at = json.find("\"median\"")?;
    let rest = &json[at..];
    let at = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let rest = rest[at..].trim_start();
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// ferrio's time divided by the best peer's time of the same flavour (below 1.00:
/// ferrio is faster).
fn ratio(row: &BTreeMap<String, f64>, group: &[&str; 3]) -> String {
    let ferrio = row.get(group[0]);
    let best = group[1..]
        .iter()
        .filter_map(|r| row.get(*r))
        .copied()
        .reduce(f64::min);
    match (ferrio, best) {
        (Some(f), Some(b)) if b > 0.0 => format!("{:.2}", f / b),
        _ => "-".to_string(),
    }
}

fn print_table(results: &Results) {
    let cell =
        |row: &BTreeMap<String, f64>, r: &str| row.get(r).map(|v| human(*v)).unwrap_or("-".into());
    let mut header = vec!["workload".to_string()];
    header.extend(SINGLE.iter().map(|s| s.to_string()));
    header.push("st ratio".into());
    header.extend(MULTI.iter().map(|s| s.to_string()));
    header.push("mt ratio".into());
    let extras: Vec<&str> = EXTRAS
        .into_iter()
        .filter(|e| results.values().any(|row| row.contains_key(*e)))
        .collect();
    header.extend(extras.iter().map(|s| s.to_string()));
    let mut rows = vec![header];
    let mut others = Vec::new();
    for (workload, row) in results {
        let known = row.keys().any(|k| known(k));
        if !known {
            for (id, v) in row {
                others.push(format!("{workload}/{id}\t{}", human(*v)));
            }
            continue;
        }
        let mut line = vec![workload.clone()];
        line.extend(SINGLE.iter().map(|r| cell(row, r)));
        line.push(ratio(row, &SINGLE));
        line.extend(MULTI.iter().map(|r| cell(row, r)));
        line.push(ratio(row, &MULTI));
        line.extend(extras.iter().map(|r| cell(row, r)));
        rows.push(line);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    println!();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            println!("|-{}-|", rule.join("-|-"));
        }
    }
    println!(
        "\nratio = ferrio / best peer of the same flavour (below 1.00: ferrio is faster); \
         {} are labelled extras, in no ratio",
        EXTRAS.join(", ")
    );
    if !others.is_empty() {
        println!("\nother measurements (median):");
        for line in others {
            println!("  {line}");
        }
    }
}

/// A runtime name of the table (peer or extra), not another measurement's id.
fn known(id: &str) -> bool {
    SINGLE.contains(&id) || MULTI.contains(&id) || EXTRAS.contains(&id)
}

fn write_tsv(results: &Results) -> Result<(), String> {
    let mut tsv = String::from("workload\truntime\tmedian_ns\n");
    for (workload, row) in results {
        for (runtime, v) in row {
            if known(runtime) {
                tsv.push_str(&format!("{workload}\t{runtime}\t{v:.0}\n"));
            }
        }
    }
    let path = root().join("target/ferrio-bench.tsv");
    std::fs::write(&path, tsv).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\nwrote {}", path.display());
    Ok(())
}
