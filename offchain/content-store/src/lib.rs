//! Content-addressed storage for BitHive (models, data-vault records): one [`ContentStore`]
//! trait, two implementations.
//!
//! - [`LocalStore`]: the node's own store, UnixFS blocks on disk, each encrypted at rest
//!   (XChaCha20-Poly1305) and written crash-safely (temp file, fsync, rename, fsync dir).
//! - [`IpfsHttpStore`]: a kubo node's HTTP RPC API (`/api/v0/add`, `/api/v0/cat`,
//!   `/api/v0/block/stat`).
//!
//! Both return content only after checking it against its CID, so a store (or the network
//! behind it) can withhold content but never substitute it. CIDs are
//! [`bithive_content_id`]'s: IPFS CIDv1 with raw leaves, balanced layout, sha2-256, under one
//! [`Profile`] (BitHive's is [`Profile::KUBO_V1`]: 256 KiB chunks, 174 links per node).

#[cfg(feature = "store")]
use std::future::Future;

pub use bithive_content_id::{Cid, ContentIdError, Profile};

pub mod input;
#[cfg(feature = "store")]
mod ipfs;
#[cfg(feature = "store")]
mod local;
pub mod model;
pub mod record;

#[cfg(feature = "store")]
pub use ipfs::{IpfsHttpConfig, IpfsHttpStore};
#[cfg(feature = "store")]
pub use local::{LocalStore, LocalStoreConfig, StoreKey};

#[cfg(feature = "store")]
/// Largest object a store returns or accepts unless configured otherwise (4 GiB).
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 4 << 30;

#[cfg(feature = "store")]
/// A content-addressed store. `get` returns bytes only if they hash to the CID.
pub trait ContentStore: Send + Sync {
    /// Stores `data` and returns its CID (the same CID for the same bytes, on every store).
    fn put(&self, data: &[u8]) -> impl Future<Output = Result<Cid, StoreError>> + Send;
    /// The bytes whose CID is `cid`, verified; [`StoreError::NotFound`] when absent.
    fn get(&self, cid: &Cid) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send;
    /// [`Self::get`], refusing with [`StoreError::TooLarge`] an object over `limit` bytes
    /// before reading (local) or receiving (kubo) more than that: for content whose size a
    /// stranger chose.
    fn get_limited(
        &self,
        cid: &Cid,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send;
    /// Whether the store holds `cid`'s root block (cheap: no content is read or verified).
    fn has(&self, cid: &Cid) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

#[cfg(feature = "store")]
/// The store a node reads from, chosen at run time: its own local store, or a kubo node.
#[derive(Clone)]
pub enum NodeStore {
    Local(LocalStore),
    Ipfs(IpfsHttpStore),
}

#[cfg(feature = "store")]
impl NodeStore {
    /// A kubo node's HTTP API at `api` (`http://host:port`), or else the local store in `dir`
    /// under the key in `key_file`; exactly one of the two must be given.
    pub fn open(
        ipfs_api: Option<&str>,
        local: Option<(&std::path::Path, &std::path::Path)>,
    ) -> Result<Self, StoreError> {
        match (ipfs_api, local) {
            (Some(api), None) => Ok(NodeStore::Ipfs(IpfsHttpStore::new(IpfsHttpConfig::new(
                api,
            ))?)),
            (None, Some((dir, key_file))) => {
                let key = StoreKey::from_hex_file(key_file)?;
                Ok(NodeStore::Local(LocalStore::open(LocalStoreConfig::new(
                    dir, key,
                ))?))
            }
            _ => Err(StoreError::Config(
                "give either an IPFS API or a local store directory with its key file".into(),
            )),
        }
    }
}

#[cfg(feature = "store")]
impl ContentStore for NodeStore {
    async fn put(&self, data: &[u8]) -> Result<Cid, StoreError> {
        match self {
            NodeStore::Local(s) => s.put(data).await,
            NodeStore::Ipfs(s) => s.put(data).await,
        }
    }
    async fn get_limited(&self, cid: &Cid, limit: u64) -> Result<Vec<u8>, StoreError> {
        match self {
            NodeStore::Local(s) => s.get_limited(cid, limit).await,
            NodeStore::Ipfs(s) => s.get_limited(cid, limit).await,
        }
    }
    async fn get(&self, cid: &Cid) -> Result<Vec<u8>, StoreError> {
        match self {
            NodeStore::Local(s) => s.get(cid).await,
            NodeStore::Ipfs(s) => s.get(cid).await,
        }
    }
    async fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        match self {
            NodeStore::Local(s) => s.has(cid).await,
            NodeStore::Ipfs(s) => s.has(cid).await,
        }
    }
}

#[cfg(feature = "store")]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("content {0} not found")]
    NotFound(Cid),
    /// A block failed decryption or does not hash to its CID, or the DAG it belongs to is
    /// inconsistent: the store was tampered with or corrupted.
    #[error("content {cid} refused: {why}")]
    Tampered { cid: Cid, why: String },
    #[error("content id: {0}")]
    ContentId(#[from] ContentIdError),
    #[error("object larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("the IPFS node named {got} for content whose CID is {expected}; are its import settings different?")]
    CidMismatch { expected: Cid, got: String },
    #[error("IPFS API {endpoint}: HTTP {status}: {message}")]
    Api {
        endpoint: &'static str,
        status: u16,
        message: String,
    },
    #[error("IPFS API transport: {0}")]
    Transport(String),
    #[error("config: {0}")]
    Config(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}
