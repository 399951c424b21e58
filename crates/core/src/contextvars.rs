//! Context variables, asyncio's `contextvars`: request ids, tracing ids and
//! deadlines that ride along with the code that runs for a request.
//!
//! A [`ContextVar`] is read and set in the *current context*. Every task has its
//! own context, a copy of its spawner's taken at `spawn` (so a child's `set` is
//! never seen by its parent, and a parent's later `set` never by the child); the
//! main future of `block_on` gets a copy of the calling thread's. Callbacks
//! scheduled with the facade's `call_soon`/`call_later` are tasks and get one too,
//! as do the facade's `to_thread`/`run_in_executor` thread-pool jobs. [`Context`]
//! runs a closure ([`Context::run`]) or a future ([`Context::scope`]) in an explicit
//! context.
//!
//! Copies are cheap: a context is a shared, copy-on-write map, and a task spawned
//! where no variable was ever set carries nothing.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;

type Value = Arc<dyn Any + Send + Sync>;
type Map = HashMap<u64, Value>;

/// The current context of a thread: its variables, and the identity of the scope
/// (task, `Context::run`) they belong to, for [`ContextVar::reset`]'s check.
#[derive(Default)]
struct Slot {
    map: Option<Arc<Map>>,
    /// 0 until a variable is set in this scope.
    scope: u64,
}

/// This thread's current context, in cells.
struct Current {
    map: Cell<Option<Arc<Map>>>,
    scope: Cell<u64>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            map: Cell::new(None),
            scope: Cell::new(0),
        }
    };
    /// `CURRENT` holds something (a map or a scope id). Kept apart, with no
    /// destructor, so that the common case (no variable set anywhere) is one plain
    /// thread-local read.
    static USED: Cell<bool> = const { Cell::new(false) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn swap(slot: Slot) -> Slot {
    let used = slot.map.is_some() || slot.scope != 0;
    let prev = CURRENT
        .try_with(|c| Slot {
            map: c.map.replace(slot.map),
            scope: c.scope.replace(slot.scope),
        })
        .unwrap_or_default();
    USED.set(used);
    prev
}

#[inline]
fn in_use() -> bool {
    USED.get()
}

/// The map of this thread's current context (no copy: a reference count).
#[inline]
fn current_map() -> Option<Arc<Map>> {
    if !in_use() {
        return None;
    }
    CURRENT
        .try_with(|c| {
            let map = c.map.take();
            let copy = map.clone();
            c.map.set(map);
            copy
        })
        .ok()
        .flatten()
}

/// A typed context variable (asyncio's `ContextVar`). Declare it as a `static`.
///
/// # Examples
///
/// ```
/// use ferrio_core::contextvars::ContextVar;
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
///
/// # ferrio_core::Runtime::new().unwrap().block_on(async {
/// let token = REQUEST_ID.set(7);
/// let child = ferrio_core::spawn(async {
///     let seen = REQUEST_ID.get();
///     REQUEST_ID.set(8); // the parent never sees this
///     seen
/// });
/// assert_eq!(child.await.unwrap(), Some(7));
/// assert_eq!(REQUEST_ID.get(), Some(7));
/// REQUEST_ID.reset(token).unwrap();
/// assert_eq!(REQUEST_ID.get(), None);
/// # });
/// ```
pub struct ContextVar<T> {
    name: &'static str,
    /// Assigned at first use (0: not yet), so the variable can be a `static`.
    id: AtomicU64,
    _value: PhantomData<fn() -> T>,
}

impl<T: Clone + Send + Sync + 'static> ContextVar<T> {
    /// A new variable; `name` shows in debug output and errors.
    pub const fn new(name: &'static str) -> ContextVar<T> {
        ContextVar {
            name,
            id: AtomicU64::new(0),
            _value: PhantomData,
        }
    }

    /// The variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn id(&self) -> u64 {
        let id = self.id.load(Ordering::Acquire);
        if id != 0 {
            return id;
        }
        let fresh = fresh_id();
        match self
            .id
            .compare_exchange(0, fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => fresh,
            Err(existing) => existing,
        }
    }

    /// The value in the current context, if it was set there (or inherited).
    pub fn get(&self) -> Option<T> {
        let id = self.id.load(Ordering::Acquire);
        if id == 0 {
            return None;
        }
        current_map()?
            .get(&id)
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }

    /// The value in the current context, or `default`.
    pub fn get_or(&self, default: T) -> T {
        self.get().unwrap_or(default)
    }

    /// Sets the value in the current context; the token restores the previous
    /// value through [`reset`](ContextVar::reset).
    pub fn set(&self, value: T) -> Token<T> {
        let id = self.id();
        let value: Value = Arc::new(value);
        let mut slot = swap(Slot::default());
        if slot.scope == 0 {
            slot.scope = fresh_id();
        }
        let map = Arc::make_mut(slot.map.get_or_insert_with(Default::default));
        let old = map.insert(id, value);
        let token = Token {
            var: id,
            scope: slot.scope,
            old,
            _value: PhantomData,
        };
        swap(slot);
        token
    }

    /// Restores the value the variable had before the [`set`](ContextVar::set)
    /// that returned `token` (asyncio's `reset`).
    ///
    /// # Errors
    ///
    /// When the token belongs to another variable or was created in another
    /// context (asyncio raises `ValueError`); nothing changes then.
    pub fn reset(&self, token: Token<T>) -> Result<(), ResetError> {
        let mut slot = swap(Slot::default());
        let result = if token.var != self.id() {
            Err(ResetError {
                var: self.name,
                other_var: true,
            })
        } else if token.scope != slot.scope {
            Err(ResetError {
                var: self.name,
                other_var: false,
            })
        } else {
            let map = Arc::make_mut(slot.map.get_or_insert_with(Default::default));
            match token.old {
                Some(old) => map.insert(token.var, old),
                None => map.remove(&token.var),
            };
            Ok(())
        };
        swap(slot);
        result
    }
}

impl<T> fmt::Debug for ContextVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextVar")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What [`ContextVar::set`] returns: undoes the set through
/// [`ContextVar::reset`].
#[must_use = "a token is how a set is undone; drop it to keep the value"]
pub struct Token<T> {
    var: u64,
    scope: u64,
    old: Option<Value>,
    _value: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Token<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("had_value", &self.old.is_some())
            .finish_non_exhaustive()
    }
}

/// [`ContextVar::reset`] with a token of another variable or another context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetError {
    var: &'static str,
    other_var: bool,
}

impl fmt::Display for ResetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.other_var {
            write!(
                f,
                "the token was created by another variable than {:?}",
                self.var
            )
        } else {
            write!(
                f,
                "the token of {:?} was created in a different context",
                self.var
            )
        }
    }
}

impl std::error::Error for ResetError {}

/// A context: a set of variable values (asyncio's `contextvars.Context`).
///
/// # Examples
///
/// ```
/// use ferrio_core::contextvars::{Context, ContextVar};
///
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// let _token = USER.set("ada");
/// let mut ctx = Context::copy_current();
/// ctx.run(|| {
///     assert_eq!(USER.get(), Some("ada"));
///     let _ = USER.set("grace"); // stays in `ctx`
/// });
/// assert_eq!(USER.get(), Some("ada"));
/// assert_eq!(ctx.run(|| USER.get()), Some("grace"));
/// ```
#[derive(Clone, Default)]
pub struct Context {
    map: Option<Arc<Map>>,
    scope: u64,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// A copy of the current context (asyncio's `copy_context()`).
    pub fn copy_current() -> Context {
        Context {
            map: current_map(),
            scope: 0,
        }
    }

    /// Runs `f` with this context as the current one; what `f` sets stays in this
    /// context (asyncio's `Context.run`).
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let guard = Installed::new(self);
        let out = f();
        guard.finish(self);
        out
    }

    /// Runs `future` with this context as the current one at every poll (a
    /// future's `Context.run`).
    pub fn scope<F: Future>(self, future: F) -> Scoped<F> {
        Scoped {
            ctx: CtxBox::new(self),
            future,
        }
    }

    /// The value of `var` in this context.
    pub fn get<T: Clone + Send + Sync + 'static>(&self, var: &ContextVar<T>) -> Option<T> {
        let id = var.id.load(Ordering::Acquire);
        self.map
            .as_ref()?
            .get(&id)
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("values", &self.map.as_ref().map_or(0, |m| m.len()))
            .finish()
    }
}

/// Empties the thread's context if a poll on the fast path unwinds after a `set`,
/// so the value cannot leak into whatever runs next on the thread.
struct ClearOnUnwind;

impl Drop for ClearOnUnwind {
    fn drop(&mut self) {
        if in_use() {
            drop(swap(Slot::default()));
        }
    }
}

/// Restores the previous context when dropped (even by unwinding).
struct Installed {
    prev: Option<Slot>,
}

impl Installed {
    #[inline(never)]
    fn new(ctx: &mut Context) -> Installed {
        let prev = swap(Slot {
            map: ctx.map.take(),
            scope: ctx.scope,
        });
        Installed { prev: Some(prev) }
    }

    #[inline(never)]
    fn finish(mut self, ctx: &mut Context) {
        let mine = swap(self.prev.take().unwrap_or_default());
        ctx.map = mine.map;
        ctx.scope = mine.scope;
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            drop(swap(prev));
        }
    }
}

/// A boxed context, or none (one null pointer), whose drop is out of line: the
/// drop glue of every task then stays one inlined null check, and the code around
/// it stays small enough to inline.
struct CtxBox(Option<Box<Context>>);

impl CtxBox {
    fn new(ctx: Context) -> CtxBox {
        CtxBox(Some(Box::new(ctx)))
    }

    fn is_none(&self) -> bool {
        self.0.is_none()
    }

    fn get(&mut self) -> &mut Context {
        self.0.get_or_insert_with(Default::default)
    }
}

impl Drop for CtxBox {
    #[inline]
    fn drop(&mut self) {
        if let Some(ctx) = self.0.take() {
            drop_context(ctx);
        }
    }
}

#[inline(never)]
fn drop_context(ctx: Box<Context>) {
    drop(ctx);
}

pin_project! {
    /// A future run in its own [`Context`]: [`Context::scope`], and every task.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<F> {
        // Boxed: a future that never sees a variable carries one null pointer.
        ctx: CtxBox,
        #[pin]
        future: F,
    }
}

impl<F> Scoped<F> {
    /// `future` in a copy of the current context.
    #[inline]
    pub(crate) fn copy_current(future: F) -> Scoped<F> {
        Scoped {
            ctx: CtxBox(current_map().map(|map| {
                Box::new(Context {
                    map: Some(map),
                    scope: 0,
                })
            })),
            future,
        }
    }
}

/// Catches the context a `set` created during a poll on the fast path.
#[cold]
#[inline(never)]
fn adopt_current() -> CtxBox {
    let mine = swap(Slot::default());
    CtxBox::new(Context {
        map: mine.map,
        scope: mine.scope,
    })
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.ctx.is_none() && !in_use() {
            // The common case: no variable anywhere. Nothing to install; only a
            // `set` during this poll needs catching (and keeping here).
            let guard = ClearOnUnwind;
            let out = this.future.poll(cx);
            std::mem::forget(guard);
            if in_use() {
                *this.ctx = adopt_current();
            }
            return out;
        }
        let ctx = this.ctx.get();
        let guard = Installed::new(ctx);
        let out = this.future.poll(cx);
        guard.finish(ctx);
        out
    }
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped").finish_non_exhaustive()
    }
}
