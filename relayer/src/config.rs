//! Relayer configuration: TOML, then environment overrides `BITHIVE_RELAYER__A__B=value`
//! (`__` separates keys, numbers index arrays, values are TOML literals or else strings), e.g.
//! `BITHIVE_RELAYER__CHAINS__0__GAS_PRICE=0.05` or
//! `BITHIVE_RELAYER__CHAINS__0__RPC='["http://a:26657","http://b:26657"]'`.
use bithive_deploy_plan::Role;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bithive_bitchat::endpoint::EndpointLimits;
use bithive_chain_client::{CompatVersion, GasConfig};
use serde::{Deserialize, Serialize};

use crate::error::RelayerError;

pub const ENV_PREFIX: &str = "BITHIVE_RELAYER__";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// SQLite work queue and event cursor.
    pub db_path: PathBuf,
    /// Prometheus `/metrics` and `/health`, e.g. "127.0.0.1:9464". None: no HTTP server.
    #[serde(default)]
    pub metrics_addr: Option<String>,
    /// Connection cap and read/write deadlines of the `/metrics` + `/health` server.
    #[serde(default)]
    pub metrics_limits: EndpointLimits,
    /// Keyring file (mode 0600) with the operator keys by name.
    pub keyring: PathBuf,
    pub chains: Vec<ChainConfig>,
    #[serde(default)]
    pub inference: Option<InferenceSection>,
    #[serde(default)]
    pub matching: Option<MatchingSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<DpSection>,
    /// Where this node answers attestors' availability probes (`GET /probe/...`), e.g.
    /// "0.0.0.0:7449", for every chain with `node` set, signed with that chain's operator key.
    /// Register its public URL in staking (`set_endpoint`). None: no probe is answered, and
    /// the node's measured availability is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_addr: Option<String>,
    /// This relayer is an attestor: it probes every node of `chain_id` that registered an
    /// endpoint (ADR 007, decision 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestor: Option<AttestorSection>,
}

/// `[attestor]`: availability probing of one chain's nodes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AttestorSection {
    pub chain_id: String,
    /// Probes per node per rewards epoch, one in each equal share of the epoch (1..=1440).
    #[serde(default = "default_probes_per_epoch")]
    pub probes_per_epoch: u32,
    /// A probe not answered within this counts as missed.
    #[serde(default = "default_probe_timeout_ms")]
    pub timeout_ms: u64,
    /// A probe whose time passed more than this while the attestor was down is skipped (counted
    /// neither for nor against the node) instead of sent late.
    #[serde(default = "default_probe_late_s")]
    pub late_seconds: u64,
    /// How often the attestor looks for due probes.
    #[serde(default = "default_probe_tick_ms")]
    pub tick_ms: u64,
    /// Seconds between the steps of an epoch's close (tallies published at the epoch's end,
    /// statements signed this much later, reports submitted this much after that): the other
    /// attestors' time to publish.
    #[serde(default = "default_report_delay_s")]
    pub report_delay_seconds: u64,
    /// Benchmark challenges per node per rewards epoch (1..=24), at unpredictable times: a
    /// node's Pcompute is its best passed challenge (ADR 007, decision 5). Needs `[inference]`
    /// (the attestor re-runs a sample of each answer).
    #[serde(default = "default_bench_per_epoch")]
    pub bench_per_epoch: u32,
    /// Inputs of the published workload per challenge.
    #[serde(default = "default_bench_inputs")]
    pub bench_inputs: u32,
    /// A challenge not answered within this (on the attestor's clock) fails.
    #[serde(default = "default_bench_timeout_ms")]
    pub bench_timeout_ms: u64,
    /// Share of the paid inference jobs this attestor re-runs, in [0, 1] (ADR 007, decision
    /// 6): drawn from its own key, so no node knows which. It also re-runs every job another
    /// member published a disagreeing verdict for.
    #[serde(default = "default_reexec_rate")]
    pub reexec_rate: f64,
}

fn default_reexec_rate() -> f64 {
    0.05
}

fn default_bench_per_epoch() -> u32 {
    2
}

fn default_bench_inputs() -> u32 {
    crate::benchmark::DEFAULT_INPUTS
}

fn default_bench_timeout_ms() -> u64 {
    30_000
}

/// Most benchmark challenges per node per epoch (each costs the node a run of the workload).
pub const MAX_BENCH_PER_EPOCH: u32 = 24;

fn default_report_delay_s() -> u64 {
    60
}

fn default_probes_per_epoch() -> u32 {
    24
}

fn default_probe_timeout_ms() -> u64 {
    5_000
}

fn default_probe_late_s() -> u64 {
    60
}

fn default_probe_tick_ms() -> u64 {
    1_000
}

/// The differential-privacy answerer (issue #23): this relayer's operator key on `chain_id` is a
/// registered answerer of that chain's `data_vault`; members seal their record keys to its
/// Noise key (derived from the same key), and it reads their records from the content store.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DpSection {
    pub chain_id: String,
    /// The node's local content store (blocks encrypted at rest); or give `ipfs_api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_dir: Option<PathBuf>,
    /// The local store's 32-byte key, hex (mode 0600; never logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_key_file: Option<PathBuf>,
    /// Instead of the local store: a kubo node's RPC API, `http://host:port` (content is checked
    /// against its CID either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipfs_api: Option<String>,
    #[serde(default = "default_dp_poll_ms")]
    pub poll_interval_ms: u64,
    /// Answer even though this build samples noise from OpenDP's non-cryptographic default RNG
    /// (built without the `secure-rng` feature): for demos and tests only, never where the
    /// answers protect real people's data. Ignored by a build with secure randomness.
    #[serde(default)]
    pub allow_insecure_rng: bool,
}

/// Where a section reads content: the node's local store (`store_dir` and `store_key_file`) or a
/// kubo node's HTTP API (`ipfs_api`); exactly one.
pub trait StoreFields {
    fn store_fields(&self) -> (Option<&str>, Option<&Path>, Option<&Path>);

    fn check_store(&self, section: &str) -> Result<(), RelayerError> {
        match self.store_fields() {
            (Some(_), None, None) | (None, Some(_), Some(_)) => Ok(()),
            _ => Err(RelayerError::Config(format!(
                "{section}: give either ipfs_api or both store_dir and store_key_file"
            ))),
        }
    }

    /// Opens the store the section names.
    fn open_store(&self, section: &str) -> Result<bithive_content_store::NodeStore, RelayerError> {
        self.check_store(section)?;
        let (api, dir, key_file) = self.store_fields();
        bithive_content_store::NodeStore::open(api, dir.zip(key_file))
            .map_err(|e| RelayerError::Config(format!("{section}: {e}")))
    }
}

impl StoreFields for DpSection {
    fn store_fields(&self) -> (Option<&str>, Option<&Path>, Option<&Path>) {
        (
            self.ipfs_api.as_deref(),
            self.store_dir.as_deref(),
            self.store_key_file.as_deref(),
        )
    }
}

impl StoreFields for SealedModelsSection {
    fn store_fields(&self) -> (Option<&str>, Option<&Path>, Option<&Path>) {
        (
            self.ipfs_api.as_deref(),
            self.store_dir.as_deref(),
            self.store_key_file.as_deref(),
        )
    }
}

fn default_dp_poll_ms() -> u64 {
    1_000
}

/// The matching worker: the matching node over the enrolled users' blinded tags, and a BitChat
/// node (identity: the keyring key `key`) that sends each researcher its S_i and forwards the
/// researcher's signed ciphertext to S_i. The DGKBE key authority is not part of it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MatchingSection {
    /// Keyring key of the BitChat identity; requesters seal requests to its Noise key.
    pub key: String,
    /// BitChat UDP listen address, e.g. "0.0.0.0:7447".
    pub listen: String,
    /// BitChat data directory (outbox and inbox journals, chunks).
    pub data_dir: PathBuf,
    /// Seed of the matching node's blinding key (JSON `{"node_seed": hex}`, mode 0600; never
    /// logged). A file that also holds the DGKBE authority seed is refused.
    pub secret_file: PathBuf,
    /// Enrolled users, one JSON object per line (`bithive_relayer::matching_worker::Enrollment`).
    pub enrollment: PathBuf,
    /// DGKBE epoch of the enrollment (informational: the key authority, not this node, keys
    /// users per epoch).
    #[serde(default)]
    pub epoch: u64,
    /// How long an undelivered ciphertext is retried (store-and-forward through `relays`).
    #[serde(default = "default_delivery_ttl_secs")]
    pub delivery_ttl_secs: u64,
    /// BitChat mailbox relays for recipients that are offline.
    #[serde(default)]
    pub relays: Vec<String>,
    /// k: the fewest users an answer may name, and the fewest by which it may differ from any
    /// earlier answer (`bithive_matching::disclosure`; a deployment parameter).
    #[serde(default = "default_min_recipients")]
    pub min_recipients: u64,
}

fn default_delivery_ttl_secs() -> u64 {
    86_400
}

pub fn default_min_recipients() -> u64 {
    5
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InferenceSection {
    /// The inference engine's own TOML (offchain/inference `EngineConfig`).
    pub config: PathBuf,
    /// Registered models are fetched by their content id, sealed to this node, and opened in
    /// memory (issue #23); without it a registered model runs from the engine's own files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_models: Option<SealedModelsSection>,
}

/// Where sealed models come from and the node's key to open them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SealedModelsSection {
    /// The node's local content store (blocks encrypted at rest); or give `ipfs_api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_dir: Option<PathBuf>,
    /// The local store's 32-byte key, hex (mode 0600; never logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_key_file: Option<PathBuf>,
    /// Instead of the local store: a kubo node's RPC API, `http://host:port` (content is checked
    /// against its CID either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipfs_api: Option<String>,
    /// The model key authority's BGW public parameters (public).
    pub params_file: PathBuf,
    /// This node's BGW key from that authority (mode 0600; never logged).
    pub key_file: PathBuf,
}

/// Job kinds a relayer can serve.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Inference,
    Matching,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    pub chain_id: String,
    /// Several CometBFT RPC endpoints; failover in order.
    pub rpc: Vec<String>,
    #[serde(default)]
    pub compat: CompatVersion,
    #[serde(default = "default_rpc_timeout_ms")]
    pub rpc_timeout_ms: u64,
    pub account_prefix: String,
    /// Key name in the keyring.
    pub key: String,
    pub gas_price: f64,
    pub gas_adjustment: f64,
    pub max_gas_price: f64,
    pub fee_denom: String,
    #[serde(default = "default_max_gas")]
    pub max_gas: u64,
    /// Contract addresses by role: payfi_escrow, attestation, staking, ...
    pub contracts: BTreeMap<String, String>,
    pub jobs: Vec<JobKind>,
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// First height scanned when no cursor is stored (default: the chain's latest height).
    #[serde(default)]
    pub start_height: Option<u64>,
    /// Attestations per tx.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Blocks scanned per poll at most (catching up in bounded steps).
    #[serde(default = "default_blocks_per_poll")]
    pub blocks_per_poll: u64,
    #[serde(default = "default_confirm_timeout_ms")]
    pub confirm_timeout_ms: u64,
    /// Cross-chain jobs: post this chain's attestations on the configured chain with this id,
    /// whose attestation contract forwards them over IBC to this chain (its route for this
    /// chain id must be set). The signing key is that chain's `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attest_on: Option<String>,
    /// The staking node this relayer works for. When set, escrow jobs bound to another node (or
    /// to none: an eligible node claims those first) are skipped, since the escrow pays only a
    /// job's bound node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

fn default_rpc_timeout_ms() -> u64 {
    10_000
}
fn default_max_gas() -> u64 {
    20_000_000
}
fn default_poll_ms() -> u64 {
    1_000
}
fn default_batch() -> usize {
    10
}
fn default_blocks_per_poll() -> u64 {
    50
}
fn default_confirm_timeout_ms() -> u64 {
    60_000
}

impl ChainConfig {
    pub fn gas(&self) -> GasConfig {
        GasConfig {
            gas_price: self.gas_price,
            gas_adjustment: self.gas_adjustment,
            max_gas_price: self.max_gas_price,
            fee_denom: self.fee_denom.clone(),
            max_gas: self.max_gas,
        }
    }

    /// The address of the deployment's contract of `role` (`contracts.<role name>`, the keys
    /// of `deployment.json`'s `contracts`).
    pub fn contract(&self, role: Role) -> Result<&str, RelayerError> {
        let name = role.name();
        self.contracts.get(name).map(String::as_str).ok_or_else(|| {
            RelayerError::Config(format!("chain {}: no contracts.{name}", self.chain_id))
        })
    }
}

impl Config {
    /// Parses TOML text and applies overrides from `env` (pairs of name and value).
    pub fn from_toml_with_env(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, RelayerError> {
        let mut value: toml::Value =
            toml::from_str(text).map_err(|e| RelayerError::Config(e.to_string()))?;
        for (name, raw) in env {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let keys: Vec<String> = path.split("__").map(|k| k.to_lowercase()).collect();
            set_path(&mut value, &keys, parse_env_value(&raw))
                .map_err(|e| RelayerError::Config(format!("{name}: {e}")))?;
        }
        let cfg: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| RelayerError::Config(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<Config, RelayerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))?;
        Self::from_toml_with_env(&text, std::env::vars())
    }

    /// The configured chain `chain_id`, named by the setting `what` that refers to it.
    pub fn chain(&self, chain_id: &str, what: &str) -> Result<&ChainConfig, RelayerError> {
        self.chains
            .iter()
            .find(|c| c.chain_id == chain_id)
            .ok_or_else(|| {
                RelayerError::Config(format!("{what} {chain_id} is not a configured chain"))
            })
    }

    pub fn validate(&self) -> Result<(), RelayerError> {
        if self.chains.is_empty() {
            return Err(RelayerError::Config("no [[chains]]".into()));
        }
        for c in &self.chains {
            if c.rpc.is_empty() {
                return Err(RelayerError::Config(format!(
                    "chain {}: no rpc endpoint",
                    c.chain_id
                )));
            }
            if c.batch_size == 0 || c.batch_size > 200 {
                return Err(RelayerError::Config(format!(
                    "chain {}: batch_size 1..=200",
                    c.chain_id
                )));
            }
            c.gas()
                .validate()
                .map_err(|e| RelayerError::Config(format!("chain {}: {e}", c.chain_id)))?;
            if c.jobs.contains(&JobKind::Inference) || c.jobs.contains(&JobKind::Matching) {
                c.contract(Role::PayfiEscrow)?;
            }
            match &c.attest_on {
                None => {
                    c.contract(Role::Attestation)?;
                }
                Some(target) => {
                    let t = self
                        .chains
                        .iter()
                        .find(|t| &t.chain_id == target && t.chain_id != c.chain_id)
                        .ok_or_else(|| {
                            RelayerError::Config(format!(
                                "chain {}: attest_on {target} is not another configured chain",
                                c.chain_id
                            ))
                        })?;
                    if t.attest_on.is_some() {
                        return Err(RelayerError::Config(format!(
                            "chain {}: attest_on {target}, which itself attests elsewhere",
                            c.chain_id
                        )));
                    }
                    t.contract(Role::Attestation)?;
                }
            }
            if c.jobs.contains(&JobKind::Matching) && self.matching.is_none() {
                return Err(RelayerError::Config(format!(
                    "chain {}: jobs include matching but there is no [matching] section",
                    c.chain_id
                )));
            }
        }
        if let Some(s) = self
            .inference
            .as_ref()
            .and_then(|i| i.sealed_models.as_ref())
        {
            s.check_store("inference.sealed_models")?;
        }
        if let Some(a) = &self.attestor {
            let c = self.chain(&a.chain_id, "attestor.chain_id")?;
            c.contract(Role::Staking)?;
            c.contract(Role::Rewards)?;
            c.contract(Role::Attestation)?;
            if self.probe_addr.is_none() {
                return Err(RelayerError::Config(
                    "[attestor] needs probe_addr: the other attestors fetch its tallies and work \
                     statements there (register its public URL with set_endpoint)"
                        .into(),
                ));
            }
            if a.probes_per_epoch == 0 || a.probes_per_epoch > crate::probe::MAX_PROBES_PER_EPOCH {
                return Err(RelayerError::Config(format!(
                    "attestor.probes_per_epoch must be 1..={}",
                    crate::probe::MAX_PROBES_PER_EPOCH
                )));
            }
            if a.bench_per_epoch == 0 || a.bench_per_epoch > MAX_BENCH_PER_EPOCH {
                return Err(RelayerError::Config(format!(
                    "attestor.bench_per_epoch must be 1..={MAX_BENCH_PER_EPOCH}"
                )));
            }
            let inputs = crate::benchmark::SAMPLE as u32..=crate::benchmark::MAX_INPUTS;
            if !inputs.contains(&a.bench_inputs) {
                return Err(RelayerError::Config(format!(
                    "attestor.bench_inputs must be {}..={}",
                    inputs.start(),
                    inputs.end()
                )));
            }
            if !(0.0..=1.0).contains(&a.reexec_rate) {
                return Err(RelayerError::Config(
                    "attestor.reexec_rate must be in [0, 1]".into(),
                ));
            }
            if a.reexec_rate > 0.0 {
                // The re-executed jobs are this escrow's.
                c.contract(Role::PayfiEscrow)?;
            }
            if self.inference.is_none() {
                return Err(RelayerError::Config(
                    "[attestor] needs an [inference] section: it re-runs a sample of every \
                     benchmark answer on the published workload"
                        .into(),
                ));
            }
            if a.timeout_ms == 0
                || a.tick_ms == 0
                || a.report_delay_seconds == 0
                || a.bench_timeout_ms == 0
            {
                return Err(RelayerError::Config(
                    "attestor.timeout_ms, tick_ms, report_delay_seconds and bench_timeout_ms must \
                     be positive"
                        .into(),
                ));
            }
            // An epoch's tallies are published once its last probes and challenges are
            // answered; the other attestors fetch them report_delay_seconds after its end.
            let longest = a
                .timeout_ms
                .max(a.bench_timeout_ms)
                .saturating_add(a.tick_ms);
            if longest >= a.report_delay_seconds.saturating_mul(1_000) {
                return Err(RelayerError::Config(format!(
                    "attestor: the longest probe or benchmark ({} ms, with one tick) must end \
                     before report_delay_seconds ({} s), or this attestor's tallies are late for \
                     the others",
                    longest, a.report_delay_seconds
                )));
            }
        }
        if self.probe_addr.is_some() {
            for c in self.chains.iter().filter(|c| c.node.is_some()) {
                c.contract(Role::Staking)?;
            }
        }
        if let Some(dp) = &self.dp {
            dp.check_store("dp")?;
            self.chain(&dp.chain_id, "dp.chain_id")?
                .contract(Role::DataVault)?;
        }
        Ok(())
    }
}

fn parse_env_value(raw: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

fn set_path(v: &mut toml::Value, keys: &[String], new: toml::Value) -> Result<(), String> {
    let Some((first, rest)) = keys.split_first() else {
        *v = new;
        return Ok(());
    };
    let child = match v {
        toml::Value::Table(t) => t
            .entry(first.clone())
            .or_insert_with(|| toml::Value::Table(Default::default())),
        toml::Value::Array(a) => {
            let i: usize = first
                .parse()
                .map_err(|_| format!("{first} is not an array index"))?;
            a.get_mut(i)
                .ok_or_else(|| format!("index {i} out of range"))?
        }
        _ => return Err(format!("{first}: parent is not a table or array")),
    };
    set_path(child, rest, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const EXAMPLE: &str = include_str!("../relayer.example.toml");

    #[test]
    fn example_parses_and_env_overrides_apply() {
        let cfg = Config::from_toml_with_env(EXAMPLE, vec![]).unwrap();
        assert_eq!(cfg.chains[0].jobs, vec![JobKind::Inference]);
        let env = vec![
            (
                "BITHIVE_RELAYER__CHAINS__0__GAS_PRICE".to_string(),
                "0.05".to_string(),
            ),
            (
                "BITHIVE_RELAYER__CHAINS__0__RPC".to_string(),
                r#"["http://a:1","http://b:2"]"#.to_string(),
            ),
            (
                "BITHIVE_RELAYER__CHAINS__0__FEE_DENOM".to_string(),
                "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2".to_string(),
            ),
            (
                "BITHIVE_RELAYER__DB_PATH".to_string(),
                "/tmp/x.db".to_string(),
            ),
            ("OTHER".to_string(), "ignored".to_string()),
        ];
        let cfg = Config::from_toml_with_env(EXAMPLE, env).unwrap();
        assert_eq!(cfg.chains[0].gas_price, 0.05);
        assert_eq!(cfg.chains[0].rpc, vec!["http://a:1", "http://b:2"]);
        assert!(cfg.chains[0].fee_denom.starts_with("ibc/"));
        assert_eq!(cfg.db_path, PathBuf::from("/tmp/x.db"));
    }

    #[test]
    fn rejects_price_above_max_and_unknown_keys() {
        let env = vec![(
            "BITHIVE_RELAYER__CHAINS__0__GAS_PRICE".to_string(),
            "9".to_string(),
        )];
        assert!(Config::from_toml_with_env(EXAMPLE, env).is_err());
        let env = vec![(
            "BITHIVE_RELAYER__CHAINS__5__GAS_PRICE".to_string(),
            "0.1".to_string(),
        )];
        assert!(Config::from_toml_with_env(EXAMPLE, env).is_err());
        let bad = format!("{EXAMPLE}\ntypo_key = 1\n");
        assert!(Config::from_toml_with_env(&bad, vec![]).is_err());
    }

    #[test]
    fn attest_on_must_name_another_chain_with_an_attestation_contract() {
        let mut cfg = Config::from_toml_with_env(EXAMPLE, vec![]).unwrap();
        let mut b = cfg.chains[0].clone();
        b.chain_id = "chain-b".into();
        b.contracts.remove("attestation");
        cfg.chains.push(b);
        // Without attest_on, chain-b has no attestation contract.
        assert!(cfg.validate().is_err());
        cfg.chains[1].attest_on = Some("nowhere".into());
        assert!(cfg.validate().is_err());
        cfg.chains[1].attest_on = Some("chain-b".into());
        assert!(cfg.validate().is_err(), "itself");
        let a = cfg.chains[0].chain_id.clone();
        cfg.chains[1].attest_on = Some(a.clone());
        cfg.validate().unwrap();
        cfg.chains[0].attest_on = Some("chain-b".into());
        assert!(cfg.validate().is_err(), "chains of attest_on");
        // Matching needs its section.
        cfg.chains[0].attest_on = None;
        cfg.chains[0].jobs.push(JobKind::Matching);
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn dp_needs_a_configured_chain_with_a_data_vault() {
        let mut cfg = Config::from_toml_with_env(EXAMPLE, vec![]).unwrap();
        let chain = cfg.chains[0].chain_id.clone();
        cfg.dp = Some(DpSection {
            chain_id: "nowhere".into(),
            store_dir: Some("/var/lib/bithive/content".into()),
            store_key_file: Some("/etc/bithive/content.key".into()),
            ipfs_api: None,
            poll_interval_ms: default_dp_poll_ms(),
            allow_insecure_rng: false,
        });
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("not a configured chain"), "{err}");
        cfg.dp.as_mut().unwrap().chain_id = chain;
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("data_vault"), "{err}");
        cfg.chains[0]
            .contracts
            .insert("data_vault".into(), "bithive1vault".into());
        cfg.validate().unwrap();
        // Content from a kubo node instead of the local store: one or the other, never both
        // or neither (nor half a local store).
        let dp = cfg.dp.as_mut().unwrap();
        dp.ipfs_api = Some("http://127.0.0.1:5001".into());
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("give either ipfs_api or both"), "{err}");
        let dp = cfg.dp.as_mut().unwrap();
        dp.store_dir = None;
        assert!(cfg.validate().is_err(), "a key file without its store");
        cfg.dp.as_mut().unwrap().store_key_file = None;
        cfg.validate().unwrap();
        cfg.dp.as_mut().unwrap().ipfs_api = None;
        assert!(cfg.validate().is_err(), "no store at all");
        // The section reads from TOML as documented.
        let text = format!(
            "{EXAMPLE}\n[dp]\nchain_id = \"{}\"\nstore_dir = \"/d\"\nstore_key_file = \"/k\"\n",
            cfg.chains[0].chain_id
        );
        let parsed: Config = toml::from_str(&text).unwrap();
        assert_eq!(parsed.dp.unwrap().poll_interval_ms, 1_000);
    }
}
