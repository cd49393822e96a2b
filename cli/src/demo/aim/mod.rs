//! The AIM part of the demo (issue #23): the model registry and the data vault on the running
//! platform.
//!
//! 1. A research institute seals the shipped `bc_logreg` model (manifest and ONNX under a fresh
//!    content key, the key BGW-encrypted to the nodes allowed to run it: registered, compliant,
//!    bonded and never slashed in staking; [`crate::model_keys`]) and publishes it: the sha256
//!    of its ONNX file, the sealed file's IPFS CIDv1 (stored in the node's encrypted content
//!    store), its specialty, input and output spec, licence and a price per inference in BTT.
//!    Governance points the escrow at the registry; from then on a job must name a registered
//!    model (an unregistered one is refused) and be funded in BTT.
//! 2. The patient pays for a job on the model in BTT; the relayer fetches the model by its
//!    content id, opens it with the node's model key in memory, checks it against the registered
//!    sha256, runs and attests it; after the dispute window the escrow pays the institute its
//!    price and the node the rest, the registry counts the job with the Tscore the attestation
//!    carried (jobs served, mean Tscore), and rewards counts the model's run cost as work the
//!    node served (ADR 007). Before the job, the model's held-out accuracy and run cost were
//!    measured by the attestors: each opens the sealed model with its own key in memory, scores
//!    it on the shipped held-out rows and counts its multiply-accumulates from its graph; their
//!    quorum `evaluation` attestation sets both in the registry, while the owner's own grade and
//!    one attestor's alone are refused. A job on a model whose sealed file is not the registered hash is refused by the relayer, not
//!    run. When an attestor leaves the allowed set (governance withdraws its compliance), the
//!    institute seals the model again to the new set and re-keys the record: the node that left
//!    opens the old file but not the new one.
//! 3. The patient encrypts three lab panels on the client (XChaCha20-Poly1305, a fresh key each),
//!    stores the ciphertexts content-addressed and mints a record NFT for each. It grants the
//!    researcher access to one for research, the record key sealed to the researcher's key; the
//!    researcher logs the access on chain, fetches the ciphertext by its content id, unwraps the
//!    key and reads the record. Once the patient revokes the grant, a logged access is refused.
//! 4. Governance opens a dataset of lab panels with a privacy budget of epsilon 1; the patient's
//!    records join it, each key sealed to the relayer's operator key, a registered answerer. The
//!    researcher pays for a count at epsilon 0.6; the relayer's answerer
//!    (`bithive_relayer::dp_answerer`) reads the live members' records by CID, answers with
//!    OpenDP's Laplace mechanism and is paid. A second query at epsilon 0.6 would exceed the
//!    budget: the vault refuses it.
//!
//! Every step checks its result on chain and fails the demo with the step's name otherwise.

pub(crate) mod imaging;
pub(crate) mod models;
mod records;

pub use imaging::{imaging, ImagingOutcome};
pub use models::{evaluate_model, publish_and_order, rekey_on_set_change, settle, ModelJob};
pub use records::records_and_queries;

use bithive_chain_client::{ChainClient, TxOutcome};
use bithive_content_store::{LocalStore, LocalStoreConfig, StoreKey};
use bithive_interface::WASM_EVENT;
use cosmwasm_std::Decimal;

use crate::demo::platform::{ctx, fail, DemoError, Platform};
use crate::model_keys::ModelKeys;

/// The shipped held-out rows (and true labels) of the breast cancer models, beside them.
const HELD_OUT_SET: &str = "bc_test_vectors.json";
/// The model the institute publishes (one of the shipped ONNX models).
pub const MODEL: &str = "bc_logreg";
/// Its price per inference: 1 BTT.
const MODEL_PRICE: u128 = 1_000_000;
/// What the patient deposits for the job: 3 BTT (fee, the institute's price, the node's share).
const MODEL_JOB_DEPOSIT: u128 = 3_000_000;
/// The dataset's privacy budget and each query's epsilon: a second query does not fit.
const TOTAL_EPSILON: &str = "1";
const QUERY_EPSILON: &str = "0.6";
/// Price of one epsilon of queries: 1 BHIVE.
const PRICE_PER_EPSILON: u128 = 1_000_000;
/// The lab panels the patient stores (HbA1c, mmol/mol).
const HBA1C: [i64; 3] = [54, 61, 48];

/// What the AIM story measured, for the closing table.
#[derive(Debug, Default)]
pub struct AimReport {
    pub model_id: u64,
    pub content_id: String,
    pub owner_paid: u128,
    pub node_paid: u128,
    pub jobs_served: u64,
    pub mean_tscore: Option<Decimal>,
    pub unregistered_refused: String,
    /// The held-out accuracy a quorum of attestors attested, and how many signed it.
    pub accuracy: Option<Decimal>,
    /// The run cost (work units) the same quorum attested, and the units the paid job then
    /// earned the node in rewards' served work.
    pub run_cost: Option<u64>,
    pub served_units: u64,
    pub evaluators: usize,
    /// Why the owner's own grade and one attestor's lone evaluation were refused.
    pub owner_grade_refused: String,
    pub lone_grade_refused: String,
    /// Why the relayer refused a job on a model registered with another file's hash.
    pub mismatch_refused: String,
    /// Nodes the model was sealed to at publication, and after the re-key.
    pub sealed_to: u64,
    pub rekeyed_to: u64,
    /// Why the node that left the set cannot open the re-keyed file.
    pub left_refused: String,
    pub records: usize,
    pub access_refused_after_revoke: String,
    pub answer: String,
    pub spent_epsilon: Decimal,
    pub over_budget_refused: String,
}

/// Executes `msg` expecting the chain to refuse it with a message containing `expect`;
/// returns the refusal.
async fn expect_refused<M: serde::Serialize>(
    c: &ChainClient,
    contract: &str,
    msg: &M,
    funds: &[(u128, &str)],
    step: &str,
    expect: &str,
) -> Result<String, DemoError> {
    let any = ctx!(c.execute_msg_with_funds(contract, msg, funds), step)?;
    match c.submit(vec![any], "").await {
        Ok(out) => Err(fail(step)(&format!(
            "accepted at height {}; it must be refused",
            out.height
        ))),
        Err(e) => {
            let text = e.to_string();
            if !text.contains(expect) {
                return Err(fail(step)(&format!(
                    "refused for another reason than \"{expect}\": {text}"
                )));
            }
            Ok(refusal(&text, expect))
        }
    }
}

/// The contract's own sentence out of a chain error (from `expect` to the end of its clause).
fn refusal(text: &str, expect: &str) -> String {
    let start = text
        .find(expect)
        .map(|i| text[..i].rfind(": ").map_or(i, |j| j + 2))
        .unwrap_or(0);
    let rest = &text[start..];
    let end = rest
        .find(": execute wasm contract failed")
        .unwrap_or(rest.len());
    rest[..end].trim().to_string()
}

/// The model id a registry `publish` transaction assigned.
fn published_model_id(out: &TxOutcome, step: &str) -> Result<u64, DemoError> {
    ctx!(
        wasm_attr(
            out,
            bithive_interface::model_registry::events::attr::MODEL_ID,
            step
        )?
        .parse::<u64>(),
        step
    )
}

fn wasm_attr(out: &TxOutcome, key: &str, step: &str) -> Result<String, DemoError> {
    out.attr(WASM_EVENT, key)
        .map(str::to_string)
        .ok_or_else(|| fail(step)(&format!("no `{key}` attribute in the transaction's events")))
}

/// A lab panel as the patient's app writes it.
#[derive(serde::Serialize, serde::Deserialize)]
struct LabPanel {
    hba1c_mmol_mol: i64,
}

/// The node's content store in the platform's home and the file holding its key.
fn store_paths(p: &Platform) -> (std::path::PathBuf, std::path::PathBuf) {
    (
        p.opts.home.join("content-store"),
        p.opts.home.join("content-store.key"),
    )
}

/// Creates the node's content store key (mode 0600) the first time; returns the store's paths.
fn store_with_key(p: &Platform) -> Result<(std::path::PathBuf, std::path::PathBuf), DemoError> {
    let (dir, key_file) = store_paths(p);
    if !key_file.exists() {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = ctx!(
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&key_file),
            "content store key"
        )?;
        ctx!(
            f.write_all(hex::encode(rand_key()?).as_bytes()),
            "content store key"
        )?;
    }
    Ok((dir, key_file))
}

/// Gives the relayer the differential-privacy answerer (`[dp]`) on the platform's chain, over the
/// node's content store.
pub fn enable_dp(cfg: &mut bithive_relayer::config::Config, p: &Platform) -> Result<(), DemoError> {
    let (dir, key_file) = store_with_key(p)?;
    let chain = cfg
        .chains
        .first_mut()
        .ok_or_else(|| fail("relayer config")(&"no chain"))?;
    chain.contracts.insert(
        "data_vault".into(),
        p.deployment.contracts.data_vault.clone(),
    );
    cfg.dp = Some(bithive_relayer::config::DpSection {
        chain_id: chain.chain_id.clone(),
        store_dir: Some(dir),
        store_key_file: Some(key_file),
        ipfs_api: None,
        poll_interval_ms: 200,
        // The demo's build has no vendored OpenSSL (it starts fast): OpenDP's default RNG.
        allow_insecure_rng: true,
    });
    ctx!(cfg.validate(), "relayer config")
}

/// Sets up the model key authority and gives the relayer `[inference.sealed_models]`: registered
/// models are fetched from the node's content store by content id and opened with the node's
/// model key in memory.
pub fn enable_sealed_models(
    cfg: &mut bithive_relayer::config::Config,
    p: &Platform,
) -> Result<ModelKeys, DemoError> {
    let keys = ModelKeys::issue(p)?;
    let (dir, key_file) = store_with_key(p)?;
    let inference = cfg
        .inference
        .as_mut()
        .ok_or_else(|| fail("relayer config")(&"no [inference] section"))?;
    // The platform node holds index 1 of the roster.
    inference.sealed_models = Some(keys.relayer_section(1, dir, key_file));
    ctx!(cfg.validate(), "relayer config")?;
    Ok(keys)
}

/// The node's content store (blocks encrypted at rest under the node's own key), as the
/// relayer opens it; [`enable_dp`] made its key.
pub fn content_store(p: &Platform) -> Result<LocalStore, DemoError> {
    let (dir, key_file) = store_paths(p);
    let key = ctx!(StoreKey::from_hex_file(&key_file), "content store key")?;
    ctx!(
        LocalStore::open(LocalStoreConfig::new(dir, key)),
        "content store"
    )
}

fn rand_key() -> Result<[u8; 32], DemoError> {
    let mut k = [0u8; 32];
    ctx!(getrandom::getrandom(&mut k), "random key")?;
    Ok(k)
}

pub fn btt(base: u128) -> String {
    format!("{}.{:06} BTT", base / 1_000_000, base % 1_000_000)
}
