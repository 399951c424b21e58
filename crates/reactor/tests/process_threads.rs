//! A child's exit is noticed through a pidfd (or SIGCHLD), never a thread per
//! child. Alone in its binary so that the thread count is not disturbed.

mod common;

use ferrio_reactor::process::Command;

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn exit_is_noticed_without_a_thread_per_child() {
    common::on_each_flavor(|| async {
        for use_pidfd in [true, false] {
            let before = thread_count();
            let children: Vec<_> = (0..20)
                .map(|i| {
                    Command::new("sh")
                        .args(["-c", &format!("exit {}", i % 5)])
                        .use_pidfd(use_pidfd)
                        .spawn()
                        .unwrap()
                })
                .collect();
            // At most the one signal-dispatch thread appears (for SIGCHLD).
            assert!(thread_count() <= before + 1);
            let mut codes = Vec::new();
            for mut child in children {
                if !use_pidfd {
                    assert!(!child.uses_pidfd());
                }
                codes.push(child.wait().await.unwrap().code().unwrap());
            }
            assert_eq!(codes, (0..20).map(|i| i % 5).collect::<Vec<_>>());
        }
    });
}
