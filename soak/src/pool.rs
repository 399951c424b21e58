//! Process-pool kill storms: workers SIGKILLed as soon as they appear (half of them,
//! most before they are ready) and at random every ~10 ms, with
//! `max_tasks_per_child` 1 to 3, while 10 000 jobs a round run. Every job must
//! resolve (submitted == resolved), to its value or, for the job a killed worker
//! held, to an error naming SIGKILL; no job may run twice; the pool must serve jobs
//! once the storm is over.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferrio::executor_pool::{Death, Job, ProcessPool, ProcessPoolError, Registry};

use crate::report::{runner, Budget, Report};

#[path = "../../test-support/kill_storm.rs"]
mod kill_storm;
use kill_storm::Storm;

/// Appends `"<n>\n"` to the file at the path (one O_APPEND write) and returns n.
const RECORD: Job<(String, u64), u64> = Job::new("record");
const SQUARE: Job<u64, u64> = Job::new("square");

const JOBS_PER_ROUND: u64 = 10_000;
const ROUND_LIMIT: Duration = Duration::from_secs(300);

fn jobs() -> Registry {
    let mut registry = Registry::new();
    registry
        .register(RECORD, |(path, n): (String, u64)| {
            let mut log = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .expect("the job log opens");
            log.write_all(format!("{n}\n").as_bytes())
                .expect("the job log takes a line");
            n
        })
        .register(SQUARE, |n: u64| n * n);
    registry
}

/// Turns this process into a pool worker when it was started as one.
pub(crate) fn init() {
    ferrio::executor_pool::init(jobs);
}

pub(crate) fn run(share: Duration) -> Report {
    let mut report = Report::new();
    let mut budget = Budget::new(share);
    while budget.another_round() {
        let quota = (budget.rounds() - 1) % 3 + 1;
        report.merge(&round(budget.rounds(), quota as usize));
    }
    report.info("rounds", budget.rounds());
    report
}

fn round(number: u64, quota: usize) -> Report {
    let dir =
        std::env::temp_dir().join(format!("ferrio-soak-pool-{}-{number}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory is created");
    let log: PathBuf = dir.join("log");
    let log_path = log.to_string_lossy().into_owned();
    let pool = ProcessPool::builder()
        .max_workers(4)
        .max_tasks_per_child(quota)
        .build()
        .expect("the pool is built");
    let storm = Storm::start({
        let pool = pool.clone();
        move || pool.worker_pids()
    });
    let runner = runner(number, 2);
    let deadline = Instant::now() + ROUND_LIMIT;
    let results = runner.run(async {
        let jobs: Vec<_> = (0..JOBS_PER_ROUND)
            .map(|n| pool.run(RECORD, (log_path.clone(), n)))
            .collect();
        ferrio::timeout_at(deadline, ferrio::gather(jobs)).await
    });
    let kills = storm.stop();
    let mut report = Report::new();
    report.info("jobs", JOBS_PER_ROUND).info("kills", kills);
    let Ok(results) = results else {
        report.bad("jobs_unresolved_at_deadline", JOBS_PER_ROUND);
        return report;
    };
    let mut ran: HashMap<u64, u64> = HashMap::new();
    for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
        if let Ok(n) = line.parse() {
            *ran.entry(n).or_default() += 1;
        }
    }
    let (mut ok, mut killed, mut other_errors, mut ran_twice, mut wrong_values) = (0, 0, 0, 0, 0);
    let mut other_reasons = HashSet::new();
    for (n, result) in results.into_iter().enumerate() {
        let n = n as u64;
        let runs = ran.get(&n).copied().unwrap_or(0);
        match result {
            Ok(value) => {
                ok += 1;
                wrong_values += u64::from(value != n);
                ran_twice += u64::from(runs != 1);
            }
            Err(ProcessPoolError::WorkerDied {
                death:
                    Death::Signal {
                        number: libc::SIGKILL,
                        ..
                    },
                ..
            }) => {
                killed += 1;
                ran_twice += u64::from(runs > 1);
            }
            Err(error) => {
                other_errors += 1;
                other_reasons.insert(error.to_string());
            }
        }
    }
    for reason in other_reasons.iter().take(3) {
        println!("[soak] process-pool-kills: a job failed otherwise: {reason}");
    }
    // The storm is over: the pool serves again.
    let after = runner.run(async {
        let jobs: Vec<_> = (0..100u64).map(|n| pool.run(SQUARE, n)).collect();
        ferrio::timeout_at(Instant::now() + ROUND_LIMIT, ferrio::gather(jobs)).await
    });
    let failed_after = match after {
        Ok(results) => results
            .into_iter()
            .enumerate()
            .filter(|(n, result)| result.as_ref().ok() != Some(&(*n as u64 * *n as u64)))
            .count() as u64,
        Err(_) => 100,
    };
    report
        .info("ok", ok)
        .info("failed_by_the_kill", killed)
        .info("workers_started", pool.workers_started())
        .bad("failed_otherwise", other_errors)
        .bad("wrong_values", wrong_values)
        .bad("ran_twice_or_not_at_all", ran_twice)
        .bad("broken", u64::from(pool.broken_reason().is_some()))
        .bad("failed_after_the_storm", failed_after);
    pool.shutdown(true);
    drop(runner);
    let _ = std::fs::remove_dir_all(&dir);
    report
}
