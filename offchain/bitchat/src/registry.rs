//! Who may talk to a node: a registry of accounts with their Noise keys and addresses.
//! [`StaticAllowlist`] is the configured list (attestors, relayers: only known peers);
//! [`OpenRegistry`] is for people (chat): anyone who proves its keys in the session's Auth may
//! talk, spam bounded by the node's per-peer rate limit, the relay's per-sender quotas and the
//! chat's contact-request step. An on-chain staking registry implements the same trait later.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Mutex, RwLock};

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

    /// A peer this registry does not hold proved, in this session's Auth, that it holds the
    /// account key and vouches for the Noise key in `record` (`addr`: where the connection came
    /// from). `true` when the registry takes it (an open one), `false` to refuse the peer.
    fn learn(&self, _record: PeerRecord) -> bool {
        false
    }
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

/// Known peers (e.g. contacts' cards) plus, up to `capacity`, peers learned from their Auth,
/// the oldest learned forgotten first. A learned peer's address is where its connection came
/// from (a BitChat node connects from the socket it listens on).
#[derive(Debug)]
pub struct OpenRegistry {
    known: StaticAllowlist,
    learned: Mutex<(HashMap<AccountId, PeerRecord>, VecDeque<AccountId>)>,
    capacity: usize,
}

impl OpenRegistry {
    pub fn new(capacity: usize) -> Self {
        Self {
            known: StaticAllowlist::new(),
            learned: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity: capacity.max(1),
        }
    }

    /// Adds or replaces a known peer (never forgotten).
    pub fn insert(&self, record: PeerRecord) {
        self.known.insert(record);
    }

    /// Peers learned and still held.
    pub fn learned(&self) -> usize {
        self.learned.lock().map(|l| l.0.len()).unwrap_or(0)
    }
}

impl PeerRegistry for OpenRegistry {
    fn get(&self, id: &AccountId) -> Option<PeerRecord> {
        self.known
            .get(id)
            .or_else(|| self.learned.lock().ok()?.0.get(id).cloned())
    }

    fn learn(&self, record: PeerRecord) -> bool {
        let id = AccountId::from_pubkey(&record.account_pubkey);
        let Ok(mut l) = self.learned.lock() else {
            return false;
        };
        let (map, order) = &mut *l;
        if map.insert(id, record).is_none() {
            order.push_back(id);
            while order.len() > self.capacity {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
        true
    }
}
