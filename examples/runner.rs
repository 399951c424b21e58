//! Placeholder for the `runner` example, written by its layer.
fn main() {}
