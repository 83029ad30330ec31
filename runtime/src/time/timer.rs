//! The timer heap: O(log n) insert, O(1) cancel.
//!
//! Timers live in a slab (an index and a generation name one), and the heap
//! orders `(deadline, id)` pairs. Cancelling empties the slot at once; its
//! heap entry is skipped when it surfaces (its generation no longer
//! matches), and when stale entries outnumber live timers the heap is
//! rebuilt from the live ones — a server that cancels a 5 s timeout on
//! every request would otherwise carry five seconds of dead entries. No
//! hashing on the per-request path: a `timeout` per read is an insert and
//! a cancel, both a few loads and stores.
//!
//! A timer may also be given as a duration from "now" ([`Timers::insert_after`]):
//! it gets its deadline when the reactor next reads the clock
//! ([`Timers::resolve`], before it waits), so starting it reads no clock —
//! on wasm a clock read is a host call. It never ends early: its start is
//! taken at or after the moment it was asked for.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::{Duration, Instant};

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
    /// Timers given as a duration, waiting for the clock read that starts
    /// them ([`Timers::resolve`]).
    unresolved: Vec<(Duration, TimerId)>,
    live: usize,
}

/// The heap is rebuilt when it holds more than this many entries beyond
/// twice the live timers (so rebuilding costs O(1) per cancel, amortized).
const STALE_SLACK: usize = 32;

/// The longest a timer waits: about 30 years (as tokio's; a longer one
/// could overflow the system's clock type).
const LONGEST: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `d`, at most [`LONGEST`].
pub(crate) fn safe_delay(d: Duration) -> Duration {
    d.min(LONGEST)
}

/// `now + d`, at most about 30 years ahead.
pub(crate) fn deadline_after(now: Instant, d: Duration) -> Instant {
    now + safe_delay(d)
}

impl Timers {
    /// Adds a timer; returns its id.
    pub(crate) fn insert(&mut self, at: Instant, waker: Waker) -> TimerId {
        let id = self.occupy(waker);
        self.heap.push(Reverse((at, id)));
        id
    }

    /// Adds a timer that ends `d` after the next [`Timers::resolve`].
    pub(crate) fn insert_after(&mut self, d: Duration, waker: Waker) -> TimerId {
        let id = self.occupy(waker);
        self.unresolved.push((d, id));
        id
    }

    /// Gives every timer added with [`Timers::insert_after`] its deadline,
    /// counted from `now`.
    pub(crate) fn resolve(&mut self, now: Instant) {
        for (d, id) in self.unresolved.drain(..) {
            if self.slots[id.index as usize].names(id) {
                self.heap.push(Reverse((deadline_after(now, d), id)));
            }
        }
    }

    /// Takes a free slot for a new timer.
    fn occupy(&mut self, waker: Waker) -> TimerId {
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

    /// Whether `id`'s timer has neither fired nor been cancelled.
    pub(crate) fn is_pending(&self, id: TimerId) -> bool {
        self.slots
            .get(id.index as usize)
            .is_some_and(|s| s.names(id))
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

    /// Forgets a timer (its heap entry is skipped when it comes due, or
    /// dropped when the heap is rebuilt).
    pub(crate) fn cancel(&mut self, id: TimerId) {
        if self.take(id).is_none() {
            return;
        }
        if self.live == 0 {
            self.heap.clear();
            self.unresolved.clear();
        } else if self.heap.len() > 2 * self.live + STALE_SLACK {
            let slots = &self.slots;
            self.heap
                .retain(|Reverse((_, id))| slots[id.index as usize].names(*id));
        }
    }

    /// When the reactor must wake up for timers at the latest: the earliest
    /// heap entry. That may be a cancelled timer's, so it is a lower bound
    /// on the nearest live deadline — waking for it early costs one empty
    /// turn (`fire` then skips it), while keeping the bound exact would pop
    /// a stale entry on almost every wait of a busy server (each request
    /// cancels the timeout its connection started before it). Stale entries
    /// mostly go in bulk, when the heap is rebuilt.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// The nearest live deadline (of the resolved timers).
    #[cfg(test)]
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if self.is_pending(id) {
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

    /// Heap entries, stale ones included.
    #[cfg(test)]
    fn heap_len(&self) -> usize {
        self.heap.len()
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

    /// Empty timers and a waker that counts its wakes.
    fn fixture() -> (Arc<Count>, Waker, Timers) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c), Timers::default())
    }

    #[test]
    fn fires_in_order_and_skips_cancelled() {
        let (c, w, mut t) = fixture();
        let now = Instant::now();
        let a = t.insert(now + Duration::from_millis(30), w.clone());
        let _b = t.insert(now + Duration::from_millis(10), w.clone());
        let c_id = t.insert(now + Duration::from_millis(20), w.clone());
        t.cancel(c_id);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_millis(10)));
        assert_eq!(t.next_wake(), Some(now + Duration::from_millis(10)));
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
        let (c, w, mut t) = fixture();
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

    #[test]
    fn a_duration_timer_counts_from_the_clock_read_that_resolves_it() {
        let (c, w, mut t) = fixture();
        let a = t.insert_after(Duration::from_millis(10), w.clone());
        let dropped = t.insert_after(Duration::from_millis(1), w.clone());
        t.cancel(dropped);
        assert_eq!(t.len(), 1);
        assert_eq!(t.next_deadline(), None, "no deadline before the clock read");
        let now = Instant::now();
        t.resolve(now);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_millis(10)));
        t.fire(now + Duration::from_millis(9));
        assert_eq!(c.0.load(Ordering::SeqCst), 0, "it never ends early");
        assert!(t.update(a, &w));
        t.fire(now + Duration::from_millis(10));
        assert_eq!(
            c.0.load(Ordering::SeqCst),
            1,
            "the cancelled one wakes nobody"
        );
        assert!(!t.update(a, &w));
        assert!(t.is_empty());
    }

    #[test]
    fn cancelled_entries_do_not_pile_up_while_timers_stay_live() {
        // A server's shape: a few connections each with a long timeout,
        // cancelled and started again on every request.
        let (c, w, mut t) = fixture();
        let now = Instant::now();
        let mut ids: Vec<_> = (0..50)
            .map(|i| {
                t.insert(
                    now + Duration::from_secs(5) + Duration::from_micros(i),
                    w.clone(),
                )
            })
            .collect();
        for round in 0..10_000u64 {
            let k = (round % 50) as usize;
            t.cancel(ids[k]);
            ids[k] = t.insert(
                now + Duration::from_secs(6) + Duration::from_micros(round),
                w.clone(),
            );
            assert!(
                t.heap_len() <= 2 * 50 + STALE_SLACK + 1,
                "heap {}",
                t.heap_len()
            );
        }
        assert_eq!(t.len(), 50);
        t.fire(now + Duration::from_secs(7));
        assert_eq!(
            c.0.load(Ordering::SeqCst),
            50,
            "every live timer still fires"
        );
        assert!(t.is_empty());
    }

    #[test]
    fn a_cancelled_timer_may_end_a_wait_early_but_wakes_nobody() {
        let (c, w, mut t) = fixture();
        let now = Instant::now();
        let _keep = t.insert(now + Duration::from_millis(50), w.clone());
        let gone = t.insert(now + Duration::from_millis(10), w.clone());
        t.cancel(gone);
        // A lower bound: the wait ends at +10 ms at the latest...
        assert_eq!(t.next_wake(), Some(now + Duration::from_millis(10)));
        // ...and that turn wakes nobody and moves the bound on.
        t.fire(now + Duration::from_millis(10));
        assert_eq!(c.0.load(Ordering::SeqCst), 0);
        assert_eq!(t.next_wake(), Some(now + Duration::from_millis(50)));
    }
}
