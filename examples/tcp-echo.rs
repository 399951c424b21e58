//! Placeholder for the `tcp-echo` example, written by its layer.
fn main() {}
