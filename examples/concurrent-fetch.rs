//! Placeholder for the `concurrent-fetch` example, written by its layer.
//!
//! `cargo run --example concurrent-fetch`
fn main() {}
