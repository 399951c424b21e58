//! asyncio's stream errors: an incomplete read and a limit overrun.

use std::error::Error;
use std::fmt;
use std::io;

/// The stream ended before the read was satisfied (asyncio's
/// `IncompleteReadError`). The bytes that did arrive are in `partial`; they were
/// consumed from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// What was read before the end of the stream.
    pub partial: Vec<u8>,
    /// How many bytes were asked for (`None` when reading up to a separator).
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "{} bytes read on a total of {n} expected bytes",
                self.partial.len()
            ),
            None => write!(
                f,
                "{} bytes read before the end of the stream, separator not found",
                self.partial.len()
            ),
        }
    }
}

impl Error for IncompleteReadError {}

/// The data before the separator is longer than the reader's limit (asyncio's
/// `LimitOverrunError`).
///
/// From [`readuntil`](super::StreamReader::readuntil) nothing was consumed: the
/// data stays readable. From [`readline`](super::StreamReader::readline) (where
/// asyncio raises `ValueError` with this message) the over-long line was
/// consumed: up to and including its newline when that was found, else everything
/// buffered, so the next `readline` moves on.
///
/// Its message is asyncio's: "Separator is found, but chunk is longer than limit"
/// or "Separator is not found, and chunk exceed the limit".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// As asyncio counts it: where the separator starts when it was found beyond
    /// the limit; otherwise how many buffered bytes are known to hold no separator
    /// (all but the last `separator.len() - 1`). Reading `consumed` bytes, and the
    /// separator when found, moves past the overrun.
    pub consumed: usize,
    /// The reader's limit.
    pub limit: usize,
    /// Whether the separator was found (beyond the limit) or not found within it.
    pub separator_found: bool,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.separator_found {
            "Separator is found, but chunk is longer than limit"
        } else {
            "Separator is not found, and chunk exceed the limit"
        })
    }
}

impl Error for LimitOverrunError {}

/// The error of the [`StreamReader`](super::StreamReader) methods that parse.
///
/// Non-exhaustive: a `match` on it needs a wildcard arm, so that a new kind of
/// failure is not a breaking change.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// The underlying I/O failed.
    Io(io::Error),
    /// The stream ended early.
    IncompleteRead(IncompleteReadError),
    /// The separator was not found within the limit.
    LimitOverrun(LimitOverrunError),
}

impl StreamError {
    /// The bytes an incomplete read delivered, if this is one.
    pub fn partial(&self) -> Option<&[u8]> {
        match self {
            StreamError::IncompleteRead(e) => Some(&e.partial),
            _ => None,
        }
    }

    /// Whether the stream ended early.
    pub fn is_incomplete_read(&self) -> bool {
        matches!(self, StreamError::IncompleteRead(_))
    }

    /// Whether the limit was overrun.
    pub fn is_limit_overrun(&self) -> bool {
        matches!(self, StreamError::LimitOverrun(_))
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Io(e) => e.fmt(f),
            StreamError::IncompleteRead(e) => e.fmt(f),
            StreamError::LimitOverrun(e) => e.fmt(f),
        }
    }
}

impl Error for StreamError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StreamError::Io(e) => Some(e),
            StreamError::IncompleteRead(e) => Some(e),
            StreamError::LimitOverrun(e) => Some(e),
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(e: io::Error) -> Self {
        StreamError::Io(e)
    }
}

/// For `?` in functions returning `io::Result`: an incomplete read becomes
/// `UnexpectedEof`, an overrun `InvalidData`, each carrying the original error.
impl From<StreamError> for io::Error {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Io(e) => e,
            StreamError::IncompleteRead(e) => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            StreamError::LimitOverrun(e) => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}
