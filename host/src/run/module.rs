//! Running a preview1 module on wasio's own WASI.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use wasmtime::{Linker, Module, Store};

use super::{Ended, RunConfig, UnknownImports};
use crate::wasi::{self, WasiCtx, WasiView};

/// What the store holds for one guest.
pub struct Host {
    /// preview1 state.
    pub wasi: WasiCtx,
    /// The guest's memory, once a host call has looked it up.
    pub memory: Option<wasmtime::Memory>,
}

impl WasiView for Host {
    fn wasi(&mut self) -> &mut WasiCtx {
        &mut self.wasi
    }

    fn memory_slot(&mut self) -> &mut Option<wasmtime::Memory> {
        &mut self.memory
    }
}

impl RunConfig {
    /// Runs `module`: one instance, or `--workers` of them sharing its
    /// listeners.
    pub(super) fn run_module(
        &self,
        module: &Module,
        interruptible: bool,
        listeners: &[TcpListener],
        deadline: Option<Instant>,
    ) -> Result<i32> {
        let engine = module.engine();
        let mut linker = Linker::new(engine);
        wasi::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
        {
            let mut store = Store::new(engine, self.host(WasiCtx::builder().build()?));
            self.link_unknown_imports(&mut linker, &mut store, module)?;
        }
        let n = self.workers.unwrap_or(1);
        let lines = (n > 1).then(|| Arc::new(wasi::StdioLines::default()));
        let kept = (n > 1).then(|| Arc::new(wasi::KeptListeners::default()));
        let one = |worker: usize| -> Result<Ended> {
            let mut b = self.context(listeners, deadline)?;
            if self.workers.is_some() {
                b.env("WASIO_WORKER", &worker.to_string());
            }
            if n > 1 {
                b.reuseport(true);
                b.stdio_lines(lines.clone());
                b.worker(worker, kept.clone());
            }
            let store = Store::new(engine, self.host(b.build()?));
            self.instance(
                store,
                &linker,
                module,
                interruptible,
                (n > 1).then_some(worker),
            )
        };
        let forget = |worker: usize| {
            if let Some(k) = &kept {
                k.forget_worker(worker);
            }
        };
        self.run_instances(n, deadline, &one, &forget)
    }

    /// The store data for a context.
    fn host(&self, wasi: WasiCtx) -> Host {
        Host { wasi, memory: None }
    }

    /// One instance's context: arguments, environment, preopens (the
    /// directories opened anew, the listeners shared), limits.
    fn context(
        &self,
        listeners: &[TcpListener],
        deadline: Option<Instant>,
    ) -> Result<wasi::ctx::WasiCtxBuilder> {
        let mut b = WasiCtx::builder();
        let argv0 = self.module.display().to_string();
        b.args(std::iter::once(argv0).chain(self.args.iter().cloned()));
        for (k, v) in &self.env {
            b.env(k, v);
        }
        for (host, guest, ro) in &self.dirs {
            b.preopen_dir(host, guest, *ro)?;
        }
        for l in listeners {
            b.preopen_listener(l.try_clone().context("sharing a listener")?);
        }
        if let Some(n) = self.max_fds {
            b.max_fds(n);
        }
        b.max_memory(self.max_memory);
        b.deadline(deadline);
        b.policy(self.net.clone());
        Ok(b)
    }

    /// Instantiates and runs one guest; its exit status. `worker` names
    /// it in messages when there are several.
    fn instance(
        &self,
        mut store: Store<Host>,
        linker: &Linker<Host>,
        module: &Module,
        interruptible: bool,
        worker: Option<usize>,
    ) -> Result<Ended> {
        store.limiter(|h| &mut h.wasi.account);
        if interruptible {
            // The timer thread bumps the epoch once, when time is up.
            store.set_epoch_deadline(1);
            store.epoch_deadline_trap();
        }
        let instance = match linker.instantiate(&mut store, module) {
            Ok(i) => i,
            Err(e) => {
                let e = anyhow::Error::from(e);
                if self.max_memory.is_some() && format!("{e:#}").contains("memory") {
                    bail!(
                        "cannot instantiate {}: {e:#} (is --max-memory too small?)",
                        self.module.display()
                    );
                }
                return Err(e.context(format!("cannot instantiate {}", self.module.display())));
            }
        };
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "{} has no `_start` export: is it a WASI command module?",
                    self.module.display()
                )
            })?;
        let result = start.call(&mut store, ());
        Ok(Ended {
            status: self.status(result, worker),
            started: store.data().wasi.started,
        })
    }

    /// Checks every import the host does not provide: an error naming it
    /// (and the flag), or with `--unknown-imports trap` a function that
    /// traps, naming it, if it is ever called.
    fn link_unknown_imports(
        &self,
        linker: &mut Linker<Host>,
        store: &mut Store<Host>,
        module: &Module,
    ) -> Result<()> {
        let missing: Vec<_> = module
            .imports()
            .filter(|i| linker.get_by_import(&mut *store, i).is_none())
            .collect();
        for import in missing {
            let (m, n) = (import.module().to_string(), import.name().to_string());
            if m == wasi::linker::MODULE {
                bail!(
                    "{} imports `{m}::{n}`, which is not a preview1 function",
                    self.module.display()
                );
            }
            let wasmtime::ExternType::Func(ty) = import.ty() else {
                bail!(
                    "{} imports `{m}::{n}`, which is not a function, and no host provides it",
                    self.module.display()
                );
            };
            if self.unknown_imports == UnknownImports::Error {
                bail!(
                    "{} imports `{m}::{n}`, which wasio does not provide; if the guest never \
                     calls it, run with `--unknown-imports trap` to link it as a function that \
                     stops the guest when called",
                    self.module.display()
                );
            }
            tracing::debug!("linking unknown import `{m}::{n}` as a trap");
            let what = format!("`{m}::{n}`");
            linker
                .func_new(&m, &n, ty, move |_, _, _| {
                    Err(wasmtime::Error::msg(format!(
                        "the guest called {what}, which wasio does not provide \
                         (it was linked as a trap by --unknown-imports trap)"
                    )))
                })
                .map_err(anyhow::Error::from)?;
        }
        Ok(())
    }
}
