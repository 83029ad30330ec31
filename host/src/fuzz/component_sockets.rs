//! Fuzzing a component's sockets: arbitrary sequences of `wasi:sockets`
//! calls (TCP and UDP sockets made, bound, connected, listened on,
//! accepted from, written to, read from, waited on, sent from, dropped;
//! names resolved), made through the very host trait implementations a
//! component's imports call (wasio's own TCP, streams and wait; UDP from
//! wasmtime-wasi under `preview2::addr_check`), under the policy `wasio
//! run` gives a component.
//!
//! The policy grants 127.0.0.1 ports 40000-40099 for every use. The
//! invariants: nothing panics; a bind, listen or connect the host reports
//! as done used a granted address (or the implicit any-address, port 0);
//! two canaries on ungranted ports (a TCP listener, a UDP socket) never
//! see a connection or a datagram; no host fd outlives the run.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::Host as _;
use wasmtime_wasi::p2::bindings::io::poll::{Host as _, HostPollable};
use wasmtime_wasi::p2::bindings::io::streams::{HostInputStream, HostOutputStream};
use wasmtime_wasi::p2::bindings::sockets::instance_network::Host as _;
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::{
    Host as _, HostResolveAddressStream, ResolveAddressStream,
};
use wasmtime_wasi::p2::bindings::sockets::network::{IpAddressFamily, IpSocketAddress, Network};
use wasmtime_wasi::p2::bindings::sockets::tcp::HostTcpSocket as Tcp;
use wasmtime_wasi::p2::bindings::sockets::tcp_create_socket::Host as _;
use wasmtime_wasi::p2::bindings::sockets::udp::{
    HostOutgoingDatagramStream as _, HostUdpSocket as Udp, OutgoingDatagram,
};
use wasmtime_wasi::p2::bindings::sockets::udp_create_socket::Host as _;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, TcpSocket, UdpSocket as WasiUdp};
use wasmtime_wasi::sockets::WasiSocketsCtxView;
use wasmtime_wasi::WasiView;

use super::{open_fds, Input};
use crate::policy::{NetPolicy, Rule};
use crate::wasi::preview2::{self, ComponentHost, Grants};

/// The granted ports (on 127.0.0.1), for every use.
const GRANTED: std::ops::RangeInclusive<u16> = 40000..=40099;

/// Names a fuzzed lookup asks for: literals, a name, nonsense.
const NAMES: &[&str] = &[
    "127.0.0.1",
    "::1",
    "[::1]",
    "localhost",
    "",
    "a\0b",
    "300.1.1.1",
];

/// What the socket calls are made on: the component host of one run.
struct Run {
    host: ComponentHost,
    network: Resource<Network>,
    tcp: Vec<Resource<TcpSocket>>,
    /// Streams of connected sockets (children of them in the table).
    streams: Vec<(Resource<DynInputStream>, Resource<DynOutputStream>)>,
    udp: Vec<Resource<WasiUdp>>,
    canaries: [u16; 2],
}

/// Binds a canary with `bind` until its port is outside [`GRANTED`].
fn canary<T>(bind: impl Fn() -> std::io::Result<T>, port: impl Fn(&T) -> u16) -> (T, u16) {
    loop {
        let c = bind().expect("canary");
        let p = port(&c);
        if !GRANTED.contains(&p) {
            return (c, p);
        }
    }
}

impl Run {
    /// wasio's TCP, streams, wait and clock.
    fn io(&mut self) -> preview2::io::Io<'_> {
        self.host.io()
    }

    fn sockets(&mut self) -> WasiSocketsCtxView<'_> {
        let v = self.host.ctx();
        WasiSocketsCtxView {
            ctx: v.ctx.sockets(),
            table: v.table,
        }
    }

    /// An address: mostly granted, canary, implicit or odd shapes.
    fn addr(&self, input: &mut Input<'_>) -> SocketAddr {
        let port = |i: &mut Input<'_>| GRANTED.start() + u16::from(i.u8() % 100);
        match input.u8() % 10 {
            0..=2 => SocketAddr::from(([127, 0, 0, 1], port(input))),
            3 => SocketAddr::from(([127, 0, 0, 1], self.canaries[0])),
            4 => SocketAddr::from(([127, 0, 0, 1], self.canaries[1])),
            5 => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            6 => SocketAddr::from(([0u16, 0, 0, 0, 0, 0xffff, 0x7f00, 1], port(input))),
            7 => SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], port(input))),
            8 => "[fe80::1%1]:40000".parse().expect("literal"),
            _ => SocketAddr::from((input.u32().to_be_bytes(), input.u16())),
        }
    }
}

/// Whether the harness's policy grants `addr` (written out apart from the
/// matcher, which is what is under test).
fn granted(addr: &SocketAddr) -> bool {
    let ip = match addr.ip() {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4),
        v4 => Some(v4),
    };
    ip == Some(Ipv4Addr::LOCALHOST.into()) && GRANTED.contains(&addr.port())
}

fn family(input: &mut Input<'_>) -> IpAddressFamily {
    if input.u8().is_multiple_of(4) {
        IpAddressFamily::Ipv6
    } else {
        IpAddressFamily::Ipv4
    }
}

/// Runs one input (see the module docs); panics when an invariant breaks.
pub fn component_sockets(data: &[u8]) {
    let fds_before = open_fds();
    let port_of = |a: std::io::Result<SocketAddr>| a.map_or(0, |a| a.port());
    let (tcp_canary, tcp_port) = canary(
        || TcpListener::bind("127.0.0.1:0"),
        |l| port_of(l.local_addr()),
    );
    let (udp_canary, udp_port) = canary(
        || UdpSocket::bind("127.0.0.1:0"),
        |u| port_of(u.local_addr()),
    );
    tcp_canary.set_nonblocking(true).expect("canary");
    udp_canary.set_nonblocking(true).expect("canary");
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _in_rt = rt.enter();
        let rules =
            Rule::parse(&format!("127.0.0.1:{}-{}", GRANTED.start(), GRANTED.end())).expect("rule");
        let net = NetPolicy {
            listen: rules.clone(),
            connect: rules.clone(),
            udp_bind: rules.clone(),
            udp_send: rules,
            ..Default::default()
        };
        let grants = Grants {
            net: Arc::new(net),
            max_fds: 64,
            ..Default::default()
        };
        let mut host = preview2::host(&grants).expect("component host");
        let network = {
            let v = host.ctx();
            WasiSocketsCtxView {
                ctx: v.ctx.sockets(),
                table: v.table,
            }
            .instance_network()
            .expect("network")
        };
        let mut run = Run {
            host,
            network,
            tcp: Vec::new(),
            streams: Vec::new(),
            udp: Vec::new(),
            canaries: [tcp_port, udp_port],
        };
        let mut input = Input(data);
        let mut steps = 0;
        while !input.is_empty() && steps < 64 {
            steps += 1;
            rt.block_on(step(&mut run, &mut input));
        }
    }
    assert!(
        tcp_canary.accept().is_err(),
        "a connection reached an ungranted port"
    );
    let mut buf = [0u8; 64];
    assert!(
        udp_canary.recv_from(&mut buf).is_err(),
        "a datagram reached an ungranted port"
    );
    drop((tcp_canary, udp_canary));
    assert_eq!(open_fds(), fds_before, "a host fd outlived the run");
}

/// Reads, writes, waits on or drops a connection's streams (waits are
/// bounded by a zero-length timer in the same list, so none blocks).
async fn streams_step(
    run: &mut Run,
    input: &mut Input<'_>,
    i: Resource<DynInputStream>,
    o: Resource<DynOutputStream>,
) {
    let mut v = run.io();
    match input.u8() % 6 {
        0 => {
            let _ = HostInputStream::read(&mut v, i, u64::from(input.u16()));
        }
        1 => {
            let permit = HostOutputStream::check_write(&mut v, again(&o)).unwrap_or(0);
            let n = usize::from(input.u16()).min(usize::try_from(permit).unwrap_or(0));
            let _ = HostOutputStream::write(&mut v, o, vec![0x5a; n]);
        }
        2 => {
            let _ = HostOutputStream::flush(&mut v, o);
        }
        3 => {
            let list = [
                HostInputStream::subscribe(&mut v, i),
                HostOutputStream::subscribe(&mut v, o),
                v.subscribe_duration(0),
            ];
            let list: Vec<_> = list.into_iter().filter_map(Result::ok).collect();
            let reps: Vec<u32> = list.iter().map(|p| p.rep()).collect();
            let ready = v.poll(list).await.expect("a wait with a due timer ends");
            assert!(!ready.is_empty(), "the due timer is ready");
            for rep in reps {
                let _ = HostPollable::drop(&mut v, Resource::new_own(rep));
            }
        }
        4 => {
            let _ = HostInputStream::drop(&mut v, Resource::new_own(i.rep())).await;
            let _ = HostOutputStream::drop(&mut v, Resource::new_own(o.rep())).await;
            run.streams.retain(|(x, _)| x.rep() != i.rep());
        }
        _ => {
            let _ = HostOutputStream::splice(&mut v, o, i, u64::from(input.u16()));
        }
    }
}

/// Picks a socket by the next byte.
fn pick<T: 'static>(list: &[Resource<T>], input: &mut Input<'_>) -> Option<Resource<T>> {
    if list.is_empty() {
        return None;
    }
    Some(again(&list[usize::from(input.u8()) % list.len()]))
}

/// Another borrow of the same socket.
fn again<T: 'static>(r: &Resource<T>) -> Resource<T> {
    Resource::new_borrow(r.rep())
}

/// One operation.
async fn step(run: &mut Run, input: &mut Input<'_>) {
    let op = input.u8() % 11;
    match op {
        0 => {
            let f = family(input);
            if let Ok(s) = run.io().create_tcp_socket(f) {
                run.tcp.push(s);
            }
        }
        1 => {
            let f = family(input);
            if let Ok(s) = run.sockets().create_udp_socket(f).await {
                run.udp.push(s);
            }
        }
        2 => {
            let Some(s) = pick(&run.tcp, input) else {
                return;
            };
            let a = run.addr(input);
            let net = again(&run.network);
            let mut v = run.io();
            let s2 = again(&s);
            if Tcp::start_bind(&mut v, s, net, IpSocketAddress::from(a))
                .await
                .is_ok()
                && Tcp::finish_bind(&mut v, s2).is_ok()
            {
                let implicit = a.ip().is_unspecified() && a.port() == 0;
                assert!(implicit || granted(&a), "TCP bound to ungranted {a}");
            }
        }
        3 => {
            let Some(s) = pick(&run.tcp, input) else {
                return;
            };
            let a = run.addr(input);
            let net = again(&run.network);
            let s2 = again(&s);
            if Tcp::start_connect(&mut run.io(), s, net, IpSocketAddress::from(a)).is_ok() {
                // The connect completes in the kernel: give it a moment.
                for _ in 0..20 {
                    let r = Tcp::finish_connect(&mut run.io(), again(&s2));
                    match r {
                        Ok(streams) => {
                            assert!(granted(&a), "TCP connected to ungranted {a}");
                            run.streams.push(streams);
                            break;
                        }
                        Err(e) if format!("{e:?}").contains("would-block") => {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        Err(_) => break,
                    }
                }
            }
        }
        4 => {
            let Some(s) = pick(&run.tcp, input) else {
                return;
            };
            let s2 = again(&s);
            let mut v = run.io();
            if Tcp::start_listen(&mut v, s).await.is_ok()
                && Tcp::finish_listen(&mut v, again(&s2)).is_ok()
            {
                let local = Tcp::local_address(&mut v, s2).map(SocketAddr::from);
                if let Ok(a) = local {
                    assert!(granted(&a), "TCP listening on ungranted {a}");
                }
            }
        }
        5 => {
            let Some(s) = pick(&run.tcp, input) else {
                return;
            };
            if let Ok((c, input, output)) = Tcp::accept(&mut run.io(), s) {
                run.tcp.push(c);
                run.streams.push((input, output));
            }
        }
        6 => {
            let Some(s) = pick(&run.udp, input) else {
                return;
            };
            let a = run.addr(input);
            let net = again(&run.network);
            let s2 = again(&s);
            let mut v = run.sockets();
            if Udp::start_bind(&mut v, s, net, IpSocketAddress::from(a))
                .await
                .is_ok()
                && Udp::finish_bind(&mut v, s2).is_ok()
            {
                let implicit = a.ip().is_unspecified() && a.port() == 0;
                assert!(implicit || granted(&a), "UDP bound to ungranted {a}");
            }
        }
        7 => {
            let Some(s) = pick(&run.udp, input) else {
                return;
            };
            let a = run.addr(input);
            let connected = (input.u8().is_multiple_of(2)).then(|| IpSocketAddress::from(a));
            let Ok((incoming, outgoing)) = run.sockets().stream(s, connected).await else {
                return;
            };
            let to = run.addr(input);
            let datagram = OutgoingDatagram {
                data: vec![0x5a; usize::from(input.u8())],
                remote_address: (input.u8().is_multiple_of(2)).then(|| IpSocketAddress::from(to)),
            };
            let out = again(&outgoing);
            let mut v = run.sockets();
            if v.check_send(again(&out)).unwrap_or(0) > 0 {
                let _ = v.send(out, vec![datagram]);
            }
            let _ = v.table.delete(incoming);
            let _ = v.table.delete(outgoing);
        }
        8 => {
            let idx = usize::from(input.u8());
            if input.u8().is_multiple_of(2) && !run.tcp.is_empty() {
                // A socket with streams stays (the table refuses).
                let s = run.tcp.swap_remove(idx % run.tcp.len());
                if Tcp::drop(&mut run.io(), again(&s)).is_err() {
                    run.tcp.push(s);
                }
            } else if !run.udp.is_empty() {
                let s = run.udp.swap_remove(idx % run.udp.len());
                let _ = Udp::drop(&mut run.sockets(), s);
            }
        }
        9 if !run.streams.is_empty() => {
            let (i, o) = &run.streams[usize::from(input.u8()) % run.streams.len()];
            let (i, o) = (again(i), again(o));
            streams_step(run, input, i, o).await;
        }
        _ => {
            let name = NAMES[usize::from(input.u8()) % NAMES.len()].to_string();
            let net = again(&run.network);
            let mut dns = run.host.dns();
            if let Ok(stream) = dns.resolve_addresses(net, name) {
                let r: Resource<ResolveAddressStream> = again(&stream);
                let _ = dns.resolve_next_address(r);
                let _ = HostResolveAddressStream::drop(&mut dns, stream).await;
            }
        }
    }
}
