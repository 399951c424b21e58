//! The runner's Ctrl-C listener across signals raised by the main future itself
//! (thread-directed with `raise`, so the handler has run when it returns): a
//! Ctrl-C belongs to the run it came in, and a second one stops that run at once.

#![cfg(unix)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libc::SIGINT;

/// Signals are process-wide, and the harness runs this file's tests on threads of
/// one process: each test holds this while it raises, so one test's Ctrl-C cannot
/// reach another's runner.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn raise_sigint() {
    // SAFETY: a signal to this thread; the runner's handler is installed (its
    // listener subscribed at the main future's first Pending).
    unsafe { libc::raise(SIGINT) };
}

fn runners() -> [ferrio::Runner; 2] {
    [
        ferrio::Runner::builder().current_thread().build().unwrap(),
        ferrio::Runner::builder().multi_thread().build().unwrap(),
    ]
}

/// A Ctrl-C that came in the poll where main returned its value belongs to that
/// run: the next run of the same runner is not cancelled by it.
#[test]
fn a_ctrl_c_does_not_cancel_the_next_run() {
    let _serial = one_at_a_time();
    for runner in runners() {
        let first = runner.run_until_interrupt(async {
            // A first Pending, so the listener (polled after main) has subscribed.
            ferrio::sleep(Duration::from_millis(1)).await;
            // Main returns in this poll: the listener never reads the signal.
            raise_sigint();
            1
        });
        assert_eq!(first, Ok(1));
        let second = runner.run_until_interrupt(async {
            // One Pending: the listener, polled after it, reads the pipe at once.
            ferrio::sleep(Duration::from_millis(1)).await;
            2
        });
        assert_eq!(
            second,
            Ok(2),
            "a Ctrl-C of the previous run cancelled this one"
        );
    }
}

/// asyncio's Runner: the first Ctrl-C cancels main, whose catch region may go on
/// awaiting; a second one stops the run at once with `Interrupted`.
#[test]
fn a_second_ctrl_c_stops_the_run() {
    let _serial = one_at_a_time();
    for runner in runners() {
        let result = runner.run_until_interrupt(async {
            ferrio::sleep(Duration::from_millis(1)).await;
            raise_sigint();
            let caught = ferrio::catch_cancel(ferrio::sleep(Duration::from_secs(3600))).await;
            assert!(caught.is_err(), "the first Ctrl-C cancels main");
            // Cleaning up: a second Ctrl-C, then a wait it must cut short.
            raise_sigint();
            ferrio::sleep(Duration::from_secs(3600)).await;
            unreachable!("the second Ctrl-C stops the run");
        });
        assert_eq!(result, Err(ferrio::Interrupted));
    }
}

/// A main future that only yields never lets the loop block in its reactor; the
/// Ctrl-C (sent from another thread once main has spun) must still cancel it.
#[test]
fn a_ctrl_c_interrupts_a_main_that_only_yields() {
    let _serial = one_at_a_time();
    for runner in runners() {
        let turns = Arc::new(AtomicUsize::new(0));
        let sender = std::thread::spawn({
            let turns = turns.clone();
            move || {
                let deadline = Instant::now() + Duration::from_secs(10);
                while turns.load(Ordering::SeqCst) < 1_000 && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                // SAFETY: a signal to this process, whose runner handles it.
                unsafe { libc::kill(libc::getpid(), SIGINT) };
            }
        });
        let result = runner.run_until_interrupt(async {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                turns.fetch_add(1, Ordering::SeqCst);
                ferrio::yield_now().await;
            }
        });
        sender.join().unwrap();
        assert_eq!(result, Err(ferrio::Interrupted), "main ran out its 10 s");
    }
}
