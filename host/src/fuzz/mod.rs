//! Fuzzing entry points (`make fuzz`, and the regression inputs replayed by
//! `cargo test`). Not part of the embedding API.
//!
//! [`Harness::run`] drives the real host functions — every
//! `wasi_snapshot_preview1` and `wasio_sock_v1` import, called through the
//! same wasmtime `Linker` a guest links against — with an arbitrary
//! sequence of calls and arguments on a fuzzer-owned linear memory, against
//! a scratch directory preopened as `/box`. No guest is compiled: the
//! memory is created by the harness and handed to the host as the
//! guest's. After every input it checks the invariants the sandbox
//! promises: nothing panicked, no host fd outlives the store, nothing
//! outside `/box` changed.
//!
//! The input is a byte stream of operations (see [`Harness::run`]); an
//! exhausted stream reads as zeroes, so every input is valid.

mod component_sockets;

pub use component_sockets::component_sockets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Linker, Memory, MemoryType, Store, Val, ValType};

use crate::policy::{NetPolicy, Rule};
use crate::run::Host;
use crate::wasi::{self, WasiCtx};

/// Linear memory of a fuzz run: two 64 KiB pages.
const MEM_PAGES: u64 = 2;
const MEM_SIZE: u32 = (MEM_PAGES * 65536) as u32;
/// Where dictionary strings are placed (and pointers often aim).
const DICT_BASE: u32 = 0x1_0000;
/// Blocking calls give up after this long (the run then ends as the host
/// ends a guest that hit `--timeout`).
const DEADLINE: Duration = Duration::from_millis(20);
/// `--max-memory` of a fuzz run: the guest's memory and eight pages more.
const FUZZ_MAX_MEMORY: usize = (MEM_PAGES as usize + 8) * 65536;
/// The only ports the fuzzed guest may bind or reach (on 127.0.0.1).
const PORTS: &str = "127.0.0.1:40000-40099";

/// Strings worth having in memory: paths inside, outside and around the
/// box, socket names, and oddities.
const DICT: &[&[u8]] = &[
    b"file.txt",
    b"sub",
    b"sub/inner.txt",
    b"new",
    b"sock",
    b"..",
    b"../outside/secret.txt",
    b"sub/../../outside/secret.txt",
    b"link-out/secret.txt",
    b"abs-link",
    b"link-out",
    b"/etc/passwd",
    b".",
    b"",
    b"a\0b",
    b"\xff\xfe",
    b"sub/",
    b"dangling",
];

/// Reads the input as numbers; past its end everything is zero.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn u8(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }

    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | (u32::from(self.u16()) << 16)
    }

    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// An argument value, mostly from the shapes that reach deep code:
    /// small numbers (fds, flags, enums), pointers into memory, sizes
    /// around the memory's end, and raw bits.
    fn arg(&mut self) -> u64 {
        match self.u8() % 8 {
            0 | 1 => u64::from(self.u8() % 16),
            2 | 3 => u64::from(self.u16()) % u64::from(MEM_SIZE),
            4 => u64::from(DICT_BASE + 64 * u32::from(self.u8() % DICT.len() as u8)),
            5 => u64::from(MEM_SIZE - u32::from(self.u8())),
            6 => u64::from(self.u32()),
            _ => self.u64(),
        }
    }
}

/// The fuzzing harness: one engine and linker, and a scratch tree.
pub struct Harness {
    engine: Engine,
    linker: Linker<Host>,
    funcs: Vec<(String, String)>,
    root: PathBuf,
    outside: BTreeMap<PathBuf, Vec<u8>>,
}

impl Harness {
    /// Sets up the engine, the linker and a scratch tree under `root`
    /// (created; it should be empty): `root/box` is preopened, and
    /// `root/outside` holds files the guest must never change.
    pub fn new(root: &Path) -> Harness {
        let engine = Engine::default();
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).expect("linker");
        let mut store = Store::new(&engine, host_data(None));
        let mut funcs: Vec<(String, String)> = linker
            .iter(&mut store)
            .map(|(m, n, _)| (m.to_string(), n.to_string()))
            .collect();
        funcs.sort();
        let outside = root.join("outside");
        std::fs::create_dir_all(outside.join("dir")).expect("scratch");
        std::fs::write(outside.join("secret.txt"), "secret").expect("scratch");
        std::fs::write(outside.join("dir/deep.txt"), "deep").expect("scratch");
        let mut h = Harness {
            engine,
            linker,
            funcs,
            root: root.to_path_buf(),
            outside: BTreeMap::new(),
        };
        h.reset_box();
        h.outside = h.snapshot_outside();
        // One empty run first: whatever the engine opens once per process
        // is then open before the fd count of every later run.
        h.run(&[]);
        h
    }

    /// Every host function the harness can call, as `module::name`.
    pub fn functions(&self) -> Vec<String> {
        self.funcs
            .iter()
            .map(|(m, n)| format!("{m}::{n}"))
            .collect()
    }

    fn box_dir(&self) -> PathBuf {
        self.root.join("box")
    }

    /// A fresh box: files, a directory, and links pointing out of it.
    fn reset_box(&self) {
        let b = self.box_dir();
        let _ = std::fs::remove_dir_all(&b);
        std::fs::create_dir_all(b.join("sub")).expect("box");
        std::fs::write(b.join("file.txt"), "inside").expect("box");
        std::fs::write(b.join("sub/inner.txt"), "inner").expect("box");
        std::os::unix::fs::symlink("../outside", b.join("link-out")).expect("box");
        std::os::unix::fs::symlink(self.root.join("outside/secret.txt"), b.join("abs-link"))
            .expect("box");
        std::os::unix::fs::symlink("nowhere", b.join("dangling")).expect("box");
    }

    fn snapshot_outside(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => {
                        out.insert(p.clone(), b"<dir>".to_vec());
                        walk(&p, out);
                    }
                    _ => {
                        out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
                    }
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.root.join("outside"), &mut out);
        // Nothing may appear next to box/ and outside/ either.
        for e in std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
        {
            out.insert(e.path(), b"<entry>".to_vec());
        }
        out
    }

    /// Runs one input: a sequence of operations, each chosen by one byte:
    ///
    /// - `poke`: `at: u16, len: u8, bytes` — write guest memory;
    /// - `call`: `func: u8`, then one argument per parameter — call a host
    ///   function (a trap such as `proc_exit` or the deadline ends the run);
    /// - `dict`: `entry: u8` — place a dictionary string (and its length
    ///   after it) at `DICT_BASE + 64 * entry`.
    ///
    /// Panics if an invariant breaks: an fd left open after the store is
    /// dropped, or anything changed outside the box.
    pub fn run(&self, data: &[u8]) {
        let fds_before = open_fds();
        self.reset_box();
        {
            let mut store = Store::new(&self.engine, host_data(Some(&self.box_dir())));
            store.limiter(|h| &mut h.wasi.account);
            let memory = Memory::new(
                &mut store,
                MemoryType::new(MEM_PAGES as u32, Some(MEM_PAGES as u32)),
            )
            .expect("memory");
            store.data_mut().memory = Some(memory);
            // The guest's stderr would be the fuzzer's log: close it (the
            // fuzz binary points the process's stdin and stdout at
            // /dev/null, so fds 0 and 1 stay real stdio).
            let _ = store
                .data_mut()
                .wasi
                .fd_close(&mut wasi::mem::GuestMem::new(&mut []), 2);
            let mut extra = Extra::default();
            self.drive(&mut store, memory, &mut extra, &mut Input(data));
            // Every host buffer is given back once its fd is closed: what
            // is left charged is the memories' and tables' own size.
            for fd in 0..=u32::from(u8::MAX) {
                let _ = store
                    .data_mut()
                    .wasi
                    .fd_close(&mut wasi::mem::GuestMem::new(&mut []), fd);
            }
            let held = memory.data_size(&store) + extra.bytes(&store);
            assert_eq!(
                store.data().wasi.account.used(),
                held,
                "the account and what the store holds disagree"
            );
        }
        let fds_after = open_fds();
        assert_eq!(
            fds_before, fds_after,
            "host fds leaked past the store: {fds_before} before, {fds_after} after"
        );
        let now = self.snapshot_outside();
        assert!(
            now == self.outside,
            "something outside the box changed:\nbefore {:?}\nafter  {:?}",
            self.outside.keys().collect::<Vec<_>>(),
            now.keys().collect::<Vec<_>>()
        );
    }

    fn drive(
        &self,
        store: &mut Store<Host>,
        memory: Memory,
        extra: &mut Extra,
        input: &mut Input<'_>,
    ) {
        let mut calls = 0;
        while !input.is_empty() && calls < 64 {
            let limit = FUZZ_MAX_MEMORY + crate::limits::HOST_RESERVE;
            assert!(
                store.data().wasi.account.used() <= limit,
                "the account passed --max-memory and the host reserve"
            );
            match input.u8() % 5 {
                3 => {
                    // An iovec array whose entries all point at one block.
                    let at = usize::from(input.u16());
                    let count = usize::from(input.u8());
                    let (ptr, len) = (input.arg() as u32, input.arg() as u32);
                    let mem = memory.data_mut(&mut *store);
                    for i in 0..count {
                        let e = at + 8 * i;
                        if e + 8 <= mem.len() {
                            mem[e..e + 4].copy_from_slice(&ptr.to_le_bytes());
                            mem[e + 4..e + 8].copy_from_slice(&len.to_le_bytes());
                        }
                    }
                }
                4 => extra.grow(store, input),
                0 => {
                    let at = usize::from(input.u16());
                    let len = usize::from(input.u8());
                    let bytes = input.bytes(len).to_vec();
                    let mem = memory.data_mut(&mut *store);
                    let end = (at + bytes.len()).min(mem.len());
                    if at < end {
                        mem[at..end].copy_from_slice(&bytes[..end - at]);
                    }
                }
                1 => {
                    calls += 1;
                    let (m, n) = &self.funcs[usize::from(input.u8()) % self.funcs.len()];
                    let Some(func) = self
                        .linker
                        .get(&mut *store, m, n)
                        .ok()
                        .and_then(|e| e.into_func())
                    else {
                        continue;
                    };
                    let ty = func.ty(&*store);
                    let params: Vec<Val> = ty
                        .params()
                        .map(|t| match t {
                            ValType::I64 => Val::I64(input.arg() as i64),
                            _ => Val::I32(input.arg() as u32 as i32),
                        })
                        .collect();
                    let mut results = vec![Val::I32(0); ty.results().len()];
                    if func.call(&mut *store, &params, &mut results).is_err() {
                        // proc_exit, or a blocking call past the deadline:
                        // the guest would be stopped here.
                        return;
                    }
                }
                _ => {
                    let i = usize::from(input.u8()) % DICT.len();
                    let at = (DICT_BASE + 64 * i as u32) as usize;
                    let s = DICT[i];
                    let mem = memory.data_mut(&mut *store);
                    mem[at..at + s.len()].copy_from_slice(s);
                    mem[at + 60..at + 64].copy_from_slice(&(s.len() as u32).to_le_bytes());
                }
            }
        }
    }
}

/// Memories and tables a fuzz input made beside the guest's memory, as a
/// multi-memory module with tables would: each is charged to the same
/// account.
#[derive(Default)]
struct Extra {
    memories: Vec<Memory>,
    tables: Vec<wasmtime::Table>,
}

impl Extra {
    /// Makes or grows a memory or a table by a fuzzed amount; refusals
    /// (the account is full) are expected, anything else is not.
    fn grow(&mut self, store: &mut Store<Host>, input: &mut Input<'_>) {
        let n = u64::from(input.u16());
        match input.u8() % 4 {
            0 => {
                if let Ok(m) = Memory::new(&mut *store, MemoryType::new((n % 64) as u32, None)) {
                    self.memories.push(m);
                }
            }
            1 => {
                if let Some(m) = self.memories.last() {
                    let _ = m.grow(&mut *store, n % 64);
                }
            }
            2 => {
                let ty = wasmtime::TableType::new(wasmtime::RefType::FUNCREF, 0, None);
                let elements = (n << 6) as u32;
                let init = wasmtime::Ref::Func(None);
                if let Ok(t) = wasmtime::Table::new(&mut *store, ty, init) {
                    let _ = t.grow(&mut *store, u64::from(elements), wasmtime::Ref::Func(None));
                    self.tables.push(t);
                }
            }
            _ => {
                if let Some(t) = self.tables.last() {
                    let _ = t.grow(&mut *store, n << 8, wasmtime::Ref::Func(None));
                }
            }
        }
    }

    /// What they hold, in the account's terms.
    fn bytes(&self, store: &Store<Host>) -> usize {
        let mems: usize = self.memories.iter().map(|m| m.data_size(store)).sum();
        let elems: u64 = self.tables.iter().map(|t| t.size(store)).sum();
        mems + elems as usize * crate::limits::TABLE_ELEMENT_BYTES
    }
}

/// Store data for a fuzz run: the box preopened as `/box` (if given),
/// network only on [`PORTS`], a short deadline.
fn host_data(box_dir: Option<&Path>) -> Host {
    let mut b = WasiCtx::builder();
    b.args(["fuzz".to_string(), "arg".to_string()]);
    b.env("KEY", "value");
    if let Some(d) = box_dir {
        b.preopen_dir(d, "/box", false).expect("preopen");
    }
    b.max_fds(64);
    b.deadline(Some(Instant::now() + DEADLINE));
    let ports = || Rule::parse(PORTS).expect("rule");
    b.policy(NetPolicy {
        listen: ports(),
        connect: ports(),
        udp_bind: ports(),
        udp_send: ports(),
        ..NetPolicy::default()
    });
    b.max_memory(Some(FUZZ_MAX_MEMORY));
    Host {
        wasi: b.build().expect("context"),
        memory: None,
    }
}

/// How many fds this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The network-policy rule parser and matcher: no panic on any text, and
/// an accepted rule behaves (a rule accepted twice is the same rule; `*`
/// with a port range matches exactly that range).
pub fn policy_rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // Only literal forms: a host name would be resolved (a DNS lookup per
    // input, and nothing a fuzzer should do).
    if !is_literal(&text) {
        return;
    }
    let Ok(rules) = Rule::parse(&text) else {
        return;
    };
    assert_eq!(Rule::parse(&text).ok(), Some(rules.clone()), "{text:?}");
    let probes = [
        std::net::SocketAddr::from(([127, 0, 0, 1], 40000)),
        std::net::SocketAddr::from(([10, 1, 2, 3], 0)),
        std::net::SocketAddr::from(([0u16, 0, 0, 0, 0, 0xffff, 0x7f00, 1], 443)),
        std::net::SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], 65535)),
    ];
    for r in &rules {
        for a in &probes {
            let _ = r.matches(a);
        }
    }
    if let Some(ports) = text.strip_prefix("*:") {
        if let Ok(p) = ports.parse::<u16>() {
            let hit = std::net::SocketAddr::from(([192, 0, 2, 1], p));
            assert!(rules.iter().any(|r| r.matches(&hit)), "{text:?}");
        }
    }
}

/// Whether a rule's address part is `*`, an IP or a CIDR block (so parsing
/// it resolves nothing).
fn is_literal(rule: &str) -> bool {
    let host = match rule.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => rule.split(':').next().unwrap_or(""),
    };
    let net = host.split('/').next().unwrap_or("");
    net == "*"
        || net.parse::<std::net::IpAddr>().is_ok()
        || rule
            .split('/')
            .next()
            .unwrap_or("")
            .parse::<std::net::IpAddr>()
            .is_ok()
}

/// The CLI's value parsers and its whole argument parser (argv split on
/// NUL): no panic, and accepted sizes and durations are sane.
pub fn cli_values(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(n) = crate::cli::parse_size(&text) {
        let digits: String = text
            .trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert!(n == 0 || !digits.is_empty(), "{text:?} -> {n}");
    }
    if let Ok(d) = crate::cli::parse_duration(&text) {
        assert!(!d.is_zero(), "a zero duration was accepted: {text:?}");
    }
    if let Ok((host, guest)) = crate::cli::parse_dir(&text) {
        assert!(
            !host.as_os_str().is_empty() && !guest.is_empty(),
            "{text:?}"
        );
    }
    let argv = std::iter::once("wasio").chain(text.split('\0'));
    let _ = <crate::cli::Cli as clap::Parser>::try_parse_from(argv);
}
