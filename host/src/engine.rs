//! The wasmtime engine, compiled-code cache and program loading.
//!
//! A program is either a WASI preview1 core module or a WASI 0.2 component;
//! the binary says which (its header's layer field), and both go through the
//! same cache and the same `wasio compile`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Module, Precompiled};

/// A compiled guest, ready to instantiate.
#[derive(Clone)]
pub enum Program {
    /// A WASI preview1 core module (`wasm32-wasip1`).
    Module(Module),
    /// A WASI 0.2 component (`wasm32-wasip2`).
    Component(Component),
}

impl Program {
    /// The engine it was compiled for.
    pub fn engine(&self) -> &Engine {
        match self {
            Program::Module(m) => m.engine(),
            Program::Component(c) => c.engine(),
        }
    }

    /// Native code for it, as `wasio compile` writes it.
    fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        match self {
            Program::Module(m) => m.serialize(),
            Program::Component(c) => c.serialize(),
        }
    }
}

/// What a `.wasm` file holds, from its 8-byte header: the magic, then a
/// 16-bit version and a 16-bit layer (0: a core module, 1: a component).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A core module.
    Module,
    /// A component.
    Component,
}

/// The kind of WebAssembly binary `bytes` is, or `None` when it is not one
/// (or a layer wasmtime does not know).
pub fn kind_of(bytes: &[u8]) -> Option<Kind> {
    match bytes.get(..8)? {
        [0, b'a', b's', b'm', _, _, 0, 0] => Some(Kind::Module),
        [0, b'a', b's', b'm', _, _, 1, 0] => Some(Kind::Component),
        _ => None,
    }
}

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

/// A wasmtime engine and the directory where compiled modules are kept.
#[derive(Clone)]
pub struct HostEngine {
    /// The engine (Cranelift; epoch interruption when `interruptible`).
    pub engine: Engine,
    /// Whether compiled code checks the epoch (what `--timeout` needs).
    pub interruptible: bool,
    /// Compiled-code cache directory, when enabled.
    pub cache_dir: Option<PathBuf>,
}

/// Builds the engine a run or compile uses. `interruptible` compiles epoch
/// checks in (a load and a compare at every function entry and loop back
/// edge: about a tenth of a server guest's own CPU time), which is what
/// lets `--timeout` stop a guest spinning in a loop; a run without
/// `--timeout` goes without. The compilation cache keys on the engine's
/// configuration, so both kinds of code are cached side by side.
pub fn engine(cache_dir: Option<&Path>, interruptible: bool) -> Result<HostEngine> {
    let mut config = Config::new();
    config.epoch_interruption(interruptible);
    // `WASIO_PROFILE=perfmap`: `perf report` names the guest's functions
    // (wasmtime writes /tmp/perf-PID.map as code is loaded).
    match std::env::var("WASIO_PROFILE").as_deref() {
        Ok("perfmap") => {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        Ok(other) => anyhow::bail!("WASIO_PROFILE={other}: the one profiler is `perfmap`"),
        Err(_) => {}
    }
    let engine = Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("configuring wasmtime")?;
    Ok(HostEngine {
        engine,
        interruptible,
        cache_dir: cache_dir.map(Path::to_path_buf),
    })
}

impl HostEngine {
    /// Loads a program like [`load`], going through the compilation cache.
    /// Run it on [`Program::engine`]: a program precompiled by
    /// `wasio compile` always has epoch checks, so it is loaded on an
    /// interruptible engine even when this one is not. The flag says which
    /// (a store on an interruptible engine needs an epoch deadline).
    ///
    /// The cache holds one uncompressed `.cwasm` per (program bytes, engine
    /// configuration, wasio version), so a hit is a memory-mapped load with
    /// no decompression: the cheapest start wasmtime offers.
    pub fn load(&self, path: &Path) -> Result<(Program, bool)> {
        let started = std::time::Instant::now();
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut interruptible = self.interruptible;
        let (module, cached) = match (&self.cache_dir, Engine::detect_precompiled(&bytes)) {
            (Some(dir), None) if kind_of(&bytes).is_some() => {
                self.through_cache(dir, &bytes, path)?
            }
            (_, Some(_)) if !self.interruptible => {
                interruptible = true;
                let e = engine(None, true)?;
                (from_bytes(&e.engine, &bytes, path)?, false)
            }
            _ => (from_bytes(&self.engine, &bytes, path)?, false),
        };
        tracing::info!(
            module = %path.display(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "{}",
            if cached { "program loaded from the compilation cache" } else { "program ready" }
        );
        Ok((module, interruptible))
    }

    fn through_cache(&self, dir: &Path, bytes: &[u8], path: &Path) -> Result<(Program, bool)> {
        let file = dir.join(format!("{}.cwasm", self.cache_key(bytes)));
        if file.is_file() {
            // SAFETY: the file is native code this host wrote for this very
            // engine configuration (the key covers it) from these very
            // bytes, so it is the same kind of program; wasmtime still
            // checks its header and rejects anything incompatible.
            let loaded = unsafe {
                match kind_of(bytes) {
                    Some(Kind::Component) => {
                        Component::deserialize_file(&self.engine, &file).map(Program::Component)
                    }
                    _ => Module::deserialize_file(&self.engine, &file).map(Program::Module),
                }
            };
            match loaded {
                Ok(p) => return Ok((p, true)),
                Err(e) => tracing::debug!("ignoring cache entry {}: {e}", file.display()),
            }
        }
        let module = from_bytes(&self.engine, bytes, path)?;
        // A cache that cannot be written only makes the next start slower.
        if let Err(e) = store(&module, dir, &file) {
            tracing::warn!(
                "cannot write the compilation cache in {}: {e:#}",
                dir.display()
            );
        }
        Ok((module, false))
    }

    /// One SipHash pass over the module plus its length: hashing is the
    /// main cost of a cache hit for large modules, and a collision would
    /// need two modules of the same length with the same 64-bit hash.
    fn cache_key(&self, bytes: &[u8]) -> String {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut h = DefaultHasher::new();
        ("wasio-cache-v1", env!("CARGO_PKG_VERSION")).hash(&mut h);
        self.engine.precompile_compatibility_hash().hash(&mut h);
        h.write(bytes);
        format!("{:016x}-{}", h.finish(), bytes.len())
    }
}

/// Writes `module` to `file` atomically (temporary file, then rename).
fn store(module: &Program, dir: &Path, file: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let code = module.serialize().map_err(anyhow::Error::from)?;
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, code)?;
    std::fs::rename(&tmp, file)?;
    Ok(())
}

/// Loads a `.wasm` module or component (compiling it) or a program
/// precompiled by `wasio compile`, without the cache.
pub fn load(engine: &Engine, path: &Path) -> Result<Program> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    from_bytes(engine, &bytes, path)
}

fn from_bytes(engine: &Engine, bytes: &[u8], path: &Path) -> Result<Program> {
    let stale = || {
        format!(
            "{} was precompiled by another wasio or wasmtime build; run `wasio compile` again",
            path.display()
        )
    };
    let invalid = |what| format!("{} is not a valid WebAssembly {what}", path.display());
    let program = match (Engine::detect_precompiled(bytes), kind_of(bytes)) {
        // SAFETY: a precompiled program is native code; wasio only loads
        // ones whose header wasmtime recognises, and the user chose to run
        // it. `wasio compile` documents this trust.
        (Some(Precompiled::Module), _) => unsafe { Module::deserialize(engine, bytes) }
            .map(Program::Module)
            .map_err(anyhow::Error::from)
            .with_context(stale)?,
        // SAFETY: as for a module, just above.
        (Some(Precompiled::Component), _) => unsafe { Component::deserialize(engine, bytes) }
            .map(Program::Component)
            .map_err(anyhow::Error::from)
            .with_context(stale)?,
        (None, Some(Kind::Module)) => Module::new(engine, bytes)
            .map(Program::Module)
            .map_err(anyhow::Error::from)
            .with_context(|| invalid("module"))?,
        (None, Some(Kind::Component)) => Component::new(engine, bytes)
            .map(Program::Component)
            .map_err(anyhow::Error::from)
            .with_context(|| invalid("component"))?,
        (None, None) => bail!(
            "{} is not a WebAssembly module or component (no `\\0asm` header with a known layer)",
            path.display()
        ),
    };
    Ok(program)
}

/// `wasio compile`: writes native code for `input` (a module or a
/// component) to `output`. Give it an interruptible engine ([`engine`]):
/// the artifact then serves runs with and without `--timeout`.
pub fn compile(engine: &Engine, input: &Path, output: &Path) -> Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let code = match kind_of(&bytes) {
        Some(Kind::Module) => engine.precompile_module(&bytes),
        Some(Kind::Component) => engine.precompile_component(&bytes),
        None => bail!(
            "{} is not a WebAssembly module or component",
            input.display()
        ),
    };
    let code = code
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling {}", input.display()))?;
    std::fs::write(output, code).with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid module: magic and version.
    const EMPTY: &[u8] = b"\0asm\x01\0\0\0";

    #[test]
    fn cache_hits_after_a_miss_and_survives_a_corrupt_entry() {
        let dir = tempfile::tempdir().unwrap();
        let he = engine(Some(dir.path()), false).unwrap();
        let p = Path::new("empty.wasm");
        let (_, hit) = he.through_cache(dir.path(), EMPTY, p).unwrap();
        assert!(!hit);
        let (_, hit) = he.through_cache(dir.path(), EMPTY, p).unwrap();
        assert!(hit);
        let entry = dir.path().join(format!("{}.cwasm", he.cache_key(EMPTY)));
        std::fs::write(&entry, b"not native code").unwrap();
        let (_, hit) = he.through_cache(dir.path(), EMPTY, p).unwrap();
        assert!(!hit, "a corrupt entry is a miss");
        let (_, hit) = he.through_cache(dir.path(), EMPTY, p).unwrap();
        assert!(hit, "and it was rewritten");
    }

    #[test]
    fn cache_key_depends_on_the_bytes() {
        let he = engine(None, false).unwrap();
        let mut other = EMPTY.to_vec();
        other.extend_from_slice(&[0, 1, 0]); // an empty custom section
        assert_ne!(he.cache_key(EMPTY), he.cache_key(&other));
        assert_eq!(he.cache_key(EMPTY), he.cache_key(EMPTY));
    }
}
