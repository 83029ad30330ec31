//! Starting an instance again after it failed (`--restart`, `--workers`).

use std::time::Instant;

use anyhow::Result;

use super::{
    Ended, Restart, RunConfig, EXIT_TIMEOUT, RESTART_DELAY_MAX, RESTART_DELAY_MIN, RESTART_GIVE_UP,
};

impl RunConfig {
    /// Runs one instance (`worker`, when there are several) until it
    /// ends for good. With [`Restart::OnFailure`], an instance that trapped
    /// or exited non-zero is started again: after [`RESTART_DELAY_MIN`]
    /// when it had got through its start-up (it had waited for I/O or
    /// accepted a connection: a bad request killed a serving instance,
    /// and the service needs it back at once), else after a delay that doubles with every such failure
    /// in a row up to [`RESTART_DELAY_MAX`] (a guest that fails as it
    /// starts must not spin), and not at all after [`RESTART_GIVE_UP`] of
    /// those. Not restarted either: a clean exit, the time limit, an
    /// instance that could not be made at all, or a restart that would
    /// come after the deadline.
    pub(super) fn supervise(
        &self,
        worker: Option<usize>,
        restart: Restart,
        deadline: Option<Instant>,
        mut one: impl FnMut() -> Result<Ended>,
    ) -> i32 {
        let who = match worker {
            Some(w) => format!("worker {w}"),
            None => self.module.display().to_string(),
        };
        let mut delay = RESTART_DELAY_MIN;
        let mut restarts = 0u64;
        let mut failed_starting = 0u32;
        loop {
            let ended = match one() {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("wasio: {who}: {e:#}");
                    return 1;
                }
            };
            let status = ended.status;
            if status == 0 || status == EXIT_TIMEOUT || restart == Restart::No {
                return status;
            }
            if ended.started {
                delay = RESTART_DELAY_MIN;
                failed_starting = 0;
            } else {
                failed_starting += 1;
                if failed_starting >= RESTART_GIVE_UP {
                    eprintln!(
                        "wasio: {who} failed {failed_starting} times in a row before it got \
                         going (status {status}); not starting it again"
                    );
                    return status;
                }
            }
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                return status;
            }
            restarts += 1;
            eprintln!(
                "wasio: {who} failed with status {status}; restarting it in {} ms \
                 (restart {restarts})",
                delay.as_millis()
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(RESTART_DELAY_MAX);
        }
    }
}
