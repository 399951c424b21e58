//! Placeholder for the `wait-for-timeout` example, written by its layer.
fn main() {}
