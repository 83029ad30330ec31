//! Running a WASI 0.2 component (`wasm32-wasip2`) on wasmtime-wasi, under
//! wasio's policy and limits.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use wasmtime::component::{Component, Linker};
use wasmtime::Store;
use wasmtime_wasi::p2::bindings::CommandPre;

use super::{Ended, RunConfig, UnknownImports};
use crate::wasi::preview2::{self, ComponentHost, Grants};

/// How long an ending instance waits for its peers to take the bytes it
/// wrote to connections it closed.
const LINGER: std::time::Duration = std::time::Duration::from_secs(5);

impl RunConfig {
    /// Runs `component` (the `wasi:cli/command` world).
    pub(super) fn run_component(
        &self,
        component: &Component,
        interruptible: bool,
        listeners: &[TcpListener],
        deadline: Option<Instant>,
    ) -> Result<i32> {
        if !listeners.is_empty() {
            bail!(
                "{} is a component: WASI 0.2 has no preopened sockets, so --tcplisten and \
                 socket-activated listeners are for preview1 modules; a component binds its \
                 own listeners (grant them with --allow-listen)",
                self.module.display()
            );
        }
        let pre = self.command_pre(component)?;
        let grants = self.grants();
        // With workers, every instance binds its own listeners with
        // SO_REUSEPORT, and the kernel spreads connections among them.
        let workers = self.workers.unwrap_or(1).max(1);
        let grants = Grants {
            deadline,
            reuse_port: workers > 1,
            drain: Some(self.drain),
            ..grants
        };
        let one = |worker: usize| {
            let mut grants = grants.clone();
            if self.workers.is_some() {
                grants.env.push(("WASIO_WORKER".into(), worker.to_string()));
            }
            self.component_instance(&pre, &grants, interruptible, deadline)
        };
        self.run_instances(workers, deadline, &one, &|_| {})
    }

    /// What every instance is given.
    fn grants(&self) -> Grants {
        let argv0 = self.module.display().to_string();
        Grants {
            args: std::iter::once(argv0)
                .chain(self.args.iter().cloned())
                .collect(),
            env: self.env.clone(),
            dirs: self.dirs.clone(),
            net: Arc::new(self.net.clone()),
            max_memory: self.max_memory,
            max_fds: self.max_fds.unwrap_or(crate::wasi::ctx::DEFAULT_MAX_FDS),
            ..Default::default()
        }
    }

    /// Links WASI 0.2 and checks the component's imports against it once:
    /// an import wasio does not provide is an error naming it (and the
    /// flag), or with `--unknown-imports trap` a function that traps.
    fn command_pre(&self, component: &Component) -> Result<CommandPre<ComponentHost>> {
        let mut linker: Linker<ComponentHost> = preview2::linker(component.engine())?;
        if self.unknown_imports == UnknownImports::Trap {
            linker
                .define_unknown_imports_as_traps(component)
                .map_err(anyhow::Error::from)?;
        }
        let pre = linker.instantiate_pre(component).map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "{} imports what wasio does not provide; if the guest never calls it, run \
                 with `--unknown-imports trap` to link it as a function that stops the guest \
                 when called",
                self.module.display()
            ))
        })?;
        CommandPre::new(pre)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "{} is not a WASI command component (it exports no `wasi:cli/run`)",
                    self.module.display()
                )
            })
    }

    /// Instantiates and runs one instance to its end, on a current-thread
    /// tokio runtime of its own. The run is bounded by `deadline` twice:
    /// the epoch stops guest code, and the host calls it waits in (a
    /// socket, a stream, a sleep) are dropped when the time is up.
    fn component_instance(
        &self,
        pre: &CommandPre<ComponentHost>,
        grants: &Grants,
        interruptible: bool,
        deadline: Option<Instant>,
    ) -> Result<Ended> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("starting the instance's event loop")?;
        // Each instance (each worker's, each restart's) starts afresh.
        let grants = &Grants {
            started: Default::default(),
            ..grants.clone()
        };
        // The context's streams register with the runtime's reactor.
        let host = {
            let _in_rt = rt.enter();
            preview2::host(grants)?
        };
        let mut store = Store::new(pre.engine(), host);
        store.limiter(|h| &mut h.account);
        // wasmtime's own count of the guest's live handles (and of those
        // lent for a call, as every pollable in a wait is) follows
        // --max-fds, as the resource table does.
        store.set_max_component_handles(
            grants
                .max_fds
                .saturating_mul(preview2::RESOURCES_PER_FD)
                .max(1024),
        );
        if interruptible {
            store.set_epoch_deadline(1);
            store.epoch_deadline_trap();
        }
        let run = async {
            let command = pre.instantiate_async(&mut store).await.map_err(|e| {
                let e = anyhow::Error::from(e);
                let hint = if self.max_memory.is_some() && format!("{e:#}").contains("memory") {
                    " (is --max-memory too small?)"
                } else {
                    ""
                };
                e.context(format!(
                    "cannot instantiate {}{hint}",
                    self.module.display()
                ))
            })?;
            let result = command.wasi_cli_run().call_run(&mut store).await;
            // What the guest wrote to connections it closed still goes out.
            store.data_mut().io.drain_lingering(LINGER);
            Ok::<_, anyhow::Error>(result)
        };
        let result = rt.block_on(async {
            match deadline {
                None => Some(run.await),
                Some(d) => tokio::time::timeout_at(d.into(), run).await.ok(),
            }
        });
        let status = match result {
            Some(Err(e)) => return Err(e),
            Some(Ok(Ok(Ok(())))) => 0,
            // `main` returned an error: wasi:cli/exit with an error status.
            Some(Ok(Ok(Err(())))) => 1,
            Some(Ok(Err(e))) if format!("{e:#}").contains("handle limit exceeded") => self.status(
                Err(e.context("the component holds more handles than --max-fds allows (8 per fd)")),
                None,
            ),
            Some(Ok(Err(e))) => self.status(Err(e), None),
            None => self.status(Err(wasmtime::Error::new(crate::wasi::TimedOut)), None),
        };
        let started = grants.started.load(std::sync::atomic::Ordering::Relaxed);
        Ok(Ended { status, started })
    }
}
