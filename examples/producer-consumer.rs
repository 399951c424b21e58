//! Placeholder for the `producer-consumer` example, written by its layer.
//!
//! `cargo run --example producer-consumer`
fn main() {}
