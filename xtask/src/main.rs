//! `cargo xtask`: the project's tasks, one module each.
//!
//! - `cargo xtask test-all`: everything CI checks, in order, one summary line a step.
//! - `cargo xtask bench [--quick] [--steady-heap] [--filter REGEX] [BENCH...]`: the
//!   criterion benches, then one table (workload x runtime) and
//!   `target/ferrio-bench.tsv` (`--steady-heap`: glibc's heap trimming off);
//!   `cargo xtask bench --instructions`: instructions (valgrind) and system calls
//!   (strace) per spawn+await, yield, ping_pong round trip, chained spawn and run.
//! - `cargo xtask loom`: the loom models of every crate that has them.
//! - `cargo xtask miri`: the crates with unsafe code under miri.
//! - `cargo xtask examples`: every example, each with a time limit.
//! - `cargo xtask soak [--minutes N | --quick]`: the stress scenarios, with counts
//!   and a zero-tolerance verdict.

mod bench;
mod cmd;
mod examples;
mod loom;
mod miri;
mod soak;
mod test_all;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => return usage(),
    };
    let result = match task {
        "test-all" => test_all::run(rest),
        "bench" => bench::run(rest),
        "loom" => loom::run().map(|_| ()),
        "miri" => miri::run().map(|_| ()),
        "examples" => examples::run().map(|_| ()),
        "soak" => soak::run(rest),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         test-all [--no-miri] [--no-loom] [--no-soak]\n  \
                                             everything CI checks\n  \
         bench [--quick] [--steady-heap] [--filter RE] [BENCH...]\n                                     criterion benches + table + target/ferrio-bench.tsv\n                                     (--steady-heap: glibc heap trimming off)\n  \
         bench --instructions                instructions and system calls per operation\n  \
         loom                                loom models\n  \
         miri                                crates with unsafe code under miri\n  \
         examples                            run every example with a time limit\n  \
         soak [--minutes N | --quick]        stress scenarios, zero-tolerance verdict"
    );
    ExitCode::FAILURE
}
