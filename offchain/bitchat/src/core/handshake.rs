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
    remote: Option<std::net::SocketAddr>,
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
    let Some(rec) = registry.get(&id) else {
        // Proven keys, unknown account: an open registry takes it, a static one refuses.
        let learned = registry.learn(crate::registry::PeerRecord {
            account_pubkey: *account_pubkey,
            noise_pubkey: *noise_pubkey,
            addr: remote,
        });
        return if learned {
            Ok(id)
        } else {
            Err(BitChatError::Auth(format!("{id} not registered")))
        };
    };
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
            check_auth(&reg, Role::Client, &[7; 32], &f, None).unwrap(),
            alice.account_id()
        );
    }

    #[test]
    fn another_session_or_the_other_role_is_refused() {
        let (alice, reg) = registered();
        let f = auth_frame(&alice, Role::Client, &[7; 32]);
        // Replayed on another QUIC session.
        assert!(check_auth(&reg, Role::Client, &[8; 32], &f, None).is_err());
        // Reflected: the client's signature presented as a server's.
        assert!(check_auth(&reg, Role::Server, &[7; 32], &f, None).is_err());
    }

    #[test]
    fn unregistered_keys_or_swapped_noise_keys_are_refused() {
        let (alice, _) = registered();
        let empty = StaticAllowlist::new();
        let f = auth_frame(&alice, Role::Client, &[1; 32]);
        let err = check_auth(&empty, Role::Client, &[1; 32], &f, None).unwrap_err();
        assert!(err.to_string().contains("not registered"), "{err}");

        // Registered under a different Noise key than the one it signs for.
        let other = NodeIdentity::generate().unwrap();
        let reg = StaticAllowlist::new();
        let mut rec = PeerRecord::of(&alice, None);
        rec.noise_pubkey = other.noise_public();
        reg.insert(rec);
        let err = check_auth(&reg, Role::Client, &[1; 32], &f, None).unwrap_err();
        assert!(err.to_string().contains("keys differ"), "{err}");
    }

    #[test]
    fn a_frame_other_than_auth_is_refused() {
        let (_, reg) = registered();
        assert!(check_auth(&reg, Role::Client, &[0; 32], &Frame::MailboxFetch, None).is_err());
    }

    #[test]
    fn an_open_registry_learns_a_proven_stranger_and_forgets_the_oldest() {
        use crate::registry::OpenRegistry;
        let reg = OpenRegistry::new(2);
        let addr: std::net::SocketAddr = "10.0.0.7:7400".parse().unwrap();
        let ids: Vec<NodeIdentity> = (0..3).map(|_| NodeIdentity::generate().unwrap()).collect();
        for id in &ids {
            let f = auth_frame(id, Role::Client, &[3; 32]);
            assert_eq!(
                check_auth(&reg, Role::Client, &[3; 32], &f, Some(addr)).unwrap(),
                id.account_id()
            );
        }
        assert_eq!(reg.learned(), 2);
        assert!(
            reg.get(&ids[0].account_id()).is_none(),
            "the oldest is forgotten"
        );
        let rec = reg.get(&ids[2].account_id()).unwrap();
        assert_eq!(
            (rec.noise_pubkey, rec.addr),
            (ids[2].noise_public(), Some(addr))
        );
        // Learning needs the proof: a bad signature or a replayed session teaches nothing.
        let stranger = NodeIdentity::generate().unwrap();
        let f = auth_frame(&stranger, Role::Client, &[3; 32]);
        assert!(check_auth(&reg, Role::Client, &[4; 32], &f, Some(addr)).is_err());
        assert!(reg.get(&stranger.account_id()).is_none());
    }
}
