//! `clock_*`, and the two calls about the running process: `sched_yield`
//! and `proc_raise`.

use rustix::time::ClockId;
use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;

/// preview1 clock ids, by number.
pub(crate) const CLOCKS: [ClockId; 4] = [
    ClockId::Realtime,
    ClockId::Monotonic,
    ClockId::ProcessCPUTime,
    ClockId::ThreadCPUTime,
];

/// Current value of `clock` in nanoseconds.
pub(crate) fn now_ns(clock: ClockId) -> u64 {
    let t = rustix::time::clock_gettime(clock);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

fn clock(id: u32) -> Result<ClockId> {
    Ok(*CLOCKS.get(id as usize).ok_or(ERRNO_INVAL)?)
}

impl WasiCtx {
    /// `clock_res_get`.
    pub(crate) fn clock_res_get(&mut self, mem: &mut GuestMem, id: u32, out: u32) -> Result<()> {
        let t = rustix::time::clock_getres(clock(id)?);
        let ns = (t.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.tv_nsec as u64);
        mem.put_u64(out, ns.max(1))?;
        Ok(())
    }

    /// `clock_time_get`.
    pub(crate) fn clock_time_get(
        &mut self,
        mem: &mut GuestMem,
        id: u32,
        _precision: u64,
        out: u32,
    ) -> Result<()> {
        mem.put_u64(out, now_ns(clock(id)?))?;
        Ok(())
    }

    /// `sched_yield`.
    pub(crate) fn sched_yield(&mut self, _: &mut GuestMem) -> Result<()> {
        std::thread::yield_now();
        Ok(())
    }

    /// `proc_raise`: signals are not part of the sandbox.
    pub(crate) fn proc_raise(&mut self, _: &mut GuestMem, _sig: u32) -> Result<()> {
        Err(ERRNO_NOTSUP.into())
    }
}
