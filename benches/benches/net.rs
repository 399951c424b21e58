//! Bench area `net` (filled in by its layer).
fn main() {}
