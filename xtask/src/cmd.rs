//! Running cargo steps: capture their output, show it only when they fail, and count
//! the tests they ran.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (xtask lives one level below it).
pub(crate) fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// A `cargo` command run from the workspace root.
pub(crate) fn cargo(args: &[&str]) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root());
    command
}

/// What a finished step printed and how long it took.
pub(crate) struct StepOutput {
    pub(crate) text: String,
    pub(crate) elapsed: Duration,
}

/// Runs `command` with its output captured, killing its whole process group if it
/// runs past `limit`. On failure the whole output is printed and the error names the
/// step, so CI logs show exactly what broke.
pub(crate) fn run_captured(
    name: &str,
    command: &mut Command,
    limit: Duration,
) -> Result<StepOutput, String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;

    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit => {
                timed_out = true;
                let _ = Command::new("kill")
                    .args(["-KILL", &format!("-{}", child.id())])
                    .status();
                break child.wait().map_err(|e| format!("{name}: wait: {e}"))?;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{name}: wait: {e}")),
        }
    };
    let mut text = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    text.push_str(&String::from_utf8_lossy(
        &err_reader.join().unwrap_or_default(),
    ));
    let elapsed = start.elapsed();
    if timed_out || !status.success() {
        println!("{text}");
        let why = if timed_out {
            format!("killed after the {}s limit", limit.as_secs())
        } else {
            status.to_string()
        };
        println!("[FAIL] {name} ({:.1}s): {why}", elapsed.as_secs_f64());
        return Err(format!("step `{name}` failed ({why})"));
    }
    Ok(StepOutput { text, elapsed })
}

/// Test counts summed over every `test result:` line of libtest's output.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TestCounts {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) ignored: u64,
}

impl TestCounts {
    pub(crate) fn parse(text: &str) -> Self {
        let mut counts = Self::default();
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("test result: ") else {
                continue;
            };
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(label), Some(number)) = (words.next(), words.next()) else {
                    continue;
                };
                let Ok(number) = number.parse::<u64>() else {
                    continue;
                };
                match label {
                    "passed" => counts.passed += number,
                    "failed" => counts.failed += number,
                    "ignored" => counts.ignored += number,
                    _ => {}
                }
            }
        }
        counts
    }

    pub(crate) fn add(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }
}

/// Prints the one summary line of a step that passed.
pub(crate) fn ok(name: &str, elapsed: Duration, detail: &str) {
    if detail.is_empty() {
        println!("[ok] {name} ({:.1}s)", elapsed.as_secs_f64());
    } else {
        println!("[ok] {name} ({:.1}s): {detail}", elapsed.as_secs_f64());
    }
}
