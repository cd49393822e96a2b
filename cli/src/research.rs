//! The demo's research request, served by the relayer's matching worker
//! (`bithive_relayer::matching_worker`): matched double-blind, broadcast-encrypted to exactly
//! the matched users, paid through the escrow on an on-chain attestation, delivered over
//! BitChat, decrypted by the recipients only.
//!
//! This process plays the roles outside the relayer, each given only what it would have:
//! - user clients blind their profile tags through the blinding service (OPRF), enroll them
//!   with the matching node together with their BitChat contact, and keep their own DGKBE key
//!   (handed out by the enrollment tooling, which shares the key authority's seed file);
//! - the researcher blinds the request's criteria through the same service, seals the request
//!   (criteria + details) to the relayer's BitChat Noise key and posts it as a paid escrow job:
//!   the chain sees a ciphertext, its hash and the payment;
//! - the relayer (matching worker) opens the sealed request, matches its blinded criteria
//!   (no user attribute or token reaches it), encrypts the details to S_i, queues the
//!   ciphertext to each recipient and attests commitments; the escrow pays the node. It reads
//!   the request's details in plaintext to encrypt them, and its one secret file holds both the
//!   DGKBE authority seed and the blinding key: the role split of `offchain/matching/docs/ROLES.md`
//!   (the requester encrypts; authority and matching node apart) is issue #20 item 3, not yet
//!   built;
//! - recipients check the delivery against the on-chain commitment and decrypt; a user outside
//!   S_i handed the same bytes cannot.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::{Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist};
use bithive_dgkbe::bgw::BgwCiphertext;
use bithive_dgkbe::RoaringBitmap;
use bithive_interface::attestation::{Accepted, QueryMsg as AttestationQuery};
use bithive_interface::payfi_escrow::{CreateJobMsg, ExecuteMsg as EscrowMsg};
use bithive_matching::client::{self, BlindingService, RequestSpec};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::MatchingNode;
use bithive_matching::output::verify_output;
use bithive_matching::sim;
use bithive_matching::wire::{decode_delivery, ResearchRequest};
use bithive_relayer::config::{Config, JobKind, MatchingSection};
use bithive_relayer::matching_worker::{
    append_enrollments, request_header, Enrollment, MatchingSecrets, MATCHING_MODEL,
};
use bithive_signed_attestation::AttestationKind;
use cosmwasm_std::{Binary, Timestamp};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::platform::{ctx, fail, native_balance, query, DemoError, Platform, DAY, DENOM};

/// Synthetic population size of the demo.
pub const USERS: u32 = 2_000;
/// Recipients the demo brings online to receive over BitChat (plus one user outside S_i).
const ONLINE_RECIPIENTS: usize = 3;
/// What the researcher pays for the matching (2 BHIVE).
const RESEARCH_PRICE: u128 = 2_000_000;
const RESEARCH_JOB: &str = "research-1";

#[derive(Clone, Debug)]
pub struct ResearchOutcome {
    pub users: u32,
    pub recipients: u64,
    pub ciphertext_bytes: usize,
    pub commitment: String,
    pub attested_height: u64,
    /// Paid by the escrow to the node on the matching attestation (after the escrow fee).
    pub node_paid: u128,
    /// Online recipients that received the ciphertext over BitChat, verified it against the
    /// chain and decrypted the request.
    pub decrypted: usize,
    /// Users outside S_i handed the same ciphertext whose decryption failed authentication.
    pub outsiders_refused: usize,
}

/// Everything enrollment leaves to the rest of the story.
pub struct Enrolled {
    section: MatchingSection,
    service: BlindingService,
    lsh: SimHash,
    spec: RequestSpec,
    /// S_i as the dry run found it (the demo checks the relayer's result against it).
    expected: RoaringBitmap,
    /// (user, BitChat node) of the online recipients, then the outsider last.
    online: Vec<(u32, Node)>,
    secrets: MatchingSecrets,
}

fn rng() -> Result<ChaCha20Rng, DemoError> {
    let mut seed = [0u8; 32];
    ctx!(getrandom::getrandom(&mut seed), "random seed")?;
    Ok(ChaCha20Rng::from_seed(seed))
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn relayer_identity(p: &Platform) -> Result<NodeIdentity, DemoError> {
    let secret: [u8; 32] = p.operator_key.k256().to_bytes().into();
    ctx!(
        NodeIdentity::from_secret(&secret),
        "relayer BitChat identity"
    )
}

/// Enrollment, before the relayer starts: users blind their tags and enroll them with their
/// BitChat contact; the key authority's secret file is created. To show a non-trivial story
/// the demo picks a request that a few users match, by a dry run on a scratch matching node (a
/// different blinding key gives the same S_i: the key cancels out in the join), and brings
/// those users online.
pub async fn enroll(p: &Platform, progress: &mut dyn FnMut(&str)) -> Result<Enrolled, DemoError> {
    let mut rng = rng()?;
    let home = &p.opts.home;
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let service = BlindingService::new(&mut rng);
    let users = sim::population(USERS, 7);
    let subs = ctx!(
        client::user_submissions(&users, &lsh, &service, 1),
        "blinding"
    )?;

    let mut scratch = MatchingNode::new(&mut rng);
    ctx!(scratch.ingest(&subs), "dry-run ingest")?;
    let mut found = None;
    for i in 1..=200u64 {
        let spec = sim::request(i, 11);
        let sub = ctx!(
            client::request_submission(&spec, &lsh, &service, &mut rng),
            "request blinding"
        )?;
        let (_, s_i) = ctx!(scratch.match_requests(&[sub]), "dry run")?
            .pop()
            .ok_or_else(|| fail("dry run")(&"no result"))?;
        if s_i.len() > ONLINE_RECIPIENTS as u64 && s_i.len() < u64::from(USERS) {
            found = Some((spec, s_i));
            break;
        }
    }
    let (spec, expected) = found.ok_or_else(|| fail("dry run")(&"no request matched"))?;

    // BitChat: users accept the relayer (known by its chain key); the online ones listen.
    let registry = Arc::new(StaticAllowlist::new());
    registry.insert(PeerRecord::of(&relayer_identity(p)?, None));
    let outsider = (1..=USERS)
        .find(|u| !expected.contains(*u))
        .ok_or_else(|| fail("dry run")(&"everyone matched"))?;
    let online_users: Vec<u32> = expected
        .iter()
        .take(ONLINE_RECIPIENTS)
        .chain(std::iter::once(outsider))
        .collect();
    let dir = home.join("bitchat");
    let mut online = Vec::new();
    let mut rows = Vec::with_capacity(subs.len());
    for sub in &subs {
        let ident = ctx!(NodeIdentity::generate(), "user identity")?;
        let mut contact = PeerRecord::of(&ident, None);
        if online_users.contains(&sub.user) {
            let cfg = NodeConfig::new(local(), dir.join(format!("user-{}", sub.user)));
            let node = ctx!(
                Node::start(cfg, ident, registry.clone()).await,
                "user BitChat node"
            )?;
            contact.addr = Some(ctx!(node.local_addr(), "user BitChat node")?);
            online.push((sub.user, node));
        }
        rows.push(ctx!(Enrollment::new(sub, &contact), "enrollment")?);
    }
    // The outsider last.
    online.sort_by_key(|(u, _)| *u == outsider);

    let secrets = ctx!(MatchingSecrets::generate(), "matching secrets")?;
    let section = MatchingSection {
        key: "operator".into(),
        listen: "127.0.0.1:0".into(),
        data_dir: home.join("relayer-bitchat"),
        secret_file: home.join("matching-secret.json"),
        enrollment: home.join("enrollment.jsonl"),
        epoch: 0,
        delivery_ttl_secs: 600,
        relays: Vec::new(),
    };
    ctx!(secrets.save(&section.secret_file), "matching secret file")?;
    ctx!(
        append_enrollments(&section.enrollment, &rows),
        "enrollment file"
    )?;
    progress(&format!(
        "{USERS} users enrolled with blinded tags and BitChat contacts ({} online)",
        online.len()
    ));
    Ok(Enrolled {
        section,
        service,
        lsh,
        spec,
        expected,
        online,
        secrets,
    })
}

/// Turns on the matching worker in a relayer config.
pub fn enable_matching(cfg: &mut Config, e: &Enrolled) {
    cfg.matching = Some(e.section.clone());
    for c in &mut cfg.chains {
        if !c.jobs.contains(&JobKind::Matching) {
            c.jobs.push(JobKind::Matching);
        }
    }
}

/// The researcher posts the sealed request as a paid escrow job; the relayer matches, attests
/// and delivers; the online users check and decrypt.
pub async fn research_request(
    p: &Platform,
    e: Enrolled,
    progress: &mut dyn FnMut(&str),
) -> Result<ResearchOutcome, DemoError> {
    let mut rng = rng()?;
    let c = &p.deployment.contracts;
    let researcher = &p.gov;

    // The researcher: blinded criteria + details, sealed to the relayer's Noise key.
    let submission = ctx!(
        client::request_submission(&e.spec, &e.lsh, &e.service, &mut rng),
        "request blinding"
    )?;
    let id = submission.id;
    let details = format!(
        "research request {id}: clauses {:?}; max embedding distance {}; contact via BitHive",
        e.spec.clauses, e.spec.max_distance
    );
    let request = ResearchRequest {
        submission,
        details: details.as_bytes().to_vec(),
    };
    let plain = ctx!(request.to_bytes(), "research request")?;
    let researcher_id = ctx!(NodeIdentity::generate(), "researcher identity")?;
    let sealed = ctx!(
        researcher_id.seal_to(
            &relayer_identity(p)?.noise_public(),
            &request_header(&p.chain_id),
            &plain
        ),
        "sealing the request"
    )?;
    let now = ctx!(researcher.rpc().latest_block_time().await, "block time")?;
    let create = EscrowMsg::CreateJob(CreateJobMsg {
        job_id: RESEARCH_JOB.into(),
        expires_at: Timestamp::from_seconds(now + DAY),
        model: MATCHING_MODEL.into(),
        input: Binary::from(sealed.as_slice()),
        // Sealed to the relayer's node, so only that node can be paid for it.
        node: Some(p.node.address().to_string()),
    });
    let msg = ctx!(
        researcher.execute_msg_with_funds(&c.payfi_escrow, &create, &[(RESEARCH_PRICE, DENOM)]),
        "research job"
    )?;
    let node_before = native_balance(&p.node, p.node.address()).await?;
    let created = ctx!(researcher.submit(vec![msg], "").await, "research job")?;
    progress(&format!(
        "researcher paid {} for research request {id} (sealed to the relayer: {} B on chain) at height {}",
        crate::platform::bhive(RESEARCH_PRICE),
        sealed.len(),
        created.height
    ));

    // The relayer's matching worker attests (under the escrow's job id, scoped to the
    // researcher); the escrow pays the node.
    let job_id = bithive_interface::payfi_escrow::job_id(researcher.address(), RESEARCH_JOB);
    let q = AttestationQuery::Attestation {
        job_id,
        kind: AttestationKind::Matching,
        contract: Some(c.attestation.clone()),
        chain_id: Some(p.chain_id.clone()),
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let onchain = loop {
        let v: Option<Accepted> =
            query(&p.gov, &c.attestation, &q, "matching attestation query").await?;
        if let Some(v) = v {
            break v;
        }
        if Instant::now() > deadline {
            return Err(fail("matching attestation")(&format!(
                "{RESEARCH_JOB} not attested within 120 s"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let attested_height = onchain.height;
    let node_paid = native_balance(&p.node, p.node.address())
        .await?
        .saturating_sub(node_before);
    let fee = RESEARCH_PRICE * 50 / 10_000;
    if node_paid != RESEARCH_PRICE - fee {
        return Err(fail("research payment")(&format!(
            "node balance rose by {node_paid}, expected {}",
            RESEARCH_PRICE - fee
        )));
    }
    let onchain_commitment = onchain.attestation.result_hash.0;
    progress(&format!(
        "relayer matched and attested at height {attested_height} (commitments only); escrow paid the node"
    ));

    // Users: receive, check against the chain, decrypt with their own keys.
    let authority = ctx!(
        e.secrets.authority(USERS, &(1..=USERS).collect(), 0),
        "key authority"
    )?;
    let pp = authority.bgw_public_params();
    let (mut decrypted, mut refused, mut seen) = (0, 0, None::<(Vec<u8>, u64, usize)>);
    let (recipients, outsider) = e.online.split_at(e.online.len() - 1);
    for (u, node) in recipients {
        let got = node
            .recv(Duration::from_secs(60))
            .await
            .ok_or_else(|| fail("BitChat delivery")(&format!("user {u} received nothing")))?;
        let (received, _) = ctx!(decode_delivery(&got.body), "delivery")?;
        if !verify_output(&received, &onchain_commitment) {
            return Err(fail("delivery check")(&format!(
                "user {u}: ciphertext does not match the on-chain commitment"
            )));
        }
        if received.recipients != e.expected {
            return Err(fail("matching")(&format!(
                "the relayer matched {} users, the dry run {}",
                received.recipients.len(),
                e.expected.len()
            )));
        }
        let mut key = ctx!(authority.bgw_extract(*u), "user key")?;
        let ct = ctx!(
            BgwCiphertext::from_bytes(&received.ciphertext),
            "ciphertext"
        )?;
        match key.decrypt(&pp, &received.recipients, &ct, &id.to_be_bytes()) {
            Ok((plain, _)) if plain == details.as_bytes() => decrypted += 1,
            _ => {
                return Err(fail("decryption")(&format!(
                    "recipient {u} could not decrypt the request"
                )))
            }
        }
        seen = Some((
            got.body.clone(),
            received.recipients.len(),
            received.ciphertext.len(),
        ));
    }
    let (body, n_recipients, ct_len) =
        seen.ok_or_else(|| fail("BitChat delivery")(&"no recipient online"))?;
    // A user outside S_i handed a recipient's bytes cannot open them.
    for (u, _) in outsider {
        let (received, _) = ctx!(decode_delivery(&body), "delivery")?;
        let mut key = ctx!(authority.bgw_extract(*u), "user key")?;
        let ct = ctx!(
            BgwCiphertext::from_bytes(&received.ciphertext),
            "ciphertext"
        )?;
        if key
            .decrypt(&pp, &received.recipients, &ct, &id.to_be_bytes())
            .is_ok()
        {
            return Err(fail("decryption")(&format!(
                "user {u} outside S_i decrypted the request"
            )));
        }
        refused += 1;
    }
    progress(&format!(
        "delivered over BitChat: {decrypted} online recipients decrypted the request; the user outside S_i could not"
    ));
    for (_, n) in e.online {
        n.shutdown().await;
    }
    Ok(ResearchOutcome {
        users: USERS,
        recipients: n_recipients,
        ciphertext_bytes: ct_len,
        commitment: hex::encode(onchain_commitment),
        attested_height,
        node_paid,
        decrypted,
        outsiders_refused: refused,
    })
}
