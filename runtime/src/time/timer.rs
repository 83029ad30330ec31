//! The timer heap: O(log n) insert, O(1) cancel.
//!
//! Timers live in a slab (an index and a generation name one), and the heap
//! orders `(deadline, id)` pairs. Cancelling empties the slot at once; its
//! heap entry is skipped when it surfaces (its generation no longer
//! matches). No hashing on the per-request path: a `timeout` per read is
//! an insert and a cancel, both a few loads and stores.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::Instant;

/// Names one timer: its slot and the generation that slot had then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TimerId {
    index: u32,
    /// 64 bits: a slot is reused on every request of a busy server, and a
    /// stale heap entry must never match a later occupant.
    gen: u64,
}

#[derive(Default)]
struct Slot {
    gen: u64,
    waker: Option<Waker>,
}

impl Slot {
    /// Whether `id` names this slot's pending timer.
    fn names(&self, id: TimerId) -> bool {
        self.gen == id.gen && self.waker.is_some()
    }
}

/// Pending timers, nearest first.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, TimerId)>>,
    slots: Vec<Slot>,
    /// Empty slots, reused last-freed first (warm in the cache).
    free: Vec<u32>,
    live: usize,
}

impl Timers {
    /// Adds a timer; returns its id.
    pub(crate) fn insert(&mut self, at: Instant, waker: Waker) -> TimerId {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                // More than 2^32 live timers cannot fit in a guest's memory.
                let i = u32::try_from(self.slots.len()).expect("timer slots");
                self.slots.push(Slot::default());
                i
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.waker = Some(waker);
        let id = TimerId {
            index,
            gen: slot.gen,
        };
        self.live += 1;
        self.heap.push(Reverse((at, id)));
        id
    }

    /// The slot `id` names while its timer is pending.
    fn slot(&mut self, id: TimerId) -> Option<&mut Slot> {
        self.slots
            .get_mut(id.index as usize)
            .filter(|s| s.names(id))
    }

    /// Empties a live slot and returns its waker.
    fn take(&mut self, id: TimerId) -> Option<Waker> {
        let slot = self.slot(id)?;
        let waker = slot.waker.take();
        slot.gen += 1;
        self.free.push(id.index);
        self.live -= 1;
        waker
    }

    /// Replaces the waker of a pending timer. `false` if it already fired.
    pub(crate) fn update(&mut self, id: TimerId, waker: &Waker) -> bool {
        match self.slot(id).and_then(|s| s.waker.as_mut()) {
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
    pub(crate) fn cancel(&mut self, id: TimerId) {
        drop(self.take(id));
        if self.live == 0 {
            self.heap.clear();
        }
    }

    fn is_live(&self, id: TimerId) -> bool {
        self.slots
            .get(id.index as usize)
            .is_some_and(|s| s.names(id))
    }

    /// The nearest live deadline.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if self.is_live(id) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// Wakes every timer due at `now`.
    pub(crate) fn fire(&mut self, now: Instant) {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            if let Some(w) = self.take(id) {
                w.wake();
            }
        }
    }

    /// Whether no timer is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Live timers.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live
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

    #[test]
    fn a_reused_slot_is_not_named_by_an_old_id() {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        let w = Waker::from(c.clone());
        let mut t = Timers::default();
        let now = Instant::now();
        let _keep = t.insert(now + Duration::from_secs(60), w.clone());
        let old = t.insert(now + Duration::from_millis(10), w.clone());
        t.cancel(old);
        // The freed slot is taken again, later in time.
        let new = t.insert(now + Duration::from_millis(50), w.clone());
        assert_ne!(old, new);
        assert!(!t.update(old, &w), "an old id names nothing");
        t.cancel(old); // and cancelling it leaves the new timer alone
        assert_eq!(t.len(), 2);
        // The stale entry at +10 ms surfaces first and wakes nobody.
        t.fire(now + Duration::from_millis(20));
        assert_eq!(c.0.load(Ordering::SeqCst), 0);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_millis(50)));
        t.fire(now + Duration::from_millis(50));
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        assert!(!t.update(new, &w));
        assert_eq!(t.len(), 1);
    }
}
