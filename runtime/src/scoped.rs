//! [`Scoped`]: a thread-local slot set for a while, then put back.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Holds `value` in the thread-local `key` until dropped, then restores
/// what the slot held before (so such guards nest).
pub(crate) struct Scoped<T: 'static> {
    key: &'static LocalKey<RefCell<Option<T>>>,
    prev: Option<T>,
}

impl<T: 'static> Scoped<T> {
    pub(crate) fn set(key: &'static LocalKey<RefCell<Option<T>>>, value: T) -> Self {
        let prev = key.with(|slot| slot.borrow_mut().replace(value));
        Self { key, prev }
    }
}

impl<T: 'static> Drop for Scoped<T> {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // During thread teardown the slot may be gone: nothing to restore.
        let _ = self.key.try_with(|slot| *slot.borrow_mut() = prev);
    }
}
