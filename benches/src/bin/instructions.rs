//! `ferrio-instructions RUNTIME OP N`: runs one operation N times on one runtime,
//! for `cargo xtask bench --instructions`, which counts the instructions of two
//! runs under valgrind and divides the difference by the difference of N.
//!
//! - `spawn`: spawn N tasks returning a u64, then await each (`spawn_many`'s body);
//! - `yield`: 100 tasks each yield N / 100 times (`yield_many`'s body);
//! - `ping`: N round trips of `ping_pong`'s body (two capacity-1 channels);
//! - `chain`: a chain of N tasks, each spawning the next (`chained_spawn`'s body);
//! - `echo`: N loopback echo round trips of 64 bytes, spread over [`ECHO_CLIENTS`]
//!   clients (`tcp_echo_rr`'s body); needs a reactor, so not on `ferrio-core-st`;
//! - `sleep`: N concurrent sleeps of random 0..10 ms, each in its own task
//!   (`timers`' body; under valgrind most are due before their first poll);
//! - `sleep10s`: the same, 10 s longer, so each one is armed and fires (about ten
//!   seconds of wall time);
//! - `far`: N sleeps of 30 s armed (polled once) and cancelled (dropped), 64 of them
//!   armed at a time (an HTTP/1 server's header-read timeouts);
//! - `block_on`: N runs of an empty workload, each [`Rt::block_on`] (for ferrio a
//!   `Runner::run`) with its spawned main task: the fixed cost of every run.
//!
//! Both run inside a spawned task, through the same [`Rt`] as the criterion benches.

use std::process::ExitCode;
use std::time::Duration;

use ferrio_benches::workloads::{
    chained_spawn, echo_round_trips, far_timers, ping_pong, spawn_many, timers, yield_many,
    ECHO_CLIENTS,
};
use ferrio_benches::{with_runtime, Rt, Visit};

/// Tasks that share the yields of `yield`.
const YIELD_TASKS: usize = 100;
/// Far timers armed at a time in `far`.
const FAR_LIVE: usize = 64;

struct Op {
    op: String,
    n: u64,
}

impl Visit for Op {
    fn visit<R: Rt>(&mut self, rt: &R) {
        let n = self.n;
        match self.op.as_str() {
            "spawn" => {
                let sum = rt.block_on(spawn_many::<R>(n));
                assert_eq!(sum, n * n.saturating_sub(1) / 2);
            }
            "yield" => {
                let per_task = usize::try_from(n).expect("N fits usize") / YIELD_TASKS;
                let done = rt.block_on(yield_many::<R>(YIELD_TASKS, per_task));
                assert_eq!(done, YIELD_TASKS * per_task);
            }
            "ping" => assert_eq!(rt.block_on(ping_pong::<R>(n)), n),
            "chain" => {
                let depth = usize::try_from(n).expect("N fits usize").max(1);
                rt.block_on(chained_spawn::<R>(depth));
            }
            "echo" => {
                let per_client = usize::try_from(n).expect("N fits usize") / ECHO_CLIENTS;
                let done = rt.block_on(echo_round_trips::<R>(ECHO_CLIENTS, per_client));
                assert_eq!(done, ECHO_CLIENTS * per_client);
            }
            "sleep" | "sleep10s" => {
                let base = Duration::from_secs(if self.op == "sleep" { 0 } else { 10 });
                rt.block_on(timers::<R>(usize::try_from(n).expect("N fits usize"), base));
            }
            "far" => {
                let n = usize::try_from(n).expect("N fits usize");
                assert_eq!(rt.block_on(far_timers::<R>(n, FAR_LIVE)), n);
            }
            "block_on" => {
                for _ in 0..n {
                    rt.block_on(async {});
                }
            }
            other => {
                panic!("unknown operation {other}: spawn, yield, ping, chain, echo, sleep, sleep10s, far or block_on")
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, op, n] = args.as_slice() else {
        eprintln!(
            "usage: ferrio-instructions RUNTIME spawn|yield|ping|chain|echo|sleep|sleep10s|far|block_on N"
        );
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse() else {
        eprintln!("N must be a whole number, not {n}");
        return ExitCode::FAILURE;
    };
    let mut visit = Op { op: op.clone(), n };
    if !with_runtime(runtime, &mut visit) {
        eprintln!("unknown runtime {runtime}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
