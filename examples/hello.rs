//! Placeholder for the `hello` example, written by its layer.
//!
//! `cargo run --example hello`
fn main() {}
