//! Placeholder for the `producer-consumer` example, written by its layer.
fn main() {}
