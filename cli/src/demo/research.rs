//! The demo's research request, with the roles of `offchain/matching/docs/ROLES.md` apart:
//! matched double-blind by the relayer's matching worker, paid through the escrow on an
//! on-chain attestation, encrypted by the researcher itself to exactly the matched users,
//! delivered over BitChat, decrypted by the recipients only.
//!
//! This process plays the parties outside the relayer, each given only what it would have:
//! - the key authority runs as its own (one-shot) processes (`bithive key-authority publish` and
//!   `user-keys`, its seed in `key-authority/` of the demo home): it publishes the BGW public
//!   parameters and encryption key (`dgkbe-params.bin`, `dgkbe-encryption-key.bin`) and writes
//!   each online user's key to a file (0600) for that user's device; it never sees a request,
//!   S_i or a ciphertext, and this process never holds its seed;
//! - the blinding service runs as its own process (`bithive blinding serve`, its files in
//!   `blinding/` of the demo home): this process never holds its key; users and the researcher
//!   are admitted accounts that sign each call, as with a wallet;
//! - user clients blind their profile tags through the blinding service (OPRF, over HTTP) and
//!   enroll them with the matching node together with their BitChat contact;
//! - the researcher blinds the request's criteria through the same service, seals them (no
//!   details) with its BitChat contact to the relayer's Noise key and posts that as a paid
//!   escrow job; on the match notice it checks S_i against the attestation, encrypts the
//!   details to S_i with the published key, signs with its chain key and hands the delivery
//!   to the relayer to forward;
//! - the relayer (matching worker) holds only the blinding key: it matches, attests
//!   `(request id, S_i)`, tells the researcher S_i and forwards the researcher's signed
//!   ciphertext to S_i; it never reads the details;
//! - recipients check the delivery against the chain (S_i attested, signed by the job's payer)
//!   and decrypt; a user outside S_i handed the same bytes cannot.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::{AccountId, Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist};
use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::RoaringBitmap;
use bithive_interface::attestation::{Accepted, QueryMsg as AttestationQuery};
use bithive_interface::payfi_escrow::{
    CreateJobMsg, ExecuteMsg as EscrowMsg, Job, QueryMsg as EscrowQuery,
};
use bithive_matching::admission::{account_address, Admissions, Role};
use bithive_matching::client::{self, BlindingService, RequestSpec, UserProfile};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::{MatchingNode, RequestSubmission, UserSubmission};
use bithive_matching::output::{self, open_output, seal_output, sign_delivery, verify_output};
use bithive_matching::service::{Field, MatchingNodeContact, ResearchService, MAX_OPRF_POINTS};
use bithive_matching::sim;
use bithive_matching::wire::{MatchNotice, ReplyTo, ResearchRequest, SignedDelivery};
use bithive_relayer::config::{Config, JobKind, MatchingSection};
use bithive_relayer::matching_worker::{
    append_enrollments, request_header, Enrollment, MatchingSecrets, MATCHING_MODEL,
};
use bithive_signed_attestation::AttestationKind;
use cosmwasm_std::{Binary, Timestamp};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::blinding_client::BlindingClient;
use crate::demo::platform::{ctx, fail, query, DemoError, Platform, DAY};
use crate::demo::processes::{run_once, Ready, RoleProcess};

/// Synthetic population size of the demo.
pub const USERS: u32 = 2_000;
/// Recipients the demo brings online to receive over BitChat (plus one user outside S_i).
const ONLINE_RECIPIENTS: usize = 3;
/// What the researcher pays for the matching (2 BHIVE).
const RESEARCH_PRICE: u128 = 2_000_000;
const RESEARCH_JOB: &str = "research-1";
/// What the key authority publishes (public files in the demo home).
pub use crate::key_authority::{ENCRYPTION_KEY_FILE, PARAMS_FILE};
/// The key authority's seed, in its own directory of the demo home.
pub const KEY_AUTHORITY_SECRET_FILE: &str = "key-authority/secret.json";
/// The online users' keys as the key authority wrote them for their devices.
pub const USER_KEYS_DIR: &str = "user-keys";
/// The blinding service's directory in the demo home: its secret key, who may call it
/// (`bithive blinding admit --admissions`) and its ledger. Only its process reads the key.
pub const BLINDING_DIR: &str = "blinding";
pub const BLINDING_SECRET_FILE: &str = "blinding/secret.json";
pub const BLINDING_ADMISSIONS_FILE: &str = "blinding/admissions.json";
pub const BLINDING_LEDGER_FILE: &str = "blinding/ledger.json";
/// Calls in flight to the blinding service while users enroll: its default `--max-in-flight`
/// (more get 503, which the client retries).
const BLINDING_CONCURRENCY: usize = 4;
/// The research service descriptor `--keep-running` writes for `bithive web`.
pub const RESEARCH_FILE: &str = "research.json";

#[derive(Clone, Debug)]
pub struct ResearchOutcome {
    pub users: u32,
    pub recipients: u64,
    pub ciphertext_bytes: usize,
    pub commitment: String,
    pub attested_height: u64,
    /// Paid by the escrow to the node for the match (after the escrow fee), once its dispute
    /// window has passed ([`finalize_and_check`]).
    pub node_paid: u128,
    /// The escrow's id of the research job.
    pub job_id: String,
    /// Online recipients that received the researcher's delivery over BitChat, verified it
    /// against the chain and decrypted the request.
    pub decrypted: usize,
    /// Users outside S_i handed the same ciphertext whose decryption failed authentication.
    pub outsiders_refused: usize,
}

/// Everything enrollment leaves to the rest of the story.
pub struct Enrolled {
    section: MatchingSection,
    /// The blinding service (its own process): users blinded their tags through it, the
    /// researcher blinds its criteria through it, and `--keep-running` names it to browsers.
    blinding: Arc<BlindingClient>,
    blinding_url: String,
    lsh: SimHash,
    spec: RequestSpec,
    /// S_i as the dry run found it (the demo checks the relayer's result against it).
    expected: RoaringBitmap,
    /// (user, BitChat node) of the online recipients, then the outsider last.
    online: Vec<(u32, Node)>,
    /// Where each online user's device keeps the key the key authority wrote for it.
    user_keys: std::path::PathBuf,
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
    crate::demo::platform::bitchat_identity(&p.operator_key)
}

/// A free loopback UDP port for the relayer's BitChat node, so the researcher can reach it.
fn free_udp_addr() -> Result<SocketAddr, DemoError> {
    let s = ctx!(std::net::UdpSocket::bind(local()), "free UDP port")?;
    ctx!(s.local_addr(), "free UDP port")
}

/// Enrollment, before the relayer starts: the blinding service starts as its own process with
/// the users' accounts and the researcher admitted; the key authority sets up over the
/// population and publishes; users blind their tags through the service and enroll them with
/// their BitChat contact; the matching node's secret file (blinding seed only) is created. To
/// show a non-trivial story the demo picks a request that a few users match, by a dry run on a
/// scratch matching node with a scratch key of its own (a different blinding key gives the same
/// S_i: the key cancels out in the join; the demo made the synthetic profiles, so it learns
/// nothing from it), and brings those users online. The blinding service's process comes back
/// beside the enrollment: the caller stops it.
pub async fn enroll(
    p: &Platform,
    progress: &mut dyn FnMut(&str),
) -> Result<(Enrolled, RoleProcess), DemoError> {
    let mut rng = rng()?;
    let home = &p.opts.home;
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let users = sim::population(USERS, 7);

    // Every user is a chain account with its own key, admitted to the blinding service as a
    // user; the researcher as a researcher; the matching node's accounts are denied.
    let prefix = p.operator_key.prefix().to_string();
    let keys: Vec<k256::ecdsa::SigningKey> = (0..users.len())
        .map(|_| k256::ecdsa::SigningKey::random(&mut rng))
        .collect();
    let mut admissions = Admissions::default();
    for k in &keys {
        let point = k.verifying_key().to_encoded_point(true);
        let address = ctx!(account_address(&prefix, point.as_bytes()), "user account")?;
        ctx!(
            admissions.admit(Role::User, &address),
            "blinding admissions"
        )?;
    }
    ctx!(
        admissions.admit(Role::Researcher, p.gov.address()),
        "blinding admissions"
    )?;
    admissions.deny(p.operator_key.address());
    admissions.deny(p.node.address());
    ctx!(
        std::fs::create_dir_all(home.join(BLINDING_DIR)),
        "blinding service directory"
    )?;
    ctx!(
        crate::blinding::write_admissions(&home.join(BLINDING_ADMISSIONS_FILE), &admissions),
        "blinding admissions"
    )?;
    let blinding = start_blinding(p, &prefix).await?;
    let blinding_client = Arc::new(ctx!(
        BlindingClient::new(&blinding.ready, &p.chain_id, &prefix),
        "blinding service"
    )?);
    progress(&format!(
        "blinding service started as its own process (pid {}, {}), {USERS} user accounts and the researcher admitted, the matching node's accounts denied",
        blinding.pid().unwrap_or(0),
        blinding.ready
    ));
    let started = Instant::now();
    let subs = blind_users(&blinding_client, &users, keys, &lsh, &mut rng).await?;
    progress(&format!(
        "{USERS} users blinded their tags through it in {:.1} s (one signed call each)",
        started.elapsed().as_secs_f64()
    ));

    let scratch_key = BlindingService::new(&mut rng);
    let scratch_subs = ctx!(
        client::user_submissions(&users, &lsh, &scratch_key, 1),
        "dry-run blinding"
    )?;
    let mut scratch = MatchingNode::new(&mut rng);
    ctx!(scratch.ingest(&scratch_subs), "dry-run ingest")?;
    let mut found = None;
    for i in 1..=200u64 {
        let spec = sim::request(i, 11);
        let sub = ctx!(
            client::request_submission(&spec, &lsh, &scratch_key, &mut rng),
            "dry-run request"
        )?;
        let (_, s_i) = ctx!(scratch.match_requests(&[sub]), "dry run")?
            .pop()
            .ok_or_else(|| fail("dry run")(&"no result"))?;
        // A request the node answers: at least k users (and more than the online ones).
        let k = bithive_relayer::config::default_min_recipients();
        if s_i.len() > (ONLINE_RECIPIENTS as u64).max(k - 1) && s_i.len() < u64::from(USERS) {
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

    // The key authority, its own processes on its own seed: publishes, then writes the online
    // users' keys for their devices.
    ctx!(
        std::fs::create_dir_all(home.join("key-authority")),
        "key authority directory"
    )?;
    let instance = |command: &str| -> Vec<std::ffi::OsString> {
        vec![
            "key-authority".into(),
            command.into(),
            "--secret-file".into(),
            home.join(KEY_AUTHORITY_SECRET_FILE).into(),
            "--users".into(),
            USERS.to_string().into(),
            "--out-dir".into(),
        ]
    };
    let mut publish = instance("publish");
    publish.extend([home.clone().into_os_string(), "--init".into()]);
    run_once("key authority", publish).await?;
    let user_keys = home.join(USER_KEYS_DIR);
    let mut write_keys = instance("user-keys");
    write_keys.push(user_keys.clone().into_os_string());
    for (u, _) in &online {
        write_keys.extend(["--user".into(), u.to_string().into()]);
    }
    run_once("key authority", write_keys).await?;
    let published_kb = [PARAMS_FILE, ENCRYPTION_KEY_FILE]
        .iter()
        .map(|f| std::fs::metadata(home.join(f)).map_or(0, |m| m.len()))
        .sum::<u64>()
        / 1024;

    // The matching node: its blinding seed only.
    let secrets = ctx!(MatchingSecrets::generate(), "matching secrets")?;
    let section = MatchingSection {
        key: "operator".into(),
        listen: free_udp_addr()?.to_string(),
        data_dir: home.join("relayer-bitchat"),
        secret_file: home.join("matching-secret.json"),
        enrollment: home.join("enrollment.jsonl"),
        epoch: 0,
        delivery_ttl_secs: 600,
        relays: Vec::new(),
        min_recipients: bithive_relayer::config::default_min_recipients(),
    };
    ctx!(secrets.save(&section.secret_file), "matching secret file")?;
    ctx!(
        append_enrollments(&section.enrollment, &rows),
        "enrollment file"
    )?;
    progress(&format!(
        "{USERS} users enrolled with blinded tags and BitChat contacts ({} online); key authority published {} KB of public parameters",
        online.len(),
        published_kb
    ));
    let blinding_url = blinding.ready.clone();
    Ok((
        Enrolled {
            section,
            blinding: blinding_client,
            blinding_url,
            lsh,
            spec,
            expected,
            online,
            user_keys,
        },
        blinding,
    ))
}

/// `bithive blinding serve` in its own process, on its own files (`blinding/` in the demo home;
/// the key is created there by the service itself). All the demo's users call from one loopback
/// address, so the per-address bucket is opened wide; the per-account quotas are the defaults.
async fn start_blinding(p: &Platform, prefix: &str) -> Result<RoleProcess, DemoError> {
    let home = &p.opts.home;
    let args: Vec<std::ffi::OsString> = vec![
        "blinding".into(),
        "serve".into(),
        "--init".into(),
        "--secret-file".into(),
        home.join(BLINDING_SECRET_FILE).into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--chain-id".into(),
        p.chain_id.clone().into(),
        "--prefix".into(),
        prefix.into(),
        "--admissions".into(),
        home.join(BLINDING_ADMISSIONS_FILE).into(),
        "--ledger".into(),
        home.join(BLINDING_LEDGER_FILE).into(),
        "--points-per-second".into(),
        "100000".into(),
        "--burst".into(),
        "100000".into(),
    ];
    RoleProcess::start(
        "blinding service",
        args,
        Ready::Line("blinding: "),
        std::time::Duration::from_secs(10),
    )
    .await
}

/// Every user blinds its own profile's tags through the service: one call signed by its
/// account, a few in flight at once. Submissions come back in user order.
async fn blind_users(
    blinding: &Arc<BlindingClient>,
    users: &[UserProfile],
    keys: Vec<k256::ecdsa::SigningKey>,
    lsh: &SimHash,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<UserSubmission>, DemoError> {
    use rand_chacha::rand_core::RngCore;
    let mut set = tokio::task::JoinSet::new();
    let mut out = Vec::with_capacity(users.len());
    let mut pending = users.iter().zip(keys);
    loop {
        while set.len() < BLINDING_CONCURRENCY {
            let Some((u, key)) = pending.next() else {
                break;
            };
            let tokens = ctx!(client::profile_tokens(u, lsh), "profile tokens")?;
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            let blinding = blinding.clone();
            let user = u.user;
            set.spawn(async move {
                let mut rng = ChaCha20Rng::from_seed(seed);
                let tags = blinding.blind(&key, &tokens, &mut rng).await;
                tags.map(|tags| UserSubmission { user, tags })
            });
        }
        let Some(done) = set.join_next().await else {
            break;
        };
        out.push(ctx!(
            ctx!(done, "blinding task")?,
            "a user blinding its tags"
        )?);
    }
    out.sort_by_key(|s| s.user);
    Ok(out)
}

/// The researcher's criteria blinded through the service in one call signed by its account:
/// every clause's values, then the embedding's bands.
async fn blind_request(
    blinding: &BlindingClient,
    key: &k256::ecdsa::SigningKey,
    spec: &RequestSpec,
    lsh: &SimHash,
    rng: &mut ChaCha20Rng,
) -> Result<RequestSubmission, DemoError> {
    let bands = match &spec.embedding {
        Some(e) => ctx!(lsh.tokens(e), "request bands")?,
        None => Vec::new(),
    };
    let tokens: Vec<String> = spec
        .clauses
        .iter()
        .flatten()
        .chain(&bands)
        .cloned()
        .collect();
    let mut blinded =
        ctx!(blinding.blind(key, &tokens, rng).await, "request blinding")?.into_iter();
    let clauses = spec
        .clauses
        .iter()
        .map(|c| blinded.by_ref().take(c.len()).collect())
        .collect();
    Ok(RequestSubmission {
        id: spec.id,
        clauses,
        bands: blinded.collect(),
        min_bands: spec.min_bands,
    })
}

impl Enrolled {
    /// What a research service publishes beside its blinding service (whose URL is known once
    /// it listens): the matching node researchers seal to and the vocabulary users enrolled with.
    pub fn serving(&self, p: &Platform) -> Result<ResearchServing, DemoError> {
        Ok(ResearchServing {
            blinding_url: self.blinding_url.clone(),
            matching_node: MatchingNodeContact {
                address: p.node.address().to_string(),
                noise_pubkey: hex::encode(relayer_identity(p)?.noise_public()),
            },
            fields: sim::fields(),
        })
    }
}

/// The research service `--keep-running` serves to the web app's researcher screen.
pub struct ResearchServing {
    /// The blinding service's URL (its own process).
    pub blinding_url: String,
    pub matching_node: MatchingNodeContact,
    pub fields: Vec<Field>,
}

impl ResearchServing {
    pub fn descriptor(&self, chain_id: &str) -> ResearchService {
        ResearchService {
            chain_id: chain_id.to_string(),
            blinding_url: self.blinding_url.clone(),
            matching_node: self.matching_node.clone(),
            // One request within a researcher's quota of the epoch.
            max_tokens: MAX_OPRF_POINTS
                .min(bithive_matching::admission::Quotas::default().researcher_points as usize),
            fields: self.fields.clone(),
        }
    }
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

/// The researcher's side after the match: checks S_i against the chain, encrypts the details
/// to it with the published key, signs, and hands the delivery to the relayer.
struct Researcher {
    node: Node,
    identity: NodeIdentity,
}

/// What a recipient checks before decrypting (`bithive_matching::output::check_delivery`): the
/// delivery's S_i and salt are the attested ones and its signer is the escrow job's payer.
/// `job_id` is the job whose attestation `onchain` is: its payer is read here.
async fn check_delivery(
    p: &Platform,
    d: &SignedDelivery,
    job_id: &str,
    onchain: &[u8; 32],
) -> Result<(), DemoError> {
    let job: Job = query(
        &p.gov,
        &p.deployment.contracts.payfi_escrow,
        &EscrowQuery::Job {
            job_id: job_id.to_string(),
        },
        "escrow job query",
    )
    .await?;
    ctx!(
        output::check_delivery(d, &p.chain_id, job_id, onchain, job.payer.as_str()),
        "delivery check"
    )
}

/// User `u`'s key as its device keeps it: the file the key authority wrote for it.
fn user_key(dir: &std::path::Path, u: u32) -> Result<BgwUserKey, DemoError> {
    let path = crate::key_authority::user_key_file(dir, u);
    let bytes = ctx!(bithive_secret_file::read(&path), "user key file")?;
    ctx!(BgwUserKey::from_bytes(&bytes), "user key")
}

/// The researcher posts the blinded request as a paid escrow job; the relayer matches, attests
/// and tells the researcher S_i; the researcher encrypts and signs; the relayer forwards; the
/// online users check and decrypt.
pub async fn research_request(
    p: &Platform,
    e: Enrolled,
    progress: &mut dyn FnMut(&str),
) -> Result<ResearchOutcome, DemoError> {
    let mut rng = rng()?;
    let c = &p.deployment.contracts;
    let researcher = &p.gov;

    // The researcher's BitChat identity is its chain account key (what signs the delivery).
    let relayer = PeerRecord {
        addr: Some(ctx!(e.section.listen.parse(), "relayer BitChat address")?),
        ..PeerRecord::of(&relayer_identity(p)?, None)
    };
    let registry = Arc::new(StaticAllowlist::new());
    registry.insert(relayer.clone());
    let me = Researcher {
        identity: crate::demo::platform::bitchat_identity(researcher.key())?,
        node: ctx!(
            Node::start(
                NodeConfig::new(local(), p.opts.home.join("bitchat").join("researcher")),
                crate::demo::platform::bitchat_identity(researcher.key())?,
                registry,
            )
            .await,
            "researcher BitChat node"
        )?,
    };

    // Blinded criteria and where to answer, sealed to the relayer's Noise key. No details.
    let submission = blind_request(
        &e.blinding,
        researcher.key().k256(),
        &e.spec,
        &e.lsh,
        &mut rng,
    )
    .await?;
    let id = submission.id;
    let details = format!(
        "research request {id}: clauses {:?}; max embedding distance {}; contact via BitHive",
        e.spec.clauses, e.spec.max_distance
    );
    let request = ResearchRequest {
        submission,
        reply_to: ReplyTo {
            account_pubkey: me.identity.account_pubkey(),
            noise_pubkey: me.identity.noise_public(),
            addr: Some(ctx!(me.node.local_addr(), "researcher BitChat node")?),
        },
    };
    let plain = ctx!(request.to_bytes(), "research request")?;
    let sealed = ctx!(
        me.identity
            .seal_to(&relayer.noise_pubkey, &request_header(&p.chain_id), &plain),
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
        researcher.execute_msg_with_funds(&c.payfi_escrow, &create, &[(RESEARCH_PRICE, p.denom())]),
        "research job"
    )?;
    let created = ctx!(researcher.submit(vec![msg], "").await, "research job")?;
    progress(&format!(
        "researcher paid {} for research request {id} (blinded criteria sealed to the relayer: {} B on chain) at height {}",
        crate::demo::platform::bhive(RESEARCH_PRICE),
        sealed.len(),
        created.height
    ));

    // The relayer's matching worker attests (under the escrow's job id, scoped to the
    // researcher); the escrow pays the node.
    let job_id = bithive_interface::payfi_escrow::job_id(researcher.address(), RESEARCH_JOB);
    let q = AttestationQuery::Attestation {
        job_id: job_id.clone(),
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
    let onchain_commitment = onchain.attestation.result_hash.0;
    progress(&format!(
        "relayer matched and attested (request id, S_i) at height {attested_height}; the escrow holds the payment for its dispute window"
    ));

    // The researcher: S_i from the relayer, checked against the chain, encrypted to itself.
    let got = me
        .node
        .recv(Duration::from_secs(60))
        .await
        .ok_or_else(|| fail("match notice")(&"the researcher received no S_i"))?;
    let notice = ctx!(MatchNotice::from_bytes(&got.body), "match notice")?;
    if notice.request_id != id || notice.recipients != e.expected {
        return Err(fail("matching")(&format!(
            "the relayer matched {} users, the dry run {}",
            notice.recipients.len(),
            e.expected.len()
        )));
    }
    // What the key authority published, as any researcher would fetch it.
    let published = |file: &str| {
        std::fs::read(p.opts.home.join(file)).map_err(|e| fail("published key authority file")(&e))
    };
    let pp = ctx!(
        BgwPublicParams::from_bytes(&published(PARAMS_FILE)?),
        "public parameters"
    )?;
    let ek = ctx!(
        BgwEncryptionKey::from_bytes(&published(ENCRYPTION_KEY_FILE)?),
        "encryption key"
    )?;
    ctx!(ek.verify(&pp, &mut rng), "encryption key check")?;
    let out = ctx!(
        seal_output(
            &ek,
            &pp,
            id,
            notice.salt,
            notice.recipients,
            details.as_bytes(),
            &mut rng
        ),
        "encrypting to S_i"
    )?;
    if !verify_output(&out, &onchain_commitment) {
        return Err(fail("match notice")(
            &"S_i does not match the on-chain commitment",
        ));
    }
    let delivery = SignedDelivery {
        escrow_job_id: job_id.clone(),
        signer: me.identity.account_pubkey(),
        signature: ctx!(
            sign_delivery(researcher.key().k256(), &p.chain_id, &job_id, &out),
            "signing the delivery"
        )?,
        output: out,
    };
    let body = ctx!(delivery.to_bytes(), "delivery")?;
    ctx!(
        me.node
            .send(
                AccountId::from_pubkey(&relayer.account_pubkey),
                id,
                &body,
                Duration::from_secs(600)
            )
            .await,
        "sending the delivery"
    )?;
    progress(&format!(
        "researcher encrypted the details to S_i ({} users) with the key authority's public key and signed the delivery",
        delivery.output.recipients.len()
    ));

    // Users: receive (forwarded by the relayer), check against the chain, decrypt.
    let (mut decrypted, mut refused, mut seen) = (0, 0, None::<Vec<u8>>);
    let (recipients, outsider) = e.online.split_at(e.online.len() - 1);
    for (u, node) in recipients {
        let got = node
            .recv(Duration::from_secs(60))
            .await
            .ok_or_else(|| fail("BitChat delivery")(&format!("user {u} received nothing")))?;
        let received = ctx!(SignedDelivery::from_bytes(&got.body), "delivery")?;
        check_delivery(p, &received, &job_id, &onchain_commitment).await?;
        let mut key = user_key(&e.user_keys, *u)?;
        match open_output(&received.output, &mut key, &pp) {
            Ok(plain) if plain == details.as_bytes() => decrypted += 1,
            _ => {
                return Err(fail("decryption")(&format!(
                    "recipient {u} could not decrypt the request"
                )))
            }
        }
        seen = Some(got.body.clone());
    }
    let body = seen.ok_or_else(|| fail("BitChat delivery")(&"no recipient online"))?;
    // A user outside S_i gets a cover of the same size (a relay holding the mail cannot tell who
    // was matched), and handed a recipient's bytes cannot open them.
    for (u, node) in outsider {
        let got = node
            .recv(Duration::from_secs(60))
            .await
            .ok_or_else(|| fail("BitChat delivery")(&format!("user {u} received no cover")))?;
        if !bithive_matching::wire::is_cover(&got.body) || got.body.len() != body.len() {
            return Err(fail("BitChat delivery")(&format!(
                "user {u} outside S_i got something other than a cover of the delivery's size"
            )));
        }
        let received = ctx!(SignedDelivery::from_bytes(&body), "delivery")?;
        let mut key = user_key(&e.user_keys, *u)?;
        if open_output(&received.output, &mut key, &pp).is_ok() {
            return Err(fail("decryption")(&format!(
                "user {u} outside S_i decrypted the request"
            )));
        }
        refused += 1;
    }
    progress(&format!(
        "delivered over BitChat: {decrypted} online recipients checked the delivery against the chain and decrypted it; every other enrolled user got a cover of the same {} bytes, and the user outside S_i could not open a recipient's copy",
        body.len()
    ));
    for (_, n) in e.online {
        n.shutdown().await;
    }
    me.node.shutdown().await;
    Ok(ResearchOutcome {
        users: USERS,
        recipients: delivery.output.recipients.len(),
        ciphertext_bytes: delivery.output.ciphertext.len(),
        commitment: hex::encode(onchain_commitment),
        attested_height,
        node_paid: 0,
        job_id,
        decrypted,
        outsiders_refused: refused,
    })
}

/// After the research job's dispute window: finalizes it and checks the node was paid the price
/// less the escrow fee; returns what it was paid.
pub async fn finalize_and_check(p: &Platform, r: &ResearchOutcome) -> Result<u128, DemoError> {
    let before = p.balance(p.node.address()).await?;
    p.finalize_job(&r.job_id).await?;
    let paid = p.balance(p.node.address()).await?.saturating_sub(before);
    crate::demo::platform::expect_paid("research payment", paid, RESEARCH_PRICE, 50)?;
    Ok(paid)
}
