//! asyncio's `create_subprocess_exec`: run a command with a piped stdout and stream
//! its output line by line as it is produced, then collect another command's
//! output in one go.
//!
//! Run: `cargo run --example subprocess`

use std::io;
use std::process::Stdio;

use ferrio::process::Command;
use ferrio::streams::StreamReader;

#[ferrio::main]
async fn main() -> io::Result<()> {
    // A command that prints a line every 50 ms.
    let mut child = Command::new("sh")
        .args([
            "-c",
            "for i in 1 2 3 4 5; do echo \"tick $i\"; sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = StreamReader::new(child.stdout.take().expect("stdout is piped"));
    loop {
        let line = lines.readline().await?;
        if line.is_empty() {
            break;
        }
        print!("child said: {}", String::from_utf8_lossy(&line));
    }
    let status = child.wait().await?;
    println!("child exited with {status}");

    let output = Command::new("uname").arg("-s").output().await?;
    println!(
        "uname -s: {} ({})",
        String::from_utf8_lossy(&output.stdout).trim(),
        output.status
    );
    Ok(())
}
