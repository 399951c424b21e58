//! What one spawn costs in memory: a spawn of a small future through a `Runner`
//! makes exactly one allocation (the task), of a bounded size, and the `Task<T>`
//! handle stays small. Spawn-heavy programs pay these per task; a larger task
//! allocation shows up as page faults and heap trimming in spawn benchmarks.
//!
//! One test in this file, so no other test's allocations are recorded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;

/// The task allocation today: async-task's header (four words and a flag around
/// ferrio's five-word `Header`: 80 bytes), then the wrapped future and its output
/// slot, which share 24 bytes. Lower it when the layout shrinks.
const MAX_TASK_ALLOCATION: usize = 104;
/// `Task<u64>` today: the raw task, the header pointer and the result slot. Lower
/// it when the handle shrinks.
const MAX_TASK_HANDLE: usize = 32;

struct Recording;

thread_local! {
    /// Set only around the spawn under test, on the thread that spawns.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
}

/// The sizes allocated while recording (a fixed buffer: recording must not allocate).
static RECORDED: Mutex<([usize; 16], usize)> = Mutex::new(([0; 16], 0));

fn record(size: usize) {
    // `try_with`: the thread-local may be gone while a thread exits.
    if RECORDING.try_with(Cell::get).unwrap_or(false) {
        let mut recorded = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
        let (sizes, count) = &mut *recorded;
        if let Some(slot) = sizes.get_mut(*count) {
            *slot = size;
        }
        *count += 1;
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged;
// recording only reads the layout.
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller's contract for `alloc_zeroed` is `System::alloc_zeroed`'s.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is `System::dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: the caller's contract for `realloc` is `System::realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Recording = Recording;

#[test]
fn one_spawn_is_one_small_allocation() {
    let handle = std::mem::size_of::<ferrio::Task<u64>>();
    eprintln!("Task<u64>: {handle} bytes");
    assert!(handle <= MAX_TASK_HANDLE, "Task<u64> is {handle} bytes");
    let runner = ferrio::Runner::builder()
        .current_thread()
        .build()
        .expect("runner");
    let sizes = runner.run(async {
        // Warm-up: the registry and the run queue reach their working capacity, so
        // the recorded spawn measures the task alone. The core's spawn, because the
        // facade's `tracing` feature wraps each future in a span.
        let warm: Vec<_> = (0..64u64)
            .map(|i| ferrio::core::spawn(async move { i }))
            .collect();
        for (i, task) in warm.into_iter().enumerate() {
            assert_eq!(task.await.expect("warm-up task"), i as u64);
        }
        *RECORDED.lock().unwrap() = ([0; 16], 0);
        RECORDING.with(|r| r.set(true));
        let task = ferrio::core::spawn(async { 7u64 });
        RECORDING.with(|r| r.set(false));
        let recorded = *RECORDED.lock().unwrap();
        assert_eq!(task.await.expect("recorded task"), 7);
        recorded
    });
    let (sizes, count) = sizes;
    assert_eq!(count, 1, "one spawn made {count} allocations: {sizes:?}");
    eprintln!("task allocation: {} bytes", sizes[0]);
    assert!(
        sizes[0] <= MAX_TASK_ALLOCATION,
        "task allocation is {} bytes",
        sizes[0]
    );
}
