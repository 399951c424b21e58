//! `File`: an open file whose reads, writes and seeks run on the thread pool.

use std::any::Any;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use ferrio_executor_pool::ThreadJob;

use crate::offload::InFlight;
use futures_lite::io::{AsyncRead, AsyncSeek, AsyncWrite};

use super::{pool_error, OpenOptions};

/// The most bytes one read or write moves to or from the pool in one trip (as
/// tokio): a bigger `write` call is accepted in part, as `AsyncWrite` allows.
const MAX_BUF: usize = 2 * 1024 * 1024;

/// An open file, read and written asynchronously: tokio's `fs::File`.
///
/// It implements `futures-io`'s [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`], so
/// `AsyncReadExt::read_to_end`, `AsyncWriteExt::write_all`, `futures_lite::io::copy`
/// and every futures-io crate work with it. Each operation runs as a job on the
/// default [`ThreadPool`](crate::ThreadPool); one job is in flight at a time.
///
/// # Writes complete later: flush, then `sync_all`
///
/// As with tokio's `File`, a `write` returns as soon as the bytes are copied into
/// the file's buffer and handed to the pool; the write itself happens in the
/// background. So:
///
/// - a write is **complete** only once [`flush`](futures_lite::AsyncWriteExt::flush)
///   (or `close`, [`sync_all`](File::sync_all), [`sync_data`](File::sync_data))
///   returned `Ok`; an error of a background write is reported by the next write,
///   seek or flush;
/// - it is **durable** (on the disk, surviving a power loss) only after
///   [`sync_all`](File::sync_all) or [`sync_data`](File::sync_data), as with
///   `std::fs::File`;
/// - **dropping a `File` loses nothing that was written**: a write still in flight
///   when the `File` is dropped is completed in the background (on a helper thread
///   when it has not started yet), and the file is closed after it. What a drop
///   does lose is the *error* of that last write: flush first to see it.
///
/// # Examples
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// ferrio::run(async {
///     let path = std::env::temp_dir().join(format!("ferrio-file-doc-{}", std::process::id()));
///     let mut file = ferrio::fs::File::create(&path).await?;
///     file.write_all(b"hello, file").await?;
///     file.flush().await?; // the write is complete
///     file.sync_all().await?; // and on the disk
///
///     let mut file = ferrio::fs::File::open(&path).await?;
///     file.seek(SeekFrom::Start(7)).await?;
///     let mut rest = String::new();
///     file.read_to_string(&mut rest).await?;
///     assert_eq!(rest, "file");
///     ferrio::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    state: State,
    /// The error of a background write whose `write` call already returned `Ok`;
    /// the next write, seek or flush returns it.
    last_write_error: Option<io::Error>,
    /// The position asked of the seek in flight, so that a seek whose caller gave
    /// up is not taken for the answer to a later, different one.
    seek_in_flight: Option<SeekFrom>,
}

enum State {
    /// No job in flight. The buffer holds bytes read ahead and not yet returned;
    /// `None` only while a poll moves it into a job.
    Idle(Option<Buf>),
    /// A job owns the buffer; it comes back with the job's result.
    Busy(InFlight<ThreadJob<(Operation, Buf)>>),
}

/// What a pool job did.
enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    /// `sync_all`, `set_len`, `metadata`, ...: the value of its own type.
    Other(io::Result<Box<dyn Any + Send>>),
}

/// Bytes in transit between the caller and the pool: read ahead (`pos..` not yet
/// returned) or waiting to be written.
#[derive(Default)]
struct Buf {
    bytes: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn unread(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Moves read-ahead bytes to `dst`; returns how many.
    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.unread().min(dst.len());
        dst[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.bytes.len() {
            self.clear();
        }
        n
    }

    /// Drops the read-ahead bytes; returns how many, so the file position can be
    /// moved back over them.
    fn discard_unread(&mut self) -> i64 {
        let n = self.unread();
        self.clear();
        i64::try_from(n).expect("a buffer never exceeds MAX_BUF")
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.pos = 0;
    }

    /// Reads up to `len` bytes from the file (blocking; runs on the pool).
    fn read_from(&mut self, mut file: &std::fs::File, len: usize) -> io::Result<usize> {
        self.clear();
        self.bytes.resize(len, 0);
        let result = loop {
            match file.read(&mut self.bytes) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.bytes.truncate(*result.as_ref().unwrap_or(&0));
        result
    }

    /// Writes every byte to the file (blocking; runs on the pool).
    fn write_to(&mut self, mut file: &std::fs::File) -> io::Result<()> {
        let result = file.write_all(&self.bytes[self.pos..]);
        self.clear();
        result
    }
}

impl File {
    /// Opens a file for reading.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] when it does not exist,
    /// [`io::ErrorKind::PermissionDenied`] when it may not be read, and every error
    /// `std::fs::File::open` gives.
    ///
    /// # Examples
    ///
    /// ```
    /// ferrio::run(async {
    ///     let err = ferrio::fs::File::open("/no/such/file").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating it or truncating it.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] when the parent directory does not exist, and
    /// every error `std::fs::File::create` gives.
    ///
    /// # Examples
    ///
    /// ```
    /// ferrio::run(async {
    ///     let err = ferrio::fs::File::create("/no/such/dir/file").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a new file for reading and writing; fails if it exists.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] when something is at `path`, and every error
    /// `std::fs::File::create_new` gives.
    ///
    /// # Examples
    ///
    /// ```
    /// ferrio::run(async {
    ///     let err = ferrio::fs::File::create_new("Cargo.toml").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// });
    /// ```
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// Options to open a file with: `std::fs::OpenOptions`, asynchronously.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open `std::fs::File`.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            state: State::Idle(Some(Buf::default())),
            last_write_error: None,
            seek_in_flight: None,
        }
    }

    /// Waits for the job in flight; returns the error of a failed write. Read-ahead
    /// bytes stay buffered.
    fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Idle(_) => {
                    return Poll::Ready(match self.last_write_error.take() {
                        Some(error) => Err(error),
                        None => Ok(()),
                    })
                }
                State::Busy(_) => {
                    let (operation, buf) = ready!(self.poll_job(cx))?;
                    self.state = State::Idle(Some(buf));
                    if let Operation::Write(Err(error)) = operation {
                        return Poll::Ready(Err(error));
                    }
                }
            }
        }
    }

    /// Polls the job in flight (the state must be `Busy`); a pool failure leaves
    /// the file idle with an empty buffer.
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(Operation, Buf)>> {
        let State::Busy(job) = &mut self.state else {
            unreachable!("poll_job is called only while a job is in flight");
        };
        match ready!(Pin::new(job).poll(cx)) {
            Ok(done) => Poll::Ready(Ok(done)),
            Err(error) => {
                self.state = State::Idle(Some(Buf::default()));
                Poll::Ready(Err(pool_error(error)))
            }
        }
    }

    /// Takes the idle buffer, moving the file position back over read-ahead bytes
    /// first (in the same job as `then`, so the caller sees one operation).
    fn start<F>(&mut self, then: F)
    where
        F: FnOnce(&std::fs::File, &mut Buf) -> Operation + Send + 'static,
    {
        let State::Idle(slot) = &mut self.state else {
            unreachable!("a job starts only when none is in flight");
        };
        let buf = slot.take().unwrap_or_default();
        let std = Arc::clone(&self.std);
        self.state = State::Busy(crate::to_thread(move || {
            let mut buf = buf;
            let operation = then(&std, &mut buf);
            (operation, buf)
        }));
    }

    /// Waits for any write in flight, then runs `f` on the `std::fs::File` on the
    /// pool; the file position is first moved back over read-ahead bytes.
    ///
    /// `f` runs as the file's job in flight, like a read or a write: if this future
    /// is dropped early, the next operation still waits for `f` (a `set_len` cannot
    /// land after a later write).
    async fn blocking<T, F>(&mut self, name: &'static str, f: F) -> io::Result<T>
    where
        F: FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        poll_fn(|cx| self.poll_complete(cx)).await?;
        let unread = match &mut self.state {
            State::Idle(Some(buf)) => buf.discard_unread(),
            _ => 0,
        };
        self.start(move |mut std, _| {
            let result = if unread != 0 {
                std.seek(SeekFrom::Current(-unread)).map(drop)
            } else {
                Ok(())
            };
            let result = result.and_then(|()| f(std));
            Operation::Other(result.map(|value| Box::new(value) as Box<dyn Any + Send>))
        });
        let (done, buf) = poll_fn(|cx| self.poll_job(cx)).await?;
        self.state = State::Idle(Some(buf));
        let Operation::Other(result) = done else {
            unreachable!("the job in flight is the one just started");
        };
        match result {
            Ok(value) => Ok(*value
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("the job returns its own type"))),
            Err(error) => Err(io::Error::new(
                error.kind(),
                format!("File::{name}: {error}"),
            )),
        }
    }

    /// Waits for writes in flight, then flushes data and metadata to the disk:
    /// `fsync`. After it returns `Ok`, every earlier write survives a crash.
    ///
    /// # Errors
    ///
    /// The error of a background write, or of the sync itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::AsyncWriteExt;
    ///
    /// ferrio::run(async {
    ///     let path = std::env::temp_dir().join(format!("ferrio-sync-{}", std::process::id()));
    ///     let mut file = ferrio::fs::File::create(&path).await.unwrap();
    ///     file.write_all(b"durable").await.unwrap();
    ///     file.sync_all().await.unwrap();
    ///     assert_eq!(std::fs::read(&path).unwrap(), b"durable");
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.blocking("sync_all", |std| std.sync_all()).await
    }

    /// Like [`sync_all`](File::sync_all), but may skip metadata (such as the
    /// modification time) that is not needed to read the data back: `fdatasync`.
    ///
    /// # Errors
    ///
    /// The error of a background write, or of the sync itself.
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.blocking("sync_data", |std| std.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes; the position is unchanged.
    ///
    /// # Errors
    ///
    /// The error of a background write, or [`io::ErrorKind::InvalidInput`] and the
    /// other errors `std::fs::File::set_len` gives (a file not open for writing).
    ///
    /// # Examples
    ///
    /// ```
    /// ferrio::run(async {
    ///     let path = std::env::temp_dir().join(format!("ferrio-len-{}", std::process::id()));
    ///     let mut file = ferrio::fs::File::create(&path).await.unwrap();
    ///     file.set_len(10).await.unwrap();
    ///     assert_eq!(file.metadata().await.unwrap().len(), 10);
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.blocking("set_len", move |std| std.set_len(size)).await
    }

    /// The file's metadata, after writes in flight have completed.
    ///
    /// # Errors
    ///
    /// The error of a background write, or of `std::fs::File::metadata`.
    pub async fn metadata(&mut self) -> io::Result<std::fs::Metadata> {
        self.blocking("metadata", |std| std.metadata()).await
    }

    /// Changes the file's permissions.
    ///
    /// # Errors
    ///
    /// The error of a background write, or of `std::fs::File::set_permissions`.
    pub async fn set_permissions(&mut self, permissions: std::fs::Permissions) -> io::Result<()> {
        self.blocking("set_permissions", move |std| {
            std.set_permissions(permissions)
        })
        .await
    }

    /// Another `File` for the same open file (the position is shared, as with
    /// `std::fs::File::try_clone`), after writes in flight have completed.
    ///
    /// # Errors
    ///
    /// The error of a background write, or of `std::fs::File::try_clone`.
    pub async fn try_clone(&mut self) -> io::Result<File> {
        let std = self.blocking("try_clone", |std| std.try_clone()).await?;
        Ok(File::from_std(std))
    }

    /// The `std::fs::File`, once writes in flight have completed and the position
    /// is moved back over read-ahead bytes.
    ///
    /// # Errors
    ///
    /// The error of a background write.
    pub async fn into_std(mut self) -> io::Result<std::fs::File> {
        self.blocking("into_std", |_| Ok(())).await?;
        let std = Arc::clone(&self.std);
        drop(self);
        // Nothing else holds the file now: the drop above found no job in flight.
        Ok(Arc::try_unwrap(std).unwrap_or_else(|shared| {
            shared
                .try_clone()
                .expect("duplicating the descriptor of a file still in use")
        }))
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            match &mut this.state {
                State::Idle(slot) => {
                    let buf = slot.get_or_insert_with(Buf::default);
                    if buf.unread() > 0 {
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    let len = dst.len().min(MAX_BUF);
                    this.start(move |std, buf| Operation::Read(buf.read_from(std, len)));
                }
                State::Busy(_) => {
                    let (operation, mut buf) = ready!(this.poll_job(cx))?;
                    let result = match operation {
                        Operation::Read(Ok(_)) => Some(Ok(buf.copy_to(dst))),
                        Operation::Read(Err(error)) => Some(Err(error)),
                        // A write or seek left over from an earlier call: its result
                        // goes to the next write/flush/seek, and the read starts now.
                        Operation::Write(Err(error)) => {
                            this.last_write_error = Some(error);
                            None
                        }
                        Operation::Write(Ok(())) | Operation::Seek(_) | Operation::Other(_) => None,
                    };
                    this.state = State::Idle(Some(buf));
                    if let Some(result) = result {
                        return Poll::Ready(result);
                    }
                }
            }
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Idle(slot) => {
                    if let Some(error) = this.last_write_error.take() {
                        return Poll::Ready(Err(error));
                    }
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let buf = slot.get_or_insert_with(Buf::default);
                    // Bytes read ahead were not returned: the write goes where the
                    // caller believes the position is.
                    let unread = buf.discard_unread();
                    let n = src.len().min(MAX_BUF);
                    buf.bytes.extend_from_slice(&src[..n]);
                    this.start(move |mut std, buf| {
                        let result = if unread != 0 {
                            std.seek(SeekFrom::Current(-unread)).map(drop)
                        } else {
                            Ok(())
                        };
                        Operation::Write(result.and_then(|()| buf.write_to(std)))
                    });
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => {
                    let (operation, buf) = ready!(this.poll_job(cx))?;
                    this.state = State::Idle(Some(buf));
                    if let Operation::Write(Err(error)) = operation {
                        return Poll::Ready(Err(error));
                    }
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `std::fs::File::flush` does nothing: the data is with the operating system
        // once the write job finished.
        self.get_mut().poll_complete(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Idle(slot) => {
                    if let Some(error) = this.last_write_error.take() {
                        return Poll::Ready(Err(error));
                    }
                    let unread = slot.get_or_insert_with(Buf::default).discard_unread();
                    let asked = pos;
                    let pos = match pos {
                        // The caller's position is behind the file's by the bytes
                        // read ahead.
                        SeekFrom::Current(offset) => SeekFrom::Current(offset - unread),
                        absolute => absolute,
                    };
                    this.seek_in_flight = Some(asked);
                    this.start(move |mut std, _| Operation::Seek(std.seek(pos)));
                }
                State::Busy(_) => {
                    let (operation, buf) = ready!(this.poll_job(cx))?;
                    this.state = State::Idle(Some(buf));
                    match operation {
                        // The seek this call asked for (the same position again
                        // counts as the same request).
                        Operation::Seek(result) if this.seek_in_flight.take() == Some(pos) => {
                            return Poll::Ready(result)
                        }
                        // A seek of an earlier, abandoned call: start this one.
                        Operation::Seek(_) => {}
                        Operation::Write(Err(error)) => return Poll::Ready(Err(error)),
                        Operation::Write(Ok(())) | Operation::Read(_) | Operation::Other(_) => {}
                    }
                }
            }
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let State::Busy(job) = std::mem::replace(&mut self.state, State::Idle(None)) else {
            return;
        };
        if job.get_ref().is_finished() {
            return;
        }
        // Dropping a `ThreadJob` that has not started removes it from the pool's
        // queue, which would lose the write. Keep it alive until it ran instead.
        finish_in_background(job.into_inner());
    }
}

/// Waits for a job on a helper thread (or here, if no thread can be started), so a
/// dropped file's last write still happens.
fn finish_in_background<T: Send + 'static>(job: ThreadJob<T>) {
    let slot = Arc::new(Mutex::new(Some(job)));
    let theirs = Arc::clone(&slot);
    let spawned = std::thread::Builder::new()
        .name("ferrio-fs-drop".into())
        .spawn(move || {
            let job = theirs.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(job) = job {
                let _ = futures_lite::future::block_on(job);
            }
        });
    if spawned.is_err() {
        let job = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(job) = job {
            let _ = futures_lite::future::block_on(job);
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("busy", &matches!(self.state, State::Busy(_)))
            .finish()
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    /// The case a plain drop would lose: the job is still queued behind a busy pool
    /// when its handle goes away. `finish_in_background` keeps it, so it still runs.
    #[test]
    fn a_queued_job_handed_over_still_runs() {
        let pool = ferrio_executor_pool::ThreadPool::builder()
            .max_threads(1)
            .build();
        let (release, gate) = mpsc::channel::<()>();
        let blocker = pool.run_in_executor(move || gate.recv_timeout(Duration::from_secs(30)));
        let ran = Arc::new(AtomicBool::new(false));
        let queued = pool.run_in_executor({
            let ran = Arc::clone(&ran);
            move || ran.store(true, Ordering::SeqCst)
        });
        assert!(
            !queued.is_finished(),
            "the only thread is busy: the job waits"
        );
        finish_in_background(queued);
        release.send(()).unwrap();
        assert!(futures_lite::future::block_on(blocker).unwrap().is_ok());
        // The helper thread waits for the job; the pool runs it next.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !ran.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the handed-over job never ran"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Without the hand-over, dropping the queued job's handle drops the job: what
    /// `File::drop` must not do with a write.
    #[test]
    fn a_queued_job_dropped_plainly_never_runs() {
        let pool = ferrio_executor_pool::ThreadPool::builder()
            .max_threads(1)
            .build();
        let (release, gate) = mpsc::channel::<()>();
        let blocker = pool.run_in_executor(move || gate.recv_timeout(Duration::from_secs(30)));
        let ran = Arc::new(AtomicBool::new(false));
        drop(pool.run_in_executor({
            let ran = Arc::clone(&ran);
            move || ran.store(true, Ordering::SeqCst)
        }));
        release.send(()).unwrap();
        assert!(futures_lite::future::block_on(blocker).unwrap().is_ok());
        pool.shutdown(true);
        assert!(!ran.load(Ordering::SeqCst));
    }
}
