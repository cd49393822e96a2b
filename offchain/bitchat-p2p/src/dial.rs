//! Every dial checked before a packet leaves. Peers name addresses this node then dials: DCUtR
//! the other side's candidates, Kademlia the closer peers another server lists, AutoNAT's and
//! relay's own. Records are checked when read ([`crate::record::check_addr`]), but those
//! addresses are not records. The transport under the swarm applies the same rules to each of
//! them ([`check_quic_target`]): no loopback (unless a test allows it), unspecified, multicast,
//! broadcast or v4-mapped address and no port 0, so no peer can make this node send packets to
//! the machine it runs on or spray a broadcast. A refused dial fails like an unsupported
//! address; the swarm tries the peer's other addresses.

use std::pin::Pin;
use std::task::{Context, Poll};

use libp2p::core::transport::{DialOpts, ListenerId, TransportError, TransportEvent};
use libp2p::core::Transport;
use libp2p::Multiaddr;

use crate::record::{check_quic_target, AddrPolicy};

/// `inner` with each dial checked against `policy` first.
pub(crate) struct CheckedDials<T> {
    pub(crate) inner: T,
    pub(crate) policy: AddrPolicy,
}

impl<T: Transport + Unpin> Transport for CheckedDials<T> {
    type Output = T::Output;
    type Error = T::Error;
    type ListenerUpgrade = T::ListenerUpgrade;
    type Dial = T::Dial;

    fn listen_on(
        &mut self,
        id: ListenerId,
        addr: Multiaddr,
    ) -> Result<(), TransportError<Self::Error>> {
        self.inner.listen_on(id, addr)
    }

    fn remove_listener(&mut self, id: ListenerId) -> bool {
        self.inner.remove_listener(id)
    }

    fn dial(
        &mut self,
        addr: Multiaddr,
        opts: DialOpts,
    ) -> Result<Self::Dial, TransportError<Self::Error>> {
        if let Err(why) = check_quic_target(&addr, self.policy) {
            tracing::debug!(%addr, why, "dial refused");
            return Err(TransportError::MultiaddrNotSupported(addr));
        }
        self.inner.dial(addr, opts)
    }

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<TransportEvent<Self::ListenerUpgrade, Self::Error>> {
        Pin::new(&mut self.get_mut().inner).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::core::transport::PortUse;
    use libp2p::core::Endpoint;

    fn dial_opts() -> DialOpts {
        DialOpts {
            role: Endpoint::Dialer,
            port_use: PortUse::New,
        }
    }

    /// What a hostile peer might name, refused before any packet; a routable address goes on
    /// to QUIC.
    #[tokio::test]
    async fn dials_to_addresses_a_peer_may_not_name_are_refused() {
        let key = libp2p::identity::Keypair::generate_secp256k1();
        let mut t = CheckedDials {
            inner: libp2p::quic::tokio::Transport::new(libp2p::quic::Config::new(&key)),
            policy: AddrPolicy {
                allow_loopback: false,
            },
        };
        for bad in [
            "/ip4/127.0.0.1/udp/4001/quic-v1",
            "/ip4/127.1.2.3/udp/4001/quic-v1",
            "/ip6/::1/udp/4001/quic-v1",
            "/ip4/0.0.0.0/udp/4001/quic-v1",
            "/ip4/255.255.255.255/udp/4001/quic-v1",
            "/ip4/224.0.0.1/udp/4001/quic-v1",
            "/ip6/::ffff:127.0.0.1/udp/4001/quic-v1",
            "/ip6/::127.0.0.1/udp/4001/quic-v1",
            "/ip4/0.1.2.3/udp/4001/quic-v1",
            "/ip4/10.0.0.7/udp/0/quic-v1",
        ] {
            let addr: Multiaddr = bad.parse().unwrap();
            assert!(
                matches!(
                    t.dial(addr.clone(), dial_opts()),
                    Err(TransportError::MultiaddrNotSupported(a)) if a == addr
                ),
                "{bad} was dialled"
            );
        }
        for good in [
            "/ip4/10.0.0.7/udp/4001/quic-v1",
            "/ip4/203.0.113.9/udp/4001/quic-v1",
        ] {
            assert!(
                t.dial(good.parse().unwrap(), dial_opts()).is_ok(),
                "{good} was refused"
            );
        }
        // A test's policy lets loopback through.
        t.policy = AddrPolicy {
            allow_loopback: true,
        };
        assert!(t
            .dial(
                "/ip4/127.0.0.1/udp/4001/quic-v1".parse().unwrap(),
                dial_opts()
            )
            .is_ok());
    }
}
