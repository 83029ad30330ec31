//! The network sandbox: which addresses a guest may bind, connect to and
//! send datagrams to. Deny by default; each `--allow-*` flag adds rules.
//!
//! A rule is `*`, an IP address, or a CIDR block, optionally followed by
//! `:PORT` or `:LOW-HIGH` (IPv6 in brackets when a port follows:
//! `[::1]:8080`, `[fd00::/8]:1000-2000`). A host name is resolved when the
//! host starts (every address it resolves to is allowed).

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use anyhow::{bail, Context as _, Result};

/// One `--allow-*` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Network and prefix length; `None` matches every address.
    net: Option<(IpAddr, u8)>,
    /// Inclusive port range; `None` matches every port.
    ports: Option<(u16, u16)>,
    /// The text the rule came from, for messages.
    text: String,
}

fn parse_ports(s: &str) -> Result<(u16, u16)> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let lo: u16 = lo
        .parse()
        .with_context(|| format!("`{s}` is not a port or port range"))?;
    let hi: u16 = hi
        .parse()
        .with_context(|| format!("`{s}` is not a port or port range"))?;
    if lo > hi {
        bail!("port range `{s}` is empty");
    }
    Ok((lo, hi))
}

fn parse_net(s: &str) -> Result<Option<(IpAddr, u8)>> {
    if s == "*" {
        return Ok(None);
    }
    let (ip, prefix) = match s.split_once('/') {
        Some((ip, p)) => (ip, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = ip
        .parse()
        .with_context(|| format!("`{ip}` is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|&p| p <= max)
            .with_context(|| format!("`/{p}` is not a prefix length (0-{max})"))?,
        None => max,
    };
    Ok(Some((ip, prefix)))
}

impl Rule {
    /// Parses one rule; host names are resolved now.
    pub fn parse(spec: &str) -> Result<Vec<Rule>> {
        let text = spec.to_string();
        let s = spec.trim();
        if s.is_empty() {
            bail!("empty address rule");
        }
        // [v6]:ports, [v6/prefix]:ports, [v6]
        if let Some(rest) = s.strip_prefix('[') {
            let (inner, after) = rest
                .split_once(']')
                .with_context(|| format!("`{s}`: missing `]`"))?;
            let ports = match after.strip_prefix(':') {
                Some(p) => Some(parse_ports(p)?),
                None if after.is_empty() => None,
                None => bail!("`{s}`: expected `:PORT` after `]`"),
            };
            return Ok(vec![Rule {
                net: parse_net(inner)?,
                ports,
                text,
            }]);
        }
        // A bare address or CIDR (IPv6 without brackets has no port).
        if let Ok(net) = parse_net(s) {
            return Ok(vec![Rule {
                net,
                ports: None,
                text,
            }]);
        }
        let (host, ports) = match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(parse_ports(p)?)),
            None => (s, None),
        };
        if let Ok(net) = parse_net(host) {
            return Ok(vec![Rule { net, ports, text }]);
        }
        // A host name: every address it resolves to, now.
        let addrs: Vec<SocketAddr> = (host, 0)
            .to_socket_addrs()
            .with_context(|| format!("`{host}` is neither an address nor a resolvable host name"))?
            .collect();
        if addrs.is_empty() {
            bail!("`{host}` resolves to no address");
        }
        Ok(addrs
            .into_iter()
            .map(|a| Rule {
                net: Some((a.ip(), if a.is_ipv4() { 32 } else { 128 })),
                ports,
                text: text.clone(),
            })
            .collect())
    }

    /// Whether `addr` falls under this rule.
    pub fn matches(&self, addr: &SocketAddr) -> bool {
        if let Some((lo, hi)) = self.ports {
            if !(lo..=hi).contains(&addr.port()) {
                return false;
            }
        }
        match self.net {
            None => true,
            Some((net, prefix)) => in_net(canonical(addr.ip()), canonical(net), prefix),
        }
    }
}

/// IPv4-mapped IPv6 addresses are treated as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix.min(32))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix.min(128))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// What a guest is trying to do with an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Bind a TCP socket (to listen).
    Listen,
    /// Connect a TCP socket.
    Connect,
    /// Bind a UDP socket.
    UdpBind,
    /// Send a datagram to (or connect a UDP socket to) an address.
    UdpSend,
}

impl Action {
    /// The command-line flag that grants this action.
    pub fn flag(self) -> &'static str {
        match self {
            Action::Listen => "--allow-listen",
            Action::Connect => "--allow-connect",
            Action::UdpBind => "--allow-udp-bind",
            Action::UdpSend => "--allow-udp-send",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Listen => "listen on",
            Action::Connect => "connect to",
            Action::UdpBind => "bind UDP to",
            Action::UdpSend => "send UDP to",
        })
    }
}

/// The whole network policy of one guest.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    /// `--allow-net`: everything.
    pub all: bool,
    /// `--allow-dns`: name resolution.
    pub dns: bool,
    /// `--allow-listen`.
    pub listen: Vec<Rule>,
    /// `--allow-connect`.
    pub connect: Vec<Rule>,
    /// `--allow-udp-bind`.
    pub udp_bind: Vec<Rule>,
    /// `--allow-udp-send`.
    pub udp_send: Vec<Rule>,
}

impl NetPolicy {
    fn rules(&self, a: Action) -> &[Rule] {
        match a {
            Action::Listen => &self.listen,
            Action::Connect => &self.connect,
            Action::UdpBind => &self.udp_bind,
            Action::UdpSend => &self.udp_send,
        }
    }

    /// Whether `action` on `addr` is granted. A denial is logged with the
    /// flag that would grant it.
    pub fn allows(&self, action: Action, addr: &SocketAddr) -> bool {
        if self.all || self.rules(action).iter().any(|r| r.matches(addr)) {
            tracing::debug!(%addr, "allowed: {action}");
            return true;
        }
        // Port 0 means "any free port": suggest the address alone.
        let spec = match (addr, addr.port()) {
            (SocketAddr::V4(v4), 0) => v4.ip().to_string(),
            (SocketAddr::V6(v6), 0) => format!("[{}]", v6.ip()),
            (SocketAddr::V4(_), _) => addr.to_string(),
            (SocketAddr::V6(v6), p) => format!("[{}]:{p}", v6.ip()),
        };
        tracing::warn!(
            "denied: guest tried to {action} {addr}; allow it with `{} {spec}` (or --allow-net)",
            action.flag()
        );
        false
    }

    /// Whether name resolution is granted (logged when not).
    pub fn allows_dns(&self, host: &str) -> bool {
        if self.all || self.dns {
            return true;
        }
        tracing::warn!(
            "denied: guest tried to resolve `{host}`; allow it with --allow-dns (or --allow-net)"
        );
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn rule(s: &str) -> Rule {
        let mut v = Rule::parse(s).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn addresses_cidrs_and_ports() {
        assert!(rule("127.0.0.1").matches(&a("127.0.0.1:80")));
        assert!(!rule("127.0.0.1").matches(&a("127.0.0.2:80")));
        assert!(rule("10.0.0.0/8:1000-2000").matches(&a("10.9.8.7:1500")));
        assert!(!rule("10.0.0.0/8:1000-2000").matches(&a("10.9.8.7:999")));
        assert!(!rule("10.0.0.0/8").matches(&a("11.0.0.1:1")));
        assert!(rule("*:8080").matches(&a("[::1]:8080")));
        assert!(!rule("*:8080").matches(&a("1.2.3.4:8081")));
        assert!(rule("*").matches(&a("8.8.8.8:53")));
        assert!(rule("0.0.0.0/0").matches(&a("8.8.8.8:53")));
        assert!(rule("[::1]:443").matches(&a("[::1]:443")));
        assert!(rule("::1").matches(&a("[::1]:1")));
        assert!(rule("[fd00::/8]:1-2").matches(&a("[fd12::1]:2")));
        assert!(!rule("[fd00::/8]").matches(&a("[fe80::1]:2")));
        // IPv4-mapped IPv6 counts as IPv4.
        assert!(rule("127.0.0.1").matches(&a("[::ffff:127.0.0.1]:9")));
        assert!(!rule("127.0.0.1").matches(&a("[::1]:9")));
    }

    #[test]
    fn bad_rules_are_rejected_with_a_reason() {
        for bad in [
            "",
            "1.2.3.4:",
            "1.2.3.4:70000",
            "1.2.3.4:9-1",
            "1.2.3.4/33",
            "[::1",
            "[::1]x",
            "no.such.host.invalid",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn host_names_resolve_at_start() {
        let rules = Rule::parse("localhost:80").unwrap();
        assert!(!rules.is_empty());
        assert!(rules.iter().any(|r| r.matches(&a("127.0.0.1:80"))));
    }

    #[test]
    fn policy_is_deny_by_default() {
        let mut p = NetPolicy::default();
        assert!(!p.allows(Action::Connect, &a("127.0.0.1:80")));
        assert!(!p.allows_dns("example.com"));
        p.connect = Rule::parse("127.0.0.1:80").unwrap();
        assert!(p.allows(Action::Connect, &a("127.0.0.1:80")));
        assert!(!p.allows(Action::Listen, &a("127.0.0.1:80")));
        assert!(!p.allows(Action::UdpSend, &a("127.0.0.1:80")));
        p.all = true;
        assert!(p.allows(Action::UdpBind, &a("0.0.0.0:0")));
        assert!(p.allows_dns("example.com"));
    }
}
