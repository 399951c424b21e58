//! The process pool's wire format: length-prefixed frames.
//!
//! A frame is a 4-byte little-endian payload length followed by the payload. The
//! length is checked against a maximum *before* any buffer is grown, so a corrupt or
//! hostile header cannot make the reader allocate gigabytes, and a frame cut short by
//! a dying peer is reported as truncated instead of being handed on half-filled.

use std::fmt;
use std::io::{self, Read};

/// Bytes in a frame header.
pub const HEADER_LEN: usize = 4;

/// Bytes read per `read` call for a large payload.
const READ_CHUNK: usize = 256 << 10;

/// The default largest payload a pool accepts: 256 MiB.
pub const DEFAULT_MAX_FRAME: usize = 256 << 20;

/// Why a frame could not be read or decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum FrameError {
    /// The header announces a payload larger than the limit; nothing was allocated.
    TooLarge {
        /// The announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input ended inside a frame.
    Truncated {
        /// Bytes the frame needed (header included).
        expected: usize,
        /// Bytes that were there.
        got: usize,
    },
    /// The underlying reader failed.
    Io(io::Error),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the {max}-byte limit")
            }
            FrameError::Truncated { expected, got } => {
                write!(f, "frame truncated: needed {expected} bytes, got {got}")
            }
            FrameError::Io(error) => write!(f, "frame read failed: {error}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Starts a frame in `buf`: reserves the header, to be filled in by [`finish`].
/// Returns the frame's start offset.
pub fn begin(buf: &mut Vec<u8>) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER_LEN]);
    start
}

/// Completes the frame begun at `start` by writing its payload length.
///
/// # Errors
///
/// [`FrameError::TooLarge`] when the payload exceeds `max`.
pub fn finish(buf: &mut [u8], start: usize, max: usize) -> Result<(), FrameError> {
    let len = buf.len() - start - HEADER_LEN;
    if len > max || len > u32::MAX as usize {
        return Err(FrameError::TooLarge { len, max });
    }
    buf[start..start + HEADER_LEN].copy_from_slice(&(len as u32).to_le_bytes());
    Ok(())
}

/// Encodes one frame holding `payload`.
///
/// # Errors
///
/// [`FrameError::TooLarge`] when the payload exceeds `max`.
pub fn encode(payload: &[u8], max: usize) -> Result<Vec<u8>, FrameError> {
    if payload.len() > max || payload.len() > u32::MAX as usize {
        return Err(FrameError::TooLarge {
            len: payload.len(),
            max,
        });
    }
    let mut buf = Vec::with_capacity(HEADER_LEN + payload.len());
    let start = begin(&mut buf);
    buf.extend_from_slice(payload);
    finish(&mut buf, start, max)?;
    Ok(buf)
}

/// Decodes the first frame of `input`: its payload and the bytes after it.
///
/// # Errors
///
/// [`FrameError::Truncated`] when `input` ends inside the frame (an empty input is a
/// truncated header), [`FrameError::TooLarge`] when the header exceeds `max`.
pub fn decode(input: &[u8], max: usize) -> Result<(&[u8], &[u8]), FrameError> {
    if input.len() < HEADER_LEN {
        return Err(FrameError::Truncated {
            expected: HEADER_LEN,
            got: input.len(),
        });
    }
    let len = header_len(input[..HEADER_LEN].try_into().expect("4-byte header"));
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    let body = &input[HEADER_LEN..];
    if body.len() < len {
        return Err(FrameError::Truncated {
            expected: HEADER_LEN + len,
            got: input.len(),
        });
    }
    Ok(body.split_at(len))
}

fn header_len(header: [u8; HEADER_LEN]) -> usize {
    u32::from_le_bytes(header) as usize
}

/// Reads one frame from `reader` into `buf` (replacing its contents).
///
/// Returns `Ok(false)` on a clean end of input before the first header byte. The
/// length is checked against `max` before `buf` grows, and `buf` grows to at most
/// the announced length.
///
/// # Errors
///
/// [`FrameError::TooLarge`], [`FrameError::Truncated`] when the input ends inside a
/// frame, [`FrameError::Io`] when the reader fails (a read timeout included).
pub fn read<R: Read>(reader: &mut R, max: usize, buf: &mut Vec<u8>) -> Result<bool, FrameError> {
    let mut header = [0; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        match reader.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                return Err(FrameError::Truncated {
                    expected: HEADER_LEN,
                    got: filled,
                })
            }
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(FrameError::Io(error)),
        }
    }
    let len = header_len(header);
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    buf.clear();
    // Reserved only now that the length passed the check, and filled (zeroed, then
    // read into) a chunk at a time as data arrives, so that a peer announcing a large
    // frame and then stalling costs address space, not touched memory.
    buf.reserve_exact(len);
    while buf.len() < len {
        let start = buf.len();
        let chunk = (len - start).min(READ_CHUNK);
        buf.resize(start + chunk, 0);
        match reader.read(&mut buf[start..]) {
            Ok(0) => {
                buf.truncate(start);
                return Err(FrameError::Truncated {
                    expected: HEADER_LEN + len,
                    got: HEADER_LEN + start,
                });
            }
            Ok(n) => buf.truncate(start + n),
            Err(error) => {
                buf.truncate(start);
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(FrameError::Io(error));
                }
            }
        }
    }
    Ok(true)
}
