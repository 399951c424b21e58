//! Subprocesses: piped stdio, status/output/wait, kill, kill-on-drop, and exit
//! noticed through a pidfd or SIGCHLD, never a thread per child.

mod common;

use std::process::Stdio;

use ferrio_reactor::process::Command;
use ferrio_reactor::streams::StreamReader;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[test]
fn output_and_status() {
    common::on_each_flavor(|| async {
        let out = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));

        let status = Command::new("true").status().await.unwrap();
        assert!(status.success());

        let err = Command::new("/nonexistent/program").spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn piped_stdin_and_line_by_line_stdout() {
    common::on_each_flavor(|| async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = ferrio_core::spawn(async move {
            for i in 0..100 {
                stdin
                    .write_all(format!("line {i}\n").as_bytes())
                    .await
                    .unwrap();
            }
            // Dropping stdin gives cat its EOF.
        });
        let mut reader = StreamReader::new(child.stdout.take().unwrap());
        let mut count = 0;
        loop {
            let line = reader.readline().await.unwrap();
            if line.is_empty() {
                break;
            }
            assert_eq!(line, format!("line {count}\n").as_bytes());
            count += 1;
        }
        assert_eq!(count, 100);
        writer.await.unwrap();
        assert!(child.wait().await.unwrap().success());
        // Waiting again returns the same status.
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn kill_ends_a_running_child() {
    common::on_each_flavor(|| async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        // Killing an exited child is not an error.
        child.kill().unwrap();
    });
}

fn process_exists(pid: u32) -> bool {
    // A zombie still "exists" for kill(0); look at its state instead.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    common::on_each_flavor(|| async {
        let child = Command::new("sleep")
            .arg("30")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(process_exists(pid));
        drop(child);
        // The kill is immediate; reaping happens at the next spawn or wait.
        let _ = Command::new("true").status().await.unwrap();
        let mut gone = false;
        for _ in 0..200 {
            if !process_exists(pid) {
                gone = true;
                break;
            }
            let _ = Command::new("true").status().await.unwrap();
        }
        assert!(gone, "child {pid} still running after kill_on_drop");
    });
}

#[test]
fn stdout_read_to_end_sees_eof_with_the_last_data() {
    common::on_each_flavor(|| async {
        for _ in 0..50 {
            let mut child = Command::new("echo")
                .arg("hello")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .await
                .unwrap();
            assert_eq!(out, "hello\n");
            assert!(child.wait().await.unwrap().success());
        }
    });
}

#[test]
fn closing_stdin_gives_the_child_eof() {
    common::on_each_flavor(|| async {
        let mut child = Command::new("wc")
            .arg("-c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"12345").await.unwrap();
        stdin.close().await.unwrap();
        assert!(stdin.as_fd().is_none());
        let err = stdin.write_all(b"more").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .await
            .unwrap();
        assert_eq!(out.trim(), "5");
        // stdin is still held here: EOF came from close, not from drop.
        drop(stdin);
        assert!(child.wait().await.unwrap().success());
    });
}
