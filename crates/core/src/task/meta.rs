//! The layout of a task's meta word (`Header::meta`): the scheduling state, whether
//! the future is alive, the low bits of the poll count and the spawn time, in one
//! word that only the task's poller writes (whoever holds its `Runnable`: a plain
//! load and store suffice, and a poll costs one swap as a lone state byte did).
//! Also the two halves of the poll count's carry protocol and the spawn-time clock.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::loom::AtomicU64;

pub(super) const SCHEDULED: u64 = 0;
pub(super) const RUNNING: u64 = 1;
pub(super) const WAITING: u64 = 2;
pub(super) const FINISHED: u64 = 3;
pub(super) const STATE_MASK: u64 = 0b11;
/// The future has not been dropped yet.
pub(super) const ALIVE: u64 = 1 << 2;
/// The poll count's low field wrapped and the carry into `TaskShared::polls_high`
/// is not published yet: a reader of the count retries.
pub(super) const CARRY: u64 = 1 << 3;
/// Milliseconds from the process's task epoch to the spawn (40 bits: 34 years).
pub(super) const SPAWN_SHIFT: u32 = 4;
pub(super) const SPAWN_BITS: u32 = 40;
pub(super) const SPAWN_MAX_MS: u64 = (1 << SPAWN_BITS) - 1;
/// Polls counted in the word, in its top bits so that the increment's carry out
/// of the word tells the wrap; every `2^POLL_BITS` polls carry one into the
/// shared part (allocated then if need be).
pub(super) const POLLS_SHIFT: u32 = SPAWN_SHIFT + SPAWN_BITS;
pub(super) const POLL_BITS: u32 = 64 - POLLS_SHIFT;
pub(super) const POLL_ONE: u64 = 1 << POLLS_SHIFT;
pub(super) const POLLS_MASK: u64 = ((1 << POLL_BITS) - 1) << POLLS_SHIFT;

/// Stores `running`, a poll's first word whose count field wrapped, and has `bump`
/// add one to the high count (in the shared part) meanwhile: `CARRY` is up from
/// the wrap until the high count is bumped, so `read_polls` never pairs the wrapped
/// field with the old high count. SeqCst for the swap: it is the poll's first store
/// (see `Header::begin_poll`).
pub(super) fn publish_carry(meta: &AtomicU64, running: u64, bump: impl FnOnce()) {
    meta.swap(running | CARRY, Ordering::SeqCst);
    bump();
    meta.store(running, Ordering::Release);
}

/// A meta word with no carry in flight, and the whole poll count that goes with it
/// (`high` reads the high count).
pub(super) fn read_polls(meta: &AtomicU64, high: impl Fn() -> u64) -> (u64, u64) {
    let mut spins = 0u32;
    loop {
        let word = meta.load(Ordering::Acquire);
        if word & CARRY == 0 {
            let low = (word & POLLS_MASK) >> POLLS_SHIFT;
            let high = high();
            if high == 0 {
                // No carry was published before `word`'s (acquired) store, nor can
                // one be newer than it.
                return (word, low);
            }
            // A carry newer than `word` shows here as a changed field: the poller
            // raised `CARRY` before it bumped `high`, which this thread has seen.
            let again = meta.load(Ordering::Acquire);
            if again & (POLLS_MASK | CARRY) == word & POLLS_MASK {
                return (word, high << POLL_BITS | low);
            }
        }
        spins += 1;
        backoff(spins);
    }
}

/// Waits a little for the poller to finish publishing a carry.
#[cfg(not(loom))]
fn backoff(spins: u32) {
    if spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

#[cfg(loom)]
fn backoff(_spins: u32) {
    loom::thread::yield_now();
}

/// The instant spawn times count from, fixed by the first task of the process. Set
/// a while before that task: a loop thread's cached clock may lag the real one, and
/// a spawn time before the epoch could only be kept as the epoch.
static EPOCH: OnceLock<Instant> = OnceLock::new();

#[inline]
pub(super) fn epoch() -> Instant {
    *EPOCH.get_or_init(|| {
        let now = Instant::now();
        [3600, 60, 1]
            .into_iter()
            .find_map(|secs| now.checked_sub(Duration::from_secs(secs)))
            .unwrap_or(now)
    })
}

thread_local! {
    /// The last spawn time this thread converted, with its milliseconds: the spawns
    /// of one turn of a loop share its cached clock, so most skip the conversion.
    static LAST_SPAWN: Cell<Option<(Instant, u64)>> = const { Cell::new(None) };
}

/// The spawn time as it is kept in the meta word: whole milliseconds since the
/// epoch (saturating at both ends).
#[inline]
pub(super) fn spawn_ms(now: Instant) -> u64 {
    LAST_SPAWN
        .try_with(|last| match last.get() {
            Some((at, ms)) if at == now => ms,
            _ => {
                let ms = ms_since_epoch(now);
                last.set(Some((now, ms)));
                ms
            }
        })
        .unwrap_or_else(|_| ms_since_epoch(now))
}

#[cold]
#[inline(never)]
fn ms_since_epoch(now: Instant) -> u64 {
    let ms = now.saturating_duration_since(epoch()).as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX).min(SPAWN_MAX_MS)
}

#[cfg(all(test, loom))]
mod loom_models {
    //! The poll count's carry: a reader of the count never pairs the wrapped field
    //! with the old high count, nor the old field with the new high count.

    use loom::sync::atomic::AtomicU64;
    use loom::sync::atomic::Ordering::{Acquire, Release, SeqCst};
    use loom::sync::Arc;
    use loom::thread;

    use super::WAITING;
    use super::{publish_carry, read_polls, POLLS_MASK, POLL_BITS, POLL_ONE, RUNNING, STATE_MASK};

    #[test]
    fn loom_a_count_read_during_a_carry_is_whole() {
        loom::model(|| {
            let at_max = POLLS_MASK | WAITING;
            let meta = Arc::new(AtomicU64::new(at_max));
            let high = Arc::new(AtomicU64::new(0));
            let poller = {
                let (meta, high) = (meta.clone(), high.clone());
                thread::spawn(move || {
                    // The poll that wraps the field, then one more (as `begin_poll`).
                    let (running, wrapped) =
                        (at_max & !STATE_MASK | RUNNING).overflowing_add(POLL_ONE);
                    assert!(wrapped);
                    publish_carry(&meta, running, || {
                        high.fetch_add(1, Release);
                    });
                    meta.store(running ^ (RUNNING ^ WAITING), Release);
                    meta.swap(running + POLL_ONE, SeqCst);
                })
            };
            let max = (1u64 << POLL_BITS) - 1;
            let (_, seen) = read_polls(&meta, || high.load(Acquire));
            assert!((max..=max + 2).contains(&seen), "read {seen} polls");
            poller.join().unwrap();
            let (_, after) = read_polls(&meta, || high.load(Acquire));
            assert_eq!(after, max + 2);
        });
    }
}
