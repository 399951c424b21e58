//! Placeholder for the `return-values` example, written by its layer.
//!
//! `cargo run --example return-values`
fn main() {}
