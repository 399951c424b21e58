//! Signals: a stream for any Unix signal, and ctrl_c().

mod common;

use ferrio_reactor::signal::{ctrl_c, Signals};
use futures_lite::StreamExt;

fn raise(signal: i32) {
    // SAFETY: sending a signal to our own process, which handles it.
    unsafe { libc::kill(libc::getpid(), signal) };
}

#[test]
fn a_signal_reaches_every_subscriber() {
    common::on_each_flavor(|| async {
        let mut first = Signals::new([libc::SIGUSR1, libc::SIGUSR2]).unwrap();
        let mut second = Signals::new([libc::SIGUSR2]).unwrap();
        raise(libc::SIGUSR2);
        assert_eq!(first.next().await, Some(libc::SIGUSR2));
        assert_eq!(second.next().await, Some(libc::SIGUSR2));
        raise(libc::SIGUSR1);
        assert_eq!(first.recv().await, libc::SIGUSR1);
    });
}

#[test]
fn unhandleable_signals_are_rejected() {
    let err = Signals::new([libc::SIGKILL]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = Signals::new([0]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = Signals::new([100_000]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// Ctrl-C is turned into a future instead of killing the process; a task can race
/// its work against it, as `ferrio::run` does to cancel the main task.
#[test]
fn ctrl_c_completes_instead_of_killing() {
    const NAME: &str = "ctrl_c_completes_instead_of_killing";
    if !common::is_child(NAME) {
        let output = common::run_as_child(NAME);
        assert!(output.status.success(), "{:?}", output);
        return;
    }
    common::on_each_flavor(|| async {
        let interrupted = ctrl_c();
        let work = ferrio_core::spawn(std::future::pending::<()>());
        raise(libc::SIGINT);
        interrupted.await.unwrap();
        assert!(work.cancel());
        assert!(work.await.unwrap_err().is_cancelled());
    });
}
