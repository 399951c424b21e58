//! Shared test helpers: the same test body runs on both executor flavours.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;

use ferrio_core::{Builder, Flavor, Runtime};

#[path = "../../../../test-support/flavours.rs"]
pub mod flavours;

/// Both flavours, the multi-thread one with two workers.
pub const FLAVORS: [Flavor; 2] = [Flavor::CurrentThread, Flavor::MultiThread];

/// A runtime of `flavor` (two workers for the multi-thread one).
pub fn runtime(flavor: Flavor) -> Runtime {
    builder(flavor).build().expect("runtime builds")
}

/// A builder of `flavor` (two workers for the multi-thread one).
pub fn builder(flavor: Flavor) -> Builder {
    match flavor {
        Flavor::CurrentThread => Builder::new_current_thread(),
        Flavor::MultiThread => Builder::new_multi_thread().worker_threads(2),
    }
}

/// Runs the future `make(flavor)` builds as a task spawned on a fresh runtime of
/// each flavour (the suite's one flavour helper, [`flavours`]).
pub fn on_both<F, Fut>(make: F)
where
    F: Fn(Flavor) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    flavours::on_each_flavour_with("", |flavor, main| runtime(flavor).block_on(main), make);
}

/// Scales a count down under miri.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        if n / 100 > 2 {
            n / 100
        } else {
            2
        }
    } else {
        n
    }
}

/// A flag a task raises at the start of the poll in which it begins to wait, so the
/// test cancels it only once it is waiting (or mid-poll, where `cancel()` from the
/// test waits for the poll to end).
#[derive(Clone, Default)]
pub struct Started(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Started {
    pub fn mark(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Yields until the flag is raised; fails after 10 s.
    pub async fn wait(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.0.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the task never started"
            );
            ferrio_core::yield_now().await;
        }
    }
}

/// Where panics were raised, for tests that a misuse panics at the caller's line.
type Sites = std::sync::Mutex<Vec<(String, String)>>;

fn all_panic_sites() -> &'static Sites {
    static SITES: std::sync::OnceLock<Sites> = std::sync::OnceLock::new();
    SITES.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            if let Some(loc) = info.location() {
                all_panic_sites()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((text, format!("{}:{}", loc.file(), loc.line())));
            }
            previous(info);
        }));
        std::sync::Mutex::new(Vec::new())
    })
}

/// The `file:line` sites of the panics whose message contains `needle`, recorded
/// from this call on by a process-wide hook (installed once; it then calls the
/// hook it replaced).
pub struct PanicSites(&'static str);

/// Starts recording panic sites; see [`PanicSites`].
pub fn panic_sites(needle: &'static str) -> PanicSites {
    all_panic_sites();
    PanicSites(needle)
}

impl PanicSites {
    fn matching(&self) -> Vec<String> {
        let sites = all_panic_sites().lock().unwrap_or_else(|e| e.into_inner());
        sites
            .iter()
            .filter(|(text, _)| text.contains(self.0))
            .map(|(_, site)| site.clone())
            .collect()
    }

    /// Whether a panic with the needle in its message was raised at `site`.
    pub fn contains(&self, site: &str) -> bool {
        self.matching().iter().any(|s| s == site)
    }
}

impl std::fmt::Debug for PanicSites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.matching()).finish()
    }
}

/// Cancels each task from another task, half through `Task::cancel` and half
/// through a handle (with a message), as the cancel-truth races do; gives the tasks
/// back with each `cancel` answer.
pub async fn cancel_from_a_task<T: Send + 'static>(
    tasks: Vec<ferrio_core::Task<T>>,
) -> (Vec<ferrio_core::Task<T>>, Vec<bool>) {
    ferrio_core::spawn(async move {
        let answers = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i.is_multiple_of(2) {
                    t.cancel()
                } else {
                    t.handle().cancel_with("race")
                }
            })
            .collect();
        (tasks, answers)
    })
    .await
    .unwrap()
}
