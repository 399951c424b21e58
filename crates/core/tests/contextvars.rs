//! Context variables: copied into tasks, isolated per task, reset by token.
mod common;

use common::{builder, on_both, FLAVORS};
use ferrio_core::contextvars::{Context, ContextVar};
use ferrio_core::{spawn, yield_now};

static REQUEST: ContextVar<u64> = ContextVar::new("request");
static USER: ContextVar<String> = ContextVar::new("user");

#[test]
fn get_set_reset_in_one_context() {
    on_both(|_| async {
        assert_eq!(REQUEST.get(), None);
        assert_eq!(REQUEST.get_or(5), 5);
        let t1 = REQUEST.set(1);
        let t2 = REQUEST.set(2);
        assert_eq!(REQUEST.get(), Some(2));
        REQUEST.reset(t2).unwrap();
        assert_eq!(REQUEST.get(), Some(1));
        REQUEST.reset(t1).unwrap();
        assert_eq!(REQUEST.get(), None);
        assert_eq!(REQUEST.name(), "request");
    });
}

#[test]
fn a_token_of_another_variable_or_context_is_refused() {
    on_both(|_| async {
        let user = USER.set("ada".into());
        let _ = REQUEST.set(1);
        // Typed: a token of USER cannot even be passed to REQUEST; a token from
        // another context is refused at run time.
        let parent_token = REQUEST.set(2);
        let refused = spawn(async move { REQUEST.reset(parent_token) })
            .await
            .unwrap();
        let err = refused.unwrap_err();
        assert!(err.to_string().contains("different context"), "{err}");
        assert_eq!(REQUEST.get(), Some(2), "nothing changed");
        USER.reset(user).unwrap();
        assert_eq!(USER.get(), None);
    });
}

#[test]
fn children_get_a_copy_and_their_sets_stay_theirs() {
    on_both(|_| async {
        let _ = REQUEST.set(10);
        let child = spawn(async {
            let seen = REQUEST.get();
            let _ = REQUEST.set(11);
            yield_now().await;
            (seen, REQUEST.get())
        });
        let _ = REQUEST.set(12); // after the spawn: the child keeps its copy
        let (seen, after) = child.await.unwrap();
        assert_eq!(seen, Some(10));
        assert_eq!(after, Some(11));
        assert_eq!(REQUEST.get(), Some(12), "the child's set is not seen");
    });
}

#[test]
fn a_task_spawned_from_an_empty_context_keeps_its_own_values_and_leaks_none() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        rt.block_on(async {
            let setters: Vec<_> = (0..20u64)
                .map(|i| {
                    spawn(async move {
                        let _ = REQUEST.set(i);
                        for _ in 0..5 {
                            yield_now().await;
                            assert_eq!(REQUEST.get(), Some(i));
                        }
                    })
                })
                .collect();
            let readers: Vec<_> = (0..20)
                .map(|_| {
                    spawn(async {
                        let mut seen = Vec::new();
                        for _ in 0..5 {
                            seen.push(REQUEST.get());
                            yield_now().await;
                        }
                        seen
                    })
                })
                .collect();
            for s in setters {
                s.await.unwrap();
            }
            for r in readers {
                assert!(r.await.unwrap().iter().all(Option::is_none), "{flavor:?}");
            }
            assert_eq!(REQUEST.get(), None, "main saw nothing");
        });
    }
}

#[test]
fn a_panicking_task_leaks_nothing() {
    for flavor in FLAVORS {
        let rt = builder(flavor)
            .on_unretrieved_panic(|_| {})
            .build()
            .unwrap();
        rt.block_on(async {
            let t = spawn(async {
                let _ = REQUEST.set(99);
                panic!("after a set");
            });
            assert!(t.await.is_err());
            let after = spawn(async { REQUEST.get() }).await.unwrap();
            assert_eq!(after, None, "{flavor:?}");
            assert_eq!(REQUEST.get(), None);
        });
    }
}

#[test]
fn main_gets_a_copy_of_the_calling_thread_s_context() {
    for flavor in FLAVORS {
        let rt = builder(flavor).build().unwrap();
        let token = REQUEST.set(7);
        let seen = rt.block_on(async {
            let seen = REQUEST.get();
            let _ = REQUEST.set(8);
            seen
        });
        assert_eq!(seen, Some(7));
        assert_eq!(REQUEST.get(), Some(7), "main's set stays in main");
        REQUEST.reset(token).unwrap();
    }
}

#[test]
fn run_and_scope_use_an_explicit_context() {
    on_both(|_| async {
        let _ = USER.set("ada".into());
        let mut ctx = Context::copy_current();
        ctx.run(|| {
            assert_eq!(USER.get().as_deref(), Some("ada"));
            let _ = USER.set("grace".into());
        });
        assert_eq!(USER.get().as_deref(), Some("ada"));
        assert_eq!(ctx.get(&USER).as_deref(), Some("grace"));
        let in_scope = ctx
            .scope(async {
                yield_now().await;
                USER.get()
            })
            .await;
        assert_eq!(in_scope.as_deref(), Some("grace"));
        assert_eq!(Context::new().run(|| USER.get()), None);
    });
}
