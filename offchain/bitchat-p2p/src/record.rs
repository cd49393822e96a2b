//! The DHT record that lets a stranger find an account and seal to it: the account's BitChat
//! card (its Noise key, signed by the account key) followed by a libp2p signed peer record (the
//! account key signs its addresses and a sequence number, the upstream format), stored under
//! `/bithive/bitchat/account/<account id>`, and the same value under
//! `/bithive/bitchat/address/<chain address>` (the 20 bytes a bech32 account address encodes), so
//! people who know only each other's chain address find each other too. The value is
//! `version (1) || card length (u16 BE) || card || signed peer record`. Every node that stores or reads one checks it ([`check_record`]): both
//! signers must be the account the key names, the addresses must be ones a peer could honestly
//! be reached at, and the record must not come from the future.

use std::net::IpAddr;

use bithive_bitchat::card::{card_bytes, read_card_bytes};
use bithive_bitchat::{AccountId, NodeIdentity, PeerRecord as BitChatPeer};
use libp2p::core::{PeerRecord, SignedEnvelope};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use zeroize::Zeroizing;

use crate::error::P2pError;
use crate::identity::account_of_peer;

const KEY_PREFIX: &[u8] = b"/bithive/bitchat/account/";
const ADDRESS_PREFIX: &[u8] = b"/bithive/bitchat/address/";
/// Addresses a record may carry: a few direct ones and a few relay circuits.
pub const MAX_ADDRS: usize = 8;
/// Bytes of one address (a relay circuit with two peer ids is about 120).
pub const MAX_ADDR_BYTES: usize = 160;
/// Bytes of a whole record value.
pub const MAX_RECORD_BYTES: usize = 2048;
/// How far a record's sequence number (unix seconds) may run ahead of the reader's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The DHT key under which `account` publishes its record.
pub fn record_key(account: &AccountId) -> Vec<u8> {
    let mut k = KEY_PREFIX.to_vec();
    k.extend_from_slice(&account.0);
    k
}

/// The account a DHT key is about, if it is a BitChat account key.
pub fn account_of_key(key: &[u8]) -> Option<AccountId> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    Some(AccountId(rest.try_into().ok()?))
}

/// The chain address of an account key: ripemd160 of sha256 of the compressed key, the 20 bytes
/// a bech32 account address (`bithive1...`, `cosmos1...`) encodes under any prefix.
pub fn chain_address(compressed: &[u8; 33]) -> [u8; 20] {
    use ripemd::Ripemd160;
    use sha2::{Digest, Sha256};
    Ripemd160::digest(Sha256::digest(compressed)).into()
}

/// The DHT key under which the account with chain address `address` publishes its record too.
pub fn address_key(address: &[u8; 20]) -> Vec<u8> {
    let mut k = ADDRESS_PREFIX.to_vec();
    k.extend_from_slice(address);
    k
}

/// What a DHT key names: an account by its BitChat id, or by its chain address.
enum Named {
    Account(AccountId),
    Address([u8; 20]),
}

fn named_by_key(key: &[u8]) -> Option<Named> {
    if let Some(a) = account_of_key(key) {
        return Some(Named::Account(a));
    }
    let rest = key.strip_prefix(ADDRESS_PREFIX)?;
    Some(Named::Address(rest.try_into().ok()?))
}

/// What addresses a record may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrPolicy {
    /// Loopback addresses (tests on one machine); never on a public network.
    pub allow_loopback: bool,
}

/// A checked account record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub account: AccountId,
    pub peer: PeerId,
    /// Unix seconds when it was signed: the newest record wins.
    pub seq: u64,
    pub addrs: Vec<Multiaddr>,
    /// The account's Noise key (from its card): what envelopes to it are sealed to.
    pub noise: [u8; 32],
}

/// Signs a record for `keypair`'s account (a secp256k1 key) with `addrs`.
pub fn sign_record(keypair: &Keypair, addrs: Vec<Multiaddr>) -> Result<Vec<u8>, P2pError> {
    let secret = Zeroizing::new(
        keypair
            .clone()
            .try_into_secp256k1()
            .map_err(|_| P2pError::Identity("not a secp256k1 key".into()))?
            .secret()
            .to_bytes(),
    );
    let identity =
        NodeIdentity::from_secret(&secret).map_err(|e| P2pError::Identity(e.to_string()))?;
    let rec = PeerRecord::new(keypair, addrs).map_err(|e| P2pError::Identity(e.to_string()))?;
    Ok(record_value(
        &card_bytes(&identity, b""),
        &rec.into_signed_envelope().into_protobuf_encoding(),
    ))
}

/// The record format this code writes and reads: a version other nodes can refuse by name.
pub const RECORD_VERSION: u8 = 1;

/// `version || card length (u16 BE) || card || signed peer record`.
pub fn record_value(card: &[u8], signed: &[u8]) -> Vec<u8> {
    [&[RECORD_VERSION][..], &with_card(card, signed)].concat()
}

/// `card length (u16 BE) || card || rest`: a BitChat card ahead of what it vouches for (a DHT
/// record's signed addresses, a chat payload's seal).
pub(crate) fn with_card(card: &[u8], rest: &[u8]) -> Vec<u8> {
    let len = u16::try_from(card.len()).unwrap_or(u16::MAX);
    let mut v = Vec::with_capacity(2 + card.len() + rest.len());
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(card);
    v.extend_from_slice(rest);
    v
}

/// Splits what [`with_card`] wrote: the card, its signature checked (whose account it is, the
/// caller checks), and the rest.
pub(crate) fn split_card(bytes: &[u8]) -> Result<(BitChatPeer, &[u8]), String> {
    let (len, rest) = bytes
        .split_first_chunk::<2>()
        .ok_or("shorter than a card length")?;
    let len = usize::from(u16::from_be_bytes(*len));
    if rest.len() < len {
        return Err("card length past the end".into());
    }
    let (card, rest) = rest.split_at(len);
    Ok((read_card_bytes(card).map_err(|e| e.to_string())?, rest))
}

/// Checks a record found or offered under `key` at time `now` (unix seconds).
pub fn check_record(
    key: &[u8],
    value: &[u8],
    now: u64,
    policy: AddrPolicy,
) -> Result<AccountRecord, P2pError> {
    let refuse = |why: String| Err(P2pError::Record(why));
    let Some(named) = named_by_key(key) else {
        return refuse("not a BitChat account or address key".into());
    };
    if value.len() > MAX_RECORD_BYTES {
        return refuse(format!("{} bytes, at most {MAX_RECORD_BYTES}", value.len()));
    }
    let Some((&version, rest)) = value.split_first() else {
        return refuse("empty".into());
    };
    if version != RECORD_VERSION {
        return refuse(format!(
            "record format {version}; this node reads {RECORD_VERSION}"
        ));
    }
    let (card, signed) = split_card(rest).map_err(P2pError::Record)?;
    let envelope = SignedEnvelope::from_protobuf_encoding(signed)
        .map_err(|e| P2pError::Record(format!("not a signed envelope: {e}")))?;
    let rec = PeerRecord::from_signed_envelope(envelope)
        .map_err(|e| P2pError::Record(format!("not a signed peer record: {e}")))?;
    let peer = rec.peer_id();
    let Some(signer) = account_of_peer(&peer) else {
        return refuse("signed by a key that is not a chain account".into());
    };
    let account = AccountId::from_pubkey(&card.account_pubkey);
    match named {
        Named::Account(under) => {
            if signer != under {
                return refuse(format!("signed by account {signer}, stored under {under}"));
            }
            if account != under {
                return refuse(format!("a card of another account, stored under {under}"));
            }
        }
        Named::Address(under) => {
            if signer != account {
                return refuse(format!(
                    "signed by account {signer}, carrying the card of {account}"
                ));
            }
            if chain_address(&card.account_pubkey) != under {
                return refuse(format!(
                    "signed by account {signer}, stored under chain address {}",
                    hex::encode(under)
                ));
            }
        }
    }
    if rec.seq() > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return refuse(format!("signed at {} which is in the future", rec.seq()));
    }
    if rec.addresses().is_empty() || rec.addresses().len() > MAX_ADDRS {
        return refuse(format!(
            "{} addresses, 1 to {MAX_ADDRS}",
            rec.addresses().len()
        ));
    }
    for a in rec.addresses() {
        check_addr(a, &peer, policy).map_err(|why| P2pError::Record(format!("{a}: {why}")))?;
    }
    Ok(AccountRecord {
        account,
        peer,
        seq: rec.seq(),
        addrs: rec.addresses().to_vec(),
        noise: card.noise_pubkey,
    })
}

/// Whether `addr` is an address `peer` could be reached at: QUIC over an IP a packet can be
/// sent to, either direct or through a relay (`.../p2p/<relay>/p2p-circuit`), ending, if at
/// all, in the record's own peer id. Refused: hostnames (a record must not make readers
/// resolve names), unspecified, multicast and broadcast addresses, port 0, other transports.
pub fn check_addr(addr: &Multiaddr, peer: &PeerId, policy: AddrPolicy) -> Result<(), String> {
    if addr.len() > MAX_ADDR_BYTES {
        return Err(format!("{} bytes, at most {MAX_ADDR_BYTES}", addr.len()));
    }
    check_quic_target(addr, policy)?;
    // The rest: nothing, /p2p/<peer>, or /p2p/<relay>/p2p-circuit[/p2p/<peer>].
    let rest: Vec<Protocol> = addr.iter().skip(3).collect();
    let ok = match rest.as_slice() {
        [] => true,
        [Protocol::P2p(p)] => p == peer,
        [Protocol::P2p(relay), Protocol::P2pCircuit] => relay != peer,
        [Protocol::P2p(relay), Protocol::P2pCircuit, Protocol::P2p(p)] => {
            relay != peer && p == peer
        }
        _ => false,
    };
    if !ok {
        return Err("must be direct or one relay circuit, ending in the record's own peer".into());
    }
    Ok(())
}

/// Whether `addr` starts with QUIC over an IP a packet may be sent to (its first three
/// protocols): the rules of [`check_addr`] for where packets go, which the node also applies to
/// every address it dials, whoever named it (`crate::dial`).
pub fn check_quic_target(addr: &Multiaddr, policy: AddrPolicy) -> Result<(), String> {
    let mut it = addr.iter();
    let ip: IpAddr = match it.next() {
        Some(Protocol::Ip4(ip)) => ip.into(),
        Some(Protocol::Ip6(ip)) => ip.into(),
        _ => return Err("must start with an IP address".into()),
    };
    let bad_ip = match ip {
        // 0.0.0.0/8 is "this network": no host a packet should go to.
        IpAddr::V4(v4) => v4.octets()[0] == 0 || v4.is_multicast() || v4.is_broadcast(),
        // A v4-mapped or (deprecated) v4-compatible address would dodge the IPv4 checks.
        IpAddr::V6(v6) => {
            v6.is_unspecified()
                || v6.is_multicast()
                || v6.to_ipv4_mapped().is_some()
                || (v6.segments()[..6] == [0; 6] && !v6.is_loopback())
        }
    };
    if bad_ip {
        return Err("unspecified, this-network, multicast, broadcast or v4-in-v6 IP".into());
    }
    if ip.is_loopback() && !policy.allow_loopback {
        return Err("loopback IP".into());
    }
    match it.next() {
        Some(Protocol::Udp(0)) => return Err("port 0".into()),
        Some(Protocol::Udp(_)) => {}
        _ => return Err("only QUIC over UDP".into()),
    }
    if it.next() != Some(Protocol::QuicV1) {
        return Err("only QUIC over UDP".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::keypair_from_secret;
    use proptest::prelude::*;

    const P: AddrPolicy = AddrPolicy {
        allow_loopback: false,
    };

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn kp(n: u8) -> Keypair {
        keypair_from_secret(&[n; 32]).unwrap()
    }

    fn account(k: &Keypair) -> AccountId {
        account_of_peer(&k.public().to_peer_id()).unwrap()
    }

    fn relay_addr(relay: &Keypair) -> Multiaddr {
        format!(
            "/ip4/10.1.2.3/udp/4001/quic-v1/p2p/{}/p2p-circuit",
            relay.public().to_peer_id()
        )
        .parse()
        .unwrap()
    }

    #[test]
    fn an_honest_record_reads_back() {
        let (a, r) = (kp(1), kp(2));
        let addrs = vec![
            relay_addr(&r),
            "/ip4/198.51.100.7/udp/9000/quic-v1".parse().unwrap(),
        ];
        let v = sign_record(&a, addrs.clone()).unwrap();
        let rec = check_record(&record_key(&account(&a)), &v, now(), P).unwrap();
        assert_eq!(rec.account, account(&a));
        assert_eq!(rec.peer, a.public().to_peer_id());
        assert_eq!(rec.addrs, addrs);
    }

    #[test]
    fn a_record_under_another_accounts_key_is_refused() {
        let (a, b) = (kp(1), kp(3));
        let v = sign_record(
            &a,
            vec!["/ip4/198.51.100.7/udp/9000/quic-v1".parse().unwrap()],
        )
        .unwrap();
        let e = check_record(&record_key(&account(&b)), &v, now(), P).unwrap_err();
        assert!(e.to_string().contains("stored under"), "{e}");
    }

    #[test]
    fn a_record_carrying_another_accounts_card_is_refused() {
        // Mallory puts her own card (her Noise key) beside Alice's signed peer record, to have
        // strangers seal Alice's mail to her.
        let (a, m) = (kp(1), kp(5));
        let addrs = vec!["/ip4/198.51.100.7/udp/9000/quic-v1".parse().unwrap()];
        let honest = sign_record(&a, addrs.clone()).unwrap();
        let mallory = sign_record(&m, addrs).unwrap();
        let card = |v: &[u8]| v[3..3 + usize::from(u16::from_be_bytes([v[1], v[2]]))].to_vec();
        let signed = |v: &[u8]| v[3 + card(v).len()..].to_vec();
        let forged = record_value(&card(&mallory), &signed(&honest));
        let e = check_record(&record_key(&account(&a)), &forged, now(), P).unwrap_err();
        assert!(e.to_string().contains("card of another account"), "{e}");
        // The honest record names Alice's Noise key.
        let alice = NodeIdentity::from_secret(&[1u8; 32]).unwrap();
        let rec = check_record(&record_key(&account(&a)), &honest, now(), P).unwrap();
        assert_eq!(rec.noise, alice.noise_public());
        // A card length past the end, or no card at all.
        for bad in [vec![1, 0xff, 0xff, 1, 2, 3], signed(&honest), vec![1]] {
            assert!(check_record(&record_key(&account(&a)), &bad, now(), P).is_err());
        }
        // Another format version is refused by name.
        let mut v2 = honest.clone();
        v2[0] = 2;
        let e = check_record(&record_key(&account(&a)), &v2, now(), P).unwrap_err();
        assert!(e.to_string().contains("record format 2"), "{e}");
    }

    #[test]
    fn a_tampered_record_is_refused() {
        let a = kp(1);
        let mut v = sign_record(
            &a,
            vec!["/ip4/198.51.100.7/udp/9000/quic-v1".parse().unwrap()],
        )
        .unwrap();
        // Flip the last byte of the port inside the signed payload.
        let at = v.windows(2).position(|w| w == [0x23, 0x28]).unwrap();
        v[at + 1] ^= 1;
        assert!(check_record(&record_key(&account(&a)), &v, now(), P).is_err());
    }

    #[test]
    fn a_record_reads_back_under_its_chain_address_and_under_no_other() {
        let (a, b) = (kp(1), kp(2));
        let v = sign_record(&a, vec![relay_addr(&b)]).unwrap();
        let pubkey: [u8; 33] = a.public().try_into_secp256k1().unwrap().to_bytes();
        let rec = check_record(&address_key(&chain_address(&pubkey)), &v, now(), P).unwrap();
        assert_eq!(rec.account, account(&a));
        // Under another account's address, or an address of nobody: refused.
        let other: [u8; 33] = b.public().try_into_secp256k1().unwrap().to_bytes();
        let e = check_record(&address_key(&chain_address(&other)), &v, now(), P).unwrap_err();
        assert!(e.to_string().contains("stored under chain address"), "{e}");
        assert!(check_record(&address_key(&[0; 20]), &v, now(), P).is_err());
        // Neither a key of another length nor another prefix.
        let mut short = address_key(&chain_address(&pubkey));
        short.pop();
        assert!(check_record(&short, &v, now(), P).is_err());
    }

    #[test]
    fn a_record_from_the_future_is_refused() {
        let a = kp(1);
        let v = sign_record(
            &a,
            vec!["/ip4/198.51.100.7/udp/9000/quic-v1".parse().unwrap()],
        )
        .unwrap();
        let e = check_record(&record_key(&account(&a)), &v, now() - 3600, P).unwrap_err();
        assert!(e.to_string().contains("future"), "{e}");
    }

    #[test]
    fn hostile_addresses_are_refused() {
        let (a, r) = (kp(1), kp(2));
        let me = a.public().to_peer_id();
        let other = kp(4).public().to_peer_id();
        for bad in [
            "/ip4/0.0.0.0/udp/9000/quic-v1".to_string(),
            "/ip4/224.0.0.1/udp/9000/quic-v1".into(),
            "/ip4/255.255.255.255/udp/9000/quic-v1".into(),
            "/ip4/127.0.0.1/udp/9000/quic-v1".into(),
            "/ip6/::/udp/9000/quic-v1".into(),
            "/ip6/::ffff:127.0.0.1/udp/9000/quic-v1".into(),
            "/ip4/198.51.100.7/udp/0/quic-v1".into(),
            "/ip4/198.51.100.7/tcp/9000".into(),
            "/dns4/victim.example/udp/9000/quic-v1".into(),
            format!("/ip4/198.51.100.7/udp/9000/quic-v1/p2p/{other}"),
            format!("/ip4/198.51.100.7/udp/9000/quic-v1/p2p/{me}/p2p-circuit"),
            format!("{}/p2p/{other}", relay_addr(&r)),
            format!("{}/p2p/{}/p2p-circuit", relay_addr(&r), other),
        ] {
            let addr: Multiaddr = bad.parse().unwrap();
            let v = sign_record(&a, vec![addr]).unwrap();
            assert!(
                check_record(&record_key(&account(&a)), &v, now(), P).is_err(),
                "{bad} was accepted"
            );
        }
        let many = (0..9)
            .map(|i| {
                format!("/ip4/198.51.100.{i}/udp/9000/quic-v1")
                    .parse()
                    .unwrap()
            })
            .collect();
        let v = sign_record(&a, many).unwrap();
        assert!(check_record(&record_key(&account(&a)), &v, now(), P).is_err());
        let v = sign_record(&a, vec![]).unwrap();
        assert!(check_record(&record_key(&account(&a)), &v, now(), P).is_err());
    }

    #[test]
    fn loopback_is_only_for_tests_that_ask() {
        let a = kp(1);
        let v = sign_record(&a, vec!["/ip4/127.0.0.1/udp/9000/quic-v1".parse().unwrap()]).unwrap();
        let lo = AddrPolicy {
            allow_loopback: true,
        };
        assert!(check_record(&record_key(&account(&a)), &v, now(), lo).is_ok());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(key in proptest::collection::vec(any::<u8>(), 0..64),
                                       value in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = check_record(&key, &value, now(), P);
            let mut k = KEY_PREFIX.to_vec();
            k.extend_from_slice(&[9u8; 20]);
            prop_assert!(check_record(&k, &value, now(), P).is_err());
        }
    }
}
