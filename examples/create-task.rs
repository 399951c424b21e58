//! Placeholder for the `create-task` example, written by its layer.
fn main() {}
