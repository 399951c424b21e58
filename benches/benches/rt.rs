//! Bench area `rt` (filled in by its layer).
fn main() {}
