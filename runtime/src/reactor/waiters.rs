//! Who waits on which (fd, direction): an fd-indexed table (fds are small
//! and dense, and this is touched on every wait and every wake-up, so no
//! hashing), and the list of keys the poller needs in every wait, kept
//! with O(1) insert and remove.

use std::os::fd::RawFd;
use std::task::Waker;

use smallvec::SmallVec;

use crate::sys::Direction;

const NONE: u32 = u32::MAX;

/// The tasks waiting on one (fd, direction): inline for the usual one.
type Wakers = SmallVec<[Waker; 1]>;

struct Slot {
    /// Waiting tasks, by direction (0 read, 1 write).
    wakers: [Wakers; 2],
    /// Where this key sits in `Waiters::per_wait`, by direction.
    per_wait_at: [u32; 2],
}

/// The waiting tasks of a reactor.
#[derive(Default)]
pub(crate) struct Waiters {
    slots: Vec<Slot>,
    /// How many (fd, direction) keys have at least one waiter.
    keys: usize,
    per_wait: Vec<(RawFd, Direction)>,
}

fn ix(dir: Direction) -> usize {
    match dir {
        Direction::Read => 0,
        Direction::Write => 1,
    }
}

impl Waiters {
    fn slot_mut(&mut self, fd: RawFd) -> Option<&mut Slot> {
        let i = usize::try_from(fd).ok()?;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || Slot {
                wakers: Default::default(),
                per_wait_at: [NONE; 2],
            });
        }
        self.slots.get_mut(i)
    }

    /// Adds `waker` for (fd, dir) unless it is there already; `per_wait`:
    /// the poller needs the key listed in every wait.
    pub(crate) fn add(&mut self, fd: RawFd, dir: Direction, waker: &Waker, per_wait: bool) {
        let at = self.per_wait.len() as u32;
        let Some(slot) = self.slot_mut(fd) else {
            return;
        };
        let list = &mut slot.wakers[ix(dir)];
        let was_empty = list.is_empty();
        if !list.iter().any(|w| w.will_wake(waker)) {
            list.push(waker.clone());
        }
        let listed = per_wait && slot.per_wait_at[ix(dir)] == NONE;
        if listed {
            slot.per_wait_at[ix(dir)] = at;
        }
        if was_empty {
            self.keys += 1;
        }
        if listed {
            self.per_wait.push((fd, dir));
        }
    }

    /// Wakes and removes every waiter of (fd, dir).
    pub(crate) fn wake(&mut self, fd: RawFd, dir: Direction) {
        let Some(slot) = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)) else {
            return;
        };
        let list = std::mem::take(&mut slot.wakers[ix(dir)]);
        let at = std::mem::replace(&mut slot.per_wait_at[ix(dir)], NONE);
        if !list.is_empty() {
            self.keys -= 1;
        }
        if at != NONE {
            let at = at as usize;
            self.per_wait.swap_remove(at);
            if let Some(&(moved_fd, moved_dir)) = self.per_wait.get(at) {
                if let Some(s) = usize::try_from(moved_fd)
                    .ok()
                    .and_then(|i| self.slots.get_mut(i))
                {
                    s.per_wait_at[ix(moved_dir)] = at as u32;
                }
            }
        }
        list.into_iter().for_each(Waker::wake);
    }

    /// Wakes and removes every waiter.
    pub(crate) fn wake_all(&mut self) {
        for fd in 0..self.slots.len() {
            for dir in [Direction::Read, Direction::Write] {
                self.wake(fd as RawFd, dir);
            }
        }
    }

    /// Whether any task waits on any fd.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys == 0
    }

    /// The keys the poller needs listed in this wait.
    pub(crate) fn per_wait(&self) -> impl Iterator<Item = (RawFd, Direction)> + '_ {
        self.per_wait.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn per_wait_list_stays_consistent_under_removal() {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        let w = Waker::from(c.clone());
        let mut ws = Waiters::default();
        for fd in 0..10 {
            ws.add(fd, Direction::Read, &w, fd % 2 == 0);
            ws.add(fd, Direction::Read, &w, fd % 2 == 0);
        }
        ws.add(3, Direction::Write, &w, true);
        assert_eq!(ws.per_wait().count(), 6);
        ws.wake(0, Direction::Read);
        ws.wake(4, Direction::Read);
        ws.wake(3, Direction::Write);
        ws.wake(5, Direction::Read);
        let mut left: Vec<_> = ws.per_wait().map(|k| k.0).collect();
        left.sort();
        assert_eq!(left, [2, 6, 8]);
        // Each woken key woke its (deduplicated) waker once.
        assert_eq!(c.0.load(Ordering::SeqCst), 4);
        for fd in 0..10 {
            ws.wake(fd, Direction::Read);
        }
        assert!(ws.is_empty());
        assert_eq!(ws.per_wait().count(), 0);
        // Waking what nobody waits on, or a negative fd, is nothing.
        ws.wake(99, Direction::Read);
        ws.wake(-1, Direction::Write);
    }
}
