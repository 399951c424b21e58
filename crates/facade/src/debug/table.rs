//! `ferrio::debug::dump()`: every live task as a table, like `python -m asyncio ps`.

use std::fmt;
use std::time::Duration;

use crate::TaskSnapshot;

/// Every live task of the current runtime, taken at one moment.
///
/// Its [`Display`](fmt::Display) form is a table with one row per task: id, name,
/// state, age, polls and spawn location, oldest first.
///
/// ```
/// ferrio::run(async {
///     let worker = ferrio::TaskBuilder::new()
///         .name("worker")
///         .spawn(ferrio::sleep(std::time::Duration::from_secs(60)));
///     ferrio::yield_now().await;
///     let table = ferrio::debug::dump();
///     assert!(table.tasks().iter().any(|t| t.name.as_deref() == Some("worker")));
///     println!("{table}");
///     worker.cancel();
/// });
/// ```
#[derive(Debug, Clone)]
pub struct TaskTable {
    tasks: Vec<TaskSnapshot>,
}

/// Returns a snapshot of every live task of the runtime running on this thread; print
/// it (`println!("{}", ferrio::debug::dump())`) to see it like `python -m asyncio ps`.
///
/// It prints nothing itself, so a bare `dump();` is a mistake the compiler reports
/// (the function is `#[must_use]`):
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// ferrio::run(async {
///     ferrio::debug::dump(); // error: unused return value
/// });
/// ```
///
/// # Panics
///
/// Panics outside a runtime, at the caller's line, with a message that names the fix
/// (call it inside `ferrio::run`).
#[must_use = "`dump()` only returns the table: print it with `println!(\"{}\", ferrio::debug::dump())`"]
#[track_caller]
pub fn dump() -> TaskTable {
    let mut tasks = crate::all_tasks();
    tasks.sort_by_key(|task| std::cmp::Reverse(task.age()));
    TaskTable { tasks }
}

impl TaskTable {
    /// The tasks, oldest first.
    pub fn tasks(&self) -> &[TaskSnapshot] {
        &self.tasks
    }

    /// How many tasks are live.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is live.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

fn format_age(age: Duration) -> String {
    let secs = age.as_secs_f64();
    if secs < 1.0 {
        format!("{:.1}ms", secs * 1e3)
    } else {
        format!("{secs:.2}s")
    }
}

impl fmt::Display for TaskTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 6]> = self
            .tasks
            .iter()
            .map(|task| {
                [
                    task.id.to_string(),
                    task.name.as_deref().unwrap_or("-").to_string(),
                    format!("{:?}", task.state),
                    format_age(task.age()),
                    task.polls.to_string(),
                    task.location.to_string(),
                ]
            })
            .collect();
        let header = ["id", "name", "state", "age", "polls", "spawned at"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 6]| -> fmt::Result {
            // Numbers right-aligned, text left-aligned; the last column unpadded.
            write!(f, "{:>w$}  ", cells[0], w = widths[0])?;
            write!(f, "{:<w$}  ", cells[1], w = widths[1])?;
            write!(f, "{:<w$}  ", cells[2], w = widths[2])?;
            write!(f, "{:>w$}  ", cells[3], w = widths[3])?;
            write!(f, "{:>w$}  ", cells[4], w = widths[4])?;
            writeln!(f, "{}", cells[5])
        };
        line(f, header)?;
        for row in &rows {
            line(f, row.each_ref().map(String::as_str))?;
        }
        Ok(())
    }
}
