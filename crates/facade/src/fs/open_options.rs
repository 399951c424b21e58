//! `OpenOptions`: `std::fs::OpenOptions` with an async `open`.

use std::io;
use std::path::Path;

use super::{on_path, File};

/// How to open a [`File`]: `std::fs::OpenOptions`, with an async
/// [`open`](OpenOptions::open).
///
/// # Examples
///
/// ```
/// use futures_lite::AsyncWriteExt;
///
/// ferrio::run(async {
///     let path = std::env::temp_dir().join(format!("ferrio-append-{}", std::process::id()));
///     ferrio::fs::write(&path, "a").await.unwrap();
///     let mut file = ferrio::fs::OpenOptions::new().append(true).open(&path).await.unwrap();
///     file.write_all(b"b").await.unwrap();
///     file.flush().await.unwrap();
///     assert_eq!(ferrio::fs::read_to_string(&path).await.unwrap(), "ab");
///     ferrio::fs::remove_file(&path).await.unwrap();
/// });
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    std: std::fs::OpenOptions,
}

impl OpenOptions {
    /// All options off: set at least `read`, `write` or `append`.
    pub fn new() -> OpenOptions {
        OpenOptions {
            std: std::fs::OpenOptions::new(),
        }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.std.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.std.write(write);
        self
    }

    /// Open for appending: every write goes to the end.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.std.append(append);
        self
    }

    /// Truncate an existing file to length 0 (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.std.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.std.create(create);
        self
    }

    /// Create the file, failing with [`io::ErrorKind::AlreadyExists`] if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.std.create_new(create_new);
        self
    }

    /// The permission bits of a file this call creates (Unix; default `0o666`
    /// less the umask).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.std, mode);
        self
    }

    /// Opens the file at `path` with these options.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`], [`io::ErrorKind::AlreadyExists`],
    /// [`io::ErrorKind::PermissionDenied`], [`io::ErrorKind::InvalidInput`] (options
    /// that contradict each other) and every error `std::fs::OpenOptions::open`
    /// gives; the message names the path.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let options = self.std.clone();
        let std = on_path("open", path.as_ref().to_owned(), move |p| options.open(p)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(std: std::fs::OpenOptions) -> Self {
        OpenOptions { std }
    }
}
