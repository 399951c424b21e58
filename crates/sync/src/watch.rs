//! A watch channel: a [`Sender`] publishes a value, any number of [`Receiver`]s see
//! the latest one and wait for changes.
//!
//! Receivers see only the latest value, never a queue of them: a receiver that was
//! busy while the value changed three times wakes once and sees the third. Each
//! receiver remembers the version it last marked seen, with
//! [`borrow_and_update`](Receiver::borrow_and_update) or [`changed`](Receiver::changed).
//! When the last sender drops, [`changed`](Receiver::changed) still reports a change not
//! yet seen, then [`RecvError`]; the last value stays readable. When every receiver is
//! gone, [`Sender::send`] fails and [`Sender::closed`] completes.
//!
//! # Examples
//!
//! ```
//! use ferrio_sync::watch;
//! # futures_lite::future::block_on(async {
//! let (tx, mut rx) = watch::channel("starting");
//! tx.send("ready").unwrap();
//! rx.changed().await.unwrap();
//! assert_eq!(*rx.borrow_and_update(), "ready");
//! drop(tx);
//! assert!(rx.changed().await.is_err());
//! assert_eq!(*rx.borrow(), "ready");
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::loom::{lock, read, write, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use crate::wait_queue::{WaitQueue, WaiterId, Wakers};

/// A watch channel holding `initial`; receivers start having seen it.
///
/// # Examples
///
/// ```
/// let (tx, rx) = ferrio_sync::watch::channel(0);
/// assert_eq!(*rx.borrow(), 0);
/// assert_eq!(rx.has_changed(), Ok(false));
/// # drop(tx);
/// ```
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(Versioned {
            value: initial,
            version: 0,
            closed: false,
        }),
        notify: Mutex::new(Notify {
            senders: 1,
            receivers: 1,
            changed: WaitQueue::new(),
            closed: WaitQueue::new(),
        }),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver {
            shared,
            seen: 0,
            id: None,
        },
    )
}

/// Lock order: `notify`, then `value`. The sender changes `value` first and then
/// wakes under `notify`; a receiver checks the version while holding `notify`, so a
/// change either is seen by the check or wakes the registration the check made.
struct Shared<T> {
    value: RwLock<Versioned<T>>,
    notify: Mutex<Notify>,
}

struct Versioned<T> {
    value: T,
    version: u64,
    /// Every sender is gone.
    closed: bool,
}

struct Notify {
    senders: usize,
    receivers: usize,
    /// Receivers waiting for a change.
    changed: WaitQueue,
    /// Senders waiting in `closed`.
    closed: WaitQueue,
}

impl<T> Shared<T> {
    fn notify(&self) -> MutexGuard<'_, Notify> {
        lock(&self.notify)
    }

    fn wake_receivers(&self) {
        let mut wakers = Wakers::new();
        self.notify().changed.drain_all(&mut wakers);
        wakers.wake();
    }
}

/// A read guard on the current value. Hold it briefly: the sender waits while it
/// exists.
///
/// # Examples
///
/// ```
/// let (_tx, rx) = ferrio_sync::watch::channel(vec![1, 2]);
/// let value = rx.borrow();
/// assert_eq!(value.len(), 2);
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, Versioned<T>>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The publishing half; clone it for more publishers. The channel closes for
/// receivers when the last one drops.
///
/// # Examples
///
/// ```
/// let (tx, rx) = ferrio_sync::watch::channel(1);
/// tx.send_modify(|v| *v += 1);
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// One observer of the value; clone it for more (a clone has seen what this one has).
///
/// It is a [`Stream`] yielding a clone of the value each time it changed since this
/// receiver last saw it, ending when every sender is gone.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// # futures_lite::future::block_on(async {
/// let (tx, mut rx) = ferrio_sync::watch::channel(0);
/// tx.send(1).unwrap();
/// assert_eq!(rx.next().await, Some(1));
/// drop(tx);
/// assert_eq!(rx.next().await, None);
/// # });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen.
    seen: u64,
    /// Where it parks.
    id: Option<WaiterId>,
}

impl<T> Sender<T> {
    /// Publishes `value` and wakes every receiver waiting for a change.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, left unpublished, if there is no receiver (use
    /// [`send_replace`](Self::send_replace) to publish regardless).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// assert_eq!(*tx.borrow(), 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.notify().receivers == 0 {
            return Err(SendError(value));
        }
        drop(self.send_replace(value));
        Ok(())
    }

    /// Publishes `value` whether or not anyone watches, returning the old value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = ferrio_sync::watch::channel("old");
    /// assert_eq!(tx.send_replace("new"), "old");
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let old = {
            let mut current = write(&self.shared.value);
            current.version += 1;
            std::mem::replace(&mut current.value, value)
        };
        self.shared.wake_receivers();
        old
    }

    /// Changes the value in place and tells every receiver, watched or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Changes the value in place and tells receivers only if `modify` returns true.
    ///
    /// If `modify` panics, receivers are not told (the value may be partly changed).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(5);
    /// assert!(!tx.send_if_modified(|v| if *v > 9 { *v = 0; true } else { false }));
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let modified = {
            let mut current = write(&self.shared.value);
            let modified = modify(&mut current.value);
            if modified {
                current.version += 1;
            }
            modified
        };
        if modified {
            self.shared.wake_receivers();
        }
        modified
    }

    /// The current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = ferrio_sync::watch::channel('x');
    /// assert_eq!(*tx.borrow(), 'x');
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: read(&self.shared.value),
        }
    }

    /// A new receiver, having seen the current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut notify = self.shared.notify();
        notify.receivers += 1;
        let seen = read(&self.shared.value).version;
        Receiver {
            shared: Arc::clone(&self.shared),
            seen,
            id: None,
        }
    }

    /// How many receivers there are.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(());
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.notify().receivers
    }

    /// Whether every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = ferrio_sync::watch::channel(());
    /// std::thread::spawn(move || drop(rx));
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            shared: &self.shared,
            id: None,
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.notify().senders += 1;
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut wakers = Wakers::new();
        {
            let mut notify = self.shared.notify();
            notify.senders -= 1;
            if notify.senders == 0 {
                // Lock order: `notify`, then `value`.
                write(&self.shared.value).closed = true;
                notify.changed.drain_all(&mut wakers);
            }
        }
        wakers.wake();
    }
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: read(&self.shared.value),
        }
    }

    /// The current value, marking it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = ferrio_sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        self.seen = guard.version;
        Ref { guard }
    }

    /// Whether the value changed since this receiver last marked it seen.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if every sender is gone (the value can still be borrowed).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let current = read(&self.shared.value);
        if current.closed {
            return Err(RecvError);
        }
        Ok(current.version != self.seen)
    }

    /// Waits for a value this receiver has not seen, and marks it seen.
    ///
    /// Returns at once if the value already changed. Cancellation-safe: a dropped
    /// future marks nothing seen.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once every sender is gone and every change was seen.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let (tx, mut rx) = ferrio_sync::watch::channel(0);
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// rx.changed().await.unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// # });
    /// ```
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed { receiver: self }
    }

    fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RecvError>> {
        let mut notify = self.shared.notify();
        let (version, closed) = {
            let current = read(&self.shared.value);
            (current.version, current.closed)
        };
        if version != self.seen || closed {
            if let Some(id) = self.id.take() {
                notify.changed.remove(id);
            }
            if version != self.seen {
                self.seen = version;
                return Poll::Ready(Ok(()));
            }
            return Poll::Ready(Err(RecvError));
        }
        match self.id {
            Some(id) if notify.changed.contains(id) => notify.changed.update_waker(id, cx.waker()),
            _ => self.id = Some(notify.changed.push(cx.waker())),
        }
        Poll::Pending
    }

    fn unpark(&mut self) {
        if let Some(id) = self.id.take() {
            self.shared.notify().changed.remove(id);
        }
    }
}

impl<T: Clone> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match this.poll_changed(cx) {
            Poll::Ready(Ok(())) => {
                // Clone what is there now and mark that version seen, so a change
                // made between the check and here is not reported twice.
                Poll::Ready(Some(this.borrow_and_update().clone()))
            }
            Poll::Ready(Err(RecvError)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.notify().receivers += 1;
        Self {
            shared: Arc::clone(&self.shared),
            seen: self.seen,
            id: None,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut wakers = Wakers::new();
        {
            let mut notify = self.shared.notify();
            if let Some(id) = self.id.take() {
                notify.changed.remove(id);
            }
            notify.receivers -= 1;
            if notify.receivers == 0 {
                notify.closed.drain_all(&mut wakers);
            }
        }
        wakers.wake();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("value", &*self.borrow())
            .finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("value", &*self.borrow())
            .field("seen", &self.seen)
            .finish()
    }
}

/// The future of [`Receiver::changed`].
#[must_use = "futures do nothing unless awaited"]
pub struct Changed<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().receiver.poll_changed(cx)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        self.receiver.unpark();
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`].
#[must_use = "futures do nothing unless awaited"]
pub struct Closed<'a, T> {
    shared: &'a Shared<T>,
    id: Option<WaiterId>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut notify = this.shared.notify();
        if notify.receivers == 0 {
            if let Some(id) = this.id.take() {
                notify.closed.remove(id);
            }
            return Poll::Ready(());
        }
        match this.id {
            Some(id) if notify.closed.contains(id) => notify.closed.update_waker(id, cx.waker()),
            _ => this.id = Some(notify.closed.push(cx.waker())),
        }
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.shared.notify().closed.remove(id);
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}

send_error! {
    /// There is no receiver; the value comes back unpublished.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().to_string(), "watch channel has no receiver");
    /// ```
    "watch channel has no receiver"
}

unit_error! {
    /// Every sender is gone (and, for [`Receiver::changed`], every change was seen).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = ferrio_sync::watch::channel(0);
    /// drop(tx);
    /// assert_eq!(rx.has_changed(), Err(ferrio_sync::watch::RecvError));
    /// ```
    RecvError: "the watch sender is gone"
}

/// With the `sink` feature: a watch [`Sender`] is a `Sink` that publishes each value
/// (never waiting), failing when no receiver is left.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "sink")] {
/// use futures_sink::Sink;
/// use std::pin::Pin;
/// let (mut tx, rx) = ferrio_sync::watch::channel(0);
/// Pin::new(&mut tx).start_send(5).unwrap();
/// assert_eq!(*rx.borrow(), 5);
/// # }
/// ```
#[cfg(feature = "sink")]
impl<T> futures_sink::Sink<T> for Sender<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        self.send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}
