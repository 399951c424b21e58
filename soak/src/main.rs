//! `ferrio-soak`: stress scenarios run from outside, each with counts and a
//! zero-tolerance verdict. `cargo xtask soak [--minutes N]` builds it in release and
//! runs it.
//!
//! ```text
//! ferrio-soak [--minutes N | --quick] [--only NAME]...
//! ```
//!
//! The time is shared out between the scenarios; each runs whole rounds of its
//! workload (at least one) until its share is spent, and prints one line: its
//! counts, then `PASS` or `FAIL`. A count marked bad (lost or duplicated items,
//! early or cancelled timers that fired, leaked descriptors, jobs failed by anything
//! but a kill, ...) must be zero. The program exits 1 when any is not, and when a
//! scenario hangs past its share by more than [`HANG_GRACE`] (a watchdog ends it
//! with the scenario's name).

mod cancel;
mod memory;
mod net;
mod pool;
mod report;
mod runner_drop;
mod timers;
mod wake;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
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
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("ferrio-soak: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let chosen: Vec<_> = SCENARIOS
        .iter()
        .filter(|(name, _)| options.only.is_empty() || options.only.iter().any(|o| o == name))
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
    let watchdog = Watchdog::start();
    let started = Instant::now();
    let mut bad_total = 0;
    let mut failed = Vec::new();
    for (name, scenario) in chosen {
        watchdog.enter(name, share + HANG_GRACE);
        let began = Instant::now();
        let report = scenario(share);
        let bad = report.total_bad();
        println!("{}", report.line(name, began.elapsed()));
        bad_total += bad;
        if bad > 0 {
            failed.push(*name);
        }
    }
    watchdog.leave();
    println!(
        "ferrio-soak: {} in {:.0}s, {bad_total} bad counts{}",
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

const USAGE: &str = "usage: ferrio-soak [--minutes N | --quick] [--only NAME]...\n\
    scenarios: wake-storm-2 wake-storm-8 cancel-random runner-drop timers \
    process-pool-kills connect-close memory-plateau memory-plateau-mt";

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

/// Ends the program, naming the scenario, when one runs far past its share: a hang
/// (a lost wake-up, a drop that never returns) is a failure, not a stuck CI job.
struct Watchdog {
    current: Arc<Mutex<Option<(&'static str, Instant)>>>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let current: Arc<Mutex<Option<(&'static str, Instant)>>> = Arc::new(Mutex::new(None));
        let watched = Arc::clone(&current);
        std::thread::Builder::new()
            .name("soak-watchdog".to_string())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_millis(500));
                let now = Instant::now();
                let current = *watched.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((name, deadline)) = current {
                    if now > deadline {
                        println!("[soak] {name}: HUNG past its time share; FAIL");
                        println!("ferrio-soak: FAIL ({name} hung)");
                        std::process::exit(1);
                    }
                }
            })
            .expect("the watchdog thread starts");
        Watchdog { current }
    }

    fn enter(&self, name: &'static str, limit: Duration) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((name, Instant::now() + limit));
    }

    fn leave(&self) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
