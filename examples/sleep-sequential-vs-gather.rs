//! Placeholder for the `sleep-sequential-vs-gather` example, written by its layer.
//!
//! `cargo run --example sleep-sequential-vs-gather`
fn main() {}
