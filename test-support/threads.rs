//! This process's threads, for tests that check a runtime starts none of its own.

/// The names of this process's threads (Linux: `/proc/self/task/*/comm`).
pub(crate) fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .map(|task| {
            let comm = task.expect("a task entry").path().join("comm");
            std::fs::read_to_string(comm)
                .unwrap_or_default()
                .trim_end()
                .to_owned()
        })
        .collect()
}
