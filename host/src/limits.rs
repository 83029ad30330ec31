//! One account per guest of the memory it makes the host hold.
//!
//! `--max-memory` bounds the sum of everything a guest can make the host
//! allocate: all of its linear memories together, all of its tables'
//! elements, and the host-side buffers and snapshots its calls cause
//! (an `fd_readdir` snapshot, a `poll_oneoff` subscription list). wasmtime
//! asks the [`Account`] before it grows a memory or a table (it is the
//! store's [`ResourceLimiter`]); host calls charge and release it
//! themselves. Over the limit a memory growth traps (naming the flag), a
//! table growth fails (`table.grow` returns -1), and a host call gets
//! `NOMEM`: the host never grows on the guest's behalf.
//!
//! Memories and tables may use the whole limit; host buffers may go
//! [`HOST_RESERVE`] past it, so that a guest whose memory has grown to its
//! limit can still wait and list directories. In all, what a guest makes
//! the host hold is at most `--max-memory` plus that reserve.
//!
//! The counts of memories, tables and instances are bounded too, so the
//! per-object overhead (wasmtime's bookkeeping, guard regions) cannot be
//! multiplied without limit.

use wasmtime::ResourceLimiter;

/// Bytes one table element costs the host: a pointer, in wasmtime.
pub const TABLE_ELEMENT_BYTES: usize = std::mem::size_of::<usize>();
/// How far host buffers may take the account past the limit (1 MiB).
pub const HOST_RESERVE: usize = 1 << 20;
/// Most linear memories one guest may have (a Rust guest has one).
pub const MAX_MEMORIES: usize = 4;
/// Most tables one guest may have (a Rust guest has one).
pub const MAX_TABLES: usize = 8;
/// Most instances one store may hold (wasio instantiates one module).
pub const MAX_INSTANCES: usize = 4;
/// Most core instances, memories and tables one component may have. A
/// Rust `wasm32-wasip2` program is a handful of core modules (the program,
/// the preview1 adapter, the shims that tie them) with two memories.
pub const COMPONENT_MAX: Counts = Counts {
    instances: 32,
    memories: 8,
    tables: 32,
};

/// Bounds on how many objects of each kind a guest may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Core instances.
    pub instances: usize,
    /// Linear memories.
    pub memories: usize,
    /// Tables.
    pub tables: usize,
}

/// The bounds for a preview1 module.
pub const MODULE_MAX: Counts = Counts {
    instances: MAX_INSTANCES,
    memories: MAX_MEMORIES,
    tables: MAX_TABLES,
};

/// What one guest makes the host hold, against its `--max-memory`.
#[derive(Debug)]
pub struct Account {
    limit: Option<usize>,
    used: usize,
    /// The growth last allowed, taken back if wasmtime then fails it.
    pending: usize,
    max: Counts,
}

impl Account {
    /// An account that admits `limit` bytes in all (`None`: no limit, but
    /// still counted), for a preview1 module.
    pub fn new(limit: Option<usize>) -> Self {
        Self {
            limit,
            used: 0,
            pending: 0,
            max: MODULE_MAX,
        }
    }

    /// The same for a component ([`COMPONENT_MAX`] objects).
    pub fn for_component(limit: Option<usize>) -> Self {
        Self {
            max: COMPONENT_MAX,
            ..Self::new(limit)
        }
    }

    /// The limit, if any.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// Bytes counted now.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Counts `bytes` more, or refuses with `NOMEM` (counting nothing)
    /// when that would pass the limit.
    pub fn charge(&mut self, bytes: usize) -> Result<(), wasi::Errno> {
        if self.admits(bytes, HOST_RESERVE) {
            self.used += bytes;
            Ok(())
        } else {
            Err(wasi::ERRNO_NOMEM)
        }
    }

    /// Gives back `bytes` charged earlier.
    pub fn release(&mut self, bytes: usize) {
        debug_assert!(bytes <= self.used, "released more than was charged");
        self.used = self.used.saturating_sub(bytes);
    }

    fn admits(&self, bytes: usize, reserve: usize) -> bool {
        match (self.limit, self.used.checked_add(bytes)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(limit), Some(total)) => total <= limit.saturating_add(reserve),
        }
    }

    /// Charges a growth from `current` to `desired` units of `unit` bytes;
    /// whether it was admitted.
    fn grow(&mut self, current: usize, desired: usize, unit: usize) -> bool {
        let bytes = desired.saturating_sub(current).saturating_mul(unit);
        if bytes == usize::MAX || !self.admits(bytes, 0) {
            return false;
        }
        self.used += bytes;
        self.pending = bytes;
        true
    }

    /// Takes back the growth last admitted (wasmtime could not do it).
    fn undo_growth(&mut self) {
        let bytes = std::mem::take(&mut self.pending);
        self.release(bytes);
    }
}

/// The trap a memory growth past `--max-memory` raises.
#[derive(Debug, thiserror::Error)]
#[error(
    "growing memory by {wanted} bytes would pass --max-memory {limit} \
     ({used} bytes already held: memories, tables and host buffers)"
)]
pub struct MemoryLimit {
    /// Bytes the growth asked for.
    pub wanted: usize,
    /// The limit.
    pub limit: usize,
    /// What the account held before it.
    pub used: usize,
}

impl ResourceLimiter for Account {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.grow(current, desired, 1) {
            return Ok(true);
        }
        Err(wasmtime::Error::new(MemoryLimit {
            wanted: desired.saturating_sub(current),
            limit: self.limit.unwrap_or(usize::MAX),
            used: self.used,
        }))
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.undo_growth();
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Refused growth is `table.grow` returning -1, as the spec allows.
        Ok(self.grow(current, desired, TABLE_ELEMENT_BYTES))
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.undo_growth();
        Ok(())
    }

    fn instances(&self) -> usize {
        self.max.instances
    }

    fn tables(&self) -> usize {
        self.max.tables
    }

    fn memories(&self) -> usize {
        self.max.memories
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_tables_and_buffers_share_one_limit() {
        let mut a = Account::new(Some(1000));
        assert!(a.memory_growing(0, 600, None).unwrap());
        // A second memory counts against the same limit.
        assert!(a.memory_growing(0, 500, None).is_err());
        assert!(a.memory_growing(0, 300, None).unwrap());
        assert_eq!(a.used(), 900);
        // 13 table elements are 104 bytes: too many; 12 fit.
        assert!(!a.table_growing(0, 13, None).unwrap());
        assert!(a.table_growing(0, 12, None).unwrap());
        // Host buffers may use the reserve beyond the limit, no more.
        a.charge(1000 - 996 + HOST_RESERVE).unwrap();
        assert_eq!(a.charge(1), Err(wasi::ERRNO_NOMEM));
        a.release(1000 - 996 + HOST_RESERVE);
        a.release(96);
        a.charge(5).unwrap();
        assert_eq!(a.used(), 905);
        // Memory cannot grow into the reserve.
        assert!(a.memory_growing(0, 96, None).is_err());
        assert!(a.memory_growing(0, 95, None).unwrap());
    }

    #[test]
    fn a_failed_growth_is_taken_back() {
        let mut a = Account::new(Some(100));
        assert!(a.memory_growing(10, 60, None).unwrap());
        a.memory_grow_failed(wasmtime::Error::msg("over the maximum"))
            .unwrap();
        assert_eq!(a.used(), 0);
        assert!(a.table_growing(0, 10, None).unwrap());
        a.table_grow_failed(wasmtime::Error::msg("no")).unwrap();
        assert_eq!(a.used(), 0);
    }

    #[test]
    fn no_limit_still_counts_and_never_overflows() {
        let mut a = Account::new(None);
        assert!(a.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(a.used(), 1 << 20);
        assert!(!a.table_growing(0, usize::MAX, None).unwrap());
        assert_eq!(a.charge(usize::MAX), Err(wasi::ERRNO_NOMEM));
    }
}
