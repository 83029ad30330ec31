//! `wasi:sockets/ip-name-lookup` for components, in place of
//! wasmtime-wasi's: the grant and its denial message are the policy's
//! (`--allow-dns`, as for preview1), an address literal needs no grant, and
//! a lookup is bounded as preview1's is (a thread of its own, at most 16
//! under way in the host, [`LOOKUP_TIMEOUT`] each) instead of going to
//! tokio's blocking pool without a bound.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::{
    Host, HostResolveAddressStream, ResolveAddressStream,
};
use wasmtime_wasi::p2::bindings::sockets::network::{self, ErrorCode, IpAddress};
use wasmtime_wasi::p2::{DynPollable, Network, Pollable, SocketError};

use crate::policy::NetPolicy;
use crate::wasi::lookup::{self, LOOKUP_TIMEOUT, MAX_NAME};

/// The answer a lookup is waiting for.
type Answer = std::io::Result<Vec<std::net::SocketAddr>>;

/// One lookup: under way, then its addresses one by one.
pub(super) struct Lookup {
    state: State,
}

enum State {
    Pending {
        answer: oneshot::Receiver<Answer>,
        until: Instant,
        name: String,
    },
    Done(Result<std::vec::IntoIter<IpAddr>, ErrorCode>),
}

impl Lookup {
    fn done(r: Result<Vec<IpAddr>, ErrorCode>) -> Self {
        Lookup {
            state: State::Done(r.map(Vec::into_iter)),
        }
    }
}

/// The addresses of an answer, or the error the guest gets for it.
fn settle(name: &str, answer: Option<Answer>) -> Result<Vec<IpAddr>, ErrorCode> {
    match answer {
        Some(Ok(addrs)) => {
            let mut ips: Vec<IpAddr> = addrs.iter().map(|a| a.ip().to_canonical()).collect();
            ips.dedup();
            Ok(ips)
        }
        Some(Err(e)) => {
            tracing::debug!("resolving `{name}` failed: {e}");
            Err(ErrorCode::NameUnresolvable)
        }
        // The lookup's thread ended without an answer.
        None => Err(ErrorCode::PermanentResolverFailure),
    }
}

/// What a lookup that ran past [`LOOKUP_TIMEOUT`] gets.
fn timed_out(name: &str) -> ErrorCode {
    tracing::warn!(
        "resolving `{name}` took longer than {} s; the guest is told it failed",
        LOOKUP_TIMEOUT.as_secs()
    );
    ErrorCode::TemporaryResolverFailure
}

#[wasmtime_wasi::async_trait]
impl Pollable for Lookup {
    async fn ready(&mut self) {
        let State::Pending {
            answer,
            until,
            name,
        } = &mut self.state
        else {
            return;
        };
        let r = match tokio::time::timeout_at((*until).into(), answer).await {
            Ok(answer) => settle(name, answer.ok()),
            Err(_) => Err(timed_out(name)),
        };
        self.state = State::Done(r.map(Vec::into_iter));
    }
}

/// What the lookup functions see of the store.
pub(crate) struct DnsView<'a> {
    /// The instance's resources.
    pub(crate) table: &'a mut ResourceTable,
    /// The instance's network policy.
    pub(crate) policy: &'a Arc<NetPolicy>,
}

/// [`HasData`] for [`DnsView`].
pub(super) struct Dns;

impl HasData for Dns {
    type Data<'a> = DnsView<'a>;
}

/// The guest's handle, typed as the binding wants it, for our entry.
fn ours(r: &Resource<ResolveAddressStream>) -> Resource<Lookup> {
    if r.owned() {
        Resource::new_own(r.rep())
    } else {
        Resource::new_borrow(r.rep())
    }
}

/// What `ip-name-lookup`'s errors need from `network` (as wasmtime-wasi
/// answers it).
impl network::Host for DnsView<'_> {
    fn convert_error_code(&mut self, error: SocketError) -> wasmtime::Result<ErrorCode> {
        error.downcast()
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        Ok(err.downcast_ref::<std::io::Error>().map(ErrorCode::from))
    }
}

impl network::HostNetwork for DnsView<'_> {
    fn drop(&mut self, this: Resource<Network>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl Host for DnsView<'_> {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> Result<Resource<ResolveAddressStream>, SocketError> {
        // The network resource is the capability to call this; its
        // validity is all there is to check.
        self.table.get(&network)?;
        let literal = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(&name)
            .parse::<IpAddr>();
        let lookup = if let Ok(ip) = literal {
            // An address literal needs no grant, as for preview1.
            Lookup::done(Ok(vec![ip.to_canonical()]))
        } else if name.is_empty() || name.len() > MAX_NAME || name.contains('\0') {
            return Err(ErrorCode::InvalidArgument.into());
        } else if !self.policy.allows_dns(&name) {
            return Err(ErrorCode::AccessDenied.into());
        } else {
            let (tx, rx) = oneshot::channel();
            if !lookup::spawn(name.clone(), 0, move |r| {
                let _ = tx.send(r);
            }) {
                return Err(ErrorCode::TemporaryResolverFailure.into());
            }
            Lookup {
                state: State::Pending {
                    answer: rx,
                    until: Instant::now() + LOOKUP_TIMEOUT,
                    name,
                },
            }
        };
        let r = self.table.push(lookup)?;
        Ok(Resource::new_own(r.rep()))
    }
}

impl HostResolveAddressStream for DnsView<'_> {
    fn resolve_next_address(
        &mut self,
        stream: Resource<ResolveAddressStream>,
    ) -> Result<Option<IpAddress>, SocketError> {
        let lookup = self.table.get_mut(&ours(&stream))?;
        if let State::Pending {
            answer,
            until,
            name,
        } = &mut lookup.state
        {
            let r = match answer.try_recv() {
                Ok(a) => settle(name, Some(a)),
                Err(oneshot::error::TryRecvError::Closed) => settle(name, None),
                Err(oneshot::error::TryRecvError::Empty) if Instant::now() >= *until => {
                    Err(timed_out(name))
                }
                Err(oneshot::error::TryRecvError::Empty) => {
                    return Err(ErrorCode::WouldBlock.into())
                }
            };
            lookup.state = State::Done(r.map(Vec::into_iter));
        }
        match &mut lookup.state {
            State::Done(Ok(ips)) => Ok(ips.next().map(IpAddress::from)),
            State::Done(Err(e)) => Err((*e).into()),
            State::Pending { .. } => Err(ErrorCode::WouldBlock.into()),
        }
    }

    fn subscribe(
        &mut self,
        stream: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        wasmtime_wasi::p2::subscribe(self.table, ours(&stream))
    }

    async fn drop(&mut self, stream: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        // The thread, if still resolving, finishes on its own and its
        // answer is dropped.
        self.table.delete(ours(&stream))?;
        Ok(())
    }
}
