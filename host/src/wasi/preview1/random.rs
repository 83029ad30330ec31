//! `random_get`.

use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;

impl WasiCtx {
    /// `random_get`: bytes from the host's CSPRNG.
    pub(crate) fn random_get(&mut self, mem: &mut GuestMem, buf: u32, len: u32) -> Result<()> {
        let dest = mem.slice_mut(buf, len)?;
        getrandom::fill(dest).map_err(|_| ERRNO_IO)?;
        Ok(())
    }
}
