//! Placeholder for the `sleep-sequential-vs-gather` example, written by its layer.
fn main() {}
