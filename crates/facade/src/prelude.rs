//! The traits async code needs, brought into scope by `use ferrio::prelude::*;`.
//!
//! `Future`, `Stream`, `AsyncRead`, `AsyncWrite`, `AsyncBufRead`, `AsyncSeek`, and
//! `futures-lite`'s extension traits for them: `FutureExt`, `StreamExt`,
//! `AsyncReadExt`, `AsyncWriteExt`, `AsyncBufReadExt`, `AsyncSeekExt`.
//!
//! # Together with `futures`' extension traits
//!
//! `futures` and `futures-lite` have extension traits of the same names with methods
//! of the same names (`read_exact`, `next`, `write_all`, ...). Two such traits in
//! scope make every call ambiguous (error E0034, "multiple applicable items"). So
//! this prelude exports the extension traits **by name**, not anonymously
//! (`as _`, as `futures_lite::prelude` does): a name a glob import brings is
//! shadowed by the same name imported explicitly. Hence
//!
//! ```
//! use ferrio::prelude::*;
//! use futures_lite::StreamExt; // what most ecosystem docs import, or `futures::StreamExt`
//! ```
//!
//! leaves exactly one `StreamExt` in scope, the one named explicitly, and
//! `stream.next()` resolves. This holds for `use futures::{AsyncReadExt, StreamExt}`
//! and for `use futures_lite::{AsyncReadExt, StreamExt}` (a test of the facade
//! compiles both). What cannot be combined is two *anonymous* sets: this prelude
//! together with `futures::prelude::*` (which imports its traits as `_`); import
//! either prelude, not both, or name the traits you use.
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

#[doc(no_inline)]
pub use futures_lite::future::{Future, FutureExt};
#[doc(no_inline)]
pub use futures_lite::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite,
    AsyncWriteExt,
};
#[doc(no_inline)]
pub use futures_lite::stream::{Stream, StreamExt};
