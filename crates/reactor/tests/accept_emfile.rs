//! Accept when the process is out of descriptors: the error is returned, the
//! listener stays usable, and accepts again once descriptors are free.

mod common;

use std::fs::File;

use ferrio_reactor::net::TcpListener;

const NAME: &str = "accept_under_emfile_recovers";

#[test]
fn accept_under_emfile_recovers() {
    if !common::is_child(NAME) {
        let output = common::run_as_child(NAME);
        assert!(
            output.status.success(),
            "child failed: {:?}\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    for &kind in ferrio_reactor::ReactorKind::available() {
        accept_under_emfile(kind);
    }
}

fn accept_under_emfile(kind: ferrio_reactor::ReactorKind) {
    let rt = common::runtime_with(kind, ferrio_core::Flavor::CurrentThread);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Two clients whose handshakes the kernel completes without an accept.
        let _clients: Vec<_> = (0..2)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();

        // Lower the soft limit to just above what is open, then use up the rest.
        // (The hard limit stays, so the next reactor kind can raise it back.)
        let mut original = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit with a valid out pointer.
        let queried = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut original) };
        assert_eq!(queried, 0);
        let open = common::fd_count() as libc::rlim_t;
        let limit = libc::rlimit {
            rlim_cur: open + 8,
            rlim_max: original.rlim_max,
        };
        // SAFETY: setrlimit with a valid struct; lowering our own soft limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
        let mut hogs = Vec::new();
        loop {
            match File::open("/dev/null") {
                Ok(f) => hogs.push(f),
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
                    break;
                }
            }
            assert!(hogs.len() < 64, "the lowered limit did not apply");
        }

        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err:?}");
        // Still failing, not hanging, while nothing changed.
        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err:?}");

        hogs.clear();
        let (first, _) = listener.accept().await.expect("accept after freeing fds");
        let (second, _) = listener.accept().await.expect("second accept");
        assert_eq!(first.local_addr().unwrap(), addr);
        assert_eq!(second.local_addr().unwrap(), addr);
        // SAFETY: restoring the limit this test found, below the unchanged hard one.
        let restored = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &original) };
        assert_eq!(restored, 0);
    });
}
