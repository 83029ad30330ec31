//! Task-local storage: [`task_local!`](crate::task_local), [`LocalKey`],
//! [`TaskLocalFuture`].

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys (tokio's `task_local!`): each is a
/// [`LocalKey`] whose value is set for the length of a future with
/// [`LocalKey::scope`] (or a closure with [`LocalKey::sync_scope`]).
///
/// ```
/// wasio::task_local! {
///     static REQUEST: u32;
/// }
///
/// wasio::block_on(async {
///     let seen = REQUEST.scope(7, async { REQUEST.get() }).await;
///     assert_eq!(seen, 7);
///     assert!(REQUEST.try_get().is_err());
/// });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
    };
}

/// One key of [`task_local!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey { inner: __KEY }
        };
    };
}

/// A task-local key, made by [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    #[doc(hidden)]
    pub inner: std::thread::LocalKey<RefCell<Option<T>>>,
}

/// Why a task-local value could not be read: no scope has set it here (or
/// the thread is ending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl std::error::Error for AccessError {}

/// Puts the slot's value back where it was when dropped (also on a panic).
struct Swapped<'a, T: 'static> {
    key: &'static LocalKey<T>,
    slot: &'a mut Option<T>,
}

impl<T: 'static> Drop for Swapped<'_, T> {
    fn drop(&mut self) {
        let _ = self.key.inner.try_with(|cell| {
            if let Ok(mut v) = cell.try_borrow_mut() {
                std::mem::swap(self.slot, &mut *v);
            }
        });
    }
}

impl<T: 'static> LocalKey<T> {
    /// Runs `f` with `slot`'s value as this key's (swapped in, then back).
    fn enter<R>(&'static self, slot: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        self.inner.with(|cell| {
            let mut v = cell
                .try_borrow_mut()
                .expect("cannot enter a task-local scope while the task-local storage is borrowed");
            std::mem::swap(slot, &mut *v);
        });
        let _back = Swapped { key: self, slot };
        f()
    }

    /// `future`, with this key set to `value` while it is polled (and
    /// while it is dropped).
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            slot: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with this key set to `value`.
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut slot = Some(value);
        self.enter(&mut slot, f)
    }

    /// Runs `f` with the value.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(_) => panic!("cannot access a task-local storage value without setting it first"),
        }
    }

    /// Runs `f` with the value, or says it is not set.
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        self.inner
            .try_with(|cell| {
                let v = cell.try_borrow().map_err(|_| AccessError(()))?;
                v.as_ref().map(f).ok_or(AccessError(()))
            })
            .map_err(|_| AccessError(()))?
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of the value.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// A copy of the value, or says it is not set.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

/// A future run with a task-local value set (from [`LocalKey::scope`]).
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    slot: Option<T>,
    future: Option<F>,
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out (`None` once taken); polled afterwards, the
    /// future runs with the key unset.
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        // SAFETY: `slot` is not structurally pinned.
        unsafe { self.get_unchecked_mut() }.slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned (never moved out, only
        // dropped in place); `slot` and `key` are not.
        let this = unsafe { self.get_unchecked_mut() };
        let key = this.key;
        let future = &mut this.future;
        key.enter(&mut this.slot, || {
            // SAFETY: see above.
            let future = unsafe { Pin::new_unchecked(future) };
            match future.as_pin_mut() {
                Some(f) => f.poll(cx),
                None => panic!("`TaskLocalFuture` polled after completion"),
            }
        })
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    /// The future is dropped with its value set (its `Drop` may read it).
    fn drop(&mut self) {
        let alive = self.key.inner.try_with(|_| ()).is_ok();
        if alive && self.future.is_some() {
            let future = &mut self.future;
            // Dropped in place, never moved.
            self.key.enter(&mut self.slot, || *future = None);
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskLocalFuture { .. }")
    }
}
