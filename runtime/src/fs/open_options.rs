//! [`OpenOptions`].

use std::io;
use std::path::Path;

use super::{explain, proceed, File};

/// How to open a file; mirrors `std::fs::OpenOptions` (and tokio's).
///
/// ```
/// wasio::block_on(async {
///     # let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
///     let path = std::path::Path::new(&tmp).join("wasio-doc-options.txt");
///     let f = wasio::fs::OpenOptions::new().append(true).create(true).open(&path).await;
///     assert!(f.is_ok());
///     wasio::fs::remove_file(&path).await.unwrap();
/// });
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// All options off.
    pub fn new() -> Self {
        Self(std::fs::OpenOptions::new())
    }
    /// Open for reading.
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.0.read(on);
        self
    }
    /// Open for writing.
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.0.write(on);
        self
    }
    /// Every write goes to the end.
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.0.append(on);
        self
    }
    /// Truncate to zero length on open.
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.0.truncate(on);
        self
    }
    /// Create the file if missing.
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.0.create(on);
        self
    }
    /// Create the file, failing if it exists.
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.0.create_new(on);
        self
    }
    /// The permission bits a created file gets (before the umask; Unix
    /// only: WASI files have no mode).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }
    /// Extra `open(2)` flags, or-ed into the ones the options above set
    /// (Unix only).
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }
    /// Opens `path` with these options.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        proceed().await;
        let path = path.as_ref();
        let f = self.0.open(path).map_err(|e| explain(path, e))?;
        Ok(File::from_std(f))
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> Self {
        Self(options)
    }
}
