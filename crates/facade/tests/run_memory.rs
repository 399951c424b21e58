//! `Runner::run` listens for Ctrl-C on every call, and a program may race each step
//! against `ctrl_c()`: neither may cost memory that stays after the call.
//!
//! One test in this file, so nothing else in the process allocates meanwhile.

#![cfg(target_os = "linux")]

/// Resident memory of this process, in bytes.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("statm's resident field");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

#[test]
fn runs_and_unfired_ctrl_c_futures_keep_memory_flat() {
    let runs = if cfg!(miri) {
        50
    } else if cfg!(debug_assertions) {
        50_000
    } else {
        1_000_000
    };
    // Listens for Ctrl-C on every run, wherever the test harness runs this test.
    let runner = ferrio::Runner::builder()
        .ctrl_c(Some(true))
        .build()
        .expect("runner");
    let step = |i: usize| {
        let value = runner.run(async move {
            // Half the steps race their work against Ctrl-C, which never comes.
            if i.is_multiple_of(2) {
                let ctrl_c = ferrio::signal::ctrl_c();
                futures_lite::future::or(async { Some(i) }, async {
                    ctrl_c.await.expect("Ctrl-C can be listened for");
                    None
                })
                .await
            } else {
                // Main waits once, so the runner's listener is polled: it reads
                // the signal pipe through the run's reactor and leaves its waker
                // there.
                ferrio::yield_now().await;
                Some(i)
            }
        });
        assert_eq!(value, Some(i));
    };
    // Warm-up: the signal thread, the runtime's pools, the allocator's.
    for i in 0..1_000 {
        step(i);
    }
    let before = resident_bytes();
    for i in 0..runs {
        step(i);
    }
    let grown = resident_bytes().saturating_sub(before);
    eprintln!("{runs} runs: resident memory +{grown} bytes");
    assert!(
        grown < 1 << 20,
        "resident memory grew by {grown} bytes over {runs} runs"
    );
}
