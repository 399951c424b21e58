//! Placeholder for the `blocking-detected` example, written by its layer.
fn main() {}
