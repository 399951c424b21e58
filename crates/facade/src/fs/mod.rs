//! Async file system operations, run on ferrio's thread pool: tokio's `fs` module.
//!
//! Operating systems offer no portable readiness-based file I/O, so, like tokio and
//! smol, ferrio runs each blocking `std::fs` call on the default
//! [`ThreadPool`](crate::ThreadPool) (the one [`to_thread`](crate::to_thread) uses)
//! and awaits it; the loop keeps running meanwhile. The functions take owned copies
//! of their arguments, so the futures are `Send + 'static` whenever the arguments are.
//! They need no reactor, so they also work under another executor (or
//! `futures_lite::future::block_on`), as the thread pool does.
//!
//! Cancelling (dropping) one of these futures before the pool started its call
//! removes the call: it never runs. Once started, a call runs to its end (a thread
//! cannot be interrupted) and its result is dropped. A [`File`] is different: its
//! operations are the file's own jobs, and none is lost by cancelling a future or
//! dropping the file (see [`File`]).
//!
//! | `std::fs` / asyncio idiom | ferrio |
//! |---|---|
//! | `std::fs::read`, `read_to_string`, `write` | [`read`], [`read_to_string`], [`write`](write()) |
//! | `copy`, `rename`, `remove_file`, `hard_link` | [`copy`], [`rename`], [`remove_file`], [`hard_link`] |
//! | `create_dir(_all)`, `remove_dir(_all)` | [`create_dir`], [`create_dir_all`], [`remove_dir`], [`remove_dir_all`] |
//! | `metadata`, `symlink_metadata`, `canonicalize`, `try_exists` | [`metadata`], [`symlink_metadata`], [`canonicalize`], [`try_exists`] |
//! | `read_dir` | [`read_dir`]: a [`Stream`](futures_lite::Stream) of [`DirEntry`] |
//! | `File`, `OpenOptions` | [`File`] (`AsyncRead`, `AsyncWrite`, `AsyncSeek`), [`OpenOptions`] |
//! | `await asyncio.to_thread(open(p).read)` | `ferrio::fs::read(p).await` |
//!
//! # Errors
//!
//! Every failure is an [`io::Error`] of the kind `std::fs` gives
//! ([`NotFound`](io::ErrorKind::NotFound), [`AlreadyExists`](io::ErrorKind::AlreadyExists),
//! [`PermissionDenied`](io::ErrorKind::PermissionDenied), ...). The message names the
//! path, and the operating system's error stays reachable as the error's
//! [`source`](std::error::Error::source). A panic inside the pool (a bug, not an I/O
//! failure) is resumed in the awaiting task; a pool that was shut down gives an
//! [`io::ErrorKind::Other`] error saying so.
//!
//! # Example
//!
//! ```
//! use futures_lite::StreamExt;
//!
//! ferrio::run(async {
//!     let dir = std::env::temp_dir().join(format!("ferrio-fs-doc-{}", std::process::id()));
//!     ferrio::fs::create_dir_all(&dir).await?;
//!     ferrio::fs::write(dir.join("a.txt"), "hello").await?;
//!     ferrio::fs::copy(dir.join("a.txt"), dir.join("b.txt")).await?;
//!     assert_eq!(ferrio::fs::read_to_string(dir.join("b.txt")).await?, "hello");
//!
//!     let mut names = Vec::new();
//!     let mut entries = ferrio::fs::read_dir(&dir).await?;
//!     while let Some(entry) = entries.next().await {
//!         names.push(entry?.file_name().into_string().unwrap());
//!     }
//!     names.sort();
//!     assert_eq!(names, ["a.txt", "b.txt"]);
//!
//!     let missing = ferrio::fs::read(dir.join("nope")).await.unwrap_err();
//!     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
//!     ferrio::fs::remove_dir_all(&dir).await
//! })
//! .unwrap();
//! ```

mod file;
mod open_options;
mod read_dir;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use ferrio_executor_pool::ThreadPoolError;

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

/// Runs a blocking `std::fs` call on the default thread pool.
async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match crate::to_thread(f).await {
        Ok(result) => result,
        Err(error) => Err(pool_error(error)),
    }
}

/// What the pool's refusal means for a file operation: a panic is resumed (it is a
/// bug, not an I/O failure); a pool that cannot run the call is an `Other` error.
fn pool_error(error: ThreadPoolError) -> io::Error {
    match error.try_into_panic() {
        Ok(payload) => std::panic::resume_unwind(payload),
        Err(other) => io::Error::other(format!("ferrio::fs: {other}")),
    }
}

/// An `std::fs` error with the path (or the two paths) it concerned, keeping its kind.
#[derive(Debug)]
struct PathError {
    operation: &'static str,
    path: PathBuf,
    /// The destination of a two-path operation (`copy`, `rename`, `hard_link`).
    to: Option<PathBuf>,
    source: io::Error,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.operation, self.path.display())?;
        if let Some(to) = &self.to {
            write!(f, " to `{}`", to.display())?;
        }
        write!(f, ": {}", self.source)
    }
}

impl std::error::Error for PathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Adds the operation and path to an error's message; the kind stays the same.
fn with_path<'a>(
    operation: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> io::Error + 'a {
    move |source| {
        io::Error::new(
            source.kind(),
            PathError {
                operation,
                path: path.to_owned(),
                to: None,
                source,
            },
        )
    }
}

/// Runs `op(path)` on the pool; an error names the path.
async fn on_path<T, F>(operation: &'static str, path: PathBuf, op: F) -> io::Result<T>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    asyncify(move || op(&path).map_err(with_path(operation, &path))).await
}

/// Runs `op(from, to)` on the pool; an error names both paths.
async fn on_two_paths<T, F>(
    operation: &'static str,
    from: PathBuf,
    to: PathBuf,
    op: F,
) -> io::Result<T>
where
    F: FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    asyncify(move || {
        op(&from, &to).map_err(|source| {
            io::Error::new(
                source.kind(),
                PathError {
                    operation,
                    path: from.clone(),
                    to: Some(to.clone()),
                    source,
                },
            )
        })
    })
    .await
}

/// Reads a whole file into bytes: `std::fs::read` on the thread pool.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when the file does not exist, and every error
/// `std::fs::read` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::read("/no/such/file").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_path("read", path.as_ref().to_owned(), |p| std::fs::read(p)).await
}

/// Reads a whole UTF-8 file into a `String`.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidData`] when the file is not UTF-8, and every error
/// `std::fs::read_to_string` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let manifest = ferrio::fs::read_to_string("Cargo.toml").await.unwrap();
///     assert!(manifest.contains("[package]"));
/// });
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_path("read", path.as_ref().to_owned(), |p| {
        std::fs::read_to_string(p)
    })
    .await
}

/// Writes `contents` as the whole file, creating it or truncating it.
///
/// The data is written when the future completes (the contents are copied first);
/// like `std::fs::write`, it is not synced to the disk: use
/// [`File::sync_all`] for that.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when the parent directory does not exist, and every
/// error `std::fs::write` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let path = std::env::temp_dir().join(format!("ferrio-write-{}", std::process::id()));
///     ferrio::fs::write(&path, b"bytes").await.unwrap();
///     assert_eq!(ferrio::fs::read(&path).await.unwrap(), b"bytes");
///     ferrio::fs::remove_file(&path).await.unwrap();
/// });
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let contents = contents.as_ref().to_owned();
    on_path("write", path.as_ref().to_owned(), move |p| {
        std::fs::write(p, contents)
    })
    .await
}

/// Copies a file's contents and permissions; returns the number of bytes copied.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when `from` does not exist, and every error
/// `std::fs::copy` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let to = std::env::temp_dir().join(format!("ferrio-copy-{}", std::process::id()));
///     let n = ferrio::fs::copy("Cargo.toml", &to).await.unwrap();
///     assert_eq!(n, std::fs::metadata("Cargo.toml").unwrap().len());
///     ferrio::fs::remove_file(&to).await.unwrap();
/// });
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    on_two_paths("copy", from, to, |from, to| std::fs::copy(from, to)).await
}

/// Renames a file or directory, replacing `to` if it is a file.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when `from` does not exist, and every error
/// `std::fs::rename` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::rename("/no/such/file", "/tmp/x").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    on_two_paths("rename", from, to, |from, to| std::fs::rename(from, to)).await
}

/// Makes `link` a new name for the file `original`.
///
/// # Errors
///
/// [`io::ErrorKind::AlreadyExists`] when `link` exists, and every error
/// `std::fs::hard_link` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::hard_link("/no/such/file", "/tmp/x").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    on_two_paths("hard_link", from, to, |from, to| {
        std::fs::hard_link(from, to)
    })
    .await
}

/// Removes a file.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when it does not exist, and every error
/// `std::fs::remove_file` gives (a directory is refused).
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::remove_file("/no/such/file").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("remove_file", path.as_ref().to_owned(), |p| {
        std::fs::remove_file(p)
    })
    .await
}

/// Creates one directory; its parent must exist.
///
/// # Errors
///
/// [`io::ErrorKind::AlreadyExists`] when it exists, [`io::ErrorKind::NotFound`] when
/// the parent does not, and every error `std::fs::create_dir` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::create_dir("/no/such/parent/dir").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("create_dir", path.as_ref().to_owned(), |p| {
        std::fs::create_dir(p)
    })
    .await
}

/// Creates a directory and every missing parent; succeeds if it already exists.
///
/// # Errors
///
/// Every error `std::fs::create_dir_all` gives (a file in the way is refused).
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let dir = std::env::temp_dir().join(format!("ferrio-mkdirs-{}/a/b", std::process::id()));
///     ferrio::fs::create_dir_all(&dir).await.unwrap();
///     assert!(ferrio::fs::metadata(&dir).await.unwrap().is_dir());
///     ferrio::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap()).await.unwrap();
/// });
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("create_dir_all", path.as_ref().to_owned(), |p| {
        std::fs::create_dir_all(p)
    })
    .await
}

/// Removes an empty directory.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when it does not exist, [`io::ErrorKind::DirectoryNotEmpty`]
/// when it holds entries, and every error `std::fs::remove_dir` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::remove_dir("/no/such/dir").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("remove_dir", path.as_ref().to_owned(), |p| {
        std::fs::remove_dir(p)
    })
    .await
}

/// Removes a directory with everything inside it.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when it does not exist, and every error
/// `std::fs::remove_dir_all` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let err = ferrio::fs::remove_dir_all("/no/such/dir").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("remove_dir_all", path.as_ref().to_owned(), |p| {
        std::fs::remove_dir_all(p)
    })
    .await
}

/// A file's or directory's metadata, following symlinks.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when nothing is at `path`, and every error
/// `std::fs::metadata` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let meta = ferrio::fs::metadata("Cargo.toml").await.unwrap();
///     assert!(meta.is_file());
/// });
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    on_path("metadata", path.as_ref().to_owned(), |p| {
        std::fs::metadata(p)
    })
    .await
}

/// A path's metadata without following a final symlink.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when nothing is at `path`, and every error
/// `std::fs::symlink_metadata` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let meta = ferrio::fs::symlink_metadata("Cargo.toml").await.unwrap();
///     assert!(meta.is_file());
/// });
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    on_path("symlink_metadata", path.as_ref().to_owned(), |p| {
        std::fs::symlink_metadata(p)
    })
    .await
}

/// The absolute path with every symlink and `..` resolved.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when nothing is at `path`, and every error
/// `std::fs::canonicalize` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     let path = ferrio::fs::canonicalize(".").await.unwrap();
///     assert!(path.is_absolute());
/// });
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path("canonicalize", path.as_ref().to_owned(), |p| {
        std::fs::canonicalize(p)
    })
    .await
}

/// Whether something is at `path` (`Ok(false)` when nothing is); unlike
/// `Path::exists`, a failure to find out is an error, not `false`.
///
/// # Errors
///
/// [`io::ErrorKind::PermissionDenied`] when the path cannot be examined, and every
/// error `std::fs::exists` gives.
///
/// # Examples
///
/// ```
/// ferrio::run(async {
///     assert!(ferrio::fs::try_exists("Cargo.toml").await.unwrap());
///     assert!(!ferrio::fs::try_exists("/no/such/file").await.unwrap());
/// });
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    on_path("try_exists", path.as_ref().to_owned(), |p| p.try_exists()).await
}
