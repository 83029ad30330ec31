//! `clock_*`, `random_get`, `sched_yield`, `proc_raise`, args and environment.

use rustix::time::ClockId;
use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::{self, GuestMem};

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

fn strings_sizes(mem: &mut GuestMem, items: &[String], count: u32, size: u32) -> Result<()> {
    let bytes: usize = items.iter().map(|s| s.len() + 1).sum();
    mem.put_u32(count, u32::try_from(items.len())?)?;
    mem.put_u32(size, u32::try_from(bytes)?)?;
    Ok(())
}

fn strings_get(mem: &mut GuestMem, items: &[String], ptrs: u32, buf: u32) -> Result<()> {
    // Both arrays must fit before anything is written.
    let bytes: usize = items.iter().map(|s| s.len() + 1).sum();
    mem.check(
        ptrs,
        u32::try_from(items.len() * 4).map_err(|_| ERRNO_FAULT)?,
    )?;
    mem.check(buf, u32::try_from(bytes).map_err(|_| ERRNO_FAULT)?)?;
    let mut at = buf;
    for (i, s) in items.iter().enumerate() {
        mem.put_u32(mem::elem(ptrs, i, 4)?, at)?;
        mem.write(at, s.as_bytes())?;
        mem.put_u8(mem::add(at, s.len())?, 0)?;
        at = mem::add(at, s.len() + 1)?;
    }
    Ok(())
}

impl WasiCtx {
    /// `args_get`.
    pub(crate) fn args_get(&mut self, mem: &mut GuestMem, argv: u32, buf: u32) -> Result<()> {
        strings_get(mem, &self.args, argv, buf)
    }

    /// `args_sizes_get`.
    pub(crate) fn args_sizes_get(
        &mut self,
        mem: &mut GuestMem,
        count: u32,
        size: u32,
    ) -> Result<()> {
        strings_sizes(mem, &self.args, count, size)
    }

    /// `environ_get`.
    pub(crate) fn environ_get(&mut self, mem: &mut GuestMem, env: u32, buf: u32) -> Result<()> {
        strings_get(mem, &self.env, env, buf)
    }

    /// `environ_sizes_get`.
    pub(crate) fn environ_sizes_get(
        &mut self,
        mem: &mut GuestMem,
        count: u32,
        size: u32,
    ) -> Result<()> {
        strings_sizes(mem, &self.env, count, size)
    }

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

    /// `random_get`: bytes from the host's CSPRNG.
    pub(crate) fn random_get(&mut self, mem: &mut GuestMem, buf: u32, len: u32) -> Result<()> {
        let dest = mem.slice_mut(buf, len)?;
        getrandom::fill(dest).map_err(|_| ERRNO_IO)?;
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
