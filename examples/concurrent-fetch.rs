//! Placeholder for the `concurrent-fetch` example, written by its layer.
fn main() {}
