//! Placeholder for the `blocking-detected` example, written by its layer.
//!
//! `cargo run --example blocking-detected`
fn main() {}
