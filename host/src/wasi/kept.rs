//! Listening sockets that outlive a worker that failed.
//!
//! Under `wasio run --workers N` every instance binds its own listener on
//! the shared port (`SO_REUSEPORT`), and the kernel spreads new
//! connections across them by hash. If a worker's listener closed with
//! it when the worker trapped, the connections queued on it would be
//! reset, and new ones would go to the others only once the kernel noticed.
//! So the host keeps a duplicate of every listener a worker makes, keyed
//! by worker and address: connections wait on it while the worker is
//! restarted, and the new instance's `bind` of the same address gets that
//! very socket back (already bound and listening), queue and all.
//!
//! A listener the guest closes itself is forgotten (nobody would accept
//! from it), and so are a worker's listeners when it ends for good.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;

/// The listeners of every worker of one run, kept across restarts.
#[derive(Debug, Default)]
pub struct KeptListeners {
    map: Mutex<HashMap<(usize, SocketAddr), OwnedFd>>,
}

impl KeptListeners {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, SocketAddr), OwnedFd>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a duplicate of `worker`'s listener `fd` on `addr`.
    pub(crate) fn keep(&self, worker: usize, addr: SocketAddr, fd: impl AsFd) {
        match rustix::io::fcntl_dupfd_cloexec(fd, 0) {
            Ok(dup) => {
                self.map().insert((worker, addr), dup);
            }
            Err(e) => tracing::debug!("cannot keep the listener on {addr}: {e}"),
        }
    }

    /// The listener `worker` had on `addr` before it was restarted, as a
    /// new fd of the same socket.
    pub(crate) fn reuse(&self, worker: usize, addr: SocketAddr) -> Option<OwnedFd> {
        let map = self.map();
        let kept = map.get(&(worker, addr))?;
        rustix::io::fcntl_dupfd_cloexec(kept, 0).ok()
    }

    /// Forgets `worker`'s listener on `addr` if it is the socket `fd`
    /// (the guest closed it).
    pub(crate) fn forget(&self, worker: usize, addr: SocketAddr, fd: impl AsFd) {
        let mut map = self.map();
        let same = match (map.get(&(worker, addr)), rustix::fs::fstat(fd)) {
            (Some(kept), Ok(closed)) => rustix::fs::fstat(kept)
                .map(|k| k.st_ino == closed.st_ino && k.st_dev == closed.st_dev)
                .unwrap_or(false),
            _ => false,
        };
        if same {
            map.remove(&(worker, addr));
        }
    }

    /// Forgets every listener of `worker` (it ended for good).
    pub fn forget_worker(&self, worker: usize) {
        self.map().retain(|(w, _), _| *w != worker);
    }

    /// How many listeners are kept.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_listener_is_the_same_socket_until_its_guest_closes_it() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let kept = KeptListeners::default();
        kept.keep(0, addr, &l);
        assert!(kept.reuse(1, addr).is_none(), "another worker's");
        let again = kept.reuse(0, addr).expect("kept");
        let again = std::net::TcpListener::from(again);
        assert_eq!(again.local_addr().unwrap(), addr);
        drop(l);
        // A connection queued while no guest holds it is still accepted.
        let _c = std::net::TcpStream::connect(addr).unwrap();
        again.accept().unwrap();
        // Another socket of that address is not the kept one.
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        kept.forget(0, addr, &other);
        assert_eq!(kept.len(), 1);
        kept.forget(0, addr, &again);
        assert!(kept.is_empty());
        kept.keep(3, addr, &again);
        kept.forget_worker(3);
        assert!(kept.is_empty());
    }
}
