//! Placeholder for the `runner` example, written by its layer.
//!
//! `cargo run --example runner`
fn main() {}
