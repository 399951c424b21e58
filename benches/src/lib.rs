//! Shared helpers for ferrio's criterion benches: runtime names and builders for
//! ferrio and its peers, so every bench file builds its runtimes the same way.
//!
//! Multi-thread flavours use [`MT_WORKERS`] workers. Build a runtime once, outside
//! `b.iter`, and run each iteration with its `block_on`.

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;

/// The runtime names `cargo xtask bench` understands, in table order.
pub const RUNTIMES: [&str; 7] = [
    "ferrio-st",
    "ferrio-mt",
    "tokio-ct",
    "tokio-mt",
    "smol-1t",
    "smol-2t",
    "std-blocking",
];

/// Worker threads of every multi-thread flavour.
pub const MT_WORKERS: usize = 2;

/// ferrio's single-thread loop (core's default thread-parker driver).
pub fn ferrio_st() -> ferrio_core::Runtime {
    ferrio_core::Builder::new_current_thread()
        .build()
        .expect("ferrio-st builds")
}

/// ferrio's work-stealing executor with [`MT_WORKERS`] workers.
pub fn ferrio_mt() -> ferrio_core::Runtime {
    ferrio_core::Builder::new_multi_thread()
        .worker_threads(MT_WORKERS)
        .build()
        .expect("ferrio-mt builds")
}

/// tokio's current-thread runtime, all drivers enabled.
pub fn tokio_ct() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio-ct builds")
}

/// tokio's multi-thread runtime with [`MT_WORKERS`] workers, all drivers enabled.
pub fn tokio_mt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(MT_WORKERS)
        .enable_all()
        .build()
        .expect("tokio-mt builds")
}

/// smol's `LocalExecutor`, driven by the bench thread.
pub struct Smol1t {
    /// The executor; spawn on it inside [`Smol1t::block_on`].
    pub ex: Rc<smol::LocalExecutor<'static>>,
}

impl Smol1t {
    /// A fresh local executor.
    pub fn new() -> Smol1t {
        Smol1t {
            ex: Rc::new(smol::LocalExecutor::new()),
        }
    }

    /// Runs `fut` while driving the executor on this thread.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        smol::block_on(self.ex.run(fut))
    }
}

impl Default for Smol1t {
    fn default() -> Self {
        Self::new()
    }
}

/// smol's `Executor` run by [`MT_WORKERS`] threads; the bench thread only blocks.
pub struct Smol2t {
    /// The executor; spawn on it from the future given to [`Smol2t::block_on`].
    pub ex: Arc<smol::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Smol2t {
    /// The executor and its threads.
    pub fn new() -> Smol2t {
        let ex = Arc::new(smol::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..MT_WORKERS)
            .map(|_| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                std::thread::spawn(move || {
                    let _ = smol::block_on(ex.run(stopped.recv()));
                })
            })
            .collect();
        Smol2t {
            ex,
            stop: Some(stop),
            threads,
        }
    }

    /// Blocks the bench thread on `fut` while the executor threads run the tasks.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        smol::block_on(fut)
    }
}

impl Default for Smol2t {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Smol2t {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A fixed-seed generator for workloads that need random numbers.
pub fn rng() -> fastrand::Rng {
    fastrand::Rng::with_seed(0x5EED_F312)
}
