//! One key for everything: the chain account's secp256k1 key is the libp2p identity, so the
//! PeerId a connection authenticates (QUIC/TLS or Noise over a relay circuit) names the account.
//! No second handshake binds the two.

use bithive_bitchat::AccountId;
use libp2p::identity::{self, Keypair, PublicKey};
use libp2p::PeerId;

use crate::error::P2pError;

/// The libp2p keypair of the account whose secret key is `secret`.
pub fn keypair_from_secret(secret: &[u8; 32]) -> Result<Keypair, P2pError> {
    let mut bytes = *secret;
    // `try_from_bytes` zeroes the buffer it is given.
    let sk = identity::secp256k1::SecretKey::try_from_bytes(&mut bytes)
        .map_err(|e| P2pError::Identity(e.to_string()))?;
    Ok(identity::secp256k1::Keypair::from(sk).into())
}

/// The account a peer id belongs to; `None` for peers whose key is not secp256k1 (they cannot
/// be chain accounts, and BitChat refuses them).
pub fn account_of_peer(peer: &PeerId) -> Option<AccountId> {
    let key = public_key_of_peer(peer)?;
    account_of_key(&key)
}

/// The compressed secp256k1 key inside a peer id (secp256k1 peer ids inline their key).
pub fn public_key_of_peer(peer: &PeerId) -> Option<PublicKey> {
    let mh = peer.as_ref();
    // Multihash code 0x00 is the identity hash: the digest is the protobuf-encoded key.
    if mh.code() != 0 {
        return None;
    }
    PublicKey::try_decode_protobuf(mh.digest()).ok()
}

/// The account of a secp256k1 public key.
pub fn account_of_key(key: &PublicKey) -> Option<AccountId> {
    let secp = key.clone().try_into_secp256k1().ok()?;
    Some(AccountId::from_pubkey(&secp.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_bitchat::NodeIdentity;

    #[test]
    fn the_peer_id_names_the_same_account_as_the_chain_key() {
        let secret = [7u8; 32];
        let kp = keypair_from_secret(&secret).unwrap();
        let chain = NodeIdentity::from_secret(&secret).unwrap();
        let peer = kp.public().to_peer_id();
        assert_eq!(account_of_peer(&peer), Some(chain.account_id()));
    }

    #[test]
    fn peers_with_other_key_types_are_not_accounts() {
        let ed = Keypair::generate_ed25519();
        assert_eq!(account_of_peer(&ed.public().to_peer_id()), None);
        assert_eq!(account_of_peer(&PeerId::random()), None);
    }

    #[test]
    fn a_zero_secret_is_refused() {
        assert!(keypair_from_secret(&[0u8; 32]).is_err());
    }
}
