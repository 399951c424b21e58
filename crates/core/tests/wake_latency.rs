//! The multi-thread executor: a task woken by a worker that then stays busy in a
//! long poll is picked up by an idle worker, instead of waiting in the busy
//! worker's LIFO slot until that poll ends; so is a task spawned by such a poll
//! (queued on the busy worker with no sleeper notified), and one spawned by a task
//! that was itself stolen that way and then blocks.
#![cfg(not(miri))]

use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use ferrio_core::{sleep, spawn, timeout, Builder, Task};

/// How long the waker's poll blocks after the wake.
const BLOCK: Duration = Duration::from_millis(300);
/// The woken task must start well before the waker's poll ends.
const BOUND: Duration = Duration::from_millis(150);

/// A one-shot signal between two tasks.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    async fn wait(&self) {
        poll_fn(|cx| {
            if self.open.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.open.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    fn has_waiter(&self) -> bool {
        self.waker.lock().unwrap().is_some()
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

/// Where the measuring body runs.
#[derive(Clone, Copy, Debug)]
enum Main {
    /// As the main future, on the `block_on` thread.
    BlockOn,
    /// In a task the main future spawns (as `ferrio::run` runs a program): on a
    /// worker, woken by its timers from the worker that sleeps in the driver, which
    /// then runs the rest itself.
    Task,
}

/// Runs `body` on a fresh runtime of `workers` workers, placed as `main` says.
fn run_on<F>(workers: usize, main: Main, body: fn() -> F) -> Duration
where
    F: Future<Output = Duration> + Send + 'static,
{
    let rt = Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap();
    rt.block_on(async move {
        match main {
            Main::BlockOn => body().await,
            Main::Task => spawn(body()).await.unwrap(),
        }
    })
}

/// Keeps this worker busy long enough for the others to stop searching and park.
fn let_the_others_park() {
    std::thread::sleep(Duration::from_millis(20));
}

/// Awaits `task`, which must end well within the test's life.
async fn finished<T>(task: Task<T>, what: &str) -> T {
    timeout(Duration::from_secs(10), task)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish in 10 s"))
        .unwrap()
}

/// Spawns a child onto this worker, where nothing else waits, then keeps the
/// worker busy in this poll: when the spawn happened, and the child (which
/// returns when it started).
fn spawn_child_then_block() -> (Instant, Task<Instant>) {
    let spawned_at = Instant::now();
    let child = spawn(async { Instant::now() });
    std::thread::sleep(BLOCK);
    (spawned_at, child)
}

/// How long the child of [`spawn_child_then_block`] waited to start.
async fn child_wait((spawned_at, child): (Instant, Task<Instant>)) -> Duration {
    finished(child, "the child")
        .await
        .saturating_duration_since(spawned_at)
}

/// How long the woken task waited to start while its waker's poll blocked.
async fn wake_latency() -> Duration {
    let gate = Arc::new(Gate::default());
    let woken = spawn({
        let gate = gate.clone();
        async move {
            gate.wait().await;
            Instant::now()
        }
    });
    let start = Instant::now();
    while !gate.has_waiter() {
        assert!(start.elapsed() < Duration::from_secs(10), "never waited");
        sleep(Duration::from_millis(1)).await;
    }
    let waker = spawn(async move {
        let_the_others_park();
        let woke_at = Instant::now();
        // The woken task lands in this worker's LIFO slot...
        gate.open();
        // ...and this poll keeps the worker busy.
        std::thread::sleep(BLOCK);
        woke_at
    });
    let started = finished(woken, "the woken task").await;
    let woke_at = waker.await.unwrap();
    started.saturating_duration_since(woke_at)
}

/// How long a task spawned by a poll that then blocks waited to start.
async fn spawn_latency() -> Duration {
    // A timer first: its wake-up takes the worker in the driver out of it.
    sleep(Duration::from_millis(1)).await;
    let spawner = spawn(async {
        let_the_others_park();
        spawn_child_then_block()
    });
    child_wait(finished(spawner, "the spawner").await).await
}

/// How long a task waited to start when its spawner was itself stolen by the watch
/// from behind a blocking poll, and then blocked too: the worker that stole it
/// left the driver, so another sleeper must have taken the watch over.
// The first spawner hands back the second one's handle to await: yielding a
// future is the point.
#[allow(clippy::async_yields_async)]
async fn second_spawn_latency() -> Duration {
    sleep(Duration::from_millis(1)).await;
    let first = spawn(async {
        let_the_others_park();
        let stolen = spawn(async { spawn_child_then_block() });
        // Longer than `stolen`'s poll: it must be stolen to run at all.
        std::thread::sleep(2 * BLOCK);
        stolen
    });
    let stolen = finished(first, "the first spawner").await;
    child_wait(finished(stolen, "the stolen spawner").await).await
}

/// One measurement at a time: the tests of this file run as threads of one process,
/// and a dozen other workers spinning on two cores would measure the machine, not
/// the watch.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn check<F>(what: &str, body: fn() -> F, workers: usize, main: Main)
where
    F: Future<Output = Duration> + Send + 'static,
{
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for trial in 0..3 {
        let waited = run_on(workers, main, body);
        assert!(
            waited < BOUND,
            "{workers} workers, main {main:?}, trial {trial}: the {what} task waited \
             {waited:?} while the poll that queued it blocked {BLOCK:?}"
        );
    }
}

/// One test per case: `name: (what, body, workers, main)`.
macro_rules! latency_tests {
    ($($name:ident: ($what:literal, $body:ident, $workers:literal, $main:ident),)*) => {
        $(
            #[test]
            fn $name() {
                check($what, $body, $workers, Main::$main);
            }
        )*
    };
}

latency_tests! {
    woken_task_starts_while_its_waker_blocks_2_workers: ("woken", wake_latency, 2, BlockOn),
    woken_task_starts_while_its_waker_blocks_8_workers: ("woken", wake_latency, 8, BlockOn),
    woken_task_starts_while_its_waker_blocks_in_a_task_2_workers: ("woken", wake_latency, 2, Task),
    woken_task_starts_while_its_waker_blocks_in_a_task_8_workers: ("woken", wake_latency, 8, Task),
    spawned_task_starts_while_its_spawner_blocks_2_workers: ("spawned", spawn_latency, 2, BlockOn),
    spawned_task_starts_while_its_spawner_blocks_8_workers: ("spawned", spawn_latency, 8, BlockOn),
    spawned_task_starts_while_its_spawner_blocks_in_a_task_2_workers:
        ("spawned", spawn_latency, 2, Task),
    spawned_task_starts_while_its_spawner_blocks_in_a_task_8_workers:
        ("spawned", spawn_latency, 8, Task),
    task_spawned_by_a_stolen_spawner_starts_while_both_block_3_workers:
        ("second spawned", second_spawn_latency, 3, BlockOn),
    task_spawned_by_a_stolen_spawner_starts_while_both_block_8_workers:
        ("second spawned", second_spawn_latency, 8, BlockOn),
}
