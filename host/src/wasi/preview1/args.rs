//! `args_*` and `environ_*`: the guest's argument and environment strings.

use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::{self, GuestMem};

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
}
