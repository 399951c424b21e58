//! The extension traits, brought into scope by `use ferrio::prelude::*;`.
//!
//! `futures-lite`'s `FutureExt`, `StreamExt`, `AsyncReadExt`, `AsyncWriteExt`,
//! `AsyncBufReadExt` and `AsyncSeekExt` (imported anonymously, so their names stay
//! free), and the `futures-io` traits they extend.
//!
//! ```
//! use ferrio::prelude::*;
//!
//! ferrio::run(async {
//!     let mut reader = ferrio::io::BufReader::new(&b"hello\nworld\n"[..]);
//!     let mut line = String::new();
//!     reader.read_line(&mut line).await.unwrap();
//!     assert_eq!(line, "hello\n");
//!     let rest: Vec<String> = reader.lines().map(Result::unwrap).collect().await;
//!     assert_eq!(rest, ["world"]);
//! });
//! ```

pub use futures_lite::prelude::*;
