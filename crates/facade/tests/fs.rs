//! `ferrio::fs`: the file operations, their error kinds, `File`'s read/write/seek
//! bookkeeping and its drop without flush, on both flavours.

mod common;

use std::future::Future;
use std::io::{self, ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio::fs::{self, File, OpenOptions};
use futures_lite::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWriteExt, StreamExt};

const DEADLINE: Duration = Duration::from_secs(30);

/// Runs `body` as a task on each flavour in a fresh directory, with a deadline.
fn on_both<F, Fut>(test: &'static str, body: F)
where
    F: Fn(PathBuf) -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    common::on_each_flavour(|flavor| {
        let flavour = common::flavours::flavour_name(flavor);
        let dir = std::env::temp_dir().join(format!(
            "ferrio-fs-test-{}-{test}-{flavour}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let body = body(dir.clone());
        async move {
            let result = ferrio::timeout(DEADLINE, body).await;
            let _ = std::fs::remove_dir_all(&dir);
            result
                .unwrap_or_else(|_| panic!("{test}: no result within {DEADLINE:?}"))
                .unwrap_or_else(|e| panic!("{test}: {e}"));
        }
    });
}

#[test]
fn whole_file_operations_round_trip() {
    on_both("round-trip", |dir| async move {
        let a = dir.join("a.txt");
        fs::write(&a, "first line\n").await?;
        assert_eq!(fs::read(&a).await?, b"first line\n");
        assert_eq!(fs::read_to_string(&a).await?, "first line\n");
        assert_eq!(fs::metadata(&a).await?.len(), 11);
        assert!(fs::metadata(&a).await?.is_file());
        assert!(fs::try_exists(&a).await?);

        assert_eq!(fs::copy(&a, dir.join("b.txt")).await?, 11);
        fs::rename(dir.join("b.txt"), dir.join("c.txt")).await?;
        assert!(!fs::try_exists(dir.join("b.txt")).await?);
        assert_eq!(fs::read_to_string(dir.join("c.txt")).await?, "first line\n");
        fs::remove_file(dir.join("c.txt")).await?;
        assert!(!fs::try_exists(dir.join("c.txt")).await?);

        let deep = dir.join("x/y/z");
        fs::create_dir_all(&deep).await?;
        fs::create_dir_all(&deep).await?; // existing is fine
        assert!(fs::metadata(&deep).await?.is_dir());
        fs::remove_dir(&deep).await?;
        fs::create_dir(&deep).await?;
        fs::write(deep.join("f"), [1, 2, 3]).await?;
        fs::remove_dir_all(dir.join("x")).await?;
        assert!(!fs::try_exists(dir.join("x")).await?);
        assert_eq!(fs::canonicalize(&a).await?, std::fs::canonicalize(&a)?);
        Ok(())
    });
}

fn assert_kind<T: std::fmt::Debug>(result: io::Result<T>, kind: ErrorKind, path: &Path) {
    let error = result.expect_err("the operation must fail");
    assert_eq!(error.kind(), kind, "{error}");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        error.to_string().contains(name),
        "the message names the path: {error}"
    );
    let source = std::error::Error::source(&error).expect("the OS error is the source");
    assert!(source.downcast_ref::<io::Error>().is_some(), "{source:?}");
}

#[test]
fn every_failure_is_an_io_error_of_the_right_kind() {
    on_both("kinds", |dir| async move {
        let missing = dir.join("missing");
        assert_kind(fs::read(&missing).await, ErrorKind::NotFound, &missing);
        assert_kind(
            fs::read_to_string(&missing).await,
            ErrorKind::NotFound,
            &missing,
        );
        assert_kind(fs::metadata(&missing).await, ErrorKind::NotFound, &missing);
        assert_kind(
            fs::remove_file(&missing).await,
            ErrorKind::NotFound,
            &missing,
        );
        assert_kind(
            fs::remove_dir(&missing).await,
            ErrorKind::NotFound,
            &missing,
        );
        assert_kind(
            fs::remove_dir_all(&missing).await,
            ErrorKind::NotFound,
            &missing,
        );
        assert_kind(
            fs::copy(&missing, dir.join("to")).await,
            ErrorKind::NotFound,
            &missing,
        );
        assert_kind(
            fs::rename(&missing, dir.join("to")).await,
            ErrorKind::NotFound,
            &missing,
        );
        let both = fs::rename(&missing, dir.join("dest")).await.unwrap_err();
        assert!(
            both.to_string().contains("dest`"),
            "names the destination: {both}"
        );
        assert_kind(fs::read_dir(&missing).await, ErrorKind::NotFound, &missing);
        assert_kind(File::open(&missing).await, ErrorKind::NotFound, &missing);
        let orphan = missing.join("child");
        assert_kind(fs::write(&orphan, "x").await, ErrorKind::NotFound, &orphan);
        assert_kind(fs::create_dir(&orphan).await, ErrorKind::NotFound, &orphan);

        let present = dir.join("present");
        fs::create_dir(&present).await?;
        assert_kind(
            fs::create_dir(&present).await,
            ErrorKind::AlreadyExists,
            &present,
        );
        fs::write(present.join("inside"), "x").await?;
        assert_kind(
            fs::remove_dir(&present).await,
            ErrorKind::DirectoryNotEmpty,
            &present,
        );
        assert_kind(fs::read(&present).await, ErrorKind::IsADirectory, &present);

        let file = dir.join("file");
        fs::write(&file, [0xff, 0xfe]).await?;
        assert_kind(
            File::create_new(&file).await,
            ErrorKind::AlreadyExists,
            &file,
        );
        assert_kind(
            fs::read_to_string(&file).await,
            ErrorKind::InvalidData,
            &file,
        );
        assert_kind(
            fs::create_dir_all(file.join("sub")).await,
            ErrorKind::NotADirectory,
            &file,
        );
        // Contradicting options: create needs write access.
        let invalid = OpenOptions::new().read(true).create(true).open(&file).await;
        assert_kind(invalid, ErrorKind::InvalidInput, &file);
        Ok(())
    });
}

#[test]
fn read_dir_streams_every_entry_once() {
    // More entries than one batch read ahead, so several pool trips are needed.
    const N: usize = if cfg!(miri) { 5 } else { 100 };
    on_both("read-dir", |dir| async move {
        for i in 0..N {
            fs::write(dir.join(format!("f{i:03}")), i.to_string()).await?;
        }
        fs::create_dir(dir.join("sub")).await?;
        let mut entries = fs::read_dir(&dir).await?;
        let mut names = Vec::new();
        while let Some(entry) = entries.next().await {
            let entry = entry?;
            assert_eq!(entry.path(), dir.join(entry.file_name()));
            let is_dir = entry.file_type().await?.is_dir();
            assert_eq!(is_dir, entry.file_name() == "sub");
            assert_eq!(entry.metadata().await?.is_dir(), is_dir);
            names.push(entry.file_name().into_string().unwrap());
        }
        assert!(entries.next().await.is_none(), "the stream stays ended");
        assert!(entries.next_entry().await?.is_none());
        names.sort();
        let mut expected: Vec<String> = (0..N).map(|i| format!("f{i:03}")).collect();
        expected.push("sub".into());
        assert_eq!(names, expected);
        Ok(())
    });
}

#[test]
fn file_writes_reads_and_seeks() {
    on_both("file", |dir| async move {
        let path = dir.join("data");
        let mut file = File::create(&path).await?;
        // Many small writes, each handed to the pool in turn: all land, in order.
        let mut expected = Vec::new();
        for i in 0..200u32 {
            let line = format!("line {i}\n");
            file.write_all(line.as_bytes()).await?;
            expected.extend_from_slice(line.as_bytes());
        }
        file.flush().await?;
        assert_eq!(std::fs::read(&path)?, expected, "complete after flush");
        file.sync_all().await?;
        assert_eq!(file.metadata().await?.len(), expected.len() as u64);
        drop(file);

        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await?;
        let mut all = Vec::new();
        file.read_to_end(&mut all).await?;
        assert_eq!(all, expected);
        assert_eq!(file.seek(SeekFrom::Start(5)).await?, 5);
        let mut word = [0u8; 3];
        file.read_exact(&mut word).await?;
        assert_eq!(&word, b"0\nl");
        assert_eq!(file.seek(SeekFrom::Current(0)).await?, 8);
        file.write_all(b"INE").await?;
        assert_eq!(
            file.seek(SeekFrom::End(-4)).await?,
            expected.len() as u64 - 4
        );
        file.set_len(10).await?;
        file.seek(SeekFrom::Start(0)).await?;
        let mut text = String::new();
        file.read_to_string(&mut text).await?;
        assert_eq!(text, "line 0\nlIN");
        // A big write is accepted in parts and still lands whole.
        let big: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        file.seek(SeekFrom::Start(0)).await?;
        file.write_all(&big).await?;
        file.flush().await?;
        assert_eq!(std::fs::read(&path)?, big);
        Ok(())
    });
}

/// Polls `read` once with `len` bytes of room; `None` when it is pending.
fn poll_read_once(file: &mut File, len: usize, cx: &mut Context<'_>) -> Option<usize> {
    let mut dst = vec![0; len];
    match Pin::new(file).poll_read(cx, &mut dst) {
        Poll::Ready(result) => Some(result.unwrap()),
        Poll::Pending => None,
    }
}

#[test]
fn bytes_read_ahead_do_not_move_the_position_callers_see() {
    on_both("read-ahead", |dir| async move {
        let path = dir.join("digits");
        // Digits, then a long tail: the first read (64 KiB) takes long enough on
        // the pool that it is almost always still running when its first poll
        // looks, on a loaded machine too.
        let contents = format!("0123456789{}", "x".repeat(256 * 1024));
        fs::write(&path, &contents).await?;
        let mut exercised = 0;
        // Until the job was pending a few times: a pool thread that is already
        // awake can finish the job within the first poll.
        for _ in 0..2000 {
            if exercised == 5 {
                break;
            }
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .await?;
            // A read of 64 KiB is started and abandoned; the next read, of 2, takes
            // its result: the rest stays read ahead in the file's buffer.
            let started =
                std::future::poll_fn(|cx| Poll::Ready(poll_read_once(&mut file, 64 * 1024, cx)))
                    .await;
            if started.is_some() {
                continue; // the pool finished within the first poll: nothing buffered
            }
            exercised += 1;
            let mut two = [0; 2];
            let n = file.read(&mut two).await?;
            assert_eq!((n, &two), (2, b"01"));
            assert_eq!(file.seek(SeekFrom::Current(0)).await?, 2);
            file.write_all(b"ab").await?;
            file.flush().await?;
            let now = std::fs::read_to_string(&path)?;
            assert_eq!(&now[..10], "01ab456789");
            assert_eq!(now.len(), contents.len(), "the write landed in place");
            fs::write(&path, &contents).await?;
        }
        assert!(exercised > 0, "the read was never pending");
        Ok(())
    });
}

#[test]
fn dropping_a_file_without_flush_loses_no_write() {
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 50 };
    on_both("drop", |dir| async move {
        for round in 0..ROUNDS {
            let path = dir.join(format!("dropped-{round}"));
            let data = vec![round as u8; 64 * 1024 + round];
            let mut file = File::create(&path).await?;
            file.write_all(&data).await?; // accepted; the write runs in the background
            drop(file);
            // The write completes on its own: wait for it, with a deadline.
            let landed = ferrio::timeout(Duration::from_secs(10), async {
                loop {
                    if std::fs::read(&path)? == data {
                        return io::Result::Ok(());
                    }
                    ferrio::sleep(Duration::from_millis(1)).await;
                }
            })
            .await;
            landed.unwrap_or_else(|_| panic!("round {round}: the dropped write never landed"))?;
        }
        Ok(())
    });
}

#[test]
fn a_failed_background_write_is_reported_by_flush() {
    on_both("write-error", |dir| async move {
        let path = dir.join("read-only");
        fs::write(&path, "x").await?;
        let mut file = File::open(&path).await?; // read-only descriptor
                                                 // The write is accepted (it runs later) ...
        assert_eq!(file.write(b"abc").await?, 3);
        // ... and its failure comes back from the flush, once.
        let error = file
            .flush()
            .await
            .expect_err("writing a read-only file fails");
        assert_eq!(error.raw_os_error(), Some(libc_ebadf()), "{error}");
        file.flush().await?;
        assert_eq!(fs::read_to_string(&path).await?, "x");
        Ok(())
    });
}

/// `EBADF` on Linux and macOS.
fn libc_ebadf() -> i32 {
    9
}

#[test]
fn many_files_at_once() {
    const FILES: usize = if cfg!(miri) { 2 } else { 32 };
    on_both("concurrent", |dir| async move {
        let tasks = (0..FILES).map(|i| {
            let path = dir.join(format!("{i}"));
            ferrio::spawn(async move {
                let mut file = File::create(&path).await?;
                for _ in 0..10 {
                    file.write_all(format!("{i};").as_bytes()).await?;
                }
                file.flush().await?;
                fs::read_to_string(&path).await
            })
        });
        let texts = ferrio::gather(tasks).await;
        for (i, text) in texts.into_iter().enumerate() {
            assert_eq!(text.unwrap()?, format!("{i};").repeat(10));
        }
        Ok(())
    });
}

#[test]
fn works_without_a_ferrio_runtime() {
    // The calls run on the thread pool and complete through their wakers, so any
    // executor can drive them.
    let manifest = futures_lite::future::block_on(fs::read_to_string("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"ferrio\""));
    let missing = futures_lite::future::block_on(fs::metadata("no-such-file")).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[test]
fn an_abandoned_seek_is_not_the_answer_to_the_next() {
    on_both("abandoned-seek", |dir| async move {
        let path = dir.join("digits");
        fs::write(&path, "0123456789").await?;
        let mut file = File::open(&path).await?;
        for _ in 0..20 {
            // A seek to 3 is started and given up; the caller then asks for 7.
            let first = std::future::poll_fn(|cx| {
                Poll::Ready(
                    match Pin::new(&mut file).poll_seek(cx, SeekFrom::Start(3)) {
                        Poll::Ready(result) => Some(result.map(drop)),
                        Poll::Pending => None,
                    },
                )
            })
            .await;
            if let Some(result) = first {
                result?; // finished within the first poll: nothing was abandoned
            }
            assert_eq!(file.seek(SeekFrom::Start(7)).await?, 7);
            let mut rest = String::new();
            file.read_to_string(&mut rest).await?;
            assert_eq!(rest, "789");
        }
        Ok(())
    });
}

#[test]
fn an_abandoned_set_len_still_comes_before_the_next_write() {
    on_both("abandoned-set-len", |dir| async move {
        let path = dir.join("digits");
        let mut exercised = 0;
        // Until the job was pending a few times: a pool thread that is already
        // awake can finish the job within the first poll.
        for _ in 0..2000 {
            if exercised == 5 {
                break;
            }
            fs::write(&path, "0123456789").await?;
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .await?;
            // `set_len(2)` is started and given up after one poll.
            let done = {
                let mut truncate = std::pin::pin!(file.set_len(2));
                std::future::poll_fn(|cx| Poll::Ready(truncate.as_mut().poll(cx).is_ready())).await
            };
            exercised += usize::from(!done);
            // The truncation happens before this write, never after it.
            file.seek(SeekFrom::Start(5)).await?;
            file.write_all(b"X").await?;
            file.flush().await?;
            assert_eq!(std::fs::read(&path)?, b"01\0\0\0X");
        }
        assert!(exercised > 0, "set_len was never pending");
        Ok(())
    });
}
