//! Placeholder for the `task-group` example, written by its layer.
fn main() {}
