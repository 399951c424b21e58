//! Bench area `debug_overhead` (filled in by its layer).
fn main() {}
