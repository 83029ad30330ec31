//! The host's own open-file limit.
//!
//! Every guest fd is a host fd, so `--max-fds` is only reachable if the
//! host process may open that many files. Many systems start processes
//! with a soft limit of 1,024 and a much higher hard limit; the host raises
//! its soft limit to the hard one at start, as servers do, and says so when
//! even that is too low for the guest's `--max-fds`.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Host fds that are not guest fds: the engine, the poller, the cache,
/// helper threads. Kept out of the guest's share.
pub(crate) const HOST_RESERVE: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit. Returns the soft
/// limit now in force (`None`: unlimited).
pub(crate) fn raise_nofile() -> Option<u64> {
    let lim = getrlimit(Resource::Nofile);
    if lim.current == lim.maximum {
        return lim.current;
    }
    let raised = Rlimit {
        current: lim.maximum,
        maximum: lim.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            tracing::debug!(from = ?lim.current, to = ?lim.maximum, "raised RLIMIT_NOFILE");
            lim.maximum
        }
        Err(e) => {
            tracing::debug!(%e, "cannot raise RLIMIT_NOFILE");
            lim.current
        }
    }
}

/// A warning when `max_fds` guest fds cannot fit under `soft`.
pub(crate) fn shortfall(max_fds: usize, soft: Option<u64>) -> Option<String> {
    let soft = soft?;
    let needed = (max_fds as u64).saturating_add(HOST_RESERVE);
    (needed > soft).then(|| {
        format!(
            "--max-fds {max_fds} cannot be reached: the host may open only {soft} files \
             (hard RLIMIT_NOFILE; see `ulimit -Hn`), so the guest gets EMFILE after about {} \
             descriptors",
            soft.saturating_sub(HOST_RESERVE)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortfall_names_the_limit() {
        assert_eq!(shortfall(100, Some(1024)), None);
        assert_eq!(shortfall(100, None), None);
        let w = shortfall(16_384, Some(1024)).unwrap();
        assert!(
            w.contains("--max-fds 16384") && w.contains("only 1024"),
            "{w}"
        );
        assert!(w.contains("about 960"), "{w}");
    }

    #[test]
    fn raising_never_lowers() {
        let before = getrlimit(Resource::Nofile).current;
        let now = raise_nofile();
        match (before, now) {
            (Some(b), Some(n)) => assert!(n >= b),
            (_, n) => assert_eq!(n, None),
        }
    }
}
