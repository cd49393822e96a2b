//! The DAO that governs a deployment (issue #44, ADR 009): DAO DAO 2.6 (`dao-dao-core`,
//! `dao-voting-cw4`, `dao-proposal-single`, `dao-pre-propose-single`) with cw-plus `cw4-group`
//! 1.1, as BitHive speaks to it.
//!
//! The published crates are built on cosmwasm-std 1.5 and cannot share types with the
//! cosmwasm-std 2 crates here, so these are JSON mirrors of the messages BitHive sends and the
//! responses it reads: the same field names and enum tags (cw_serde: snake_case), checked against
//! the artifacts built from those crates in cosmwasm-vm (testing/adversarial-tests/tests/dao.rs).
//! Requests refuse unknown fields like the originals; responses ignore fields this crate does not
//! read, so a newer DAO DAO still answers.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Binary, Coin, CosmosMsg, Decimal, Uint128};
use serde::{Deserialize, Serialize};

/// cw-utils' `Duration`: a span in blocks or seconds.
#[cw_serde]
#[derive(Copy)]
pub enum Duration {
    /// Blocks.
    Height(u64),
    /// Seconds.
    Time(u64),
}

/// cw-utils' `Expiration`: when something ends.
#[cw_serde]
#[derive(Copy)]
pub enum Expiration {
    /// At this block height.
    AtHeight(u64),
    /// At this block time.
    AtTime(cosmwasm_std::Timestamp),
    /// Never.
    Never {},
}

/// The contract names the DAO's contracts record in cw2 (`crates.io:<crate>`).
pub const CORE_CONTRACT: &str = "crates.io:dao-dao-core";
/// cw2 name of the voting module.
pub const VOTING_CW4_CONTRACT: &str = "crates.io:dao-voting-cw4";
/// cw2 name of the proposal module.
pub const PROPOSAL_SINGLE_CONTRACT: &str = "crates.io:dao-proposal-single";

/// `dao-dao-core`: the DAO itself, its treasury and the account every proposal executes as.
pub mod core {
    use super::*;

    /// Who may migrate a module the core instantiates.
    #[cw_serde]
    pub enum Admin {
        /// This address.
        Address {
            /// The admin's address.
            addr: String,
        },
        /// The DAO core itself.
        CoreModule {},
    }

    /// A module the core instantiates (voting, proposal, pre-propose).
    #[cw_serde]
    pub struct ModuleInstantiateInfo {
        /// Code id of the module.
        pub code_id: u64,
        /// Its instantiate message (JSON).
        pub msg: Binary,
        /// Its wasm admin.
        pub admin: Option<Admin>,
        /// Funds sent with the instantiation.
        pub funds: Vec<Coin>,
        /// Contract label.
        pub label: String,
    }

    /// `dao_interface::msg::InstantiateMsg`.
    #[cw_serde]
    pub struct InstantiateMsg {
        /// An account that may execute messages as the DAO (`execute_admin_msgs`) until it hands
        /// that right back (`nominate_admin { admin: None }` makes the DAO its own admin). None:
        /// the DAO is its own admin from the start.
        pub admin: Option<String>,
        /// The DAO's name.
        pub name: String,
        /// What it is for.
        pub description: String,
        /// Logo.
        pub image_url: Option<String>,
        /// Track cw20 tokens sent to it as treasury.
        pub automatically_add_cw20s: bool,
        /// Track cw721 tokens sent to it as treasury.
        pub automatically_add_cw721s: bool,
        /// The voting module (here dao-voting-cw4).
        pub voting_module_instantiate_info: ModuleInstantiateInfo,
        /// The proposal modules (here one dao-proposal-single).
        pub proposal_modules_instantiate_info: Vec<ModuleInstantiateInfo>,
        /// Key-value items (none).
        pub initial_items: Option<Vec<InitialItem>>,
        /// A URI about the DAO.
        pub dao_uri: Option<String>,
    }

    /// An initial key-value item.
    #[cw_serde]
    pub struct InitialItem {
        /// Key.
        pub key: String,
        /// Value.
        pub value: String,
    }

    /// The core messages BitHive sends.
    #[cw_serde]
    pub enum ExecuteMsg {
        /// The admin executes `msgs` as the DAO (the deploy uses it once, to accept the
        /// contracts it hands over, before it gives the admin right back).
        ExecuteAdminMsgs {
            /// Messages the DAO sends.
            msgs: Vec<CosmosMsg>,
        },
        /// The admin names its successor; None makes the DAO its own admin at once.
        NominateAdmin {
            /// The nominee, or None.
            admin: Option<String>,
        },
    }

    /// The core queries BitHive reads.
    #[cw_serde]
    pub enum QueryMsg {
        /// The admin (an address).
        Admin {},
        /// The pending admin nomination.
        AdminNomination {},
        /// The voting module's address.
        VotingModule {},
        /// The proposal modules.
        ProposalModules {
            /// Paging.
            start_after: Option<String>,
            /// Paging.
            limit: Option<u32>,
        },
        /// A member's voting power.
        VotingPowerAtHeight {
            /// The member.
            address: String,
            /// None: now.
            height: Option<u64>,
        },
        /// The total voting power.
        TotalPowerAtHeight {
            /// None: now.
            height: Option<u64>,
        },
    }

    /// `admin_nomination {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
    pub struct AdminNominationResponse {
        /// The nominee, if any.
        pub nomination: Option<String>,
    }

    /// One entry of `proposal_modules {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
    pub struct ProposalModule {
        /// Its address.
        pub address: String,
        /// The prefix of its proposal ids ("A", "B", ...).
        pub prefix: String,
        /// `enabled` or `disabled`.
        pub status: ProposalModuleStatus,
    }

    /// Whether a proposal module may still create and execute proposals.
    #[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
    #[serde(rename_all = "snake_case")]
    pub enum ProposalModuleStatus {
        /// In use.
        Enabled,
        /// Retired.
        Disabled,
    }

    /// `voting_power_at_height` and `total_power_at_height`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
    pub struct PowerResponse {
        /// The power.
        pub power: Uint128,
        /// At this height.
        pub height: u64,
    }
}

/// `dao-voting-cw4`: voting power is the weight in a cw4 group.
pub mod voting_cw4 {
    use super::*;

    /// A member and its weight.
    #[cw_serde]
    pub struct Member {
        /// The member's address.
        pub addr: String,
        /// Its voting weight.
        pub weight: u64,
    }

    /// Where the members are.
    #[cw_serde]
    pub enum GroupContract {
        /// An existing cw4 group.
        Existing {
            /// Its address.
            address: String,
        },
        /// A new cw4-group instantiated by the voting module, with the DAO as its admin.
        New {
            /// Code id of cw4-group.
            cw4_group_code_id: u64,
            /// The members.
            initial_members: Vec<Member>,
        },
    }

    /// `dao_voting_cw4::msg::InstantiateMsg`.
    #[cw_serde]
    pub struct InstantiateMsg {
        /// The group.
        pub group_contract: GroupContract,
    }

    /// The voting module's queries BitHive reads.
    #[cw_serde]
    pub enum QueryMsg {
        /// The cw4 group's address.
        GroupContract {},
    }
}

/// cw-plus `cw4-group` 1.1: the members and weights.
pub mod cw4_group {
    use super::*;

    /// The group's queries BitHive reads.
    #[cw_serde]
    pub enum QueryMsg {
        /// Who may change the members (the DAO).
        Admin {},
        /// The members.
        ListMembers {
            /// Paging.
            start_after: Option<String>,
            /// Paging (at most 30).
            limit: Option<u32>,
        },
    }

    /// `admin {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
    pub struct AdminResponse {
        /// The admin, if any.
        pub admin: Option<String>,
    }

    /// `list_members {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    pub struct MemberListResponse {
        /// The members.
        pub members: Vec<super::voting_cw4::Member>,
    }
}

/// `dao-proposal-single`: yes / no / abstain proposals of messages the DAO executes.
pub mod proposal_single {
    use super::*;

    /// A share of the voting power.
    #[cw_serde]
    pub enum PercentageThreshold {
        /// More than half.
        Majority {},
        /// At least this share.
        Percent(Decimal),
    }

    /// When a proposal passes.
    #[cw_serde]
    pub enum Threshold {
        /// Yes votes reach `percentage` of the total voting power (not only of the votes cast):
        /// a committee's rule.
        AbsolutePercentage {
            /// The share.
            percentage: PercentageThreshold,
        },
        /// Yes votes reach `threshold` of the votes cast, once `quorum` of the power voted.
        ThresholdQuorum {
            /// Share of the votes cast.
            threshold: PercentageThreshold,
            /// Share of the power that must vote.
            quorum: PercentageThreshold,
        },
        /// At least this many yes votes (weight).
        AbsoluteCount {
            /// The weight.
            threshold: Uint128,
        },
    }

    /// Who may create proposals.
    #[cw_serde]
    pub enum PreProposeInfo {
        /// Anyone (not used: non-members could fill the proposal list).
        AnyoneMayPropose {},
        /// Only through this pre-propose module.
        ModuleMayPropose {
            /// The pre-propose module to instantiate.
            info: super::core::ModuleInstantiateInfo,
        },
    }

    /// `dao_proposal_single::msg::InstantiateMsg`.
    #[cw_serde]
    pub struct InstantiateMsg {
        /// When a proposal passes.
        pub threshold: Threshold,
        /// How long a proposal may be voted on.
        pub max_voting_period: Duration,
        /// How long a proposal stays open before it may pass.
        pub min_voting_period: Option<Duration>,
        /// Only members may execute passed proposals.
        pub only_members_execute: bool,
        /// Votes may be changed before the proposal expires.
        pub allow_revoting: bool,
        /// Who may create proposals.
        pub pre_propose_info: PreProposeInfo,
        /// A passed proposal whose messages fail is closed instead of staying open.
        pub close_proposal_on_execution_failure: bool,
        /// A vetoer: always None here (no veto).
        pub veto: Option<cosmwasm_std::Empty>,
    }

    /// A member's position.
    #[cw_serde]
    #[derive(Copy)]
    pub enum Vote {
        /// For.
        Yes,
        /// Against.
        No,
        /// Counted for the quorum, not for the ratio.
        Abstain,
    }

    /// The proposal module's messages BitHive sends (proposals are created through the
    /// pre-propose module: [`super::pre_propose_single::ExecuteMsg`]).
    #[cw_serde]
    pub enum ExecuteMsg {
        /// Vote on an open proposal.
        Vote {
            /// The proposal.
            proposal_id: u64,
            /// The position.
            vote: Vote,
            /// Why.
            rationale: Option<String>,
        },
        /// Execute a passed proposal's messages as the DAO.
        Execute {
            /// The proposal.
            proposal_id: u64,
        },
        /// Close a rejected or expired proposal.
        Close {
            /// The proposal.
            proposal_id: u64,
        },
    }

    /// The proposal module's queries BitHive reads.
    #[cw_serde]
    pub enum QueryMsg {
        /// One proposal.
        Proposal {
            /// Its id.
            proposal_id: u64,
        },
        /// Proposals in ascending id order.
        ListProposals {
            /// Paging.
            start_after: Option<u64>,
            /// Paging (at most 30).
            limit: Option<u64>,
        },
        /// Proposals in descending id order.
        ReverseProposals {
            /// Paging.
            start_before: Option<u64>,
            /// Paging.
            limit: Option<u64>,
        },
        /// A voter's vote on a proposal.
        GetVote {
            /// The proposal.
            proposal_id: u64,
            /// The voter.
            voter: String,
        },
        /// The pre-propose module, if any.
        ProposalCreationPolicy {},
    }

    /// Where a proposal stands.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    pub enum Status {
        /// Being voted on.
        Open,
        /// Failed: will not pass.
        Rejected,
        /// Passed: may be executed.
        Passed,
        /// Executed.
        Executed,
        /// Closed after it was rejected.
        Closed,
        /// Its messages failed when executed.
        ExecutionFailed,
        /// Passed, in the veto window.
        VetoTimelock {
            /// End of the window.
            expiration: Expiration,
        },
        /// Vetoed.
        Vetoed,
    }

    /// The tally.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
    pub struct Votes {
        /// Yes weight.
        pub yes: Uint128,
        /// No weight.
        pub no: Uint128,
        /// Abstain weight.
        pub abstain: Uint128,
    }

    /// A proposal. `M` is how its messages are read: `CosmosMsg` by default; a client that
    /// must show every proposal, even one with a message kind this cosmwasm-std does not build
    /// (`staking` without its feature, another version's `gov`), reads them as JSON.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    pub struct Proposal<M = CosmosMsg> {
        /// Title.
        pub title: String,
        /// Description.
        pub description: String,
        /// Who proposed it.
        pub proposer: String,
        /// The height it was created at (voting power is counted there).
        pub start_height: u64,
        /// When voting ends.
        pub expiration: Expiration,
        /// The rule it passes by.
        pub threshold: Threshold,
        /// The total voting power at `start_height`.
        pub total_power: Uint128,
        /// What the DAO executes if it passes.
        pub msgs: Vec<M>,
        /// Where it stands.
        pub status: Status,
        /// The tally.
        pub votes: Votes,
    }

    /// `proposal {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    pub struct ProposalResponse<M = CosmosMsg> {
        /// Its id.
        pub id: u64,
        /// The proposal.
        pub proposal: Proposal<M>,
    }

    /// `list_proposals {}` / `reverse_proposals {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    pub struct ProposalListResponse<M = CosmosMsg> {
        /// The proposals.
        pub proposals: Vec<ProposalResponse<M>>,
    }

    /// `proposal_creation_policy {}`.
    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
    #[serde(rename_all = "snake_case")]
    pub enum ProposalCreationPolicy {
        /// Anyone may propose.
        Anyone {},
        /// Only this module may.
        Module {
            /// The pre-propose module.
            addr: String,
        },
    }
}

/// `dao-pre-propose-single`: the gate proposals go through (members only here).
pub mod pre_propose_single {
    use super::*;

    /// Who may submit proposals.
    #[cw_serde]
    pub enum SubmissionPolicy {
        /// Anyone except the denylist.
        Anyone {
            /// Refused.
            denylist: Vec<String>,
        },
        /// Members (when `dao_members`) and the allowlist, except the denylist.
        Specific {
            /// The DAO's members may.
            dao_members: bool,
            /// These may too.
            allowlist: Vec<String>,
            /// These may not.
            denylist: Vec<String>,
        },
    }

    /// `dao_pre_propose_single::InstantiateMsg` (no deposit, no extension).
    #[cw_serde]
    pub struct InstantiateMsg {
        /// A deposit per proposal: always None here (members only, no deposit).
        pub deposit_info: Option<cosmwasm_std::Empty>,
        /// Who may propose.
        pub submission_policy: SubmissionPolicy,
        /// No extension.
        pub extension: cosmwasm_std::Empty,
    }

    /// The proposal as submitted.
    #[cw_serde]
    pub enum ProposeMessage {
        /// A yes / no proposal of `msgs`.
        Propose {
            /// Title.
            title: String,
            /// Description.
            description: String,
            /// What the DAO executes if it passes.
            msgs: Vec<CosmosMsg>,
            /// The proposer's own vote, cast with the proposal.
            vote: Option<AutoVote>,
        },
    }

    /// The proposer's vote cast with its proposal.
    #[cw_serde]
    pub struct AutoVote {
        /// The position.
        pub vote: super::proposal_single::Vote,
        /// Why.
        pub rationale: Option<String>,
    }

    /// The pre-propose messages BitHive sends.
    #[cw_serde]
    pub enum ExecuteMsg {
        /// Submit a proposal.
        Propose {
            /// The proposal.
            msg: ProposeMessage,
        },
    }
}
