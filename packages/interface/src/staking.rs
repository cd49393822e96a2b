use bithive_signed_attestation::{PubKey33, Signature64, SignedAttestation};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, QuerierWrapper, StdResult, Uint128};
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

pub use crate::attestation::KeySignature;
use cw20::Cw20ReceiveMsg;

/// Node tiers T1 basic ... T4 healthcare centre (docs/glossary.md#node-tiers). Each admits a range
/// of capacity in T, after the machine classes (4T household, 8T pool, 16T merchant; T4 above).
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Tier {
    T1,
    T2,
    T3,
    T4,
}

impl Tier {
    /// Inclusive capacity range in T.
    pub fn capacity_range(self) -> (u32, u32) {
        match self {
            Tier::T1 => (1, 4),
            Tier::T2 => (5, 8),
            Tier::T3 => (9, 16),
            Tier::T4 => (17, 1024),
        }
    }

    /// The declared power of the tier's machine class, in watts (ADR 007, decision 5): a
    /// household PC (T1), a workstation with one accelerator (T2), a multi-accelerator server
    /// (T3), a healthcare centre's rack (T4). A node's Penergy without a meter, and twice the
    /// least Penergy rewards accepts for it (a meter reading is the node's own word).
    pub fn declared_watts(self) -> u32 {
        match self {
            Tier::T1 => 65,
            Tier::T2 => 250,
            Tier::T3 => 700,
            Tier::T4 => 2_000,
        }
    }

    /// The least Penergy rewards accepts for a node of this tier: half its declared power.
    pub fn penergy_floor(self) -> Decimal {
        Decimal::from_ratio(self.declared_watts(), 2u8)
    }

    /// The best efficiency (TFLOPS/W) rewards counts for a node of this tier: the top of its
    /// machine class's band (docs/glossary.md#node-tiers: T1 2.0-2.5, T2 2.8-4.0, T3 4.5-7.0;
    /// T4 8.0+ has no top but the formula's own bound). A node measured above it is counted at it.
    pub fn max_efficiency(self) -> Decimal {
        match self {
            Tier::T1 => Decimal::permille(2_500),
            Tier::T2 => Decimal::permille(4_000),
            Tier::T3 => Decimal::permille(7_000),
            Tier::T4 => bithive_formulas::enode::MAX_EFFICIENCY,
        }
    }
}

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    pub compliance: String,
    pub token: String,
    pub slash_recipient: String,
    pub work_reporter: Option<String>,
    pub genesis: u64,
    pub epoch_seconds: u64,
    pub attestor_set_size: u32,
    pub window_epochs: u32,
    /// Default 540 days.
    pub lock_seconds: Option<u64>,
    pub unbonding_seconds: u64,
    pub max_claims: u32,
    pub fraud_slash: Decimal,
    /// Least bond for a node to be indexed as an attestor candidate (default
    /// [`DEFAULT_MIN_BOND`], 100 BTK).
    #[serde(default)]
    pub min_bond: Option<Uint128>,
    /// How long after a halving a node that covered the requirement before it still earns (at
    /// 50 %) before topping up (default [`DEFAULT_TOPUP_GRACE_SECONDS`], 30 days; at most 540
    /// days).
    #[serde(default)]
    pub topup_grace_seconds: Option<u64>,
}

/// 100 BTK (6 decimals): the pledge per T before the first halving.
pub const PLEDGE_PER_T: u128 = 100_000_000;
/// Default `min_bond`: one T's pledge, 100 BTK.
pub const DEFAULT_MIN_BOND: u128 = PLEDGE_PER_T;
/// Default top-up grace after a halving: 30 days.
pub const DEFAULT_TOPUP_GRACE_SECONDS: u64 = 30 * 86_400;
/// Longest top-up grace: 540 days (the lock period).
pub const MAX_TOPUP_GRACE_SECONDS: u64 = 540 * 86_400;

fn default_min_bond() -> Uint128 {
    Uint128::new(DEFAULT_MIN_BOND)
}

fn default_topup_grace_seconds() -> u64 {
    DEFAULT_TOPUP_GRACE_SECONDS
}

/// Longest probe endpoint URL a node may register.
pub const MAX_ENDPOINT_LEN: usize = 200;

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Registers the sender as a node whose attestations `operator_key` signs. The key proves
    /// possession: `operator_signature` is its signature over
    /// `bithive_signed_attestation::operator_pop_digest(chain id, this contract, sender, key)`
    /// (build it with `signing::sign_operator_pop`), so nobody can register a key it does not hold.
    RegisterNode {
        capacity_t: u32,
        tier: Tier,
        operator_key: PubKey33,
        operator_signature: Signature64,
    },
    UpdateNode {
        capacity_t: u32,
        tier: Tier,
    },
    /// A registered node: the URL where its relayer answers the attestors' availability probes
    /// (`http://host:port`, at most [`MAX_ENDPOINT_LEN`] bytes; ADR 007), or `None` to withdraw
    /// it. A node without an endpoint is not probed, so its measured availability is 0.
    SetEndpoint {
        endpoint: Option<String>,
    },
    /// cw20 hook: `msg` is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Start unbonding `amount` out of the lots whose lock has expired.
    Unbond {
        amount: Uint128,
    },
    /// Pay the matured unbonding claims.
    ClaimUnbonded {},
    /// Permissionless fraud proof: two conflicting signed attestations for the same job by one
    /// operator key.
    SubmitEvidence {
        first: Box<SignedAttestation>,
        second: Box<SignedAttestation>,
    },
    /// Permissionless fraud proof by re-execution (ADR 007, decision 6): the node's own signed
    /// inference attestation with its payload (whose quantized `outputs` it signed through the
    /// payload hash among the commitments), and the verdicts of more than half of the current
    /// attestor set's members other than the node, each one's re-run outputs signed over
    /// `bithive_signed_attestation::reexecution_digest` and each disagreeing with the node's.
    /// Slashes `fraud_slash` of the node's pledge, forfeits its weight of the rewards epoch
    /// collecting now, and uses up the attestation's job key like [`Self::SubmitEvidence`].
    SubmitReexecution {
        attestation: Box<SignedAttestation>,
        payload: cosmwasm_std::Binary,
        verdicts: Vec<ReexecutionVerdict>,
    },
    /// Governance: slash `fraction` of a node's pledge (bonded and unbonding).
    Slash {
        node: String,
        fraction: Decimal,
        reason: String,
    },
    /// Compliance role: set the node's compliance level M in [0, 1].
    SetCompliance {
        node: String,
        level: Decimal,
    },
    /// Work reporter: verified compute units of a node in the current epoch.
    RecordWork {
        node: String,
        units: Uint128,
    },
    /// Permissionless crank: scan up to `limit` nodes towards this epoch's attestor set.
    AdvanceAttestorSet {
        limit: u32,
    },
    /// Governance.
    UpdateConfig {
        compliance: Option<String>,
        slash_recipient: Option<String>,
        work_reporter: Option<String>,
        fraud_slash: Option<Decimal>,
        attestor_set_size: Option<u32>,
        /// Raising it drops under-bonded nodes from the attestor scan at once; lowering it
        /// admits a node at its next bond change.
        #[serde(default)]
        min_bond: Option<Uint128>,
        #[serde(default)]
        topup_grace_seconds: Option<u64>,
    },
}

/// One attestor's re-run of a sampled job: the outputs it computed (canonical quantized form)
/// and its operator key's signature over `reexecution_digest(chain, staking, job key, outputs)`.
#[cw_serde]
pub struct ReexecutionVerdict {
    pub key: PubKey33,
    pub outputs: Vec<u32>,
    pub signature: Signature64,
}

#[cw_serde]
pub enum ReceiveMsg {
    /// Add the received tokens to the sender's pledge (locked for `lock_seconds`).
    Bond {},
}

pub use crate::MigrateMsg;

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(NodeResponse)]
    Node { node: String },
    #[returns(NodesResponse)]
    Nodes {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// What the rewards contract asks before weighting work.
    #[returns(PledgeStatusResponse)]
    PledgeStatus { node: String },
    #[returns(Totals)]
    Totals {},
    #[returns(VscoreResponse)]
    Vscore { node: String },
    #[returns(AttestorSetResponse)]
    AttestorSet {},
    #[returns(bool)]
    EvidenceUsed { job_key: String },
}

#[cw_serde]
pub struct NodeResponse {
    pub node: String,
    pub capacity_t: u32,
    pub tier: Tier,
    pub operator_key: PubKey33,
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub lots: Vec<Lot>,
    pub claims: Vec<Claim>,
    pub required_pledge: Uint128,
    pub full_rate: bool,
    /// May earn compute rewards at all (see [`PledgeStatusResponse::eligible`]; replies of
    /// older staking contracts read false).
    #[serde(default)]
    pub eligible: bool,
    pub compliance: Decimal,
    pub slashed: Uint128,
    /// Where the node answers availability probes (`set_endpoint`); replies of older staking
    /// contracts read `None`.
    #[serde(default)]
    pub endpoint: Option<String>,
}

#[cw_serde]
pub struct NodesResponse {
    pub nodes: Vec<NodeResponse>,
}

#[cw_serde]
pub struct PledgeStatusResponse {
    pub registered: bool,
    pub bonded: Uint128,
    pub required: Uint128,
    /// Pledge at or above the current requirement: full rewards.
    pub full_rate: bool,
    /// May earn at all: `full_rate`, or (at 50 %) the pledge covered the requirement before the
    /// latest halving and its top-up grace has not ended. The pledge is the condition for
    /// mining: an unpledged node is never eligible. (Defaults keep older staking replies
    /// readable, and read as not eligible.)
    #[serde(default)]
    pub eligible: bool,
    /// Registered capacity in T (bounds the work rewards accepts per epoch).
    #[serde(default)]
    pub capacity_t: u32,
    /// End of the top-up grace, when the node earns at 50 % only thanks to it.
    #[serde(default)]
    pub grace_until: Option<u64>,
    /// Registered tier (its declared power floors the node's Penergy in rewards); replies of
    /// older staking contracts read `None`.
    #[serde(default)]
    pub tier: Option<Tier>,
}

#[cw_serde]
pub struct VscoreResponse {
    pub stake: Decimal,
    pub compute: Decimal,
    pub compliance: Decimal,
    pub vscore: Decimal,
}

#[cw_serde]
pub struct AttestorSetResponse {
    /// Epoch the set was computed for (None before the first one).
    pub epoch: Option<u64>,
    pub members: Vec<Member>,
    pub current_epoch: u64,
    /// Epoch of a scan in progress and how many nodes it covered.
    pub scanning: Option<(u64, u64)>,
}

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub compliance: Addr,
    pub token: Addr,
    pub slash_recipient: Addr,
    /// Allowed to record verified work (the rewards contract).
    pub work_reporter: Option<Addr>,
    /// Emission genesis (halvings are counted from it).
    pub genesis: u64,
    pub epoch_seconds: u64,
    pub attestor_set_size: u32,
    pub window_epochs: u32,
    pub lock_seconds: u64,
    pub unbonding_seconds: u64,
    pub max_claims: u32,
    pub fraud_slash: Decimal,
    /// Least bond for a node to be an attestor candidate (stored configs from before it load
    /// with 100 BTK).
    #[serde(default = "default_min_bond")]
    pub min_bond: Uint128,
    /// Top-up grace after a halving, in seconds (stored configs from before it load with 30
    /// days).
    #[serde(default = "default_topup_grace_seconds")]
    pub topup_grace_seconds: u64,
}

#[cw_serde]
pub struct Lot {
    pub amount: Uint128,
    pub unlock_at: u64,
}

#[cw_serde]
pub struct Claim {
    pub amount: Uint128,
    pub release_at: u64,
}

#[cw_serde]
#[derive(Default)]
pub struct Totals {
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub slashed: Uint128,
    pub nodes: u64,
}

#[cw_serde]
pub struct Member {
    pub node: Addr,
    pub vscore: Decimal,
}

crate::helpers::events! {
    actions: [
        ADVANCE_ATTESTOR_SET,
        BOND,
        CLAIM_UNBONDED,
        INSTANTIATE,
        RECORD_WORK,
        REGISTER_NODE,
        SET_COMPLIANCE,
        SET_ENDPOINT,
        SLASH,
        UNBOND,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
        UPDATE_NODE,
    ],
    attributes: [
        AMOUNT,
        BONDED,
        CAPACITY_T,
        COMPLETE,
        ENDPOINT,
        EPOCH,
        FRACTION,
        JOB_ID,
        JOB_KEY,
        LEVEL,
        MEMBERS,
        NODE,
        REASON,
        RELEASE_AT,
        REQUIRED,
        SCANNED,
        TIER,
        UNITS,
        UNLOCK_AT,
        /// Attestor-set members whose verdicts a re-execution proof carried.
        VERDICTS,
        PENDING_EXPIRY,
        PENDING_OWNER,
        OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the staking contract.
    StakingContract,
    ExecuteMsg,
    QueryMsg
);

impl StakingContract {
    /// The current attestor set (what the attestation contract's quorums are checked against).
    pub fn attestor_set(&self, querier: &QuerierWrapper) -> StdResult<AttestorSetResponse> {
        self.query(querier, &QueryMsg::AttestorSet {})
    }

    /// What the rewards contract asks before weighting work.
    pub fn pledge_status(
        &self,
        querier: &QuerierWrapper,
        node: impl Into<String>,
    ) -> StdResult<PledgeStatusResponse> {
        self.query(querier, &QueryMsg::PledgeStatus { node: node.into() })
    }
}
