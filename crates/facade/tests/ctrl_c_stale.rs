//! A Ctrl-C that reached one `run` must not cancel the next one.

#![cfg(unix)]

use std::time::Duration;

const SIGINT: i32 = 2;

fn stale_ctrl_c_does_not_cancel_the_next_run(runner: ferrio::Runner) {
    // Run 1: main raises SIGINT on its second poll and returns in that same poll,
    // so the runner's listener (polled after main) never reads the pipe.
    let first = runner.run_until_interrupt(async {
        // A first Pending, so the listener (polled after main) has subscribed.
        ferrio::sleep(Duration::from_millis(1)).await;
        // SAFETY: sending a signal to our own process; the runner's handler is
        // installed (its listener subscribed at the first poll).
        unsafe { libc::raise(SIGINT) };
        1
    });
    assert_eq!(first, Ok(1));
    // Run 2 has nothing to do with that Ctrl-C.
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

#[test]
fn single_thread() {
    stale_ctrl_c_does_not_cancel_the_next_run(
        ferrio::Runner::builder().current_thread().build().unwrap(),
    );
}

#[test]
fn multi_thread() {
    stale_ctrl_c_does_not_cancel_the_next_run(
        ferrio::Runner::builder().multi_thread().build().unwrap(),
    );
}
