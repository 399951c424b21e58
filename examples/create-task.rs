//! Placeholder for the `create-task` example, written by its layer.
//!
//! `cargo run --example create-task`
fn main() {}
