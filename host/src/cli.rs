//! Command-line interface of the `wasio` binary.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Parser, Subcommand};

use crate::policy::{NetPolicy, Rule};
use crate::run::{Restart, RunConfig, UnknownImports};

/// Run WebAssembly programs (WASI preview1 modules and WASI 0.2 components)
/// in a precise sandbox.
#[derive(Debug, Parser)]
#[command(
    name = "wasio",
    version,
    about,
    long_about = None,
    after_help = "Nothing is granted by default: a guest gets no files, no environment and no \
                  network until a flag gives it them.\n\nExit status of `wasio run`: the \
                  guest's own; 134 when it trapped; 124 when --timeout ran out; 1 when it \
                  could not be started; 2 for a bad flag or value.\n\nLinux only."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments (exiting with a message and status
    /// 2 when they are wrong, as [`Parser::parse`] does).
    pub fn parse_args() -> Self {
        Self::parse_ordered(std::env::args_os())
    }

    /// Parses `args` (the program name first), noting the order of the
    /// preopens: they are numbered in command-line order, whichever flag
    /// gave each.
    pub fn parse_ordered<I, T>(args: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = Self::command().get_matches_from(args);
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        if let (Command::Run(run), Some(("run", m))) = (&mut cli.command, matches.subcommand()) {
            let mut order: Vec<(usize, bool)> = Vec::new();
            for (id, ro) in [("dirs", false), ("dirs_ro", true)] {
                if let Some(ix) = m.indices_of(id) {
                    order.extend(ix.map(|i| (i, ro)));
                }
            }
            order.sort_unstable();
            run.dir_order = order.into_iter().map(|(_, ro)| ro).collect();
        }
        cli
    }
}

/// `wasio` subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Run a WASI command: a preview1 module (`wasm32-wasip1`) or a WASI 0.2
    /// component (`wasm32-wasip2`), told apart from the file itself.
    Run(RunArgs),
    /// Compile a module or component ahead of time into a `.cwasm` file for
    /// this host.
    Compile(CompileArgs),
}

/// `wasio run [OPTIONS] MODULE [ARGS]...`
#[derive(Debug, Args)]
#[command(
    override_usage = "wasio run [OPTIONS] MODULE [ARGS]...",
    after_help = "Nothing is granted by default: no files (--dir), no environment (--env), no \
                  network (--allow-*).\n\nExit status: the guest's own; 134 when it trapped; \
                  124 when --timeout ran out; 1 when it could not be started; 2 for a bad \
                  flag or value."
)]
pub struct RunArgs {
    /// Give the guest a host directory: `HOST[::GUEST]` (GUEST defaults to
    /// HOST). Paths under it can be read and written; nothing outside it can
    /// be reached, not by `..`, absolute paths or symlinks (and a symlink
    /// the guest makes may only point down). Preopens are numbered from
    /// fd 3 in command-line order, `--dir-ro` ones included.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,

    /// Like `--dir`, but the guest can only read: it cannot create, write,
    /// rename or remove anything under it, or connect to a Unix socket
    /// there.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    pub dirs_ro: Vec<String>,

    /// Set an environment variable for the guest: `KEY=VALUE`, or `KEY` to
    /// pass the host's value. The guest sees no other variables.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,

    /// Pass the host's whole environment to the guest.
    #[arg(long)]
    pub inherit_env: bool,

    /// Listen on ADDR (e.g. `127.0.0.1:8080`, port 0 for any) before the
    /// guest starts and hand it the socket as a preopened fd, after the
    /// preopened directories (preview1 modules: WASI 0.2 has no preopened
    /// sockets, so a component binds its own under `--allow-listen`).
    #[arg(long = "tcplisten", value_name = "ADDR")]
    pub tcplisten: Vec<String>,

    /// Let the guest listen (bind a TCP socket) on addresses matching RULE:
    /// `*`, an IP, or a CIDR block, with an optional `:PORT` or `:LOW-HIGH`
    /// (`127.0.0.1:8080`, `10.0.0.0/8:1000-2000`, `[::1]:443`, `*:80`). A
    /// host name is resolved at start. Repeatable.
    #[arg(long = "allow-listen", value_name = "RULE")]
    pub allow_listen: Vec<String>,

    /// Let the guest open TCP connections to addresses matching RULE
    /// (same forms as --allow-listen). Repeatable.
    #[arg(long = "allow-connect", value_name = "RULE")]
    pub allow_connect: Vec<String>,

    /// Let the guest bind UDP sockets to addresses matching RULE.
    #[arg(long = "allow-udp-bind", value_name = "RULE")]
    pub allow_udp_bind: Vec<String>,

    /// Let the guest send datagrams to (or connect UDP sockets to)
    /// addresses matching RULE; checked for every destination.
    #[arg(long = "allow-udp-send", value_name = "RULE")]
    pub allow_udp_send: Vec<String>,

    /// Let the guest resolve host names.
    #[arg(long)]
    pub allow_dns: bool,

    /// Let the guest use the network without limits (all of the above).
    /// Unix sockets are always confined to the preopened directories.
    #[arg(long)]
    pub allow_net: bool,

    /// Most memory the guest may make the host hold, in bytes (`K`, `M` and
    /// `G` are powers of 1024): all its linear memories and tables
    /// together, and the host buffers its calls need (these may go 1 MiB
    /// past it). A memory growing past it stops the guest; a table growth
    /// fails; a host call gets ENOMEM.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_memory: Option<usize>,

    /// Most host file descriptors the guest may hold at once (a signal fd
    /// counts two); past it calls fail with EMFILE.
    #[arg(long, value_name = "N", default_value_t = crate::wasi::ctx::DEFAULT_MAX_FDS)]
    pub max_fds: usize,

    /// Stop the guest after this much wall-clock time, counted from the
    /// start (compilation included) and whatever host call it is in:
    /// seconds, or a number with `ms`, `s` or `m`. The exit status is then
    /// 124.
    #[arg(long, value_name = "SECS", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Components: at SIGTERM or SIGINT, stop accepting connections and
    /// give the open ones this long to finish (the guest's help is not
    /// needed), then end with status 0; a second signal ends the process
    /// at once. Seconds, or a number with `ms`, `s` or `m`.
    #[arg(long, value_name = "SECS", value_parser = parse_duration, default_value = "10")]
    pub drain: Duration,

    /// What to do with an import the host does not provide: `error`
    /// (refuse to start, naming it) or `trap` (link it as a function that
    /// stops the guest with a message naming it, if it is ever called).
    #[arg(long, value_name = "WHAT", value_enum, default_value_t = UnknownImports::Error)]
    pub unknown_imports: UnknownImports,

    /// Run N instances of the guest, each on its own thread with its own
    /// memory, fds and limits, sharing the compiled module: `auto` is one
    /// per core. Listeners the guest binds get `SO_REUSEPORT` (bind a
    /// fixed port, and the kernel spreads connections); `--tcplisten` and
    /// socket-activated listeners are shared. `WASIO_WORKER` (0..N-1) is
    /// in each guest's environment, and output lines never
    /// interleave.
    #[arg(long, value_name = "N|auto", value_parser = parse_workers)]
    pub workers: Option<usize>,

    /// With `--workers`: when one instance fails, stop them all at once
    /// with its status (by default the others go on, and the first
    /// non-zero status is the exit status).
    #[arg(long, requires = "workers")]
    pub workers_fail_fast: bool,

    /// Start the guest again when it traps or exits with a non-zero
    /// status: `on-failure`, or `no`. An instance that failed while
    /// serving (it had waited for I/O) is started again after 100 ms; one
    /// that fails as it starts, after a delay that doubles up to 5 s. The
    /// default is `on-failure` with `--workers` (each worker is replaced on
    /// its own; its listeners keep their queued connections meanwhile) and
    /// `no` without.
    #[arg(
        long,
        value_name = "WHEN",
        value_enum,
        conflicts_with = "workers_fail_fast"
    )]
    pub restart: Option<Restart>,

    /// Do not cache compiled code (by default it is kept in
    /// `$WASIO_CACHE_DIR`, `$XDG_CACHE_HOME/wasio` or `~/.cache/wasio`).
    #[arg(long)]
    pub no_cache: bool,

    /// Keep compiled code in this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// The program (a `.wasm` module or component, or a `.cwasm` from
    /// `wasio compile`),
    /// then the guest's arguments. Everything from MODULE on belongs to the
    /// guest, `--help` and flags that look like ours included.
    #[arg(
        value_name = "MODULE",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    pub command: Vec<String>,

    /// For each `--dir` and `--dir-ro` in command-line order, whether it
    /// was `--dir-ro` (filled by [`Cli::parse_args`]; empty: every `--dir`
    /// first).
    #[arg(skip)]
    pub dir_order: Vec<bool>,
}

impl RunArgs {
    /// The module to run (the first word of the command).
    pub fn module(&self) -> PathBuf {
        PathBuf::from(&self.command[0])
    }

    /// The guest's arguments after its program name.
    pub fn guest_args(&self) -> &[String] {
        &self.command[1..]
    }
}

/// `wasio compile MODULE [-o OUTPUT]`
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The `.wasm` module or component to compile.
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,
    /// Where to write native code (default: MODULE with a `.cwasm`
    /// extension). Only load `.cwasm` files you made yourself: they are
    /// native code.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
}

impl RunArgs {
    /// Turns the flags into a [`RunConfig`], checking each value.
    pub fn to_config(&self) -> Result<RunConfig> {
        let mut cfg = RunConfig::new(self.module());
        cfg.args = self.guest_args().to_vec();
        let order = if self.dir_order.len() == self.dirs.len() + self.dirs_ro.len() {
            self.dir_order.clone()
        } else {
            let mut o = vec![false; self.dirs.len()];
            o.resize(self.dirs.len() + self.dirs_ro.len(), true);
            o
        };
        let (mut rw, mut ro) = (self.dirs.iter(), self.dirs_ro.iter());
        for readonly in order {
            let (spec, flag) = if readonly {
                (ro.next(), "--dir-ro")
            } else {
                (rw.next(), "--dir")
            };
            let Some(spec) = spec else { continue };
            let (host, guest) = parse_dir(spec)?;
            if !host.is_dir() {
                let hint = if spec.contains(':') && !spec.contains("::") {
                    " (to name it differently in the guest, write HOST::GUEST, with two colons)"
                } else {
                    ""
                };
                bail!("{flag} {spec}: {} is not a directory{hint}", host.display());
            }
            cfg.dirs.push((host, guest, readonly));
        }
        if self.inherit_env {
            cfg.env.extend(std::env::vars());
        }
        for e in &self.env {
            match e.split_once('=') {
                Some(("", _)) => bail!("--env {e}: empty variable name"),
                Some((k, v)) => cfg.env.push((k.into(), v.into())),
                None => match std::env::var(e) {
                    Ok(v) => cfg.env.push((e.clone(), v)),
                    Err(_) => bail!("--env {e}: the host has no such variable to pass on"),
                },
            }
        }
        for a in &self.tcplisten {
            cfg.tcplisten
                .push(parse_addr(a).with_context(|| format!("--tcplisten {a}"))?);
        }
        let rules = |list: &[String], flag: &str| -> Result<Vec<Rule>> {
            let mut out = Vec::new();
            for r in list {
                out.extend(Rule::parse(r).with_context(|| format!("{flag} {r}"))?);
            }
            Ok(out)
        };
        cfg.net = NetPolicy {
            all: self.allow_net,
            dns: self.allow_dns,
            listen: rules(&self.allow_listen, "--allow-listen")?,
            connect: rules(&self.allow_connect, "--allow-connect")?,
            udp_bind: rules(&self.allow_udp_bind, "--allow-udp-bind")?,
            udp_send: rules(&self.allow_udp_send, "--allow-udp-send")?,
        };
        cfg.max_memory = self.max_memory;
        cfg.max_fds = Some(self.max_fds);
        cfg.timeout = self.timeout;
        cfg.drain = self.drain;
        cfg.unknown_imports = self.unknown_imports;
        cfg.workers = self.workers;
        cfg.workers_fail_fast = self.workers_fail_fast;
        cfg.restart = self.restart;
        cfg.cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .or_else(crate::engine::default_cache_dir)
        };
        Ok(cfg)
    }
}

/// Parses `--workers`: a count from 1 to 1024, or `auto` (one per core).
pub fn parse_workers(s: &str) -> Result<usize, String> {
    if s == "auto" {
        return Ok(std::thread::available_parallelism().map_or(1, |n| n.get()));
    }
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "`{s}` is not a worker count (1 to 1024, or `auto`)"
        )),
    }
}

/// Splits `HOST[::GUEST]`.
pub fn parse_dir(spec: &str) -> Result<(PathBuf, String)> {
    let (host, guest) = match spec.split_once("::") {
        Some((h, g)) => (h, g),
        None => (spec, spec),
    };
    if host.is_empty() || guest.is_empty() {
        bail!("--dir {spec}: expected HOST[::GUEST]");
    }
    Ok((PathBuf::from(host), guest.to_string()))
}

/// Parses `HOST:PORT` (host names are resolved now, first address wins).
pub fn parse_addr(s: &str) -> Result<SocketAddr> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    s.to_socket_addrs()
        .with_context(|| format!("`{s}` is not an address (expected HOST:PORT)"))?
        .next()
        .with_context(|| format!("`{s}` resolves to no address"))
}

/// Parses a byte count with an optional `K`/`M`/`G` suffix.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1usize << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    // Digits only: `usize::from_str` would also take a sign ("+6").
    let bad = || format!("`{s}` is not a size (e.g. 65536, 64K, 512M, 2G)");
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: usize = num.parse().map_err(|_| bad())?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Parses seconds (`2`, `0.5`) or a number with `ms`, `s` or `m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    // Plain decimal only: `f64::from_str` would also take "+1", "1e3",
    // "inf" and "1e-300" (which rounds to nothing).
    let bad = || format!("`{s}` is not a duration (e.g. 10, 2.5, 500ms, 1m)");
    let (int, frac) = num.split_once('.').unwrap_or((num, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return Err(bad());
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    let d = Duration::try_from_secs_f64(v * scale).map_err(|_| format!("`{s}` is too long"))?;
    if d.is_zero() {
        return Err(format!("`{s}` must be a positive duration"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
        // Found by `make fuzz`: a sign slipped through `usize::from_str`.
        for bad in ["+6", "-1", "", "K", " 1 2", "1.5M"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        for bad in [
            "+1",
            "1e3",
            "inf",
            "1e-300",
            "0",
            "0.0000000001",
            ".5",
            "5.",
            "0ms",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    fn run_args(argv: &[&str]) -> RunArgs {
        let cli = Cli::try_parse_from(argv).unwrap();
        match cli.command {
            Command::Run(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn everything_after_the_module_is_the_guests() {
        let r = run_args(&[
            "wasio",
            "run",
            "--timeout",
            "1",
            "--dir",
            "/a",
            "app.wasm",
            "--timeout",
            "5",
            "x",
            "--help",
            "--dir",
            "/etc",
            "--",
        ]);
        assert_eq!(r.timeout, Some(Duration::from_secs(1)));
        assert_eq!(r.dirs, ["/a"]);
        assert_eq!(r.module(), PathBuf::from("app.wasm"));
        assert_eq!(
            r.guest_args(),
            ["--timeout", "5", "x", "--help", "--dir", "/etc", "--"]
        );
        // `--` ends the host's flags: a module name may start with `-`.
        let r = run_args(&["wasio", "run", "--", "-odd.wasm", "-v"]);
        assert_eq!(r.module(), PathBuf::from("-odd.wasm"));
        assert_eq!(r.guest_args(), ["-v"]);
        // A module is required.
        assert!(Cli::try_parse_from(["wasio", "run", "--allow-dns"]).is_err());
    }

    #[test]
    fn dirs() {
        assert_eq!(
            parse_dir("/a::/b").unwrap(),
            (PathBuf::from("/a"), "/b".into())
        );
        assert_eq!(
            parse_dir("data").unwrap(),
            (PathBuf::from("data"), "data".into())
        );
        assert!(parse_dir("::/b").is_err());
        assert!(parse_dir("/a::").is_err());
    }

    #[test]
    fn worker_counts() {
        assert_eq!(super::parse_workers("2"), Ok(2));
        assert!(super::parse_workers("auto").unwrap() >= 1);
        for bad in ["0", "1025", "+2", "-1", "two", "", " 2"] {
            assert!(super::parse_workers(bad).is_err(), "{bad:?}");
        }
    }
}
