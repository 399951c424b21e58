//! Placeholder for the `tcp-echo` example, written by its layer.
//!
//! `cargo run --example tcp-echo`
fn main() {}
