//! Signals: [`ctrl_c`] and a stream of any Unix signal ([`Signals`]).
//!
//! # Ctrl-C and `run`
//!
//! By default [`run`](crate::run) and [`Runner::run`](crate::Runner::run) (on the
//! main thread) turn Ctrl-C into cancellation of the main future, as `asyncio.run`
//! does. A program that handles Ctrl-C itself takes it over, as with asyncio's
//! `loop.add_signal_handler(SIGINT, ...)`: while a future returned by this module's
//! [`ctrl_c`] is alive, `run` leaves Ctrl-C alone, so the program can shut down
//! gracefully.
//!
//! When SIGINT is ignored as `run` starts (the program was started by `nohup`, or
//! as a background job of a non-interactive shell), `run` leaves Ctrl-C alone too,
//! as `asyncio.run` does: it stays ignored, and no main future is cancelled for it.
//! [`is_ignored`] tells whether that is the case.
//!
//! ```no_run
//! ferrio::run(async {
//!     let server = ferrio::spawn(async { /* serve until cancelled */ });
//!     // This program handles Ctrl-C: `run` does not cancel `main` for it.
//!     ferrio::signal::ctrl_c().await.expect("Ctrl-C can be listened for");
//!     println!("shutting down");
//!     server.cancel();
//! });
//! ```

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

/// SIGINT's number, the same on every Unix.
const SIGINT: i32 = 2;

pub use ferrio_reactor::signal::*;

/// How many futures of [`ctrl_c`] are alive in the process: signals are
/// process-wide, so the claim is too.
static USER_CTRL_C_LISTENERS: AtomicUsize = AtomicUsize::new(0);

/// How many Ctrl-Cs the program's own [`ctrl_c`] futures have received. A future
/// that resolves and is dropped before the runner's listener looks still counts
/// as having handled the signal.
static USER_CTRL_C_DELIVERIES: AtomicUsize = AtomicUsize::new(0);

/// Counts one live `ctrl_c` future.
struct Claim;

impl Claim {
    fn new() -> Claim {
        USER_CTRL_C_LISTENERS.fetch_add(1, Ordering::SeqCst);
        Claim
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        USER_CTRL_C_LISTENERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Resolves when the process receives Ctrl-C (SIGINT).
///
/// From the moment it is called until the future is dropped, Ctrl-C belongs to the
/// program: [`run`](crate::run) does not cancel the main future for it. The signal
/// is listened for from this call on, so a Ctrl-C between the call and the first
/// poll is not lost.
///
/// # Errors
///
/// When the signal handler cannot be installed.
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> + Send {
    let claim = Claim::new();
    let signal = ferrio_reactor::signal::ctrl_c();
    async move {
        let _claim = claim;
        let result = signal.await;
        if result.is_ok() {
            USER_CTRL_C_DELIVERIES.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

/// The runner's own Ctrl-C listener: ready at each Ctrl-C that the program does
/// not handle itself, and polled again after one (asyncio's second Ctrl-C). One
/// subscription for the listener's whole life: between two, SIGINT would get its
/// previous disposition (death), and a Ctrl-C the first had read would go with it.
/// Never ready where signals cannot be listened for, nor when SIGINT is ignored
/// as it starts (then it takes no subscription: Ctrl-C stays ignored).
pub(crate) struct UnhandledCtrlC {
    state: Listener,
}

enum Listener {
    /// Not polled yet: it subscribes at its first poll, inside the runtime, so that
    /// the runtime's reactor can read the signal.
    Unstarted,
    Listening {
        subscription: Signals,
        /// [`USER_CTRL_C_DELIVERIES`] when the wait for the current Ctrl-C began.
        handled_before: usize,
    },
    /// Ctrl-C is left alone.
    Off,
}

impl UnhandledCtrlC {
    pub(crate) fn new() -> UnhandledCtrlC {
        UnhandledCtrlC {
            state: Listener::Unstarted,
        }
    }

    /// Ready once per Ctrl-C the program does not handle.
    pub(crate) fn poll_unhandled(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if let Listener::Unstarted = self.state {
            self.state = Self::start();
        }
        let Listener::Listening {
            subscription,
            handled_before,
        } = &mut self.state
        else {
            return std::task::Poll::Pending;
        };
        loop {
            std::task::ready!(subscription.poll_recv(cx));
            let handled_now = USER_CTRL_C_DELIVERIES.load(Ordering::SeqCst);
            let handled = std::mem::replace(handled_before, handled_now) != handled_now;
            if !handled && USER_CTRL_C_LISTENERS.load(Ordering::SeqCst) == 0 {
                return std::task::Poll::Ready(());
            }
        }
    }

    fn start() -> Listener {
        // asyncio's `Runner` installs its SIGINT handler only over the default one;
        // a parent that ignores SIGINT for its child (nohup, a background job of a
        // non-interactive shell) has said Ctrl-C must not stop it.
        if ferrio_reactor::signal::is_ignored(SIGINT).unwrap_or(false) {
            return Listener::Off;
        }
        // The runner polls this from its main task only, so its own reactor can
        // read the signal: no helper thread, and a single-threaded program stays
        // single-threaded (a second thread makes the allocator lock).
        let subscription = match ferrio_reactor::Reactor::current() {
            Some(reactor) => Signals::with_reactor([SIGINT], &reactor),
            None => Signals::new([SIGINT]),
        };
        match subscription {
            Ok(subscription) => Listener::Listening {
                subscription,
                handled_before: USER_CTRL_C_DELIVERIES.load(Ordering::SeqCst),
            },
            Err(_) => Listener::Off,
        }
    }
}
