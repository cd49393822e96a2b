//! The model key authority of the AIM story (issue #23, theft protection): its own party, as the
//! research story's DGKBE key authority is, that gives each node of the platform a BGW key for
//! sealed models. A model's owner seals the model to the nodes allowed to run it, read from
//! staking: registered, compliant, bonded at least staking's `min_bond` and never slashed. What it publishes
//! and issues lives in the run's home, `model-keys/`:
//!
//! - `authority-secret.json` (mode 0600): its seed;
//! - `params.bin`, `encryption-key.bin`: the BGW public parameters and encryption key (public:
//!   what owners seal with);
//! - `roster.json`: which node account holds which BGW index (public);
//! - `node-<i>.key` (mode 0600): the key of the roster's node at index i, which its relayer
//!   opens models with (`node-1.key` the platform node's; the attestors' for their evaluations).

use std::path::PathBuf;

use bithive_content_store::model::{seal_model, ModelFiles};
use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::RoaringBitmap;
use bithive_interface::staking::{Config as StakingConfig, NodeResponse, QueryMsg as StakingQuery};
use bithive_matching::authority::{KeyAuthority, KeyAuthoritySecret};
use bithive_relayer::config::SealedModelsSection;
use cosmwasm_std::Decimal;

use crate::demo::platform::{ctx, write_serialized, DemoError, Platform};

/// BGW slots of the authority's instance: the platform's node and attestors, and room to grow.
pub const SLOTS: u32 = 16;

/// Where the key of the roster's node at index `i` is kept.
fn key_file(dir: &std::path::Path, i: u32) -> PathBuf {
    dir.join(format!("node-{i}.key"))
}

pub struct ModelKeys {
    authority: KeyAuthority,
    public: SealingKeys,
    dir: PathBuf,
}

/// The authority's public files.
pub const PARAMS_FILE: &str = "params.bin";
pub const ENCRYPTION_KEY_FILE: &str = "encryption-key.bin";
pub const ROSTER_FILE: &str = "roster.json";

/// What a model's owner seals with: the authority's public files in its directory (no secret).
pub struct SealingKeys {
    pp: BgwPublicParams,
    ek: BgwEncryptionKey,
    /// Node account and its BGW index.
    roster: Vec<(String, u32)>,
}

impl SealingKeys {
    /// Reads `params.bin`, `encryption-key.bin` and `roster.json` from `dir`.
    pub fn load(dir: &std::path::Path) -> Result<Self, String> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
        };
        let pp = BgwPublicParams::from_bytes(&read(PARAMS_FILE)?)
            .map_err(|e| format!("{PARAMS_FILE}: {e}"))?;
        let ek = BgwEncryptionKey::from_bytes(&read(ENCRYPTION_KEY_FILE)?)
            .map_err(|e| format!("{ENCRYPTION_KEY_FILE}: {e}"))?;
        let roster: Vec<(String, u32)> = serde_json::from_slice(&read(ROSTER_FILE)?)
            .map_err(|e| format!("{ROSTER_FILE}: {e}"))?;
        if roster.iter().any(|(_, i)| *i == 0 || *i > pp.n()) {
            return Err(format!(
                "{ROSTER_FILE}: an index outside the parameters' 1..={}",
                pp.n()
            ));
        }
        // One key per account and one account per key: a second index of an allowed account
        // would let that index's holder open the model without being checked.
        let mut accounts = std::collections::BTreeSet::new();
        let mut indices = std::collections::BTreeSet::new();
        for (a, i) in &roster {
            if !accounts.insert(a.as_str()) || !indices.insert(*i) {
                return Err(format!("{ROSTER_FILE}: {a} or index {i} appears twice"));
            }
        }
        Ok(SealingKeys { pp, ek, roster })
    }

    /// The roster's nodes allowed to run a model now, by `staking` read through `client`:
    /// registered, compliant, bonded at least `min_bond` and never slashed.
    pub async fn allowed(
        &self,
        client: &bithive_chain_client::ChainClient,
        staking: &str,
    ) -> Result<RoaringBitmap, bithive_chain_client::ChainError> {
        let config: StakingConfig = client
            .query_typed(staking, &StakingQuery::Config {})
            .await?;
        let mut set = RoaringBitmap::new();
        for (node, index) in &self.roster {
            let q = StakingQuery::Node { node: node.clone() };
            let n = match client.query_typed::<_, NodeResponse>(staking, &q).await {
                Ok(n) => n,
                // Not registered: not allowed. Any other error stops the sealing rather than
                // leaving a node out on a hiccup.
                Err(bithive_chain_client::ChainError::Query { log, .. })
                    if log.contains("not found") =>
                {
                    continue
                }
                Err(e) => return Err(e),
            };
            if n.compliance > Decimal::zero() && n.bonded >= config.min_bond && n.slashed.is_zero()
            {
                set.insert(*index);
            }
        }
        Ok(set)
    }

    /// Seals model `name` to `set`.
    pub fn seal(
        &self,
        name: &str,
        files: &ModelFiles,
        set: &RoaringBitmap,
    ) -> Result<Vec<u8>, String> {
        if set.is_empty() {
            return Err("no node is allowed to run it".into());
        }
        seal_model(name, files, set, &self.ek, &self.pp).map_err(|e| e.to_string())
    }

    /// Seals a patient's input for job `job_id` (`<payer>/<client id>`) to `set`
    /// ([`bithive_content_store::input`]).
    pub fn seal_input(
        &self,
        job_id: &str,
        input: &[u8],
        set: &RoaringBitmap,
    ) -> Result<Vec<u8>, String> {
        if set.is_empty() {
            return Err("no node is allowed to run the job's model".into());
        }
        bithive_content_store::input::seal_input(job_id, input, set, &self.ek, &self.pp)
            .map_err(|e| e.to_string())
    }

    /// The roster's node accounts at the indices of `set`.
    pub fn nodes_in(&self, set: &RoaringBitmap) -> Vec<String> {
        self.roster
            .iter()
            .filter(|(_, i)| set.contains(*i))
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// The roster's (account, index) pairs in `set`: what a model is sealed to, key by key.
    pub fn entries_in(&self, set: &RoaringBitmap) -> Vec<(String, u32)> {
        self.roster
            .iter()
            .filter(|(_, i)| set.contains(*i))
            .cloned()
            .collect()
    }
}

impl ModelKeys {
    /// Where the run's authority keeps its files (`<home>/model-keys`).
    pub fn dir(p: &Platform) -> PathBuf {
        p.opts.home.join("model-keys")
    }

    /// Sets the authority up, publishes its files and issues the platform node its key. The
    /// node holds index 1, the attestor accounts 2, 3, ...
    pub fn issue(p: &Platform) -> Result<Self, DemoError> {
        let dir = Self::dir(p);
        ctx!(std::fs::create_dir_all(&dir), "model key authority")?;
        let secret = ctx!(KeyAuthoritySecret::generate(), "model key authority seed")?;
        ctx!(
            secret.save(&dir.join("authority-secret.json")),
            "model key authority secret file"
        )?;
        let all: RoaringBitmap = (1..=SLOTS).collect();
        let authority = ctx!(secret.instance(SLOTS, &all, 0), "model key authority")?;
        let published = authority.publish();
        ctx!(
            std::fs::write(dir.join(PARAMS_FILE), &published.params),
            "model key parameters"
        )?;
        ctx!(
            std::fs::write(dir.join(ENCRYPTION_KEY_FILE), &published.encryption_key),
            "model encryption key"
        )?;
        let roster: Vec<(String, u32)> = std::iter::once(p.node.address())
            .chain(p.attestors.iter().map(|(c, _)| c.address()))
            .zip(1..)
            .map(|(a, i)| (a.to_string(), i))
            .collect();
        write_serialized(
            &dir.join(ROSTER_FILE),
            serde_json::to_vec_pretty(&roster),
            "model key roster",
        )?;
        for (_, i) in &roster {
            let key = ctx!(authority.user_key(*i), "node's model key")?;
            ctx!(
                bithive_secret_file::create_new(
                    &key_file(&dir, *i),
                    key.to_bytes().to_vec().into()
                ),
                "node's model key file"
            )?;
        }
        Ok(ModelKeys {
            public: SealingKeys {
                pp: authority.public_params(),
                ek: authority.encryption_key(),
                roster,
            },
            authority,
            dir,
        })
    }

    /// A relayer's `[inference.sealed_models]` for the roster's node at index `i`: the content
    /// store it fetches from and its model key.
    pub fn relayer_section(
        &self,
        i: u32,
        store_dir: PathBuf,
        store_key_file: PathBuf,
    ) -> SealedModelsSection {
        SealedModelsSection {
            store_dir: Some(store_dir),
            store_key_file: Some(store_key_file),
            ipfs_api: None,
            params_file: self.dir.join(PARAMS_FILE),
            key_file: key_file(&self.dir, i),
        }
    }

    /// The roster's nodes allowed to run a model now ([`SealingKeys::allowed`]).
    pub async fn allowed(&self, p: &Platform) -> Result<RoaringBitmap, DemoError> {
        ctx!(
            self.public
                .allowed(&p.gov, &p.deployment.contracts.staking)
                .await,
            "staking: the nodes allowed to run the model"
        )
    }

    /// Seals model `name` to `set` (the owner's side: public parameters only).
    pub fn seal(
        &self,
        name: &str,
        files: &ModelFiles,
        set: &RoaringBitmap,
    ) -> Result<Vec<u8>, DemoError> {
        ctx!(self.public.seal(name, files, set), "sealing the model")
    }

    /// Seals a patient's input for job `job_id` to `set` (public parameters only).
    pub fn seal_input(
        &self,
        job_id: &str,
        input: &[u8],
        set: &RoaringBitmap,
    ) -> Result<Vec<u8>, DemoError> {
        ctx!(
            self.public.seal_input(job_id, input, set),
            "sealing the input"
        )
    }

    /// The BGW index of node account `node`.
    pub fn index_of(&self, node: &str) -> Option<u32> {
        self.public
            .roster
            .iter()
            .find(|(a, _)| a == node)
            .map(|(_, i)| *i)
    }

    /// The key the authority issued to index `i` (as that node holds it).
    pub fn key_of(&self, i: u32) -> Result<BgwUserKey, DemoError> {
        ctx!(self.authority.user_key(i), "model key")
    }

    pub fn public_params(&self) -> &BgwPublicParams {
        &self.public.pp
    }
}
