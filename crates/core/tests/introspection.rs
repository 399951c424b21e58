//! `all_tasks`, `current_task`, snapshots, and the poll hook.
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{builder, on_both, FLAVORS};
use ferrio_core::{
    all_tasks, current_task, spawn, yield_now, PollHook, TaskBuilder, TaskId, TaskSnapshot,
    TaskState,
};

#[test]
fn all_tasks_lists_live_tasks_with_their_details() {
    on_both(|_| async {
        let waiting = TaskBuilder::new()
            .name("waiter")
            .spawn(std::future::pending::<()>());
        while waiting.snapshot().state != TaskState::Waiting {
            yield_now().await;
        }
        let tasks = all_tasks();
        let snap = tasks.iter().find(|s| s.id == waiting.id()).expect("listed");
        assert_eq!(snap.name.as_deref(), Some("waiter"));
        assert_eq!(snap.state, TaskState::Waiting);
        assert_eq!(snap.polls, 1);
        assert!(snap.location.file().ends_with("introspection.rs"));
        assert!(snap.age() < Duration::from_secs(60));
        waiting.cancel();
        assert!(waiting.await.unwrap_err().is_cancelled());
        assert!(all_tasks()
            .iter()
            .all(|s| s.name.as_deref() != Some("waiter")));
    });
}

#[test]
fn current_task_is_the_running_task() {
    on_both(|_| async {
        let main = current_task().expect("the main future is a task");
        assert_eq!(main.state, TaskState::Running);
        let t = spawn(async {
            let me = current_task().unwrap();
            yield_now().await;
            (me, current_task().unwrap())
        });
        let id = t.id();
        let (first, second) = t.await.unwrap();
        assert_eq!(first.id, id);
        assert_eq!(first.state, TaskState::Running);
        assert_eq!(first.polls, 1);
        assert_eq!(second.polls, 2);
    });
}

#[test]
fn ids_are_unique_and_display_like_asyncio() {
    on_both(|_| async {
        let ids: Vec<TaskId> = (0..100).map(|_| spawn(async {}).id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 100);
        assert!(ids[0].to_string().starts_with("Task-"));
    });
}

#[derive(Default)]
struct Recorder {
    before: Mutex<Vec<TaskSnapshot>>,
    after: AtomicUsize,
}

impl PollHook for Recorder {
    fn before_poll(&self, task: &TaskSnapshot) {
        self.before.lock().unwrap().push(task.clone());
    }
    fn after_poll(&self, _id: TaskId, _elapsed: Duration) {
        self.after.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_poll_hook_sees_every_poll() {
    for flavor in FLAVORS {
        let hook = Arc::new(Recorder::default());
        let rt = builder(flavor).on_task_poll(hook.clone()).build().unwrap();
        rt.block_on(async {
            let t = TaskBuilder::new().name("hooked").spawn(async {
                yield_now().await;
                yield_now().await;
            });
            t.await.unwrap();
        });
        drop(rt);
        let before = hook.before.lock().unwrap();
        let hooked: Vec<_> = before
            .iter()
            .filter(|s| s.name.as_deref() == Some("hooked"))
            .collect();
        assert_eq!(hooked.len(), 3, "{flavor:?}");
        assert_eq!(hook.after.load(Ordering::SeqCst), before.len());
    }
}

/// `metrics()` and `all_tasks()` called over and over from another thread while
/// 100 000 tasks are live: the counts are right, and the loop keeps running tasks
/// (spawning and finishing them, which take the registry's lock) meanwhile.
#[test]
fn introspection_from_another_thread_does_not_stall_the_loop() {
    const LIVE: usize = 100_000;
    /// Calls of each kind the observer makes, paced a few ms apart.
    const CALLS: usize = 10;
    /// Ticks (a spawn and an await of a short task) the loop must make while the
    /// observer works: generous (over 20 calls, a loop that waited out each walk
    /// made about 3 500 ticks; one that gets the lock between chunks, over a
    /// million).
    const MIN_TICKS: usize = 20_000;
    let deadline = Duration::from_secs(120);

    let rt = builder(ferrio_core::Flavor::CurrentThread).build().unwrap();
    let handle = rt.handle();
    let ticks = rt.block_on(async move {
        let parked: Vec<_> = (0..LIVE)
            .map(|_| spawn(std::future::pending::<()>()))
            .collect();
        yield_now().await;
        // The main task counts too.
        assert_eq!(handle.metrics().live_tasks, LIVE + 1);
        let listed = all_tasks();
        assert_eq!(listed.len(), LIVE + 1);
        assert!(
            listed.windows(2).all(|w| w[0].id < w[1].id),
            "by id, once each"
        );

        let done = Arc::new(AtomicBool::new(false));
        let observer = {
            let done = done.clone();
            let handle = handle.clone();
            std::thread::spawn(move || {
                // At most one short task of the ticker is live besides.
                let range = LIVE + 1..=LIVE + 2;
                for _ in 0..CALLS {
                    let live = handle.metrics().live_tasks;
                    assert!(range.contains(&live), "metrics counted {live}");
                    let n = handle.all_tasks().len();
                    assert!(range.contains(&n), "all_tasks listed {n}");
                    std::thread::sleep(Duration::from_millis(3));
                }
                done.store(true, Ordering::SeqCst);
            })
        };

        let start = std::time::Instant::now();
        let mut ticks = 0usize;
        while !done.load(Ordering::SeqCst) {
            spawn(async {}).await.unwrap();
            ticks += 1;
            if ticks.is_multiple_of(64) {
                // Between ticks no child is live: the exact count.
                assert_eq!(handle.metrics().live_tasks, LIVE + 1);
            }
            assert!(start.elapsed() < deadline, "the observer did not finish");
        }
        observer.join().expect("the observer's counts were right");
        for t in &parked {
            assert!(t.cancel());
        }
        for t in parked {
            assert!(t.await.unwrap_err().is_cancelled());
        }
        assert_eq!(handle.metrics().live_tasks, 1);
        ticks
    });
    assert!(
        ticks >= MIN_TICKS,
        "the loop made {ticks} ticks while another thread read the registry {CALLS} times"
    );
}

/// Tasks that one worker spawns and the others steal, run and end retire their
/// registry slot on the spawner's shard (that worker removes it later): the count
/// of live tasks and `all_tasks()` stay exact through every round.
#[test]
fn tasks_ending_on_other_workers_keep_the_count_exact() {
    const TASKS: usize = 20_000;
    const ROUNDS: usize = 5;
    let rt = builder(ferrio_core::Flavor::MultiThread).build().unwrap();
    let handle = rt.handle();
    let body = rt.spawn(async move {
        let baseline = handle.metrics().live_tasks;
        assert_eq!(all_tasks().len(), baseline);
        for round in 0..ROUNDS {
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    spawn(async move {
                        yield_now().await;
                        i
                    })
                })
                .collect();
            let sum: usize = {
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            };
            assert_eq!(sum, TASKS * (TASKS - 1) / 2);
            assert_eq!(handle.metrics().live_tasks, baseline, "round {round}");
            assert_eq!(all_tasks().len(), baseline, "round {round}");
        }
    });
    rt.block_on(body).unwrap();
    assert_eq!(rt.metrics().live_tasks, 0);
}
