//! What a scenario found: named counts, some of which must be zero, and the helpers
//! that measure the process from inside (descriptors, threads, resident memory).

use std::fmt::Write;
use std::time::{Duration, Instant};

/// One scenario's counts, in the order they were added.
#[derive(Default)]
pub(crate) struct Report {
    counts: Vec<(&'static str, u64, Kind)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Work done: rounds, items, kills. Says how hard the scenario pushed.
    Info,
    /// Must be zero: anything lost, duplicated, leaked, early, late or wrong.
    Bad,
}

impl Report {
    pub(crate) fn new() -> Report {
        Report::default()
    }

    /// Adds `value` to the work count `name`.
    pub(crate) fn info(&mut self, name: &'static str, value: u64) -> &mut Self {
        self.add(name, value, Kind::Info)
    }

    /// Adds `value` to the count `name`, which must stay zero.
    pub(crate) fn bad(&mut self, name: &'static str, value: u64) -> &mut Self {
        self.add(name, value, Kind::Bad)
    }

    fn add(&mut self, name: &'static str, value: u64, kind: Kind) -> &mut Self {
        match self.counts.iter_mut().find(|(n, _, _)| *n == name) {
            Some(count) => count.1 += value,
            None => self.counts.push((name, value, kind)),
        }
        self
    }

    /// Adds every count of `other` into this report.
    pub(crate) fn merge(&mut self, other: &Report) {
        for &(name, value, kind) in &other.counts {
            self.add(name, value, kind);
        }
    }

    /// The sum of the counts that must be zero.
    pub(crate) fn total_bad(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(_, _, kind)| *kind == Kind::Bad)
            .map(|(_, value, _)| value)
            .sum()
    }

    /// The scenario's line: `[soak] NAME (12s): a=1 b=2 | bad: c=0 d=0  PASS`.
    pub(crate) fn line(&self, scenario: &str, elapsed: Duration) -> String {
        let mut line = format!("[soak] {scenario} ({:.1}s):", elapsed.as_secs_f64());
        for (name, value, _) in self.counts.iter().filter(|c| c.2 == Kind::Info) {
            let _ = write!(line, " {name}={value}");
        }
        line.push_str(" | must be 0:");
        for (name, value, _) in self.counts.iter().filter(|c| c.2 == Kind::Bad) {
            let _ = write!(line, " {name}={value}");
        }
        line.push_str(if self.total_bad() == 0 {
            "  PASS"
        } else {
            "  FAIL"
        });
        line
    }
}

/// A scenario's time share: whole rounds until it is spent, at least one.
pub(crate) struct Budget {
    until: Instant,
    rounds: u64,
}

impl Budget {
    pub(crate) fn new(share: Duration) -> Budget {
        Budget {
            until: Instant::now() + share,
            rounds: 0,
        }
    }

    /// Whether to run another round; counts it.
    pub(crate) fn another_round(&mut self) -> bool {
        let go = self.rounds == 0 || Instant::now() < self.until;
        if go {
            self.rounds += 1;
        }
        go
    }

    pub(crate) fn rounds(&self) -> u64 {
        self.rounds
    }
}

/// Open descriptors of this process.
pub(crate) fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count() as u64)
}

/// What each open descriptor of this process refers to (`socket:[..]`,
/// `anon_inode:[eventpoll]`, a path), by number: compared with a baseline it names a
/// leak, so a failing count says what was left open.
pub(crate) fn fd_targets() -> std::collections::BTreeMap<u64, String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Default::default();
    };
    dir.flatten()
        .filter_map(|entry| {
            let fd = entry.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            Some((fd, target.display().to_string()))
        })
        .collect()
}

/// The descriptors open now that were not in `baseline`, as `fd=target` words, for
/// the line of a scenario that leaked.
pub(crate) fn fds_beyond(baseline: &std::collections::BTreeMap<u64, String>) -> String {
    fd_targets()
        .into_iter()
        .filter(|(fd, target)| baseline.get(fd) != Some(target))
        .map(|(fd, target)| format!("{fd}={target}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Threads of this process, but the blocking pool's (which outlive runners by
/// design, until their idle timeout).
pub(crate) fn threads_but_blocking_pool() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .map(|comm| !comm.starts_with("ferrio-blocking"))
                .unwrap_or(false)
        })
        .count() as u64
}

/// Resident memory in KiB, from /proc/self/statm.
pub(crate) fn resident_kib() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(1) as u64 / 1024
}

/// Polls `done` until it holds or `limit` passes; whether it held.
pub(crate) fn settle(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A runner of the flavour numbered `round` (alternating), with Ctrl-C left alone.
pub(crate) fn runner(round: u64, workers: usize) -> ferrio::Runner {
    let builder = ferrio::Runner::builder().ctrl_c(Some(false));
    let builder = if round.is_multiple_of(2) {
        builder.current_thread()
    } else {
        builder.multi_thread().worker_threads(workers)
    };
    builder.build().expect("the runner starts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonzero_bad_count_fails_the_line_and_info_counts_do_not() {
        let mut report = Report::new();
        report.info("items", 5).bad("lost", 0);
        assert_eq!(report.total_bad(), 0);
        assert_eq!(
            report.line("demo", Duration::from_millis(1500)),
            "[soak] demo (1.5s): items=5 | must be 0: lost=0  PASS"
        );
        let mut round = Report::new();
        round.info("items", 2).bad("lost", 1);
        report.merge(&round);
        assert_eq!(report.total_bad(), 1);
        assert_eq!(
            report.line("demo", Duration::from_millis(1500)),
            "[soak] demo (1.5s): items=7 | must be 0: lost=1  FAIL"
        );
    }

    #[test]
    fn a_budget_runs_one_round_even_when_spent() {
        let mut budget = Budget::new(Duration::ZERO);
        assert!(budget.another_round());
        assert!(!budget.another_round());
        assert_eq!(budget.rounds(), 1);
    }
}
