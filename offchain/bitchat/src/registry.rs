//! Who may talk to a node: a registry of accounts with their Noise keys and addresses.
//! [`StaticAllowlist`] is the configured list; an on-chain staking registry implements the same
//! trait later.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::RwLock;

use crate::identity::{AccountId, NodeIdentity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    pub account_pubkey: [u8; 33],
    pub noise_pubkey: [u8; 32],
    /// Where the peer can be reached directly, if it accepts connections.
    pub addr: Option<SocketAddr>,
}

impl PeerRecord {
    pub fn of(identity: &NodeIdentity, addr: Option<SocketAddr>) -> Self {
        Self {
            account_pubkey: identity.account_pubkey(),
            noise_pubkey: identity.noise_public(),
            addr,
        }
    }
}

pub trait PeerRegistry: Send + Sync {
    fn get(&self, id: &AccountId) -> Option<PeerRecord>;
}

#[derive(Debug, Default)]
pub struct StaticAllowlist {
    peers: RwLock<HashMap<AccountId, PeerRecord>>,
}

impl StaticAllowlist {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&self, record: PeerRecord) {
        let id = AccountId::from_pubkey(&record.account_pubkey);
        if let Ok(mut p) = self.peers.write() {
            p.insert(id, record);
        }
    }

    pub fn remove(&self, id: &AccountId) {
        if let Ok(mut p) = self.peers.write() {
            p.remove(id);
        }
    }
}

impl PeerRegistry for StaticAllowlist {
    fn get(&self, id: &AccountId) -> Option<PeerRecord> {
        self.peers.read().ok()?.get(id).cloned()
    }
}
