//! Placeholder for the `subprocess` example, written by its layer.
fn main() {}
