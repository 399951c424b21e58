//! `ferrio::debug::dump()`: every live task, printed like `python -m asyncio ps`.

use std::time::Duration;

#[test]
fn dump_lists_live_tasks_with_their_details() {
    ferrio::run(async {
        let sleeper = ferrio::TaskBuilder::new()
            .name("sleeper")
            .spawn(ferrio::sleep(Duration::from_secs(3600)));
        let anonymous = ferrio::spawn(ferrio::sleep(Duration::from_secs(3600)));
        ferrio::yield_now().await;

        let table = ferrio::debug::dump();
        let row = table
            .tasks()
            .iter()
            .find(|task| task.id == sleeper.id())
            .expect("the sleeper is listed");
        assert_eq!(row.name.as_deref(), Some("sleeper"));
        assert!(row.polls >= 1);
        assert!(row.location.file().ends_with("dump.rs"));
        assert!(table.tasks().iter().any(|task| task.id == anonymous.id()));

        let text = table.to_string();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        for column in ["id", "name", "state", "age", "polls", "spawned at"] {
            assert!(header.contains(column), "{header}");
        }
        let sleeper_line = text.lines().find(|l| l.contains("sleeper")).unwrap();
        assert!(sleeper_line.contains("dump.rs:"), "{sleeper_line}");
        assert!(
            sleeper_line.contains(&sleeper.id().to_string()),
            "{sleeper_line}"
        );

        sleeper.cancel();
        anonymous.cancel();
        assert!(sleeper.await.unwrap_err().is_cancelled());
        assert!(anonymous.await.unwrap_err().is_cancelled());
        let after = ferrio::debug::dump();
        assert!(after
            .tasks()
            .iter()
            .all(|task| task.name.as_deref() != Some("sleeper")));
    });
}

#[test]
fn finished_tasks_leave_the_table() {
    ferrio::run(async {
        let before = ferrio::debug::dump().len();
        let tasks: Vec<_> = (0..5).map(|i| ferrio::spawn(async move { i })).collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(ferrio::debug::dump().len(), before);
    });
}
