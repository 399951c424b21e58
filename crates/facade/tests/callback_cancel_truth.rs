//! `CallbackHandle::cancel()` tells the truth: `true` exactly when the callback never
//! runs, raced against `call_soon` callbacks and `call_at` timers at their deadline,
//! from the loop and from a foreign thread, on both flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn runners() -> [ferrio::Runner; 2] {
    [
        ferrio::Runner::new(),
        ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(2)
            .build()
            .expect("runner builds"),
    ]
}

const ROUNDS: usize = if cfg!(debug_assertions) {
    4_000
} else {
    40_000
};

#[test]
fn cancel_answers_whether_the_callback_runs() {
    for runner in runners() {
        runner.run(async {
            let handle = ferrio::Handle::current();
            let ran: Arc<Vec<AtomicUsize>> =
                Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
            let mut answers = Vec::with_capacity(ROUNDS);
            let mut callbacks = Vec::with_capacity(ROUNDS);
            for i in 0..ROUNDS {
                let r = ran.clone();
                let bump = move || {
                    r[i].fetch_add(1, Ordering::SeqCst);
                };
                let cb = if i % 2 == 0 {
                    handle.call_soon(bump)
                } else {
                    // Due right now: the timer fires while the cancel races it.
                    handle.call_at(handle.time(), bump)
                };
                callbacks.push(cb);
                if i % 64 == 63 {
                    ferrio::yield_now().await;
                }
            }
            // Half cancelled from here, half from a foreign thread, all racing.
            let (here, there): (Vec<_>, Vec<_>) = callbacks
                .into_iter()
                .enumerate()
                .partition(|(i, _)| i % 4 < 2);
            let thread = std::thread::spawn(move || {
                there
                    .into_iter()
                    .map(|(i, cb)| (i, cb.cancel(), cb))
                    .collect::<Vec<_>>()
            });
            for (i, cb) in here {
                answers.push((i, cb.cancel(), cb));
            }
            while !thread.is_finished() {
                ferrio::yield_now().await;
            }
            answers.extend(thread.join().unwrap());
            // Let every callback that is going to run, run.
            for (_, _, cb) in &answers {
                let deadline = std::time::Instant::now() + Duration::from_secs(20);
                while !cb.is_finished() {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "a callback never ended"
                    );
                    ferrio::sleep(Duration::from_millis(1)).await;
                }
            }
            let mut wrong = 0;
            for (i, answer, _) in &answers {
                let runs = ran[*i].load(Ordering::SeqCst);
                if (*answer && runs != 0) || (!*answer && runs != 1) {
                    wrong += 1;
                }
            }
            assert_eq!(wrong, 0, "of {ROUNDS} callbacks");
        });
    }
}
