//! Placeholder for the `task-group` example, written by its layer.
//!
//! `cargo run --example task-group`
fn main() {}
