//! File types, `filestat` records and directory listings.

use cap_fs_ext::FileTypeExt as _;
use cap_std::fs::{Dir, FileType, Metadata, MetadataExt as _};
use rustix::fs::{FileType as OsType, Stat};
use wasi::*;

use crate::limits::Account;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::table::{DirEntry, Listing, Object};

/// A preview1 `filestat`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Filestat {
    /// Device ID.
    pub(crate) dev: u64,
    /// Inode.
    pub(crate) ino: u64,
    /// preview1 file type.
    pub(crate) filetype: u8,
    /// Hard links.
    pub(crate) nlink: u64,
    /// Size in bytes.
    pub(crate) size: u64,
    /// Access time, ns since the epoch.
    pub(crate) atim: u64,
    /// Modification time, ns since the epoch.
    pub(crate) mtim: u64,
    /// Status change time, ns since the epoch.
    pub(crate) ctim: u64,
}

/// Writes the 64-byte `filestat` layout.
pub(crate) fn write_filestat(mem: &mut GuestMem, at: u32, s: &Filestat) -> Result<()> {
    let mut b = [0u8; 64];
    b[0..8].copy_from_slice(&s.dev.to_le_bytes());
    b[8..16].copy_from_slice(&s.ino.to_le_bytes());
    b[16] = s.filetype;
    b[24..32].copy_from_slice(&s.nlink.to_le_bytes());
    b[32..40].copy_from_slice(&s.size.to_le_bytes());
    b[40..48].copy_from_slice(&s.atim.to_le_bytes());
    b[48..56].copy_from_slice(&s.mtim.to_le_bytes());
    b[56..64].copy_from_slice(&s.ctim.to_le_bytes());
    mem.write(at, &b)?;
    Ok(())
}

fn nanos(sec: i64, nsec: i64) -> u64 {
    (sec as i128 * 1_000_000_000 + nsec as i128).clamp(0, u64::MAX as i128) as u64
}

/// preview1 file types, by the host file type they stand for. (A FIFO has
/// no preview1 type and is `UNKNOWN`; a socket file seen by path is taken
/// to be a stream.)
const FILETYPES: [(OsType, Filetype); 6] = [
    (OsType::RegularFile, FILETYPE_REGULAR_FILE),
    (OsType::Directory, FILETYPE_DIRECTORY),
    (OsType::Symlink, FILETYPE_SYMBOLIC_LINK),
    (OsType::CharacterDevice, FILETYPE_CHARACTER_DEVICE),
    (OsType::BlockDevice, FILETYPE_BLOCK_DEVICE),
    (OsType::Socket, FILETYPE_SOCKET_STREAM),
];

/// The preview1 type of the first host type for which `is` holds.
fn classify(is: impl Fn(OsType) -> bool) -> u8 {
    FILETYPES
        .iter()
        .find(|(t, _)| is(*t))
        .map_or(FILETYPE_UNKNOWN, |(_, f)| *f)
        .raw()
}

/// preview1 type of a host mode.
pub(crate) fn filetype_of_mode(mode: u32) -> u8 {
    let t = OsType::from_raw_mode(mode);
    classify(|want| want == t)
}

/// preview1 type of a cap-std file type.
pub(crate) fn filetype_of_type(t: FileType) -> u8 {
    classify(|want| match want {
        OsType::RegularFile => t.is_file(),
        OsType::Directory => t.is_dir(),
        OsType::Symlink => t.is_symlink(),
        OsType::CharacterDevice => t.is_char_device(),
        OsType::BlockDevice => t.is_block_device(),
        OsType::Socket => t.is_socket(),
        _ => false,
    })
}

/// preview1 type of an open object.
pub(crate) fn filetype_of(o: &Object) -> Result<u8> {
    Ok(match o {
        Object::Dir(_) => FILETYPE_DIRECTORY.raw(),
        Object::Socket(s) => socket_filetype(s),
        Object::File(_) | Object::Stdio(_) | Object::Pipe(_) => {
            filetype_of_mode(rustix::fs::fstat(o.fd())?.st_mode)
        }
    })
}

fn from_stat(st: &Stat) -> Filestat {
    Filestat {
        dev: st.st_dev,
        ino: st.st_ino,
        filetype: filetype_of_mode(st.st_mode),
        nlink: st.st_nlink,
        size: st.st_size as u64,
        atim: nanos(st.st_atime, st.st_atime_nsec as i64),
        mtim: nanos(st.st_mtime, st.st_mtime_nsec as i64),
        ctim: nanos(st.st_ctime, st.st_ctime_nsec as i64),
    }
}

/// preview1 type of a socket.
pub(crate) fn socket_filetype(s: &crate::wasi::table::Socket) -> u8 {
    match s.kind {
        crate::wasi::table::SocketKind::Stream => FILETYPE_SOCKET_STREAM.raw(),
        crate::wasi::table::SocketKind::Datagram => FILETYPE_SOCKET_DGRAM.raw(),
    }
}

/// `filestat` of an open object.
pub(crate) fn filestat_of_fd(o: &Object) -> Result<Filestat> {
    let st = rustix::fs::fstat(o.fd())?;
    let mut fs = from_stat(&st);
    if let Object::Socket(s) = o {
        fs.filetype = socket_filetype(s);
    }
    Ok(fs)
}

/// `filestat` from path metadata.
pub(crate) fn filestat_of_meta(m: &Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of_type(m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: nanos(m.atime(), m.atime_nsec()),
        mtim: nanos(m.mtime(), m.mtime_nsec()),
        ctim: nanos(m.ctime(), m.ctime_nsec()),
    }
}

/// All entries of `dir`, `.` and `..` first, in a stable order so that
/// `fd_readdir` cookies (index + 1) stay meaningful between calls. As the
/// listing grows, each growth of its two buffers is charged to `account`
/// first, so what stays charged is [`Listing::bytes`]: a directory too
/// large for what the guest may still hold is `NOMEM` (with nothing left
/// charged), not host growth.
pub(crate) fn read_entries(dir: &Dir, account: &mut Account) -> Result<Listing> {
    let own = rustix::fs::fstat(dir)?;
    let mut l = Listing::default();
    let mut charged = 0usize;
    let mut fill = |l: &mut Listing| -> Result<()> {
        let mut push = |l: &mut Listing, ino: u64, filetype: u8, name: &[u8]| -> Result<()> {
            if l.entries.len() == l.entries.capacity() {
                l.entries.reserve(l.entries.len().max(64));
            }
            if l.names.len() + name.len() > l.names.capacity() {
                l.names.reserve(l.names.len().max(name.len()).max(1024));
            }
            let now = l.bytes();
            if now > charged {
                account.charge(now - charged)?;
                charged = now;
            }
            let name_at = u32::try_from(l.names.len()).map_err(|_| ERRNO_NOMEM)?;
            l.names.extend_from_slice(name);
            l.entries.push(DirEntry {
                ino,
                name_at,
                name_len: name.len() as u32,
                filetype,
            });
            Ok(())
        };
        let dir_type = FILETYPE_DIRECTORY.raw();
        push(l, own.st_ino, dir_type, b".")?;
        // The parent may lie outside the sandbox: its inode is not ours to
        // reveal.
        push(l, 0, dir_type, b"..")?;
        for e in dir.entries()? {
            let e = e?;
            let filetype = e.file_type().map(filetype_of_type)?;
            let name = e.file_name().into_encoded_bytes();
            push(l, std::os::unix::fs::DirEntryExt::ino(&e), filetype, &name)?;
        }
        Ok(())
    };
    if let Err(e) = fill(&mut l) {
        account.release(charged);
        return Err(e);
    }
    let names = std::mem::take(&mut l.names);
    l.entries[2..].sort_by(|a, b| {
        let name = |e: &DirEntry| &names[e.name_at as usize..(e.name_at + e.name_len) as usize];
        name(a).cmp(name(b))
    });
    l.names = names;
    debug_assert_eq!(charged, l.bytes());
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mode-based and the cap-std-based answers agree for every kind
    /// of file a directory can hold.
    #[test]
    fn both_type_sources_agree() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        std::fs::write(p.join("file"), "x").unwrap();
        std::fs::create_dir(p.join("dir")).unwrap();
        std::os::unix::fs::symlink("file", p.join("link")).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(p.join("sock")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p.join("fifo"),
            OsType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        let dir = Dir::open_ambient_dir(p, cap_std::ambient_authority()).unwrap();
        let want = [
            ("file", FILETYPE_REGULAR_FILE),
            ("dir", FILETYPE_DIRECTORY),
            ("link", FILETYPE_SYMBOLIC_LINK),
            ("sock", FILETYPE_SOCKET_STREAM),
            ("fifo", FILETYPE_UNKNOWN),
        ];
        for (name, ty) in want {
            let mode = rustix::fs::lstat(p.join(name)).unwrap().st_mode;
            let meta = dir.symlink_metadata(name).unwrap();
            assert_eq!(filetype_of_mode(mode), ty.raw(), "{name} by mode");
            assert_eq!(
                filetype_of_type(meta.file_type()),
                ty.raw(),
                "{name} by type"
            );
        }
        assert_eq!(
            filetype_of_mode(
                rustix::fs::fstat(std::fs::File::open("/dev/null").unwrap())
                    .unwrap()
                    .st_mode
            ),
            FILETYPE_CHARACTER_DEVICE.raw()
        );
    }
}
