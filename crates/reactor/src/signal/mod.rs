//! Unix signals as futures and streams: [`ctrl_c`] and [`Signals`].
//!
//! # How a signal travels
//!
//! Signal handlers are process-wide by nature. The first subscription to a signal
//! installs a handler that only does async-signal-safe work: it sets the signal's
//! pending flag and writes one byte to a process-wide non-blocking pipe. Whoever
//! reads that pipe hands each pending signal to every live subscription, waking its
//! task on whatever runtime or executor it runs, so no subscriber can miss a signal
//! because another one read the pipe first. Two kinds of reader exist:
//!
//! - A subscription made with [`Signals::with_reactor`] reads the pipe itself when
//!   it is polled on a thread that drives that reactor, which wakes it when the
//!   pipe turns readable. This is how a runtime listens for its own Ctrl-C without
//!   a thread of its own: an extra thread would make a single-threaded program
//!   multi-threaded, and the allocator then locks on every allocation.
//! - Any other subscription (and one of the first kind polled elsewhere, or after
//!   its reactor shut down) relies on one helper thread, `ferrio-signal`, started at
//!   the first such need, which blocks on the pipe. So a subscription works under
//!   any executor, and several runtimes in one process each get their signals.
//!
//! Like the kernel, a subscription coalesces repeats of one signal that arrive
//! before it is polled. A handler that was installed before ours (a function, not
//! the default action or "ignore") still runs on every signal.
//!
//! # When nobody listens
//!
//! When the last subscription to a signal is dropped, the signal's previous
//! disposition is restored, as asyncio's `remove_signal_handler` does: once
//! `ferrio::run` or a [`ctrl_c`] future is gone, Ctrl-C kills the program again.
//! The next subscription installs the handler anew. A signal that arrives while the
//! disposition switches either reaches a subscription or gets the previous
//! disposition's treatment (for `SIGINT`, the process dies by it); it is never
//! swallowed while a subscription exists.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use slab::Slab;

use crate::Reactor;

mod handler;
mod readers;

use handler::{cannot_handle, signal_index, subscribe, unsubscribe, MAX_SIGNAL, WRITE_FD};
pub(crate) use readers::arrived;
pub(crate) use readers::SignalPipe;
use readers::{deliver, pipe, read_pipe, start_helper, Pump};

/// Process-wide state of the pipe and the subscriptions.
struct Globals {
    /// The pipe's read end, non-blocking: the helper thread and every reactor that
    /// reads it for a subscription ([`Pump`]) share it.
    read_fd: OwnedFd,
    /// Owns the pipe's write end that [`WRITE_FD`] names, for the process lifetime.
    _write_fd: OwnedFd,
    /// Per signal: the disposition ours replaced, while ours is installed.
    /// Installing and restoring happen under this lock, never concurrently.
    replaced: Mutex<[Option<libc::sigaction>; MAX_SIGNAL]>,
    /// The live subscriptions. Each [`Signals`] removes its own entry when dropped,
    /// so the table holds exactly the live ones and a freed slot is reused: a
    /// program that subscribes and drops in a loop (each `ferrio::run` does) keeps
    /// the table at the size of its largest number of simultaneous subscriptions.
    subscribers: Mutex<Slab<Arc<Subscriber>>>,
}

#[derive(Default)]
struct Subscriber {
    state: Mutex<SubscriberState>,
}

#[derive(Default)]
struct SubscriberState {
    wanted: Vec<i32>,
    queue: VecDeque<i32>,
    waker: Option<Waker>,
}

static GLOBALS: OnceLock<Globals> = OnceLock::new();

/// The pipe and the tables, created at the first subscription. Starts no thread.
fn globals() -> io::Result<&'static Globals> {
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let _init = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let (read_fd, write_fd) = pipe()?;
    WRITE_FD.store(write_fd.as_raw_fd(), Ordering::Release);
    Ok(GLOBALS.get_or_init(|| Globals {
        read_fd,
        _write_fd: write_fd,
        replaced: Mutex::new([None; MAX_SIGNAL]),
        subscribers: Mutex::new(Slab::new()),
    }))
}

/// aside: while ferrio listens for the signal, this reports the disposition it
/// replaced and will restore.
///
/// A process started by `nohup`, or as a background job of a non-interactive
/// shell, starts with `SIGINT` and `SIGQUIT` ignored. `ferrio::run` checks this
/// for `SIGINT`, as `asyncio.run` does, and then leaves Ctrl-C alone.
///
/// # Errors
///
/// `InvalidInput` for a number that is not a signal, or one that cannot be
/// handled; the OS's error when the disposition cannot be read.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::signal::is_ignored;
///
/// // SAFETY: no handler of this process relies on SIGUSR2's disposition.
/// unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
/// assert!(is_ignored(libc::SIGUSR2)?);
/// // SAFETY: as above.
/// unsafe { libc::signal(libc::SIGUSR2, libc::SIG_DFL) };
/// assert!(!is_ignored(libc::SIGUSR2)?);
/// # std::io::Result::Ok(())
/// ```
pub fn is_ignored(signal: i32) -> io::Result<bool> {
    let index = signal_index(signal)?;
    // Under the lock, so ours cannot be installed or removed while we look.
    let replaced = GLOBALS
        .get()
        .map(|g| g.replaced.lock().unwrap_or_else(|e| e.into_inner()));
    if let Some(previous) = replaced.as_ref().and_then(|replaced| replaced[index]) {
        return Ok(previous.sa_sigaction == libc::SIG_IGN);
    }
    // SAFETY: a zeroed sigaction is a valid out buffer.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: valid signal number and out pointer; a null new action only queries.
    if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0 {
        return Err(cannot_handle(signal, io::Error::last_os_error()));
    }
    Ok(current.sa_sigaction == libc::SIG_IGN)
}

/// A stream of the Unix signals it was created for, in the order they arrive.
///
/// Repeats of one signal that arrive before the stream is polled are coalesced, as
/// the kernel does. The stream never ends.
///
/// # Examples
///
/// ```
/// use ferrio_reactor::signal::Signals;
/// use futures_lite::StreamExt;
///
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let mut signals = Signals::new([libc::SIGUSR1])?;
/// // SAFETY: sending a signal to our own process.
/// unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
/// assert_eq!(signals.next().await, Some(libc::SIGUSR1));
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Signals {
    subscriber: Arc<Subscriber>,
    /// This subscription's entry in [`Globals::subscribers`], removed on drop.
    key: usize,
    /// The reactor's reader of the pipe, for a subscription made with
    /// [`Signals::with_reactor`]; `None` when the helper thread serves it.
    pump: Option<Pump>,
}

impl Signals {
    /// Subscribes to `signals` (e.g. `libc::SIGINT`, `libc::SIGTERM`).
    ///
    /// The subscription may be polled by any executor on any thread: the
    /// `ferrio-signal` helper thread reads the signals for it.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal, or one that cannot be
    /// handled (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGILL`, `SIGFPE`); the OS's
    /// error when the helper thread cannot be started.
    pub fn new(signals: impl IntoIterator<Item = i32>) -> io::Result<Signals> {
        let signals = Self::subscribe(signals, None)?;
        start_helper(globals()?)?;
        Ok(signals)
    }

    /// Subscribes to `signals` with `reactor` as their reader: polled on a thread
    /// that drives `reactor` (a task of its runtime), the subscription reads the
    /// signals itself and the reactor wakes it, so no helper thread is needed.
    /// This is how `ferrio::run` listens for Ctrl-C and a single-threaded program
    /// stays single-threaded.
    ///
    /// Polled anywhere else, or after `reactor` shut down, the subscription falls
    /// back to the helper thread of [`Signals::new`] and works as one made there.
    /// Awaited by blocking a thread that is meant to drive `reactor` (a nested
    /// `block_on` inside one of its tasks), it waits for that runtime to run again;
    /// use [`Signals::new`] for that.
    ///
    /// # Errors
    ///
    /// As [`Signals::new`], and the OS's error when the pipe cannot be registered
    /// with `reactor`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio_reactor::signal::Signals;
    /// use ferrio_reactor::Reactor;
    ///
    /// # ferrio_reactor::new_runtime()?.block_on(async {
    /// let reactor = Reactor::current().expect("a runtime with a reactor");
    /// let mut signals = Signals::with_reactor([libc::SIGUSR1], &reactor)?;
    /// // SAFETY: sending a signal to our own process.
    /// unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
    /// assert_eq!(signals.recv().await, libc::SIGUSR1);
    /// # std::io::Result::Ok(()) })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_reactor(
        signals: impl IntoIterator<Item = i32>,
        reactor: &Arc<Reactor>,
    ) -> io::Result<Signals> {
        let pump = Pump::new(globals()?, reactor)?;
        Self::subscribe(signals, Some(pump))
    }

    fn subscribe(
        signals: impl IntoIterator<Item = i32>,
        pump: Option<Pump>,
    ) -> io::Result<Signals> {
        let mut wanted: Vec<i32> = signals.into_iter().collect();
        for &signal in &wanted {
            signal_index(signal)?;
        }
        wanted.sort_unstable();
        wanted.dedup();
        let g = globals()?;
        // Listed before the handler can count it, so every signal the handler
        // passes on finds this subscription.
        let subscriber = Arc::new(Subscriber::default());
        let key = g
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(Arc::clone(&subscriber));
        let signals = Signals {
            subscriber,
            key,
            pump,
        };
        for signal in wanted {
            // Wanted before it is counted, so a signal the new handler catches is
            // queued here; recorded one by one, so a failure part-way unsubscribes
            // (on drop) exactly what was subscribed.
            signals.state().wanted.push(signal);
            if let Err(error) = subscribe(g, signal) {
                signals.state().wanted.pop();
                return Err(error);
            }
        }
        Ok(signals)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SubscriberState> {
        self.subscriber
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> i32 {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next signal.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<i32> {
        if let (Some(pump), Some(g)) = (&self.pump, GLOBALS.get()) {
            if !pump.poll(g, cx) {
                // Not on its reactor's thread, or the reactor is gone: the helper
                // reads for it. Should the thread fail to start, the next poll
                // tries again; there is no error to return from a poll.
                let _ = start_helper(g);
            }
        }
        let mut state = self.state();
        match state.queue.pop_front() {
            Some(signal) => Poll::Ready(signal),
            None => {
                // A runtime polls its Ctrl-C listener at every turn of its main
                // task: keep the waker it already has.
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        let Some(g) = GLOBALS.get() else {
            return;
        };
        // A reactor reads the pipe only when its subscription is polled, so a
        // signal can still be in it as that subscription goes (a runner's main
        // future that ends in the poll a Ctrl-C came in). Handed out now, it
        // reaches the subscriptions of its time, this one included; left there,
        // the next subscription (the next `ferrio::run`) would take it for its own.
        if arrived() && read_pipe(g.read_fd.as_fd()) > 0 {
            deliver(g);
        }
        let wanted = std::mem::take(&mut self.state().wanted);
        for signal in wanted {
            unsubscribe(g, signal);
        }
        // Only this subscription knows its key, so the entry is still its own.
        let mut subscribers = g.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.try_remove(self.key);
        // A burst of simultaneous subscriptions does not pin its table for ever.
        if subscribers.is_empty() && subscribers.capacity() > 1024 {
            *subscribers = Slab::new();
        }
    }
}

impl Stream for Signals {
    type Item = i32;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<i32>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self
            .subscriber
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Signals")
            .field("signals", &state.wanted)
            .field("queued", &state.queue)
            .finish()
    }
}

/// Completes at the next Ctrl-C (`SIGINT`). The subscription starts when this
/// function is called, so a Ctrl-C between the call and the first poll counts.
///
/// This is what a runtime's `run` uses to turn Ctrl-C into the cancellation of its
/// main task, as `asyncio.run` does.
///
/// # Errors
///
/// When the handler cannot be installed.
///
/// # Examples
///
/// ```
/// # ferrio_reactor::new_runtime()?.block_on(async {
/// let ctrl_c = ferrio_reactor::signal::ctrl_c();
/// // SAFETY: sending a signal to our own process.
/// unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
/// ctrl_c.await?;
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
pub fn ctrl_c() -> impl std::future::Future<Output = io::Result<()>> + Send {
    let signals = Signals::new([libc::SIGINT]);
    async move {
        signals?.recv().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    /// Live entries and allocated slots of the subscriber table.
    fn table() -> (usize, usize) {
        let subscribers = globals()
            .unwrap()
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        (subscribers.len(), subscribers.capacity())
    }

    /// Resident memory of this process, in bytes.
    fn resident_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
        let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        // SAFETY: sysconf has no preconditions.
        pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
    }

    /// What each `ferrio::run` does with Ctrl-C, and a program that races each step
    /// against `ctrl_c()` and drops it unfired: neither may leave anything behind.
    #[test]
    #[cfg(target_os = "linux")]
    fn dropped_subscriptions_leave_nothing_behind() {
        let cycles = if cfg!(miri) {
            100
        } else if cfg!(debug_assertions) {
            200_000
        } else {
            1_000_000
        };
        let cycle = |i: usize| {
            if i.is_multiple_of(2) {
                drop(Signals::new([libc::SIGINT]).unwrap());
            } else {
                // Created (the subscription starts here), polled once, dropped unfired.
                let mut ctrl_c = std::pin::pin!(ctrl_c());
                let mut cx = Context::from_waker(Waker::noop());
                assert!(ctrl_c.as_mut().poll(&mut cx).is_pending());
            }
        };
        // Warm-up: the globals, the helper thread, the allocator's pools.
        for i in 0..1_000 {
            cycle(i);
        }
        let (live_before, slots_before) = table();
        let resident_before = resident_bytes();
        for i in 0..cycles {
            cycle(i);
        }
        let (live_after, slots_after) = table();
        let grown = resident_bytes().saturating_sub(resident_before);
        assert_eq!(live_before, 0, "a dropped subscription is still listed");
        assert_eq!(live_after, 0, "a dropped subscription is still listed");
        assert_eq!(slots_after, slots_before, "the subscriber table grew");
        assert!(
            grown < 1 << 20,
            "resident memory grew by {grown} bytes over {cycles} cycles"
        );
        eprintln!(
            "{cycles} subscribe/drop cycles: table {slots_after} slots, \
             resident memory +{grown} bytes"
        );
    }
}
