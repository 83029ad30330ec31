//! Timestamp arguments of the `*_set_times` calls.

use rustix::fs::{UTIME_NOW, UTIME_OMIT};
use rustix::time::Timespec;
use wasi::*;

use cap_fs_ext::SystemTimeSpec;

use crate::wasi::errno::Result;

fn spec(t: u64, set: bool, now: bool) -> Result<Option<Timespec>> {
    Ok(match (set, now) {
        (true, true) => return Err(ERRNO_INVAL.into()),
        (false, false) => None,
        (_, true) => Some(Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        }),
        (true, false) => Some(Timespec {
            tv_sec: (t / 1_000_000_000) as i64,
            tv_nsec: (t % 1_000_000_000) as _,
        }),
    })
}

fn checked(fst: u32) -> Result<(bool, bool, bool, bool)> {
    let known = FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW;
    let fst = u16::try_from(fst).map_err(|_| ERRNO_INVAL)?;
    if fst & !known != 0 {
        return Err(ERRNO_INVAL.into());
    }
    Ok((
        fst & FSTFLAGS_ATIM != 0,
        fst & FSTFLAGS_ATIM_NOW != 0,
        fst & FSTFLAGS_MTIM != 0,
        fst & FSTFLAGS_MTIM_NOW != 0,
    ))
}

/// `futimens` timestamps for preview1 `(atim, mtim, fstflags)`.
pub(crate) fn timestamps(atim: u64, mtim: u64, fst: u32) -> Result<(Timespec, Timespec)> {
    let (a, an, m, mn) = checked(fst)?;
    let omit = Timespec {
        tv_sec: 0,
        tv_nsec: UTIME_OMIT,
    };
    Ok((
        spec(atim, a, an)?.unwrap_or(omit),
        spec(mtim, m, mn)?.unwrap_or(omit),
    ))
}

/// cap-std time specs for preview1 `(atim, mtim, fstflags)`.
pub(crate) fn system_times(
    atim: u64,
    mtim: u64,
    fst: u32,
) -> Result<(Option<SystemTimeSpec>, Option<SystemTimeSpec>)> {
    let (a, an, m, mn) = checked(fst)?;
    let one = |t: u64, set: bool, now: bool| -> Result<Option<SystemTimeSpec>> {
        Ok(match (set, now) {
            (true, true) => return Err(ERRNO_INVAL.into()),
            (false, false) => None,
            (_, true) => Some(SystemTimeSpec::SymbolicNow),
            (true, false) => Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(
                    std::time::UNIX_EPOCH + std::time::Duration::from_nanos(t),
                ),
            )),
        })
    };
    Ok((one(atim, a, an)?, one(mtim, m, mn)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicting_flags_are_rejected() {
        assert!(timestamps(0, 0, (FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW) as u32).is_err());
        assert!(timestamps(0, 0, (FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW) as u32).is_err());
        assert!(timestamps(0, 0, 0x10).is_err());
        assert!(timestamps(0, 0, 0x1_0000).is_err());
    }

    #[test]
    fn absent_flags_omit() {
        let (a, m) = timestamps(5, 1_500_000_000, FSTFLAGS_MTIM as u32).unwrap();
        assert_eq!(a.tv_nsec, UTIME_OMIT);
        assert_eq!((m.tv_sec, m.tv_nsec), (1, 500_000_000));
    }
}
