//! The demo's research request: matched double-blind, broadcast-encrypted to exactly the
//! matched users, committed on chain, delivered over BitChat, decrypted by the recipients.
//!
//! Roles, each in this process but each given only what it would have:
//! - user clients blind their profile tags through the blinding service (OPRF) and keep their
//!   own DGKBE key (extracted for them at enrollment);
//! - the matching node (the relayer's operator) joins blinded tags and learns S_i only;
//! - the key authority encapsulates a session key for S_i (BGW variant: only S_i can open);
//! - the chain sees one attestation of kind `matching` whose commitments bind S_i and the
//!   ciphertext;
//! - recipients get the ciphertext over BitChat (QUIC + Noise, sender bound to its chain key),
//!   check it against the on-chain commitments, and decrypt. A user outside S_i cannot.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bithive_attestation::{matching_commitments, signing, Attestation, AttestationKind, Hash32};
use bithive_bitchat::{Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist};
use bithive_dgkbe::bgw::BgwCiphertext;
use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use bithive_matching::client::{self, BlindingService};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::MatchingNode;
use bithive_matching::output::{seal_output, verify_output, MatchOutput};
use bithive_matching::sim;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;

use crate::platform::{ctx, exec, fail, query, DemoError, Platform};

/// Synthetic population size of the demo.
pub const USERS: u32 = 2_000;
/// Recipients the demo delivers to over BitChat (plus one user outside S_i).
const DELIVER_TO: usize = 3;

#[derive(Clone, Debug)]
pub struct ResearchOutcome {
    pub users: u32,
    pub recipients: u64,
    pub ciphertext_bytes: usize,
    pub commitment: String,
    pub attested_height: u64,
    /// Recipients that received the ciphertext over BitChat, verified it against the chain
    /// and decrypted the request.
    pub decrypted: usize,
    /// Users outside S_i given the same ciphertext whose decryption failed authentication.
    pub outsiders_refused: usize,
}

fn rng() -> Result<ChaCha20Rng, DemoError> {
    let mut seed = [0u8; 32];
    ctx!(getrandom::getrandom(&mut seed), "random seed")?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// What a recipient receives: request id, S_i (portable roaring bytes) and the ciphertext.
fn encode_delivery(out: &MatchOutput) -> Result<Vec<u8>, DemoError> {
    let mut mask = Vec::new();
    ctx!(out.recipients.serialize_into(&mut mask), "serialize S_i")?;
    let mut body = Vec::with_capacity(16 + mask.len() + out.ciphertext.len());
    body.extend_from_slice(&out.request_id.to_be_bytes());
    body.extend_from_slice(&(mask.len() as u32).to_be_bytes());
    body.extend_from_slice(&mask);
    body.extend_from_slice(&out.ciphertext);
    Ok(body)
}

fn decode_delivery(body: &[u8]) -> Result<(MatchOutput, Vec<u8>), DemoError> {
    let bad = || fail("delivery")(&"malformed delivery");
    let id = u64::from_be_bytes(
        body.get(..8)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?,
    );
    let len = u32::from_be_bytes(
        body.get(8..12)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?,
    ) as usize;
    let mask = body.get(12..12 + len).ok_or_else(bad)?.to_vec();
    let ct = body.get(12 + len..).ok_or_else(bad)?.to_vec();
    let recipients = ctx!(RoaringBitmap::deserialize_from(&mask[..]), "S_i")?;
    let commitment = bithive_matching::output::commitment(id, &recipients, &ct);
    Ok((
        MatchOutput {
            request_id: id,
            recipients,
            ciphertext: ct,
            commitment,
        },
        mask,
    ))
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub async fn research_request(
    p: &Platform,
    progress: &mut dyn FnMut(&str),
) -> Result<ResearchOutcome, DemoError> {
    let mut rng = rng()?;
    let c = &p.deployment.contracts;

    // Enrollment: users blind their tags; the key authority gives each its DGKBE key.
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let service = BlindingService::new(&mut rng);
    let mut node = MatchingNode::new(&mut rng);
    let users = sim::population(USERS, 7);
    let subs = ctx!(
        client::user_submissions(&users, &lsh, &service, 1),
        "blinding"
    )?;
    ctx!(node.ingest(&subs), "matching node ingest")?;
    let s0: RoaringBitmap = (1..=USERS).collect();
    let authority = ctx!(ServerSecret::setup(USERS, &s0, 0, &mut rng), "DGKBE setup")?;
    let pp = authority.bgw_public_params();
    progress(&format!(
        "{USERS} users enrolled with blinded tags and DGKBE keys"
    ));

    // A research request that matches a few users.
    let mut found = None;
    for i in 1..=200u64 {
        let spec = sim::request(i, 11);
        let sub = ctx!(
            client::request_submission(&spec, &lsh, &service, &mut rng),
            "request blinding"
        )?;
        let (id, s_i) = ctx!(node.match_requests(&[sub]), "matching")?
            .pop()
            .ok_or_else(|| fail("matching")(&"no result"))?;
        if s_i.len() >= 3 && s_i.len() < u64::from(USERS) {
            found = Some((spec, id, s_i));
            break;
        }
    }
    let (spec, id, s_i) = found.ok_or_else(|| fail("matching")(&"no request matched"))?;
    let details = format!(
        "research request {id}: clauses {:?}; max embedding distance {}; contact via BitHive",
        spec.clauses, spec.max_distance
    );
    let (header, session) = ctx!(authority.bgw_encapsulate(&s_i, &mut rng), "encapsulate")?;
    let out = ctx!(
        seal_output(id, s_i.clone(), header, session, details.as_bytes()),
        "seal"
    )?;
    progress(&format!(
        "research request {id} matched double-blind: {} of {USERS} users; ciphertext {} bytes",
        s_i.len(),
        out.ciphertext.len()
    ));

    // The matching node attests the commitments (never S_i or the ciphertext) on chain.
    let delivery = encode_delivery(&out)?;
    let (_, mask) = decode_delivery(&delivery)?;
    let secret: [u8; 32] = p.operator_key.k256().to_bytes().into();
    let key = ctx!(signing::signing_key(&secret), "operator key")?;
    let now = ctx!(p.node.rpc().latest_block_time().await, "block time")?;
    let att = Attestation {
        chain_id: p.chain_id.clone(),
        contract: c.attestation.clone(),
        job_id: format!("research-{id}"),
        kind: AttestationKind::Matching,
        result_hash: Hash32(out.commitment),
        commitments: matching_commitments(&mask, &out.ciphertext).to_vec(),
        issued_at: now,
        nonce: crate::platform::random_nonce()?,
        signer: signing::public_key(&key),
    };
    let signed = ctx!(signing::sign(att, &key), "sign matching")?;
    let attested_height = exec(
        &p.node,
        &c.attestation,
        json!({"submit": {"attestation": signed.attestation, "signature": signed.signature}}),
        "attest matching",
    )
    .await?;
    progress(&format!(
        "matching attested on chain at height {attested_height} (commitments only)"
    ));

    // Delivery over BitChat: the relayer's node identity is its chain operator key.
    let dir = p.opts.home.join("bitchat");
    let registry = Arc::new(StaticAllowlist::new());
    let relayer_id = ctx!(NodeIdentity::from_secret(&secret), "bitchat identity")?;
    registry.insert(PeerRecord::of(&relayer_id, None));
    let recipients: Vec<u32> = s_i.iter().take(DELIVER_TO).collect();
    let outsider = (1..=USERS)
        .find(|u| !s_i.contains(*u))
        .ok_or_else(|| fail("matching")(&"everyone matched"))?;
    let mut inboxes = Vec::new();
    for &u in recipients.iter().chain(std::iter::once(&outsider)) {
        let mut user_secret = [0u8; 32];
        ctx!(getrandom::getrandom(&mut user_secret), "random key")?;
        let ident = ctx!(NodeIdentity::from_secret(&user_secret), "bitchat identity")?;
        let (account, mut rec) = (ident.account_id(), PeerRecord::of(&ident, None));
        let cfg = NodeConfig::new(local(), dir.join(format!("user-{u}")));
        let user_node = ctx!(Node::start(cfg, ident, registry.clone()).await, "user node")?;
        rec.addr = Some(ctx!(user_node.local_addr(), "user node")?);
        registry.insert(rec);
        inboxes.push((u, account, user_node));
    }
    let sender = ctx!(
        Node::start(
            NodeConfig::new(local(), dir.join("relayer")),
            relayer_id,
            registry.clone()
        )
        .await,
        "relayer bitchat node"
    )?;
    for (_, account, _) in &inboxes {
        ctx!(
            sender
                .send(*account, id, &delivery, Duration::from_secs(600))
                .await,
            "bitchat send"
        )?;
    }

    // Each user: receive, check against the chain, decrypt with its own key.
    let q = json!({"attestation": {"job_id": format!("research-{id}"), "kind": "matching",
        "contract": c.attestation, "chain_id": p.chain_id}});
    let onchain = query(&p.gov, &c.attestation, q, "matching attestation query").await?;
    let onchain_commitment = hex::decode(
        onchain["attestation"]["result_hash"]
            .as_str()
            .unwrap_or_default(),
    )
    .ok()
    .and_then(|v| <[u8; 32]>::try_from(v).ok())
    .ok_or_else(|| fail("matching attestation")(&format!("no result hash in {onchain}")))?;
    let (mut decrypted, mut refused) = (0, 0);
    for (u, _, user_node) in &inboxes {
        let got = user_node
            .recv(Duration::from_secs(30))
            .await
            .ok_or_else(|| fail("bitchat delivery")(&format!("user {u} received nothing")))?;
        let (received, _) = decode_delivery(&got.body)?;
        if !verify_output(&received, &onchain_commitment) {
            return Err(fail("delivery check")(&format!(
                "user {u}: ciphertext does not match the on-chain commitment"
            )));
        }
        let mut key = ctx!(authority.bgw_extract(*u), "user key")?;
        let ct = ctx!(
            BgwCiphertext::from_bytes(&received.ciphertext),
            "ciphertext"
        )?;
        match key.decrypt(&pp, &received.recipients, &ct, &id.to_be_bytes()) {
            Ok((plain, _)) if plain == details.as_bytes() && s_i.contains(*u) => decrypted += 1,
            Err(_) if !s_i.contains(*u) => refused += 1,
            other => {
                return Err(fail("decryption")(&format!(
                    "user {u} (in S_i: {}): unexpected outcome {}",
                    s_i.contains(*u),
                    if other.is_ok() { "plaintext" } else { "error" }
                )))
            }
        }
    }
    progress(&format!(
        "delivered over BitChat: {decrypted} recipients decrypted the request; the user outside S_i could not"
    ));
    sender.shutdown().await;
    for (_, _, n) in inboxes {
        n.shutdown().await;
    }
    Ok(ResearchOutcome {
        users: USERS,
        recipients: s_i.len(),
        ciphertext_bytes: out.ciphertext.len(),
        commitment: hex::encode(out.commitment),
        attested_height,
        decrypted,
        outsiders_refused: refused,
    })
}
