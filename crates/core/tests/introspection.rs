//! `all_tasks`, `current_task`, snapshots, and the poll hook.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
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
