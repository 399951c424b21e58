//! Placeholder for the `return-values` example, written by its layer.
fn main() {}
