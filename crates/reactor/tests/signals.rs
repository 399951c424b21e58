//! Signals: a stream for any Unix signal, and ctrl_c().

mod common;
#[path = "../../../test-support/threads.rs"]
mod threads;

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
    common::default_disposition(libc::SIGINT);
    common::on_each_flavor(|| async {
        let interrupted = ctrl_c();
        let work = ferrio_core::spawn(std::future::pending::<()>());
        raise(libc::SIGINT);
        interrupted.await.unwrap();
        assert!(work.cancel());
        assert!(work.await.unwrap_err().is_cancelled());
    });
}

/// Once the last subscription to SIGINT is dropped, Ctrl-C kills the process again,
/// as asyncio restores the default handler; a new subscription takes it back.
#[test]
fn sigint_kills_again_once_nobody_listens() {
    const NAME: &str = "sigint_kills_again_once_nobody_listens";
    if !common::is_child(NAME) {
        let output = common::run_as_child(NAME);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("raising with no subscription"),
            "the child did not get that far: {output:?}"
        );
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGINT),
            "the child must die by SIGINT: {output:?}"
        );
        return;
    }
    common::default_disposition(libc::SIGINT);
    // Twice, so the handler is installed again after being removed.
    for round in 1..=2 {
        let mut first = Signals::new([libc::SIGINT]).unwrap();
        let mut second = Signals::new([libc::SIGINT, libc::SIGUSR1]).unwrap();
        raise(libc::SIGINT);
        assert_eq!(futures_lite::future::block_on(first.recv()), libc::SIGINT);
        assert_eq!(futures_lite::future::block_on(second.recv()), libc::SIGINT);
        drop(first);
        // One subscription is left: it still gets Ctrl-C.
        raise(libc::SIGINT);
        assert_eq!(futures_lite::future::block_on(second.recv()), libc::SIGINT);
        drop(second);
        println!("round {round}: subscriptions dropped");
    }
    println!("raising with no subscription");
    raise(libc::SIGINT);
    await_death_by_signal();
}

/// Death by a signal sent with kill(2) may reach another thread a moment later;
/// the bound only turns a swallowed signal into a failure instead of a hang.
fn await_death_by_signal() -> ! {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        std::thread::park_timeout(deadline - std::time::Instant::now());
    }
    panic!("the signal was swallowed: the process is still alive");
}

/// A rejected subscription takes nothing: Ctrl-C keeps its default action.
#[test]
fn a_failed_subscription_unsubscribes_what_it_took() {
    const NAME: &str = "a_failed_subscription_unsubscribes_what_it_took";
    if !common::is_child(NAME) {
        let output = common::run_as_child(NAME);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(libc::SIGINT), "{output:?}");
        return;
    }
    common::default_disposition(libc::SIGINT);
    let err = Signals::new([libc::SIGINT, libc::SIGKILL]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    raise(libc::SIGINT);
    await_death_by_signal();
}

/// While ferrio listens for a signal the parent ignored, `is_ignored` still reports
/// the parent's choice, and dropping the last subscription gives it back.
#[test]
fn an_ignored_signal_stays_ignored_around_a_subscription() {
    const NAME: &str = "an_ignored_signal_stays_ignored_around_a_subscription";
    if !common::is_child(NAME) {
        let output = common::run_as_child(NAME);
        assert!(output.status.success(), "{output:?}");
        return;
    }
    // SAFETY: SIG_IGN is a valid disposition; this child process is ours alone.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    assert!(ferrio_reactor::signal::is_ignored(libc::SIGINT).unwrap());
    let mut signals = Signals::new([libc::SIGINT]).unwrap();
    assert!(ferrio_reactor::signal::is_ignored(libc::SIGINT).unwrap());
    raise(libc::SIGINT);
    assert_eq!(futures_lite::future::block_on(signals.recv()), libc::SIGINT);
    drop(signals);
    assert!(ferrio_reactor::signal::is_ignored(libc::SIGINT).unwrap());
    // Ignored again: this one does not kill the child.
    raise(libc::SIGINT);
    common::default_disposition(libc::SIGINT);
    assert!(!ferrio_reactor::signal::is_ignored(libc::SIGINT).unwrap());
    assert!(ferrio_reactor::signal::is_ignored(libc::SIGKILL).is_err());
}

/// A subscription read by its runtime's reactor gets its signals, repeatedly, and
/// the process gains no helper thread for it.
#[test]
fn a_reactor_subscription_needs_no_helper_thread() {
    const NAME: &str = "a_reactor_subscription_needs_no_helper_thread";
    if !common::is_child(NAME) {
        let output = common::run_as_child(NAME);
        assert!(output.status.success(), "{output:?}");
        return;
    }
    common::on_each_flavor(|| async {
        let reactor = ferrio_reactor::Reactor::current().expect("a reactor");
        let mut signals = Signals::with_reactor([libc::SIGUSR1, libc::SIGUSR2], &reactor).unwrap();
        for _ in 0..3 {
            raise(libc::SIGUSR1);
            assert_eq!(signals.recv().await, libc::SIGUSR1);
            // From another thread, while the loop waits in the reactor.
            let sender = std::thread::spawn(|| raise(libc::SIGUSR2));
            assert_eq!(signals.recv().await, libc::SIGUSR2);
            sender.join().unwrap();
        }
    });
    let names = threads::thread_names();
    assert!(
        !names.iter().any(|name| name == "ferrio-signal"),
        "a helper thread was started: {names:?}"
    );
}

/// One signal reaches a subscription its reactor reads and one the helper thread
/// serves, whichever of the two readers takes the byte off the pipe.
#[test]
fn reactor_and_helper_subscriptions_each_get_the_signal() {
    common::on_each_flavor(|| async {
        let reactor = ferrio_reactor::Reactor::current().expect("a reactor");
        let mut on_reactor = Signals::with_reactor([libc::SIGWINCH], &reactor).unwrap();
        let mut on_helper = Signals::new([libc::SIGWINCH]).unwrap();
        let (sent, received) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            sent.send(futures_lite::future::block_on(on_helper.recv()))
                .unwrap();
        });
        raise(libc::SIGWINCH);
        assert_eq!(on_reactor.recv().await, libc::SIGWINCH);
        let got = received
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the helper-served subscription got no signal within 10 s");
        assert_eq!(got, libc::SIGWINCH);
        waiter.join().unwrap();
    });
}

/// A reactor subscription awaited where its reactor does not run (another thread,
/// another executor) falls back to the helper thread instead of waiting for ever.
#[test]
fn a_reactor_subscription_polled_elsewhere_still_gets_signals() {
    let runtime = common::runtime(ferrio_core::Flavor::CurrentThread);
    let mut signals = runtime.block_on(async {
        let reactor = ferrio_reactor::Reactor::current().expect("a reactor");
        Signals::with_reactor([libc::SIGURG], &reactor).unwrap()
    });
    let (sent, received) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        sent.send(futures_lite::future::block_on(signals.recv()))
            .unwrap();
    });
    // Until the waiter has polled once, the signal may land before the helper
    // exists: the pipe keeps it, and the helper's first read delivers it.
    raise(libc::SIGURG);
    let got = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("no signal within 10 s");
    assert_eq!(got, libc::SIGURG);
    waiter.join().unwrap();
    drop(runtime);
}

/// A loop that never runs out of work polls its reactor only every few dozen
/// tasks, and skips even that while the signal pipe is its only source and no
/// signal came: a signal must still end that skipping and reach the subscription.
#[test]
fn a_signal_reaches_a_reactor_subscription_on_a_busy_loop() {
    common::on_each_flavor(|| async {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::time::{Duration, Instant};

        let reactor = ferrio_reactor::Reactor::current().expect("a reactor");
        let mut signals = Signals::with_reactor([libc::SIGURG], &reactor).unwrap();
        let received = Arc::new(AtomicBool::new(false));
        let turns = Arc::new(AtomicUsize::new(0));
        // Keeps the loop busy (never idle, so it never blocks in the reactor)
        // until the signal arrived, or for at most 10 s.
        let busy = ferrio_core::spawn({
            let (received, turns) = (received.clone(), turns.clone());
            async move {
                let deadline = Instant::now() + Duration::from_secs(10);
                while !received.load(Ordering::SeqCst) && Instant::now() < deadline {
                    turns.fetch_add(1, Ordering::SeqCst);
                    ferrio_core::yield_now().await;
                }
                received.load(Ordering::SeqCst)
            }
        });
        // Sends once the loop has spun a thousand turns with the subscription
        // waiting, so the signal lands on a loop that is not going to block.
        let sender = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while turns.load(Ordering::SeqCst) < 1_000 && Instant::now() < deadline {
                std::thread::yield_now();
            }
            raise(libc::SIGURG);
        });
        assert_eq!(signals.recv().await, libc::SIGURG);
        received.store(true, Ordering::SeqCst);
        assert!(
            busy.await.unwrap(),
            "the signal arrived only once the loop stopped being busy"
        );
        sender.join().unwrap();
    });
}

/// A signal that reached a subscription dropped before anyone read the pipe is not
/// handed to a later subscription: it arrived before that one existed. (A runner
/// whose main future ended in the poll a Ctrl-C came in would otherwise have its
/// next `run` cancelled by that Ctrl-C.)
#[test]
fn a_later_subscription_does_not_get_an_earlier_signal() {
    common::on_each_flavor(|| async {
        let reactor = ferrio_reactor::Reactor::current().expect("a reactor");
        let early = Signals::with_reactor([libc::SIGVTALRM], &reactor).unwrap();
        // SAFETY: a thread-directed signal to ourselves, handled by `early`: the
        // handler has run when raise returns.
        unsafe { libc::raise(libc::SIGVTALRM) };
        // Never polled: the byte stays in the pipe.
        drop(early);
        let mut later = Signals::with_reactor([libc::SIGVTALRM], &reactor).unwrap();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            later.poll_recv(&mut cx).is_pending(),
            "a signal raised before the subscription reached it"
        );
    });
}

/// Wakes by sending on a channel, so a test can wait for the wake with a deadline.
struct SendOnWake(std::sync::mpsc::Sender<()>);

impl std::task::Wake for SendOnWake {
    fn wake(self: std::sync::Arc<Self>) {
        let _ = self.0.send(());
    }
}

/// A reactor subscription polled on a thread that only entered its runtime
/// (`Handle::enter`, nobody running it) is not served by that reactor, which no
/// one drives: it falls back to the helper thread, and the signal wakes it.
#[test]
fn a_reactor_subscription_polled_under_handle_enter_still_gets_signals() {
    let runtime = common::runtime(ferrio_core::Flavor::CurrentThread);
    let reactor =
        runtime.block_on(async { ferrio_reactor::Reactor::current().expect("a reactor") });
    let mut signals = Signals::with_reactor([libc::SIGXCPU], &reactor).unwrap();
    let handle = runtime.handle();
    let _entered = handle.enter();
    let (sent, woken) = std::sync::mpsc::channel();
    let waker = std::task::Waker::from(std::sync::Arc::new(SendOnWake(sent)));
    let mut cx = std::task::Context::from_waker(&waker);
    // Waiting before the signal comes, so the first poll cannot simply read it.
    assert!(signals.poll_recv(&mut cx).is_pending());
    // SAFETY: a thread-directed signal to ourselves, which `signals` handles.
    unsafe { libc::raise(libc::SIGXCPU) };
    woken
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the subscription was not woken within 10 s");
    assert_eq!(
        signals.poll_recv(&mut cx),
        std::task::Poll::Ready(libc::SIGXCPU)
    );
}
