//! `read_dir` as a `Stream` of entries, read from the directory in batches.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use ferrio_executor_pool::ThreadJob;

use crate::offload::InFlight;
use futures_lite::Stream;

use super::{on_path, pool_error, with_path};

/// Entries read per trip to the thread pool: one trip per entry would cost a pool
/// round trip each, a whole directory at once would hold a huge one in memory.
const BATCH: usize = 32;

/// Opens a directory for listing; the entries come from the returned [`ReadDir`]
/// stream, in the operating system's order (not sorted), without `.` and `..`.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when the directory does not exist, and every error
/// `std::fs::read_dir` gives; an entry that cannot be read is an `Err` item of the
/// stream.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
///
/// ferrio::run(async {
///     let mut entries = ferrio::fs::read_dir("src").await.unwrap();
///     let mut names = Vec::new();
///     while let Some(entry) = entries.next().await {
///         names.push(entry.unwrap().file_name());
///     }
///     assert!(names.iter().any(|name| name == "lib.rs"));
/// });
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = on_path("read_dir", path.clone(), |p| std::fs::read_dir(p)).await?;
    Ok(ReadDir {
        state: State::Idle(Some(Batch {
            std,
            path: Arc::from(path),
            entries: VecDeque::new(),
            done: false,
        })),
    })
}

/// The entries of a directory: a [`Stream`] of `io::Result<`[`DirEntry`]`>`, as
/// returned by [`read_dir`]. Use it with `StreamExt::next`, or call
/// [`next_entry`](ReadDir::next_entry) as with tokio's.
pub struct ReadDir {
    state: State,
}

/// The directory iterator and the entries read ahead, carried to the pool and back.
struct Batch {
    std: std::fs::ReadDir,
    path: Arc<Path>,
    entries: VecDeque<io::Result<DirEntry>>,
    done: bool,
}

enum State {
    /// `None` only while a poll moves the batch into a pool job.
    Idle(Option<Batch>),
    Busy(InFlight<ThreadJob<Batch>>),
}

impl ReadDir {
    /// The next entry, `Ok(None)` at the end: tokio's `next_entry`.
    ///
    /// # Errors
    ///
    /// The error of an entry the operating system could not read.
    ///
    /// # Examples
    ///
    /// ```
    /// ferrio::run(async {
    ///     let mut entries = ferrio::fs::read_dir(".").await.unwrap();
    ///     let mut count = 0;
    ///     while let Some(_entry) = entries.next_entry().await.unwrap() {
    ///         count += 1;
    ///     }
    ///     assert!(count > 0);
    /// });
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let Some(batch) = slot.as_mut() else {
                        // A pool failure ended the listing earlier.
                        return Poll::Ready(None);
                    };
                    if let Some(entry) = batch.entries.pop_front() {
                        return Poll::Ready(Some(entry));
                    }
                    if batch.done {
                        return Poll::Ready(None);
                    }
                    let mut batch = slot.take().expect("checked above");
                    self.state = State::Busy(crate::to_thread(move || {
                        batch.read_ahead();
                        batch
                    }));
                }
                State::Busy(job) => {
                    let result = ready!(Pin::new(job).poll(cx));
                    match result {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(error) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Some(Err(pool_error(error))));
                        }
                    }
                }
            }
        }
    }
}

impl Batch {
    /// Reads up to [`BATCH`] entries (blocking; runs on the pool).
    fn read_ahead(&mut self) {
        for _ in 0..BATCH {
            match self.std.next() {
                Some(entry) => self.entries.push_back(
                    entry
                        .map(|std| DirEntry { std: Arc::new(std) })
                        .map_err(with_path("read_dir", &self.path)),
                ),
                None => {
                    self.done = true;
                    return;
                }
            }
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ReadDir");
        match &self.state {
            State::Idle(Some(batch)) => out
                .field("path", &batch.path)
                .field("read_ahead", &batch.entries.len())
                .field("done", &batch.done),
            State::Idle(None) => out.field("done", &true),
            State::Busy(_) => out.field("reading", &true),
        };
        out.finish()
    }
}

/// One entry of a directory listing, from [`ReadDir`].
#[derive(Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
}

impl DirEntry {
    /// The entry's full path: the directory given to [`read_dir`] joined with the
    /// file name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's bare file name.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata, not following a final symlink (on the thread pool).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] when the entry was removed since the listing, and
    /// every error `DirEntry::metadata` gives.
    ///
    /// # Examples
    ///
    /// ```
    /// ferrio::run(async {
    ///     let mut entries = ferrio::fs::read_dir("src").await.unwrap();
    ///     let entry = entries.next_entry().await.unwrap().unwrap();
    ///     let meta = entry.metadata().await.unwrap();
    ///     assert!(meta.is_file() || meta.is_dir());
    /// });
    /// ```
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let std = Arc::clone(&self.std);
        on_path("metadata", self.path(), move |_| std.metadata()).await
    }

    /// The entry's file type, not following a final symlink (on the thread pool).
    ///
    /// # Errors
    ///
    /// Every error `DirEntry::file_type` gives.
    pub async fn file_type(&self) -> io::Result<std::fs::FileType> {
        let std = Arc::clone(&self.std);
        on_path("file_type", self.path(), move |_| std.file_type()).await
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}
