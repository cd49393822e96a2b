//! Mutual authentication of a QUIC session by chain identity, as pure functions.
//!
//! Each side signs, with its account key, the session's TLS exporter value (RFC 5705: unique to
//! this QUIC connection) and its Noise key, under its role. A signature cannot be replayed on
//! another session (other exporter) or reflected back to its signer (other role), and both keys
//! must be the ones the registry holds for that account.

use sha2::{Digest, Sha256};

use crate::error::BitChatError;
use crate::frame::Frame;
use crate::identity::{verify, AccountId, NodeIdentity};
use crate::registry::PeerRegistry;

/// The TLS exporter label both sides derive the session value under.
pub const AUTH_LABEL: &[u8] = b"bithive-bitchat-auth";

/// Which end of the session signs: the side that opened the connection, or the side that
/// accepted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

impl Role {
    fn byte(self) -> u8 {
        match self {
            Role::Client => 0,
            Role::Server => 1,
        }
    }
}

fn auth_message(role: Role, exporter: &[u8; 32], noise: &[u8; 32]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"bithive-bitchat-auth-v1");
    h.update([role.byte()]);
    h.update(exporter);
    h.update(noise);
    h.finalize().to_vec()
}

/// This node's Auth frame for a session with exporter value `exporter`.
pub fn auth_frame(identity: &NodeIdentity, role: Role, exporter: &[u8; 32]) -> Frame {
    let msg = auth_message(role, exporter, &identity.noise_public());
    Frame::Auth {
        account_pubkey: identity.account_pubkey(),
        noise_pubkey: identity.noise_public(),
        signature: identity.sign(&msg),
    }
}

/// Check the peer's Auth frame, signed in role `role`, against this session and the registry.
pub fn check_auth(
    registry: &dyn PeerRegistry,
    role: Role,
    exporter: &[u8; 32],
    f: &Frame,
) -> Result<AccountId, BitChatError> {
    let Frame::Auth {
        account_pubkey,
        noise_pubkey,
        signature,
    } = f
    else {
        return Err(BitChatError::Auth("expected auth frame".into()));
    };
    let msg = auth_message(role, exporter, noise_pubkey);
    if !verify(account_pubkey, &msg, signature) {
        return Err(BitChatError::Auth("bad signature".into()));
    }
    let id = AccountId::from_pubkey(account_pubkey);
    let rec = registry
        .get(&id)
        .ok_or_else(|| BitChatError::Auth(format!("{id} not registered")))?;
    if &rec.account_pubkey != account_pubkey || &rec.noise_pubkey != noise_pubkey {
        return Err(BitChatError::Auth("keys differ from registry".into()));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{PeerRecord, StaticAllowlist};

    fn registered() -> (NodeIdentity, StaticAllowlist) {
        let id = NodeIdentity::generate().unwrap();
        let reg = StaticAllowlist::new();
        reg.insert(PeerRecord::of(&id, None));
        (id, reg)
    }

    #[test]
    fn a_registered_peer_is_accepted_in_its_role_and_session() {
        let (alice, reg) = registered();
        let f = auth_frame(&alice, Role::Client, &[7; 32]);
        assert_eq!(
            check_auth(&reg, Role::Client, &[7; 32], &f).unwrap(),
            alice.account_id()
        );
    }

    #[test]
    fn another_session_or_the_other_role_is_refused() {
        let (alice, reg) = registered();
        let f = auth_frame(&alice, Role::Client, &[7; 32]);
        // Replayed on another QUIC session.
        assert!(check_auth(&reg, Role::Client, &[8; 32], &f).is_err());
        // Reflected: the client's signature presented as a server's.
        assert!(check_auth(&reg, Role::Server, &[7; 32], &f).is_err());
    }

    #[test]
    fn unregistered_keys_or_swapped_noise_keys_are_refused() {
        let (alice, _) = registered();
        let empty = StaticAllowlist::new();
        let f = auth_frame(&alice, Role::Client, &[1; 32]);
        let err = check_auth(&empty, Role::Client, &[1; 32], &f).unwrap_err();
        assert!(err.to_string().contains("not registered"), "{err}");

        // Registered under a different Noise key than the one it signs for.
        let other = NodeIdentity::generate().unwrap();
        let reg = StaticAllowlist::new();
        let mut rec = PeerRecord::of(&alice, None);
        rec.noise_pubkey = other.noise_public();
        reg.insert(rec);
        let err = check_auth(&reg, Role::Client, &[1; 32], &f).unwrap_err();
        assert!(err.to_string().contains("keys differ"), "{err}");
    }

    #[test]
    fn a_frame_other_than_auth_is_refused() {
        let (_, reg) = registered();
        assert!(check_auth(&reg, Role::Client, &[0; 32], &Frame::MailboxFetch).is_err());
    }
}
