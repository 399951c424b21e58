//! The process-pool kill storm, one copy for executor-pool's kill-storm test and the
//! soak's pool scenario (each includes this file with `#[path]`), so that a fix to
//! the storm lands in both.
//!
//! It only sees the pool through a closure that lists the live workers' pids, so the
//! file names no crate: the test reaches the pool as `ferrio_executor_pool`, the soak
//! as `ferrio::executor_pool`.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A thread that SIGKILLs half the new workers as soon as it sees them (most before
/// they are ready), and a random worker every ~10 ms.
pub struct Storm {
    stop: Arc<AtomicBool>,
    kills: Arc<AtomicU64>,
    thread: thread::JoinHandle<()>,
}

impl Storm {
    /// Starts the storm on the workers `worker_pids` lists (the pool's
    /// `worker_pids`).
    pub fn start(worker_pids: impl Fn() -> Vec<u32> + Send + 'static) -> Storm {
        let stop = Arc::new(AtomicBool::new(false));
        let kills = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, kills) = (Arc::clone(&stop), Arc::clone(&kills));
            thread::spawn(move || {
                let mut random = Xorshift(0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id()));
                let mut seen = HashSet::new();
                let mut killed = Vec::new();
                let mut next_random_kill = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_micros(200));
                    let pids = worker_pids();
                    let mut victims = Vec::new();
                    // Half the workers die on sight, most of them while starting.
                    for &pid in &pids {
                        if seen.insert(pid) && random.next().is_multiple_of(2) {
                            victims.push(pid);
                        }
                    }
                    // And every ~10 ms, any worker: idle, busy or retiring.
                    if Instant::now() >= next_random_kill && !pids.is_empty() {
                        next_random_kill =
                            Instant::now() + Duration::from_millis(5 + random.next() % 10);
                        victims.push(pids[(random.next() % pids.len() as u64) as usize]);
                    }
                    for pid in victims {
                        if is_live_child(pid) {
                            // SAFETY: kill(2) only sends a signal; the pid is a live,
                            // unreaped child of this process (checked just above).
                            if unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) } == 0 {
                                kills.fetch_add(1, Ordering::Relaxed);
                                killed.push(pid);
                            }
                        }
                    }
                }
                // kill(2) returns before its victim is gone: a job written to a
                // worker killed just before the stop could still reach its pipe and
                // fail by the kill. Once every victim has exited (its pipes closed),
                // a job for one of them provably never reaches it and is put back.
                let settle_by = Instant::now() + Duration::from_secs(30);
                killed.retain(|&pid| is_live_child(pid));
                while !killed.is_empty() {
                    assert!(
                        Instant::now() < settle_by,
                        "killed workers still running 30 s after SIGKILL: {killed:?}"
                    );
                    thread::sleep(Duration::from_millis(1));
                    killed.retain(|&pid| is_live_child(pid));
                }
            })
        };
        Storm {
            stop,
            kills,
            thread,
        }
    }

    /// Ends the storm once every worker it killed has exited; the number of kills
    /// that landed.
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the kill-storm thread panicked");
        self.kills.load(Ordering::Relaxed)
    }
}

/// A small generator, so that neither includer needs a random-number crate.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Whether `pid` is a live (not zombie) child of this process: a reaped worker's
/// pid may already belong to someone else.
fn is_live_child(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some(after) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
        return false;
    };
    let mut fields = after.split_whitespace();
    let state = fields.next();
    let ppid = fields.next().and_then(|field| field.parse::<u32>().ok());
    state != Some("Z") && ppid == Some(std::process::id())
}
