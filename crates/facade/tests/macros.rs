//! `#[ferrio::test]` (and through it the expansion `#[ferrio::main]` shares).

use std::time::Duration;

#[ferrio::test]
async fn runs_on_the_current_thread_by_default() {
    let here = std::thread::current().id();
    let there = ferrio::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(here, there);
}

#[ferrio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_flavour_uses_workers() {
    let here = std::thread::current().id();
    let there = ferrio::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_ne!(here, there);
}

#[ferrio::test]
async fn question_mark_works_in_the_body() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "42".parse()?;
    ferrio::sleep(Duration::from_millis(1)).await;
    assert_eq!(n, 42);
    Ok(())
}

#[ferrio::test(debug = true)]
async fn debug_option_builds_a_debug_runner() {
    ferrio::yield_now().await;
}

#[ferrio::test]
#[should_panic(expected = "inside the test")]
async fn other_attributes_are_kept() {
    ferrio::yield_now().await;
    panic!("inside the test");
}

mod renamed {
    use ferrio as my_runtime;

    #[my_runtime::test(crate = "my_runtime")]
    async fn crate_option_finds_a_renamed_facade() {
        my_runtime::yield_now().await;
    }
}
