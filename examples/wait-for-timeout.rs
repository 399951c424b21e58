//! Placeholder for the `wait-for-timeout` example, written by its layer.
//!
//! `cargo run --example wait-for-timeout`
fn main() {}
