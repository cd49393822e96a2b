//! Setup shared by the integration tests: deterministic identities, node configs with short
//! timeouts, registration in a static allowlist, and lossy emulator links.

#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::{
    AccountId, MessageStatus, Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist,
};
use bithive_linkemu::LinkConfig;

pub fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Account secret of test node `n`.
pub fn secret(n: u8) -> [u8; 32] {
    let mut s = [0x11u8; 32];
    s[0] = n;
    s
}

pub fn identity(n: u8) -> NodeIdentity {
    NodeIdentity::from_secret(&secret(n)).unwrap()
}

/// Config of a node with data dir `dir/name`, with the given connect and request timeouts.
pub fn cfg_with(dir: &Path, name: &str, connect: Duration, request: Duration) -> NodeConfig {
    let mut c = NodeConfig::new(local(), dir.join(name));
    c.connect_timeout = connect;
    c.request_timeout = request;
    c.retry_interval = Duration::from_millis(200);
    c
}

/// [`cfg_with`] with a 700 ms connect and a 3 s request timeout.
pub fn cfg(dir: &Path, name: &str) -> NodeConfig {
    cfg_with(
        dir,
        name,
        Duration::from_millis(700),
        Duration::from_secs(3),
    )
}

pub async fn start(c: NodeConfig, n: u8, reg: &Arc<StaticAllowlist>) -> Node {
    Node::start(c, identity(n), reg.clone()).await.unwrap()
}

/// Registers node `n` at `addr` (replacing an earlier record).
pub fn register(reg: &StaticAllowlist, n: u8, addr: Option<SocketAddr>) -> AccountId {
    let id = identity(n);
    reg.insert(PeerRecord::of(&id, addr));
    id.account_id()
}

/// 10 ms RTT link (5 ms each way) with random `loss`.
pub fn lossy(loss: f64, seed: u64) -> LinkConfig {
    LinkConfig {
        delay: Duration::from_millis(5),
        loss,
        seed,
        ..LinkConfig::default()
    }
}

pub async fn wait_status(
    node: &Node,
    id: &[u8; 16],
    want: MessageStatus,
    within: Duration,
) -> bool {
    let t = Instant::now();
    while t.elapsed() < within {
        if node.status(id) == Some(want) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Asserts that each message of `ids` reaches `Delivered` at its sender `node` within `within`.
pub async fn assert_delivered<'a>(
    node: &Node,
    ids: impl IntoIterator<Item = &'a [u8; 16]>,
    within: Duration,
) {
    for id in ids {
        assert!(
            wait_status(node, id, MessageStatus::Delivered, within).await,
            "message {} not delivered within {within:?}",
            hex::encode(id)
        );
    }
}

/// Every file a run left under `dir`: mode 0600 and none of `needles` in it (issue #46: no
/// plaintext message or chunk at rest, on any node, relay included).
pub fn assert_sealed_at_rest(dir: &Path, needles: &[&[u8]]) -> usize {
    use std::os::unix::fs::PermissionsExt;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            assert_eq!(
                meta.permissions().mode() & 0o777,
                0o600,
                "{} is not 0600",
                path.display()
            );
            let raw = std::fs::read(&path).unwrap();
            for n in needles {
                let hexed = hex::encode(n);
                assert!(
                    !raw.windows(n.len()).any(|w| w == *n)
                        && !raw.windows(hexed.len()).any(|w| w == hexed.as_bytes()),
                    "{} holds {:?} in clear",
                    path.display(),
                    String::from_utf8_lossy(n)
                );
            }
        }
    }
    files
}
