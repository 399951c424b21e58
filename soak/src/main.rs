//! `ferrio-soak`: stress scenarios run from outside, each with counts and a
//! zero-tolerance verdict. `cargo xtask soak [--minutes N]` builds it in release and
//! runs it.
//!
//! ```text
//! ferrio-soak [--minutes N | --quick] [--only NAME]...
//! ```
//!
//! The time is shared out between the scenarios; each runs in a process of its own
//! (this program run again with `--child NAME`), so that descriptors, threads and
//! resident memory are measured from a clean baseline. A scenario runs whole rounds
//! of its workload (at least one) until its share is spent, and prints one line:
//! its counts, then `PASS` or `FAIL`. A count marked bad (lost or duplicated items,
//! early or cancelled timers that fired, leaked descriptors, jobs failed by anything
//! but a kill, ...) must be zero. The program exits 1 when any is not, when a
//! scenario crashes, and when one runs past its share by more than [`HANG_GRACE`]
//! (it is killed and named).

mod cancel;
mod memory;
mod net;
mod pool;
mod report;
mod runner_drop;
mod timers;
mod wake;

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use report::Report;

/// How long a scenario may run past its share before the watchdog calls it hung.
const HANG_GRACE: Duration = Duration::from_secs(120);

/// The quick run's total time (test-all runs it).
const QUICK_MINUTES: f64 = 2.0;

/// The default total time.
const DEFAULT_MINUTES: f64 = 10.0;

type Scenario = fn(Duration) -> Report;

const SCENARIOS: [(&str, Scenario); 9] = [
    ("wake-storm-2", |budget| wake::storm(2, budget)),
    ("wake-storm-8", |budget| wake::storm(8, budget)),
    ("cancel-random", cancel::run),
    ("runner-drop", runner_drop::run),
    ("timers", timers::run),
    ("process-pool-kills", pool::run),
    ("connect-close", net::run),
    ("memory-plateau", memory::run),
    ("memory-plateau-mt", memory::run_multi_thread),
];

fn main() -> ExitCode {
    pool::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, name, millis] = &args[..] {
        if flag == "--child" {
            return child(name, millis);
        }
    }
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("ferrio-soak: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let chosen: Vec<&str> = SCENARIOS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| options.only.is_empty() || options.only.iter().any(|o| o == name))
        .collect();
    if chosen.is_empty() {
        eprintln!("ferrio-soak: no scenario matches {:?}", options.only);
        return ExitCode::from(2);
    }
    let total = Duration::from_secs_f64(options.minutes * 60.0);
    let share = total / chosen.len() as u32;
    println!(
        "ferrio-soak: {} scenarios, {:.1} minutes in all ({:.0}s each)",
        chosen.len(),
        options.minutes,
        share.as_secs_f64()
    );
    let started = Instant::now();
    let mut failed = Vec::new();
    for name in chosen {
        if let Err(why) = run_child(name, share) {
            println!("[soak] {name}: {why}  FAIL");
            failed.push(name);
        }
    }
    println!(
        "ferrio-soak: {} in {:.0}s{}",
        if failed.is_empty() { "PASS" } else { "FAIL" },
        started.elapsed().as_secs_f64(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" (failed: {})", failed.join(", "))
        }
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one scenario in a process of its own; its line goes straight to stdout.
fn run_child(name: &str, share: Duration) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut child = Command::new(exe)
        .args(["--child", name, &share.as_millis().to_string()])
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let deadline = Instant::now() + share + HANG_GRACE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("ended with {status}")),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "HUNG: still running {}s past its share; killed",
                    HANG_GRACE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("wait failed: {e}")),
        }
    }
}

/// The child side: runs scenario `name` for `millis` and prints its line; exits 1
/// on any bad count.
fn child(name: &str, millis: &str) -> ExitCode {
    let Some((_, scenario)) = SCENARIOS.iter().find(|(known, _)| *known == name) else {
        eprintln!("ferrio-soak: unknown scenario `{name}`");
        return ExitCode::from(2);
    };
    let Ok(millis) = millis.parse::<u64>() else {
        eprintln!("ferrio-soak: `{millis}` is not a number of milliseconds");
        return ExitCode::from(2);
    };
    let began = Instant::now();
    let report = scenario(Duration::from_millis(millis));
    println!("{}", report.line(name, began.elapsed()));
    if report.total_bad() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

const USAGE: &str = "usage: ferrio-soak [--minutes N | --quick] [--only NAME]...\n\
    scenarios: wake-storm-2 wake-storm-8 cancel-random runner-drop timers \
    process-pool-kills connect-close memory-plateau memory-plateau-mt";

#[derive(Debug)]
struct Options {
    minutes: f64,
    only: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            minutes: DEFAULT_MINUTES,
            only: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => options.minutes = QUICK_MINUTES,
                "--minutes" => {
                    let value = args.next().ok_or("--minutes needs a number")?;
                    options.minutes = value
                        .parse::<f64>()
                        .ok()
                        .filter(|minutes| minutes.is_finite() && *minutes > 0.0)
                        .ok_or_else(|| format!("--minutes {value}: not a positive number"))?;
                }
                "--only" => options
                    .only
                    .push(args.next().ok_or("--only needs a scenario name")?.clone()),
                "--help" | "-h" => return Err("help".to_string()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn minutes_quick_and_only_are_understood() {
        assert_eq!(parse(&[]).unwrap().minutes, DEFAULT_MINUTES);
        assert_eq!(parse(&["--quick"]).unwrap().minutes, QUICK_MINUTES);
        let options = parse(&["--minutes", "0.5", "--only", "timers"]).unwrap();
        assert_eq!(options.minutes, 0.5);
        assert_eq!(options.only, ["timers"]);
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(parse(&["--minutes"])
            .unwrap_err()
            .contains("needs a number"));
        assert!(parse(&["--minutes", "-1"])
            .unwrap_err()
            .contains("not a positive number"));
        assert!(parse(&["--minutes", "soon"])
            .unwrap_err()
            .contains("not a positive number"));
        assert!(parse(&["--fast"]).unwrap_err().contains("unknown argument"));
    }

    #[test]
    fn every_scenario_is_named_in_the_usage() {
        for (name, _) in SCENARIOS {
            assert!(USAGE.contains(name), "{name} missing from the usage");
        }
    }
}
