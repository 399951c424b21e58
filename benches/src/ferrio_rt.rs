//! ferrio through its public API: `ferrio::Runner` (both flavours, with the reactor),
//! and a bare `ferrio_core` single-thread runtime as a labelled extra.

use crate::{Expect, Rt, MT_WORKERS};

enum Inner {
    Runner(ferrio::Runner),
    Core(ferrio_core::Runtime),
}

/// ferrio as a user runs it: [`Ferrio::st`] and [`Ferrio::mt`]; [`Ferrio::core_st`]
/// is the bare core loop (thread parker, no reactor, so no TCP).
pub struct Ferrio {
    inner: Inner,
    name: &'static str,
}

impl Ferrio {
    /// `ferrio::Runner::new()`: the single-thread loop with the reactor, what
    /// `ferrio::run` uses.
    pub fn st() -> Ferrio {
        Ferrio {
            inner: Inner::Runner(ferrio::Runner::new()),
            name: "ferrio-st",
        }
    }

    /// `Runner::builder().multi_thread().worker_threads(MT_WORKERS)`.
    pub fn mt() -> Ferrio {
        let runner = ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(MT_WORKERS)
            .build()
            .expect("ferrio-mt builds");
        Ferrio {
            inner: Inner::Runner(runner),
            name: "ferrio-mt",
        }
    }

    /// [`Ferrio::st`] with eager tasks (asyncio's `eager_task_factory`).
    pub fn st_eager() -> Ferrio {
        let runner = ferrio::Runner::builder()
            .eager_tasks(true)
            .build()
            .expect("ferrio-st-eager builds");
        Ferrio {
            inner: Inner::Runner(runner),
            name: "ferrio-st-eager",
        }
    }

    /// [`Ferrio::mt`] with eager tasks.
    pub fn mt_eager() -> Ferrio {
        let runner = ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(MT_WORKERS)
            .eager_tasks(true)
            .build()
            .expect("ferrio-mt-eager builds");
        Ferrio {
            inner: Inner::Runner(runner),
            name: "ferrio-mt-eager",
        }
    }

    /// A bare `ferrio_core` current-thread runtime: no reactor, no facade.
    pub fn core_st() -> Ferrio {
        let runtime = ferrio_core::Builder::new_current_thread()
            .build()
            .expect("ferrio-core-st builds");
        Ferrio {
            inner: Inner::Core(runtime),
            name: "ferrio-core-st",
        }
    }
}

impl Rt for Ferrio {
    type Task<T: Send + 'static> = Expect<ferrio::Task<T>>;
    mpmc_channel!(ferrio::sync::channel);
    async_mutex!(ferrio::sync);
    tcp!(ferrio::net);

    ambient! {
        name(self) => self.name,
        block_on(self, future) => {
            let main = async move { Expect::new(ferrio::spawn(future)).await };
            match &self.inner {
                Inner::Runner(runner) => runner.run(main),
                Inner::Core(runtime) => runtime.block_on(main),
            }
        },
        spawn(future) => Expect::new(ferrio::spawn(future)),
        spawn_detached(future) => ferrio::spawn(future).detach(),
        yield_now() => ferrio::yield_now(),
        sleep(duration) => ferrio::sleep(duration),
        to_thread(f) => Expect::new(ferrio::to_thread(f)),
    }
}
