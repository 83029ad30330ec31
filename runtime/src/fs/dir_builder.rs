//! [`DirBuilder`].

use std::io;
use std::path::Path;

use super::{explain, proceed};

/// Creates directories with options; mirrors `std::fs::DirBuilder` (and
/// tokio's).
///
/// ```
/// wasio::block_on(async {
///     # let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
///     let dir = std::path::Path::new(&tmp).join("wasio-doc-builder/a/b");
///     wasio::fs::DirBuilder::new().recursive(true).create(&dir).await.unwrap();
///     assert!(dir.is_dir());
///     # wasio::fs::remove_dir_all(std::path::Path::new(&tmp).join("wasio-doc-builder")).await.unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct DirBuilder(std::fs::DirBuilder);

impl Default for DirBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl DirBuilder {
    /// Creates one directory, failing if its parent is missing.
    pub fn new() -> Self {
        Self(std::fs::DirBuilder::new())
    }

    /// Whether missing parents are created too (and an existing
    /// directory is then not an error).
    pub fn recursive(&mut self, recursive: bool) -> &mut Self {
        self.0.recursive(recursive);
        self
    }

    /// The permission bits the directories get (before the umask; Unix
    /// only: WASI directories have no mode).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        std::os::unix::fs::DirBuilderExt::mode(&mut self.0, mode);
        self
    }

    /// Creates `path` with these options.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        proceed().await;
        let path = path.as_ref();
        self.0.create(path).map_err(|e| explain(path, e))
    }
}
