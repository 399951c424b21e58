//! The `#[ferrio::main]` and `#[ferrio::test]` attribute macros.
