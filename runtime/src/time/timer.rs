//! The timer heap: O(log n) insert, lazy O(log n) cancel.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::task::Waker;
use std::time::Instant;

/// Pending timers, nearest first.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, Waker>,
    next_id: u64,
}

impl Timers {
    /// Adds a timer; returns its id.
    pub(crate) fn insert(&mut self, at: Instant, waker: Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.heap.push(Reverse((at, id)));
        self.wakers.insert(id, waker);
        id
    }

    /// Replaces the waker of a pending timer. `false` if it already fired.
    pub(crate) fn update(&mut self, id: u64, waker: &Waker) -> bool {
        match self.wakers.get_mut(&id) {
            Some(w) => {
                if !w.will_wake(waker) {
                    *w = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    /// Forgets a timer (its heap entry is skipped when it surfaces).
    pub(crate) fn cancel(&mut self, id: u64) {
        self.wakers.remove(&id);
        if self.wakers.is_empty() {
            self.heap.clear();
        }
    }

    /// The nearest live deadline.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.heap.peek() {
            if self.wakers.contains_key(id) {
                return Some(*at);
            }
            self.heap.pop();
        }
        None
    }

    /// Wakes every timer due at `now`.
    pub(crate) fn fire(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            if let Some(w) = self.wakers.remove(&id) {
                w.wake();
            }
        }
    }

    /// Whether no timer is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.wakers.is_empty()
    }

    /// Live timers.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.wakers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;
    use std::time::Duration;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn fires_in_order_and_skips_cancelled() {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        let w = Waker::from(c.clone());
        let mut t = Timers::default();
        let now = Instant::now();
        let a = t.insert(now + Duration::from_millis(30), w.clone());
        let _b = t.insert(now + Duration::from_millis(10), w.clone());
        let c_id = t.insert(now + Duration::from_millis(20), w.clone());
        t.cancel(c_id);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_millis(10)));
        t.fire(now + Duration::from_millis(25));
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_millis(30)));
        assert!(t.update(a, &w));
        t.fire(now + Duration::from_millis(30));
        assert_eq!(c.0.load(Ordering::SeqCst), 2);
        assert!(!t.update(a, &w));
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.len(), 0);
    }
}
