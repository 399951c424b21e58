//! smol: a `LocalExecutor` driven by the bench thread ([`Smol1t`]), and an
//! `Executor` run by [`MT_WORKERS`] threads ([`Smol2t`]). Both use async-io's
//! reactor and timers, async-channel, async-lock and `blocking`, as smol does.
//!
//! smol has no ambient runtime, so `spawn` finds the executor in a thread-local set
//! where the executor runs (one load and a borrow flag per spawn).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::{Rt, MT_WORKERS};

thread_local! {
    static LOCAL: RefCell<Option<Rc<smol::LocalExecutor<'static>>>> = const { RefCell::new(None) };
    static SHARED: RefCell<Option<Arc<smol::Executor<'static>>>> = const { RefCell::new(None) };
}

/// What both smol flavours share: everything but the executor.
macro_rules! smol_common {
    () => {
        type Task<T: Send + 'static> = smol::Task<T>;
        mpmc_channel!(async_channel);
        async_mutex!(async_lock);
        tcp!(smol::net);

        ambient! {
            spawn_detached(future) => Self::spawn(future).detach(),
            yield_now() => smol::future::yield_now(),
            to_thread(f) => blocking::unblock(f),
        }

        async fn sleep(duration: std::time::Duration) {
            smol::Timer::after(duration).await;
        }
    };
}

/// smol's `LocalExecutor`, driven by the bench thread inside `smol::block_on`.
pub struct Smol1t {
    executor: Rc<smol::LocalExecutor<'static>>,
}

impl Smol1t {
    /// A fresh local executor, the one `spawn` uses on this thread until dropped.
    ///
    /// # Panics
    ///
    /// If this thread already has one.
    pub fn new() -> Smol1t {
        let executor = Rc::new(smol::LocalExecutor::new());
        LOCAL.with_borrow_mut(|local| {
            assert!(local.is_none(), "one Smol1t per thread at a time");
            *local = Some(Rc::clone(&executor));
        });
        Smol1t { executor }
    }
}

impl Default for Smol1t {
    fn default() -> Self {
        Smol1t::new()
    }
}

impl Drop for Smol1t {
    fn drop(&mut self) {
        LOCAL.with_borrow_mut(|local| *local = None);
    }
}

impl Rt for Smol1t {
    smol_common!();

    ambient! {
        name(self) => "smol-1t",
        block_on(self, future) => {
            let task = self.executor.spawn(future);
            smol::block_on(self.executor.run(task))
        },
        spawn(future) => LOCAL.with_borrow(|local| {
            local
                .as_ref()
                .expect("smol-1t: spawn outside Smol1t::block_on")
                .spawn(future)
        }),
    }
}

/// smol's `Executor` run by [`MT_WORKERS`] threads; the bench thread only blocks.
pub struct Smol2t {
    executor: Arc<smol::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Smol2t {
    /// The executor and its threads.
    pub fn new() -> Smol2t {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..MT_WORKERS)
            .map(|_| {
                let executor = Arc::clone(&executor);
                let stopped = stopped.clone();
                std::thread::spawn(move || {
                    SHARED.with_borrow_mut(|shared| *shared = Some(Arc::clone(&executor)));
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        Smol2t {
            executor,
            stop: Some(stop),
            threads,
        }
    }
}

impl Default for Smol2t {
    fn default() -> Self {
        Smol2t::new()
    }
}

impl Drop for Smol2t {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            thread.join().expect("a smol-2t thread panicked");
        }
    }
}

impl Rt for Smol2t {
    smol_common!();

    ambient! {
        name(self) => "smol-2t",
        block_on(self, future) => smol::block_on(self.executor.spawn(future)),
        spawn(future) => SHARED.with_borrow(|shared| {
            shared
                .as_ref()
                .expect("smol-2t: spawn outside the executor's threads")
                .spawn(future)
        }),
    }
}
