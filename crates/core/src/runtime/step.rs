//! The steps both executors' loops share: the maintenance every
//! [`MAINTENANCE_INTERVAL`] polls, and parking in the driver when idle.

use std::time::Duration;

use super::context;
use super::shared::Shared;
use super::work::IdleCheck;
use crate::clock::IdleAction;

/// How many tasks run between two looks at the timers and the driver.
pub(crate) const MAINTENANCE_INTERVAL: u32 = 61;

/// What a loop does every [`MAINTENANCE_INTERVAL`] polls, so always-ready tasks
/// starve neither timers nor I/O: refresh the cached time, fire the due timers,
/// and (when `poll_driver`: the caller may touch the driver now) poll the driver
/// without blocking.
pub(crate) fn maintenance(shared: &Shared, poll_driver: bool) {
    context::refresh_coarse_now();
    context::fire_due_in_order(shared);
    if poll_driver {
        shared.driver.park(Some(Duration::ZERO));
    }
}

/// Parks the calling thread, which holds the driver, until the next timer deadline
/// (at most `cap`), an unpark, or I/O; or lets a virtual clock jump there.
///
/// `alone`: no other thread of the runtime runs tasks now. A clock that advances
/// by itself may jump only then, and only when [`Shared::idle_check`] finds
/// nothing but timers pending (`busy` says whether work became ready); otherwise
/// the thread waits without a deadline for the others.
///
/// What decides the jump (`alone`, the work in flight, the next deadline) is read
/// after the driver's last poll, which consumes any pending unpark: a thread that
/// changes it later (the last one to go idle, a timer's registration, the end of
/// real work) unparks the driver after its change, so the park below returns at
/// once. Read before that poll, a change and its unpark could both fall in between:
/// the unpark consumed, the stale state saying "wait", the park never ending.
pub(crate) fn park_in_driver(
    shared: &Shared,
    alone: impl Fn() -> bool,
    cap: Option<Duration>,
    busy: impl Fn() -> bool,
) {
    let action = if !shared.auto_advance {
        Some(shared.time.clock.idle(shared.time.parking()))
    } else if !alone() {
        shared.time.parking();
        Some(IdleAction::Park(None))
    } else {
        match shared.idle_check(&alone, busy) {
            IdleCheck::Work => None,
            IdleCheck::Wait => {
                shared.time.parking();
                Some(IdleAction::Park(None))
            }
            IdleCheck::Jump => Some(shared.time.clock.idle(shared.time.parking())),
        }
    };
    match action {
        Some(IdleAction::Advanced) => shared.driver.park(Some(Duration::ZERO)),
        Some(IdleAction::Park(timeout)) => shared.driver.park(match (timeout, cap) {
            (Some(t), Some(c)) => Some(t.min(c)),
            (t, c) => t.or(c),
        }),
        None => {}
    }
    shared.time.unparked();
}

/// After any park: the time moved on, and timers may be due.
pub(crate) fn after_park(shared: &Shared) {
    context::refresh_coarse_now();
    context::fire_due_in_order(shared);
}
