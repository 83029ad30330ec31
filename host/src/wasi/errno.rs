//! Errors of the preview1 layer: an errno for the guest, or a trap.

use std::fmt;
use std::io;

use rustix::io::Errno as Os;
use wasi::Errno;

/// Why a host call did not succeed.
///
/// Almost every failure is an [`Errno`] handed back to the guest. A few
/// conditions end the guest instead: `proc_exit`, and a `--timeout` that ran
/// out while the guest was blocked inside the host.
#[derive(Debug)]
pub enum Error {
    /// Reported to the guest as the call's return value.
    Errno(Errno),
    /// Unwinds the guest (becomes a wasmtime trap).
    Trap(wasmtime::Error),
}

/// Result of a preview1 function body.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Error::Errno(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Errno(from_io(&e))
    }
}

impl From<Os> for Error {
    fn from(e: Os) -> Self {
        Error::Errno(from_os(e))
    }
}

impl From<std::num::TryFromIntError> for Error {
    fn from(_: std::num::TryFromIntError) -> Self {
        Error::Errno(wasi::ERRNO_OVERFLOW)
    }
}

/// The guest process asked to exit with this status (`proc_exit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcExit(pub i32);

impl fmt::Display for ProcExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest exited with status {}", self.0)
    }
}

impl std::error::Error for ProcExit {}

/// The `--timeout` given on the command line ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("guest ran past its time limit (--timeout)")
    }
}

impl std::error::Error for TimedOut {}

/// A component was stopped by SIGTERM or SIGINT after its drain period
/// (or once its last accepted connection closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stopped on a signal after draining its connections")
    }
}

impl std::error::Error for Stopped {}

/// Maps a host I/O error onto the preview1 errno a POSIX program expects.
pub fn from_io(e: &io::Error) -> Errno {
    if let Some(code) = e.raw_os_error() {
        return from_os(Os::from_raw_os_error(code));
    }
    // cap-std reports sandbox escapes (`..` past the root, absolute paths,
    // symlinks leading outside) as PermissionDenied without an OS code:
    // the guest lacks the capability.
    match e.kind() {
        io::ErrorKind::PermissionDenied => wasi::ERRNO_NOTCAPABLE,
        io::ErrorKind::NotFound => wasi::ERRNO_NOENT,
        io::ErrorKind::AlreadyExists => wasi::ERRNO_EXIST,
        io::ErrorKind::WouldBlock => wasi::ERRNO_AGAIN,
        io::ErrorKind::InvalidInput => wasi::ERRNO_INVAL,
        io::ErrorKind::InvalidData => wasi::ERRNO_ILSEQ,
        io::ErrorKind::Interrupted => wasi::ERRNO_INTR,
        io::ErrorKind::Unsupported => wasi::ERRNO_NOTSUP,
        io::ErrorKind::OutOfMemory => wasi::ERRNO_NOMEM,
        io::ErrorKind::BrokenPipe => wasi::ERRNO_PIPE,
        io::ErrorKind::ConnectionRefused => wasi::ERRNO_CONNREFUSED,
        io::ErrorKind::ConnectionReset => wasi::ERRNO_CONNRESET,
        io::ErrorKind::ConnectionAborted => wasi::ERRNO_CONNABORTED,
        io::ErrorKind::NotConnected => wasi::ERRNO_NOTCONN,
        io::ErrorKind::AddrInUse => wasi::ERRNO_ADDRINUSE,
        io::ErrorKind::AddrNotAvailable => wasi::ERRNO_ADDRNOTAVAIL,
        io::ErrorKind::TimedOut => wasi::ERRNO_TIMEDOUT,
        io::ErrorKind::NotADirectory => wasi::ERRNO_NOTDIR,
        io::ErrorKind::IsADirectory => wasi::ERRNO_ISDIR,
        io::ErrorKind::DirectoryNotEmpty => wasi::ERRNO_NOTEMPTY,
        io::ErrorKind::ReadOnlyFilesystem => wasi::ERRNO_ROFS,
        io::ErrorKind::InvalidFilename => wasi::ERRNO_NAMETOOLONG,
        io::ErrorKind::CrossesDevices => wasi::ERRNO_XDEV,
        io::ErrorKind::FileTooLarge => wasi::ERRNO_FBIG,
        io::ErrorKind::StorageFull => wasi::ERRNO_NOSPC,
        _ => wasi::ERRNO_IO,
    }
}

/// Maps a host (Linux) errno onto its preview1 counterpart.
pub fn from_os(e: Os) -> Errno {
    // The preview1 list is the POSIX list, so nearly every code has a twin.
    const TABLE: &[(Os, Errno)] = &[
        (Os::TOOBIG, wasi::ERRNO_2BIG),
        (Os::ACCESS, wasi::ERRNO_ACCES),
        (Os::ADDRINUSE, wasi::ERRNO_ADDRINUSE),
        (Os::ADDRNOTAVAIL, wasi::ERRNO_ADDRNOTAVAIL),
        (Os::AFNOSUPPORT, wasi::ERRNO_AFNOSUPPORT),
        (Os::AGAIN, wasi::ERRNO_AGAIN),
        (Os::ALREADY, wasi::ERRNO_ALREADY),
        (Os::BADF, wasi::ERRNO_BADF),
        (Os::BADMSG, wasi::ERRNO_BADMSG),
        (Os::BUSY, wasi::ERRNO_BUSY),
        (Os::CANCELED, wasi::ERRNO_CANCELED),
        (Os::CHILD, wasi::ERRNO_CHILD),
        (Os::CONNABORTED, wasi::ERRNO_CONNABORTED),
        (Os::CONNREFUSED, wasi::ERRNO_CONNREFUSED),
        (Os::CONNRESET, wasi::ERRNO_CONNRESET),
        (Os::DEADLK, wasi::ERRNO_DEADLK),
        (Os::DESTADDRREQ, wasi::ERRNO_DESTADDRREQ),
        (Os::DOM, wasi::ERRNO_DOM),
        (Os::DQUOT, wasi::ERRNO_DQUOT),
        (Os::EXIST, wasi::ERRNO_EXIST),
        (Os::FAULT, wasi::ERRNO_FAULT),
        (Os::FBIG, wasi::ERRNO_FBIG),
        (Os::HOSTUNREACH, wasi::ERRNO_HOSTUNREACH),
        (Os::IDRM, wasi::ERRNO_IDRM),
        (Os::ILSEQ, wasi::ERRNO_ILSEQ),
        (Os::INPROGRESS, wasi::ERRNO_INPROGRESS),
        (Os::INTR, wasi::ERRNO_INTR),
        (Os::INVAL, wasi::ERRNO_INVAL),
        (Os::IO, wasi::ERRNO_IO),
        (Os::ISCONN, wasi::ERRNO_ISCONN),
        (Os::ISDIR, wasi::ERRNO_ISDIR),
        (Os::LOOP, wasi::ERRNO_LOOP),
        (Os::MFILE, wasi::ERRNO_MFILE),
        (Os::MLINK, wasi::ERRNO_MLINK),
        (Os::MSGSIZE, wasi::ERRNO_MSGSIZE),
        (Os::MULTIHOP, wasi::ERRNO_MULTIHOP),
        (Os::NAMETOOLONG, wasi::ERRNO_NAMETOOLONG),
        (Os::NETDOWN, wasi::ERRNO_NETDOWN),
        (Os::NETRESET, wasi::ERRNO_NETRESET),
        (Os::NETUNREACH, wasi::ERRNO_NETUNREACH),
        (Os::NFILE, wasi::ERRNO_NFILE),
        (Os::NOBUFS, wasi::ERRNO_NOBUFS),
        (Os::NODEV, wasi::ERRNO_NODEV),
        (Os::NOENT, wasi::ERRNO_NOENT),
        (Os::NOEXEC, wasi::ERRNO_NOEXEC),
        (Os::NOLCK, wasi::ERRNO_NOLCK),
        (Os::NOLINK, wasi::ERRNO_NOLINK),
        (Os::NOMEM, wasi::ERRNO_NOMEM),
        (Os::NOMSG, wasi::ERRNO_NOMSG),
        (Os::NOPROTOOPT, wasi::ERRNO_NOPROTOOPT),
        (Os::NOSPC, wasi::ERRNO_NOSPC),
        (Os::NOSYS, wasi::ERRNO_NOSYS),
        (Os::NOTCONN, wasi::ERRNO_NOTCONN),
        (Os::NOTDIR, wasi::ERRNO_NOTDIR),
        (Os::NOTEMPTY, wasi::ERRNO_NOTEMPTY),
        (Os::NOTRECOVERABLE, wasi::ERRNO_NOTRECOVERABLE),
        (Os::NOTSOCK, wasi::ERRNO_NOTSOCK),
        (Os::NOTSUP, wasi::ERRNO_NOTSUP),
        (Os::OPNOTSUPP, wasi::ERRNO_NOTSUP),
        (Os::NOTTY, wasi::ERRNO_NOTTY),
        (Os::NXIO, wasi::ERRNO_NXIO),
        (Os::OVERFLOW, wasi::ERRNO_OVERFLOW),
        (Os::OWNERDEAD, wasi::ERRNO_OWNERDEAD),
        (Os::PERM, wasi::ERRNO_PERM),
        (Os::PIPE, wasi::ERRNO_PIPE),
        (Os::PROTO, wasi::ERRNO_PROTO),
        (Os::PROTONOSUPPORT, wasi::ERRNO_PROTONOSUPPORT),
        (Os::PROTOTYPE, wasi::ERRNO_PROTOTYPE),
        (Os::RANGE, wasi::ERRNO_RANGE),
        (Os::ROFS, wasi::ERRNO_ROFS),
        (Os::SPIPE, wasi::ERRNO_SPIPE),
        (Os::SRCH, wasi::ERRNO_SRCH),
        (Os::STALE, wasi::ERRNO_STALE),
        (Os::TIMEDOUT, wasi::ERRNO_TIMEDOUT),
        (Os::TXTBSY, wasi::ERRNO_TXTBSY),
        (Os::XDEV, wasi::ERRNO_XDEV),
    ];
    TABLE
        .iter()
        .find(|(os, _)| *os == e)
        .map(|(_, w)| *w)
        .unwrap_or(wasi::ERRNO_IO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_codes_map_to_their_twins() {
        assert_eq!(from_os(Os::NOENT), wasi::ERRNO_NOENT);
        assert_eq!(from_os(Os::AGAIN), wasi::ERRNO_AGAIN);
        assert_eq!(from_os(Os::OPNOTSUPP), wasi::ERRNO_NOTSUP);
        assert_eq!(
            from_io(&io::Error::from_raw_os_error(libc_enotdir())),
            wasi::ERRNO_NOTDIR
        );
    }

    #[test]
    fn errors_without_os_code_map_by_kind() {
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "outside the sandbox");
        assert_eq!(from_io(&escape), wasi::ERRNO_NOTCAPABLE);
        let other = io::Error::other("mystery");
        assert_eq!(from_io(&other), wasi::ERRNO_IO);
    }

    fn libc_enotdir() -> i32 {
        Os::NOTDIR.raw_os_error()
    }
}
