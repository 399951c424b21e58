//! Bench area `sync` (filled in by its layer).
fn main() {}
