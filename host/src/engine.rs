//! The wasmtime engine, compiled-code cache and module loading.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use wasmtime::{Cache, CacheConfig, Config, Engine, Module, Precompiled};

/// Where compiled modules are kept between runs: `$WASIO_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/wasio`, else `~/.cache/wasio`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WASIO_CACHE_DIR") {
        return Some(d.into());
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("wasio"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("wasio"))
}

/// A wasmtime engine and the compilation cache it writes to.
pub struct HostEngine {
    /// The engine (Cranelift, epoch interruption on).
    pub engine: Engine,
    /// The cache, when enabled.
    pub cache: Option<Cache>,
}

/// Builds the engine every run and compile uses. Epoch interruption is
/// always compiled in, so one cached or precompiled artifact serves runs
/// with and without `--timeout`.
pub fn engine(cache_dir: Option<&Path>) -> Result<HostEngine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let mut cache = None;
    if let Some(dir) = cache_dir {
        let mut cc = CacheConfig::new();
        cc.with_directory(dir);
        match Cache::new(cc) {
            Ok(c) => {
                config.cache(Some(c.clone()));
                cache = Some(c);
            }
            Err(e) => tracing::warn!("compilation cache disabled: {e:#}"),
        }
    }
    let engine = Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("configuring wasmtime")?;
    Ok(HostEngine { engine, cache })
}

impl HostEngine {
    /// Loads a module like [`load`], logging whether the cache served it.
    pub fn load(&self, path: &Path) -> Result<Module> {
        let started = std::time::Instant::now();
        let hits = self.cache.as_ref().map(Cache::cache_hits).unwrap_or(0);
        let module = load(&self.engine, path)?;
        let cached = self.cache.as_ref().map(Cache::cache_hits).unwrap_or(0) > hits;
        tracing::info!(
            module = %path.display(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "{}",
            if cached { "module loaded from the compilation cache" } else { "module ready" }
        );
        Ok(module)
    }
}

/// Loads a `.wasm` module (compiling it, or taking it from the cache) or a
/// module precompiled by `wasio compile`.
pub fn load(engine: &Engine, path: &Path) -> Result<Module> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match Engine::detect_precompiled(&bytes) {
        Some(Precompiled::Module) => {
            // SAFETY: a precompiled module is native code; wasio only loads
            // ones whose header wasmtime recognises, and the user chose to
            // run it. `wasio compile` documents this trust.
            unsafe { Module::deserialize(engine, &bytes) }
                .map_err(anyhow::Error::from)
                .with_context(|| {
                format!(
                    "{} was precompiled by another wasio or wasmtime build; run `wasio compile` again",
                    path.display()
                )
            })
        }
        Some(Precompiled::Component) => bail!(
            "{} is a component; wasio runs preview1 core modules",
            path.display()
        ),
        None if bytes.starts_with(b"\0asm") => Module::new(engine, &bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{} is not a valid WebAssembly module", path.display())),
        None => bail!(
            "{} is not a WebAssembly module (no `\\0asm` header)",
            path.display()
        ),
    }
}

/// `wasio compile`: writes native code for `input` to `output`.
pub fn compile(engine: &Engine, input: &Path, output: &Path) -> Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    if !bytes.starts_with(b"\0asm") {
        bail!("{} is not a WebAssembly module", input.display());
    }
    let code = engine
        .precompile_module(&bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling {}", input.display()))?;
    std::fs::write(output, code).with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}
