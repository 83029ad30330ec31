//! The loopback source addresses of the idle rows' connections.

use std::net::Ipv4Addr;

/// How many idle connections come from one loopback source address.
/// Connections to one server address need a source port each, and one
/// source address has only the ephemeral range (28,232 ports by default on
/// Linux) — 100,000 connections need several. 10,000 stays well inside
/// that range, and makes the rows this machine can run (1,000 to 19,000)
/// use the same path as the 100,000 one.
pub const CONNS_PER_SOURCE: usize = 10_000;

/// The loopback address idle connection `i` connects from: 127.0.0.1 for
/// the first [`CONNS_PER_SOURCE`], then 127.0.0.2, and so on (Linux
/// routes all of 127.0.0.0/8 to `lo`).
pub fn idle_source(i: usize) -> Ipv4Addr {
    let step = u32::try_from(i / CONNS_PER_SOURCE).expect("connection count");
    Ipv4Addr::from(u32::from(Ipv4Addr::LOCALHOST) + step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_connections_spread_over_loopback_sources() {
        assert_eq!(idle_source(0), Ipv4Addr::LOCALHOST);
        assert_eq!(idle_source(CONNS_PER_SOURCE - 1), Ipv4Addr::LOCALHOST);
        assert_eq!(idle_source(CONNS_PER_SOURCE), Ipv4Addr::new(127, 0, 0, 2));
        // 100,000 connections: ten sources, each under the ephemeral range.
        assert_eq!(idle_source(99_999), Ipv4Addr::new(127, 0, 0, 10));
        // Past .255 the count carries into the next octet, still loopback.
        let far = idle_source(300 * CONNS_PER_SOURCE);
        assert_eq!(far, Ipv4Addr::new(127, 0, 1, 45));
        assert!(far.is_loopback());
    }
}
