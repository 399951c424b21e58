//! Placeholder for the `to-thread` example, written by its layer.
fn main() {}
