//! What the loopback tests of this crate share: a node's configuration on 127.0.0.1, waiting
//! for an event, and the scan of every file a run wrote.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use bithive_bitchat::AccountId;
use bithive_bitchat_p2p::record::AddrPolicy;
use bithive_bitchat_p2p::{P2pConfig, P2pEvent, P2pNode};
use libp2p::Multiaddr;

/// How long any one wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(60);

/// A node on 127.0.0.1 (loopback addresses allowed in records, as only tests may).
pub fn config(public: bool, bootstrap: Vec<Multiaddr>) -> P2pConfig {
    let mut c = P2pConfig::new("/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap());
    c.public = public;
    c.bootstrap = bootstrap;
    c.addr_policy = AddrPolicy {
        allow_loopback: true,
    };
    c
}

/// A public node (DHT server, relay, and a mailbox kept in `dir`) for the account
/// `[secret; 32]` on loopback, and its address ending in its peer id (what others bootstrap
/// with).
#[allow(dead_code)] // not every test file has one
pub async fn public_node(secret: u8, dir: &Path) -> (P2pNode, Multiaddr) {
    let mut c = config(true, vec![]);
    c.data_dir = Some(dir.to_path_buf());
    let mut node = P2pNode::start(&[secret; 32], c).await.unwrap();
    let addr = until(&mut node, "listen address", |e| match e {
        P2pEvent::Listening(a) => Some(a.clone()),
        _ => None,
    })
    .await;
    let addr = addr.with(libp2p::multiaddr::Protocol::P2p(node.peer_id()));
    (node, addr)
}

/// A person (a private node) for the account `[secret; 32]` behind `relay`, once its record
/// is published.
#[allow(dead_code)] // not every test file has one
pub async fn person(secret: u8, relay: &Multiaddr) -> P2pNode {
    let mut n = P2pNode::start(&[secret; 32], config(false, vec![relay.clone()]))
        .await
        .unwrap();
    until(&mut n, "publication", |e| {
        matches!(e, P2pEvent::Published { .. }).then_some(())
    })
    .await;
    n
}

/// The next envelope `node` receives, taken (so its sender or relay lets it go): who sent it,
/// its bytes and how it came, failing after [`WAIT`].
#[allow(dead_code)] // not every test file receives
pub async fn taken(
    node: &mut P2pNode,
    what: &str,
) -> (AccountId, Vec<u8>, bithive_bitchat_p2p::Path) {
    until(node, what, |e| match e {
        P2pEvent::Received {
            from,
            envelope,
            path,
            receipt,
        } => {
            receipt.taken();
            Some((*from, envelope.clone(), *path))
        }
        _ => None,
    })
    .await
}

/// Waits for the first event `pick` maps to `Some`, failing after [`WAIT`].
pub async fn until<T>(
    node: &mut P2pNode,
    what: &str,
    mut pick: impl FnMut(&P2pEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(t) = pick(&node.next_event().await.expect("node stopped")) {
                return t;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
}

/// Every file under `dir` is 0600 and holds none of `needles`, raw or hex; how many there are.
#[allow(dead_code)] // not every test file scans
pub fn assert_sealed_at_rest(dir: &Path, needles: &[&[u8]]) -> usize {
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            files += 1;
            let path = entry.path();
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
