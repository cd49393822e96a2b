//! Contact cards: how a person gives others what reaching them takes. A card is
//! `bitchat1` + hex(`1 || account public key (33) || Noise public key (32) || signature (64) ||
//! address (UTF-8, may be empty)`), the signature by the account key over
//! `sha256("bithive-bitchat-card-v1" || account key || Noise key || address)`. Anyone can check
//! a card; nobody can make one for an account whose key it does not hold, or change its address.

use std::net::SocketAddr;

use sha2::{Digest, Sha256};

use crate::error::BitChatError;
use crate::identity::{verify, NodeIdentity};
use crate::registry::PeerRecord;

const PREFIX: &str = "bitchat1";
const FIXED: usize = 1 + 33 + 32 + 64;
/// Longest address text accepted (an IPv6 address with port is 47 bytes).
const MAX_ADDR: usize = 64;

fn digest(account: &[u8; 33], noise: &[u8; 32], addr: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"bithive-bitchat-card-v1");
    h.update(account);
    h.update(noise);
    h.update(addr);
    h.finalize().into()
}

/// `identity`'s card, naming `addr` as where it accepts connections (if it does).
pub fn make_card(identity: &NodeIdentity, addr: Option<SocketAddr>) -> String {
    let addr = addr.map(|a| a.to_string()).unwrap_or_default();
    format!(
        "{PREFIX}{}",
        hex::encode(card_bytes(identity, addr.as_bytes()))
    )
}

/// A card as bytes, for carrying inside other messages (a DHT record, an envelope); `addr` may
/// be empty.
pub fn card_bytes(identity: &NodeIdentity, addr: &[u8]) -> Vec<u8> {
    let account = identity.account_pubkey();
    let noise = identity.noise_public();
    let sig = identity.sign(&digest(&account, &noise, addr));
    let mut b = Vec::with_capacity(FIXED + addr.len());
    b.push(1);
    b.extend_from_slice(&account);
    b.extend_from_slice(&noise);
    b.extend_from_slice(&sig);
    b.extend_from_slice(addr);
    b
}

/// The peer a card describes, once its signature holds.
pub fn read_card(card: &str) -> Result<PeerRecord, BitChatError> {
    let bad = |why: &str| BitChatError::Config(format!("contact card: {why}"));
    let hexed = card
        .trim()
        .strip_prefix(PREFIX)
        .ok_or_else(|| bad("does not start with bitchat1"))?;
    if hexed.len() > 2 * (FIXED + MAX_ADDR) {
        return Err(bad("too long"));
    }
    let b = hex::decode(hexed).map_err(|_| bad("not hex after bitchat1"))?;
    read_card_bytes(&b)
}

/// The peer a card in bytes ([`card_bytes`]) describes, once its signature holds.
pub fn read_card_bytes(b: &[u8]) -> Result<PeerRecord, BitChatError> {
    let bad = |why: &str| BitChatError::Config(format!("contact card: {why}"));
    if b.len() > FIXED + MAX_ADDR {
        return Err(bad("too long"));
    }
    if b.len() < FIXED || b[0] != 1 {
        return Err(bad("too short or an unknown version"));
    }
    let account: [u8; 33] = b[1..34].try_into().expect("33 bytes");
    let noise: [u8; 32] = b[34..66].try_into().expect("32 bytes");
    let sig: [u8; 64] = b[66..130].try_into().expect("64 bytes");
    let addr_bytes = &b[FIXED..];
    if !verify(&account, &digest(&account, &noise, addr_bytes), &sig) {
        return Err(bad(
            "the signature does not hold (altered, or not made by this account)",
        ));
    }
    let addr = if addr_bytes.is_empty() {
        None
    } else {
        let s = std::str::from_utf8(addr_bytes).map_err(|_| bad("address is not text"))?;
        Some(s.parse().map_err(|_| bad("address is not HOST:PORT"))?)
    };
    Ok(PeerRecord {
        account_pubkey: account,
        noise_pubkey: noise,
        addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_round_trips_and_any_change_is_refused() {
        let id = NodeIdentity::generate().unwrap();
        let addr: SocketAddr = "192.0.2.1:7410".parse().unwrap();
        for a in [Some(addr), None] {
            let card = make_card(&id, a);
            assert_eq!(read_card(&card).unwrap(), PeerRecord::of(&id, a));
        }
        assert_eq!(
            read_card_bytes(&card_bytes(&id, b"")).unwrap(),
            PeerRecord::of(&id, None)
        );
        let card = make_card(&id, Some(addr));
        // Another address in the same card: the signature no longer holds.
        let other = hex::encode("192.0.2.9:7410");
        let forged = format!("{}{other}", &card[..PREFIX.len() + 2 * FIXED]);
        assert!(read_card(&forged).is_err());
        for bad in [
            "",
            "bitchat1",
            "bitchat1zz",
            &card[..card.len() - 2],
            &card.replace("bitchat1", "bitchat2"),
        ] {
            assert!(read_card(bad).is_err(), "{bad}");
        }
        let mut flipped = card.clone().into_bytes();
        let i = PREFIX.len() + 80;
        flipped[i] = if flipped[i] == b'0' { b'1' } else { b'0' };
        assert!(read_card(std::str::from_utf8(&flipped).unwrap()).is_err());
        assert!(read_card(&format!("{PREFIX}{}", "00".repeat(FIXED + MAX_ADDR + 1))).is_err());
    }
}
