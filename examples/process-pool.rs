//! Placeholder for the `process-pool` example, written by its layer.
//!
//! `cargo run --example process-pool`
fn main() {}
