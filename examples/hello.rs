//! Placeholder for the `hello` example, written by its layer.
fn main() {}
