//! Where a command puts and gets content: the nodes' local content store or a kubo node.
use std::path::PathBuf;

use anyhow::Context;
use bithive_content_store::NodeStore;
use clap::Args;

#[derive(Clone, Debug, Args)]
pub struct StoreArgs {
    /// A local content store (with --store-key-file); or --ipfs-api
    #[arg(long, value_name = "DIR", requires = "store_key_file")]
    pub store_dir: Option<PathBuf>,
    /// The local content store's key file (hex, mode 0600)
    #[arg(long, value_name = "FILE")]
    pub store_key_file: Option<PathBuf>,
    /// A kubo node's HTTP API, e.g. http://127.0.0.1:5001
    #[arg(long, value_name = "URL", conflicts_with = "store_dir")]
    pub ipfs_api: Option<String>,
}

impl StoreArgs {
    pub fn open(&self) -> anyhow::Result<NodeStore> {
        let local = match (&self.store_dir, &self.store_key_file) {
            (Some(dir), Some(key)) => Some((dir.as_path(), key.as_path())),
            (None, None) => None,
            _ => anyhow::bail!("--store-dir and --store-key-file go together"),
        };
        NodeStore::open(self.ipfs_api.as_deref(), local)
            .context("the content store (--store-dir with --store-key-file, or --ipfs-api)")
    }
}
