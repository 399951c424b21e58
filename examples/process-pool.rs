//! Placeholder for the `process-pool` example, written by its layer.
fn main() {}
