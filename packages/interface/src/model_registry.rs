//! Model registry (the AIM "AI model chain"): research institutes publish inference models, jobs
//! in payfi-escrow name them, a paid job pays the model's owner its price and feeds the model's
//! track record. See `contracts/model-registry/README.md`.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, QuerierWrapper, StdResult, Timestamp, Uint128};
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

pub use bithive_cw_common::funds::AssetInfo;

/// Longest model name (the same alphabet and bound as an escrow job's `model`).
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_SPECIALTY_LEN: usize = 32;
/// Longest input or output spec (for example `float32[1,3,224,224] RGB 0-1`).
pub const MAX_SPEC_LEN: usize = 256;
pub const MAX_LICENCE_LEN: usize = 64;
/// Content id bounds (a CIDv1 of a sha2-256 multihash in base32 is 59 characters).
pub const MIN_CONTENT_ID_LEN: usize = 8;
pub const MAX_CONTENT_ID_LEN: usize = 128;
/// Longest evaluation reference (an attestation id or report hash).
pub const MAX_EVALUATION_LEN: usize = 128;
/// Longest job id a record names (payfi-escrow's `MAX_JOB_ID_LEN`).
pub const MAX_JOB_ID_LEN: usize = 128;
/// Separator of a pinned reference: `<name>@<version>`.
pub const VERSION_SEPARATOR: char = '@';

#[cw_serde]
pub struct InstantiateMsg {
    /// Defaults to the sender.
    pub admin: Option<String>,
    /// The only account that may set a model's held-out accuracy (the attestation contract).
    #[serde(default)]
    pub evaluator: Option<String>,
    /// The only account that may record served jobs (payfi-escrow).
    #[serde(default)]
    pub escrow: Option<String>,
    /// The asset prices are denominated in (BTT): a registered job must be funded in it.
    pub price_asset: AssetInfo,
}

/// A model version to publish; the sender becomes its owner.
#[cw_serde]
pub struct PublishMsg {
    /// 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit, no `@`. The first publisher
    /// of a name owns it: only it may publish later versions.
    pub name: String,
    /// Strictly higher than the name's latest version (the first may be any value).
    pub version: u32,
    /// Medical specialty (Tscore weights are per specialty): 1 to 32 of `a-z 0-9 _ -`.
    pub specialty: String,
    /// Shape and meaning of the input and output: 1 to 256 printable ASCII characters each.
    pub input_spec: String,
    pub output_spec: String,
    /// sha256 of the plaintext ONNX file: 64 lowercase hex digits. Nodes check it after
    /// decrypting the fetched file.
    pub onnx_sha256: String,
    /// IPFS CIDv1 of the stored (encrypted) file: multibase `b` (base32, lowercase), 8 to 128
    /// characters, whose bytes are version 1, a codec and a well-formed multihash.
    pub content_id: String,
    /// Size of the stored file, bytes (positive).
    pub size_bytes: u64,
    /// Price per inference in the registry's `price_asset`, paid to the owner by each paid job.
    pub price: Uint128,
    /// Licence identifier (for example an SPDX id): 1 to 64 printable ASCII characters.
    pub licence: String,
}

/// Largest `run_cost` of one run (keeps a job's units far from any counter's limit).
pub const MAX_RUN_COST: u128 = 1_000_000_000;

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Anyone: publishes a model version (a new version of an owned name supersedes the latest).
    Publish(PublishMsg),
    /// The model's owner: jobs may no longer name this version (irreversible).
    Deprecate { model_id: u64 },
    /// The model's owner: the same model (its `onnx_sha256` does not change) sealed again under
    /// a new content key to a new set of nodes, stored at `content_id` (issue #23: re-keyed when
    /// the set of nodes allowed to run it changes). Not for a deprecated model.
    Rekey {
        model_id: u64,
        /// As in [`PublishMsg::content_id`]; must differ from the current one.
        content_id: String,
        /// Size of the newly stored file, bytes (positive).
        size_bytes: u64,
    },
    /// The evaluator only (the owner cannot): the held-out accuracy in [0, 1] of an attested
    /// evaluation, the E term of Tscore.
    SetAccuracy {
        model_id: u64,
        accuracy: Decimal,
        /// The attested evaluation this comes from: 1 to 128 printable ASCII characters.
        evaluation: String,
        /// The measured cost of one run of the model, in work units (1 to [`MAX_RUN_COST`]): what
        /// each paid job on it earns its node in served units (ADR 007). Absent: unchanged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_cost: Option<Uint128>,
    },
    /// The escrow only: a job on this model was paid; `tscore` (in [0, 1]) when known.
    RecordJob {
        model_id: u64,
        job_id: String,
        tscore: Option<Decimal>,
    },
    /// Admin. Absent fields stay as they are.
    UpdateConfig {
        evaluator: Option<String>,
        escrow: Option<String>,
    },
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(ModelResponse)]
    Model { model_id: u64 },
    /// The newest version of `name` (deprecated or not: see its `deprecated`).
    #[returns(ModelResponse)]
    Latest { name: String },
    #[returns(ModelResponse)]
    Version { name: String, version: u32 },
    /// What an escrow job's `model` names: `<name>` (its latest version) or `<name>@<version>`.
    /// `None` when no such model exists.
    #[returns(Option<ModelResponse>)]
    Resolve { model: String },
    /// All models by id, ascending (at most 30 a page).
    #[returns(ModelsResponse)]
    Models {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// One owner's models by id, ascending (at most 30 a page).
    #[returns(ModelsResponse)]
    ModelsByOwner {
        owner: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The versions of `name`, ascending (at most 30 a page).
    #[returns(ModelsResponse)]
    Versions {
        name: String,
        start_after: Option<u32>,
        limit: Option<u32>,
    },
}

pub use crate::MigrateMsg;

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub evaluator: Option<Addr>,
    pub escrow: Option<Addr>,
    pub price_asset: AssetInfo,
}

/// A published model version, as stored.
#[cw_serde]
pub struct Model {
    pub id: u64,
    pub name: String,
    pub version: u32,
    pub specialty: String,
    pub input_spec: String,
    pub output_spec: String,
    pub onnx_sha256: String,
    pub content_id: String,
    pub size_bytes: u64,
    pub price: Uint128,
    pub owner: Addr,
    pub licence: String,
    pub published_at: Timestamp,
    /// The id of the next version of the same name, once published.
    pub superseded_by: Option<u64>,
    pub deprecated: bool,
    /// Held-out accuracy set by the evaluator, and the evaluation it comes from.
    /// Work units one run of the model costs, set by the evaluator with an evaluation (ADR
    /// 007); `None` until measured: jobs on it then earn their node no served units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_cost: Option<Uint128>,
    pub accuracy: Option<Decimal>,
    pub evaluation: Option<String>,
    /// Paid jobs recorded by the escrow.
    pub jobs_served: u64,
    /// Recorded jobs that carried a Tscore, and the sum of those Tscores.
    pub tscore_count: u64,
    pub tscore_sum: Decimal,
}

#[cw_serde]
pub struct ModelResponse {
    pub model: Model,
    /// `tscore_sum / tscore_count`, `None` before the first scored job.
    pub mean_tscore: Option<Decimal>,
    /// What `model.price` is denominated in.
    pub price_asset: AssetInfo,
}

#[cw_serde]
pub struct ModelsResponse {
    pub models: Vec<ModelResponse>,
}

/// A job's `model` string read as a registry reference: `name` (latest) or `name@version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelRef<'a> {
    Latest(&'a str),
    Version(&'a str, u32),
}

impl<'a> ModelRef<'a> {
    /// `None` when the version after `@` is not a decimal `u32`.
    pub fn parse(model: &'a str) -> Option<Self> {
        match model.split_once(VERSION_SEPARATOR) {
            None => Some(Self::Latest(model)),
            Some((name, v)) => {
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(Self::Version(name, v.parse().ok()?))
            }
        }
    }
}

crate::helpers::events! {
    actions: [
        INSTANTIATE,
        PUBLISH_MODEL,
        DEPRECATE_MODEL,
        REKEY_MODEL,
        SET_ACCURACY,
        RECORD_JOB,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
    ],
    attributes: [
        ACCURACY,
        ADMIN,
        CONTENT_ID,
        ESCROW,
        EVALUATION,
        EVALUATOR,
        JOB_ID,
        JOBS_SERVED,
        MODEL_ID,
        NAME,
        ONNX_SHA256,
        OWNER,
        PREVIOUS_CONTENT_ID,
        PRICE,
        RUN_COST,
        SIZE_BYTES,
        SUPERSEDES,
        TSCORE,
        PENDING_EXPIRY,
        PENDING_OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the model registry contract.
    ModelRegistryContract,
    ExecuteMsg,
    QueryMsg
);

impl ModelRegistryContract {
    /// What a job's `model` string names; `None` when it names no registered model.
    pub fn resolve(
        &self,
        querier: &QuerierWrapper,
        model: impl Into<String>,
    ) -> StdResult<Option<ModelResponse>> {
        self.query(
            querier,
            &QueryMsg::Resolve {
                model: model.into(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_refs_parse() {
        assert_eq!(ModelRef::parse("retina"), Some(ModelRef::Latest("retina")));
        assert_eq!(
            ModelRef::parse("retina@12"),
            Some(ModelRef::Version("retina", 12))
        );
        for bad in [
            "retina@",
            "retina@x",
            "retina@-1",
            "retina@1@2",
            "r@99999999999",
        ] {
            assert_eq!(ModelRef::parse(bad), None, "{bad}");
        }
    }
}
