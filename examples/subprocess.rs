//! Placeholder for the `subprocess` example, written by its layer.
//!
//! `cargo run --example subprocess`
fn main() {}
