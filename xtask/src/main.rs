//! `cargo xtask`: test-all, bench, loom, miri.
fn main() {}
