//! `block_on` on the multi-thread executor: the calling thread polls the main
//! future, woken through its own thread handle, while the workers run the tasks.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};
use std::thread;

use crate::runtime::context::{self, Role};
use crate::runtime::main_task::{MainCancelled, MainExit, MainTask, MainWake};
use crate::runtime::shared::Shared;
use crate::runtime::step::MAINTENANCE_INTERVAL;

/// Counts a parked `block_on` caller active again. While the caller is parked it
/// does not count as active; whoever ends the park (a wake of the main task, or
/// the caller on a spurious return) counts it active again, exactly once, before
/// the caller runs, so a virtual clock never jumps while a woken caller is about to
/// look at the time.
pub(crate) fn reactivate(main: &MainTask) {
    if let MainWake::Thread { parked, .. } = &main.wake {
        if parked.swap(false, Ordering::SeqCst) {
            main.header
                .rt
                .pool()
                .active_block_ons
                .fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn park_main(main: &MainTask) {
    let MainWake::Thread { parked, .. } = &main.wake else {
        unreachable!("the multi-thread main task parks its thread");
    };
    let shared = &main.header.rt;
    let pool = shared.pool();
    parked.store(true, Ordering::SeqCst);
    pool.active_block_ons.fetch_sub(1, Ordering::SeqCst);
    if shared.auto_advance && pool.all_idle() {
        // Everyone sleeps now: the driver holder may let the clock jump.
        shared.driver.unpark();
    }
    thread::park();
    reactivate(main);
    context::refresh_coarse_now();
}

/// Counts a `block_on` caller as active while it runs.
struct Active<'a>(&'a Shared);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0
            .pool()
            .active_block_ons
            .fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) fn block_on<F: std::future::Future>(
    shared: &Arc<Shared>,
    future: F,
    location: &'static Location<'static>,
) -> Result<F::Output, MainCancelled> {
    let _enter = context::enter(shared, Role::BlockOn);
    let pool = shared.pool();
    pool.active_block_ons.fetch_add(1, Ordering::SeqCst);
    let _active = Active(shared);
    let main = MainTask::register(
        shared,
        location,
        MainWake::Thread {
            thread: thread::current(),
            parked: AtomicBool::new(false),
        },
    );
    let _main_exit = MainExit(&main);
    let waker = Waker::from(main.clone());
    let mut cx = Context::from_waker(&waker);
    // The main task runs in a copy of the calling thread's context (contextvars).
    let future = crate::contextvars::Scoped::copy_current(future);
    let mut future = std::pin::pin!(Some(future));
    let mut polls: u32 = 0;
    loop {
        if let Some(out) = main.poll(future.as_mut(), &mut cx) {
            return out;
        }
        // The main future's polls count toward the fairness rule too: one that is
        // always ready still lets due timers fire. The driver is left to the
        // workers: a worker that goes idle while this thread held it would park
        // on its own parker, and no one would be left parked in the driver to
        // see I/O or let a virtual clock jump (the last worker to sleep must own
        // it).
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(MAINTENANCE_INTERVAL) {
            context::refresh_coarse_now();
            context::fire_due_in_order(shared);
        }
        park_main(&main);
    }
}
