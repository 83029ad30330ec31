//! The scalable wait (`wasio_poll_v1`, `docs/abi.md`): persistent,
//! edge-triggered interest in sockets, kept in the reactor's mio `Poll`,
//! and a wait that returns only what became ready beside one-off
//! preview1 subscriptions. The wait itself is `poll_oneoff`'s
//! (`preview1/poll.rs`, `WasiCtx::wait_into`).

use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::reactor::Watch;
use crate::wasi::table::Object;

const DIRS: u32 = wasio_abi::poll::READ | wasio_abi::poll::WRITE;

impl WasiCtx {
    /// `wait(subs, nsubs, events, nevents, out_n)`: `poll_oneoff`'s
    /// one-off subscriptions plus the reports of watched fds, at most
    /// `nevents` records.
    pub(crate) fn ext_wait(
        &mut self,
        mem: &mut GuestMem,
        subs_ptr: u32,
        nsubs: u32,
        events_ptr: u32,
        nevents: u32,
        out: u32,
    ) -> Result<()> {
        let max = crate::wasi::preview1::MAX_SUBSCRIPTIONS;
        if nevents == 0 || nsubs > max || nevents > max {
            return Err(ERRNO_INVAL.into());
        }
        if nsubs == 0 && !self.reactor.has_watches() {
            // Nothing could ever end this wait.
            return Err(ERRNO_INVAL.into());
        }
        self.wait_into(
            mem,
            subs_ptr,
            nsubs,
            events_ptr,
            nevents,
            nevents as usize,
            out,
        )
    }

    /// `watch(fd, interest, userdata)`.
    pub(crate) fn ext_watch(
        &mut self,
        _: &mut GuestMem,
        fd: u32,
        interest: u32,
        userdata: u64,
    ) -> Result<()> {
        if interest & DIRS == 0 || interest & !(DIRS | wasio_abi::poll::NBYTES) != 0 {
            return Err(ERRNO_INVAL.into());
        }
        let d = self.table.get(fd)?;
        d.check(RIGHTS_POLL_FD_READWRITE)?;
        if !matches!(d.object, Object::Socket(_)) {
            return Err(ERRNO_NOTSOCK.into());
        }
        let host_fd = d.raw_fd();
        let token = self.arm(fd)?;
        self.reactor.watch(
            token,
            Watch {
                userdata,
                dirs: (interest & DIRS) as u8,
                nbytes: interest & wasio_abi::poll::NBYTES != 0,
                host_fd,
            },
        );
        Ok(())
    }

    /// `unwatch(fd)`.
    pub(crate) fn ext_unwatch(&mut self, _: &mut GuestMem, fd: u32) -> Result<()> {
        match self.table.get(fd)?.token {
            Some(t) if self.reactor.unwatch(t) => Ok(()),
            _ => Err(ERRNO_NOENT.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    use wasi::*;

    use crate::wasi::errno::Error;
    use crate::wasi::mem::GuestMem;
    use crate::wasi::WasiCtx;

    const SUBS: u32 = 0;
    const EVENTS: u32 = 4096;
    const OUT: u32 = 8192;

    /// A context with one preopened listener (fd 3) and the host's side.
    fn ctx() -> (WasiCtx, TcpListener) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut b = WasiCtx::builder();
        b.preopen_listener(l.try_clone().unwrap());
        (b.build().unwrap(), l)
    }

    fn errno(r: crate::wasi::errno::Result<()>) -> Errno {
        match r {
            Ok(()) => ERRNO_SUCCESS,
            Err(Error::Errno(e)) => e,
            Err(Error::Trap(t)) => panic!("trap: {t}"),
        }
    }

    /// A relative monotonic clock subscription at `SUBS`.
    fn clock(mem: &mut GuestMem, userdata: u64, ns: u64) {
        let mut s = [0u8; 48];
        s[0..8].copy_from_slice(&userdata.to_le_bytes());
        s[8] = EVENTTYPE_CLOCK.raw();
        s[16..20].copy_from_slice(&CLOCKID_MONOTONIC.raw().to_le_bytes());
        s[24..32].copy_from_slice(&ns.to_le_bytes());
        mem.write(SUBS, &s).unwrap();
    }

    /// (userdata, type) of the events a wait wrote.
    fn events(mem: &GuestMem) -> Vec<(u64, u8)> {
        let n = mem.u32(OUT).unwrap();
        (0..n)
            .map(|i| {
                let at = EVENTS + 32 * i;
                (mem.u64(at).unwrap(), mem.u8(at + 10).unwrap())
            })
            .collect()
    }

    /// Accepts a connection on fd 3; the new fd.
    fn accept(c: &mut WasiCtx, m: &mut GuestMem) -> u32 {
        assert_eq!(errno(c.sock_accept(m, 3, 0, OUT + 64)), ERRNO_SUCCESS);
        m.u32(OUT + 64).unwrap()
    }

    #[test]
    fn reports_once_per_edge_and_keeps_what_does_not_fit() {
        let (mut c, host) = ctx();
        let mut buf = vec![0u8; 16384];
        let m = &mut GuestMem::new(&mut buf);
        assert_eq!(
            errno(c.ext_watch(m, 3, wasio_abi::poll::READ, 77)),
            ERRNO_SUCCESS
        );
        // Nothing yet: the clock ends the wait.
        clock(m, 1, 20_000_000);
        assert_eq!(errno(c.ext_wait(m, SUBS, 1, EVENTS, 8, OUT)), ERRNO_SUCCESS);
        assert_eq!(events(m), [(1, EVENTTYPE_CLOCK.raw())]);
        // A connection arrives: one report, with the watch's userdata.
        let _peer = TcpStream::connect(host.local_addr().unwrap()).unwrap();
        assert_eq!(errno(c.ext_wait(m, SUBS, 0, EVENTS, 8, OUT)), ERRNO_SUCCESS);
        assert_eq!(events(m), [(77, EVENTTYPE_FD_READ.raw())]);
        // Edge-triggered: not again until something new happens.
        clock(m, 1, 20_000_000);
        assert_eq!(errno(c.ext_wait(m, SUBS, 1, EVENTS, 8, OUT)), ERRNO_SUCCESS);
        assert_eq!(events(m), [(1, EVENTTYPE_CLOCK.raw())]);
        // Read and write on an accepted socket: two reports; room for one
        // leaves the other queued for the next wait.
        let mut peer2 = TcpStream::connect(host.local_addr().unwrap()).unwrap();
        peer2.write_all(b"x").unwrap();
        let _ = c.ext_wait(m, SUBS, 0, EVENTS, 8, OUT);
        accept(&mut c, m);
        let fd = accept(&mut c, m);
        let both = wasio_abi::poll::READ | wasio_abi::poll::WRITE;
        assert_eq!(errno(c.ext_watch(m, fd, both, 5)), ERRNO_SUCCESS);
        let mut seen = Vec::new();
        for _ in 0..2 {
            assert_eq!(errno(c.ext_wait(m, SUBS, 0, EVENTS, 1, OUT)), ERRNO_SUCCESS);
            seen.extend(events(m));
        }
        seen.sort();
        assert_eq!(
            seen,
            [(5, EVENTTYPE_FD_READ.raw()), (5, EVENTTYPE_FD_WRITE.raw())]
        );
        // Closing the fd ends its watch.
        assert_eq!(errno(c.ext_unwatch(m, 3)), ERRNO_SUCCESS);
        assert_eq!(errno(c.fd_close(m, fd)), ERRNO_SUCCESS);
        assert_eq!(errno(c.ext_wait(m, SUBS, 0, EVENTS, 8, OUT)), ERRNO_INVAL);
    }

    #[test]
    fn bad_arguments_get_errnos() {
        let (mut c, _host) = ctx();
        let mut buf = vec![0u8; 16384];
        let m = &mut GuestMem::new(&mut buf);
        let r = wasio_abi::poll::READ;
        assert_eq!(errno(c.ext_watch(m, 0, r, 0)), ERRNO_NOTSOCK);
        assert_eq!(errno(c.ext_watch(m, 99, r, 0)), ERRNO_BADF);
        assert_eq!(errno(c.ext_watch(m, 3, 0, 0)), ERRNO_INVAL);
        assert_eq!(
            errno(c.ext_watch(m, 3, wasio_abi::poll::NBYTES, 0)),
            ERRNO_INVAL
        );
        assert_eq!(errno(c.ext_watch(m, 3, 8 | r, 0)), ERRNO_INVAL);
        assert_eq!(errno(c.ext_unwatch(m, 3)), ERRNO_NOENT);
        assert_eq!(errno(c.ext_unwatch(m, 99)), ERRNO_BADF);
        // Nothing watched and nothing to wait for; no room for events.
        assert_eq!(errno(c.ext_wait(m, SUBS, 0, EVENTS, 8, OUT)), ERRNO_INVAL);
        clock(m, 1, 0);
        assert_eq!(errno(c.ext_wait(m, SUBS, 1, EVENTS, 0, OUT)), ERRNO_INVAL);
        // Arrays outside memory, and counts past any real use.
        assert_eq!(
            errno(c.ext_wait(m, SUBS, 1, u32::MAX - 40, 8, OUT)),
            ERRNO_FAULT
        );
        assert_eq!(
            errno(c.ext_wait(m, u32::MAX - 10, 1, EVENTS, 8, OUT)),
            ERRNO_FAULT
        );
        assert_eq!(
            errno(c.ext_wait(m, SUBS, 1, EVENTS, 8, u32::MAX)),
            ERRNO_FAULT
        );
        assert_eq!(
            errno(c.ext_wait(m, SUBS, u32::MAX, EVENTS, 8, OUT)),
            ERRNO_INVAL
        );
        // A bad one-off subscription is its own event, not the wait's error.
        assert_eq!(errno(c.ext_watch(m, 3, r, 0)), ERRNO_SUCCESS);
        let mut s = [0u8; 48];
        s[0] = 9;
        s[8] = EVENTTYPE_FD_READ.raw();
        s[16..20].copy_from_slice(&1234u32.to_le_bytes());
        m.write(SUBS, &s).unwrap();
        assert_eq!(errno(c.ext_wait(m, SUBS, 1, EVENTS, 8, OUT)), ERRNO_SUCCESS);
        assert_eq!(events(m), [(9, EVENTTYPE_FD_READ.raw())]);
        assert_eq!(m.u16(EVENTS + 8).unwrap(), ERRNO_BADF.raw());
    }
}
