//! Placeholder for the `to-thread` example, written by its layer.
//!
//! `cargo run --example to-thread`
fn main() {}
