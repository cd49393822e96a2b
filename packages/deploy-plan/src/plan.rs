//! The deployment as a state machine without I/O (in the style of quinn-proto): [`DeployPlan`]
//! hands out one [`Step`] at a time, the driver carries it out on a chain (signed transactions,
//! an in-process VM) and reports what the chain said (a code id, an address); the next step's
//! messages are built from what the earlier ones produced.
//!
//! Wiring (who may call whom):
//! - BTK's only minter is the emission contract (allowance = the whole cap). BTT has a fixed
//!   supply: `btt_supply` minted to the deployer at instantiation, cap = that supply, no minter.
//! - Last steps: the deployer renounces ownership of BTK and BTT, so nobody can add a minter or
//!   raise an allowance ever again (no issuance beyond emission). Their wasm admin (who may
//!   migrate the code) is `token_admin`, or nobody.
//! - Emission pays the rewards compute and app pools and puts the foundation and operations
//!   shares into vesting.
//! - The escrow tells rewards the served units of each paid job, and rewards takes served work
//!   from the escrow only (ADR 007).
//! - The attestation contract holds every reporter role: rewards `reporter`, escrow
//!   `reporters`, asset-nft valuer, model-registry evaluator. Staking takes work reports from
//!   rewards only.
//! - With a DAO in the config (ADR 009), the DAO is instantiated first, with the deployer as its
//!   bootstrap admin. It is the wasm admin of every contract that may migrate, the compliance
//!   role, the ICS-20 admin and, unless named, the treasury, foundation and operations account.
//!   After the wiring the deployer proposes the DAO as controller of every governed contract
//!   ([`DAO_GOVERNED`], cw-ownable's two steps), makes the DAO accept all of them at once
//!   (`execute_admin_msgs`, the DAO as sender), hands the DAO its own admin right
//!   (`nominate_admin { admin: None }`) and its own wasm admin. The deployer keeps nothing.

use std::collections::BTreeMap;

use cosmwasm_std::Addr;
use serde::Serialize;

use bithive_interface::{
    asset_nft, attestation, dao, data_vault, emission, fractional, ics20, ics721, model_registry,
    payfi_escrow, rewards, staking, token, vesting,
};

use crate::config::{
    DeployConfig, ASSET_NFT_NAME, ASSET_NFT_SYMBOL, BTK_CAP, BTK_NAME, BTK_SYMBOL, BTT_NAME,
    BTT_SYMBOL, DATA_VAULT_NAME, DATA_VAULT_SYMBOL, MAX_GRANT_SECONDS, VALUATION_FRESHNESS_SECONDS,
    VALUATION_UNIT, VALUATION_WINDOW,
};
use crate::{Artifact, Contracts, Deployment, PlanError, Role, StoredCode};

/// The contracts whose controller (governance, admin or owner) the DAO takes over, in the order
/// the plan hands them over. BTK and BTT have none (ownership renounced); ICS-20's admin is set
/// at instantiation (cw20-ics20 has a one-step `update_admin` only).
pub const DAO_GOVERNED: [Role; 10] = [
    Role::Vesting,
    Role::Staking,
    Role::Rewards,
    Role::Emission,
    Role::AssetNft,
    Role::Fractional,
    Role::PayfiEscrow,
    Role::Attestation,
    Role::ModelRegistry,
    Role::DataVault,
];

/// A wiring call: a contract told, after instantiation, whom to take calls from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Wiring {
    /// BTK: emission becomes its only minter, allowance the whole cap.
    EmissionMintsBtk,
    /// BTT: the patient pool is funded (skipped when `btt_patient_pool` is 0).
    FundPatientPool,
    /// Staking takes work reports from rewards.
    StakingWorkReporter,
    /// Rewards takes reports from the attestation contract.
    RewardsReporter,
    /// The escrow takes job reports from the attestation contract.
    EscrowReporter,
    /// Rewards counts the escrow's paid jobs as served work.
    RewardsServedByEscrow,
    /// The escrow tells rewards the served units of each paid job.
    EscrowTellsRewards,
    /// The asset NFT takes valuations from the attestation contract.
    AssetNftValuer,
    /// The attestation contract sets model accuracies in the registry.
    AttestationModelRegistry,
    /// The deployer proposes the DAO as the contract's controller (cw-ownable
    /// `transfer_ownership`).
    HandOver(Role),
    /// The deployer, still the DAO's bootstrap admin, has the DAO accept every proposed hand-over
    /// (`execute_admin_msgs` of `accept_ownership`s).
    DaoAcceptsControl,
    /// The deployer gives up the DAO's admin right: the DAO becomes its own admin.
    DaoGovernsItself,
    /// The deployer renounces BTK's ownership: nobody can add a minter.
    RenounceBtk,
    /// The deployer renounces BTT's ownership: fixed supply.
    RenounceBtt,
}

impl Wiring {
    /// What the step does, as progress output says it.
    pub fn describe(self) -> String {
        let text = match self {
            Wiring::EmissionMintsBtk => "emission is the BTK minter",
            Wiring::FundPatientPool => "BTT patient pool funded",
            Wiring::StakingWorkReporter => "staking takes work reports from rewards",
            Wiring::RewardsReporter => "rewards takes reports from the attestation contract",
            Wiring::EscrowReporter => "escrow takes job reports from the attestation contract",
            Wiring::RewardsServedByEscrow => "rewards counts the escrow's paid jobs as served work",
            Wiring::EscrowTellsRewards => "escrow tells rewards each paid job's served units",
            Wiring::AssetNftValuer => "asset-nft takes valuations from the attestation contract",
            Wiring::AttestationModelRegistry => {
                "the attestation contract sets model accuracies (quorum evaluations) in the registry"
            }
            Wiring::RenounceBtk => "BTK ownership renounced: emission is its only minter",
            Wiring::HandOver(role) => {
                return format!("{}: control proposed to the DAO", role.label());
            }
            Wiring::DaoAcceptsControl => "the DAO accepts control of every governed contract",
            Wiring::DaoGovernsItself => "the DAO is its own admin: the deployer keeps nothing",
            Wiring::RenounceBtt => "BTT ownership renounced: fixed supply",
        };
        text.to_string()
    }

    /// The contract the call goes to.
    pub const fn contract(self) -> Role {
        match self {
            Wiring::EmissionMintsBtk | Wiring::RenounceBtk => Role::Btk,
            Wiring::FundPatientPool | Wiring::RenounceBtt => Role::Btt,
            Wiring::StakingWorkReporter => Role::Staking,
            Wiring::RewardsReporter | Wiring::RewardsServedByEscrow => Role::Rewards,
            Wiring::EscrowReporter | Wiring::EscrowTellsRewards => Role::PayfiEscrow,
            Wiring::AssetNftValuer => Role::AssetNft,
            Wiring::AttestationModelRegistry => Role::Attestation,
            Wiring::HandOver(role) => role,
            Wiring::DaoAcceptsControl | Wiring::DaoGovernsItself => Role::Dao,
        }
    }
}

/// One stage of the plan, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Store(Artifact),
    Instantiate(Role),
    Wire(Wiring),
    /// The deployer moves a contract's wasm admin to the DAO (MsgUpdateAdmin).
    AdminToDao(Role),
}

impl Stage {
    /// Stages only a deployment with a DAO has.
    fn dao_only(self) -> bool {
        match self {
            Stage::Store(a) => Artifact::DAO.contains(&a),
            Stage::Instantiate(role) => role == Role::Dao,
            Stage::Wire(w) => matches!(
                w,
                Wiring::HandOver(_) | Wiring::DaoAcceptsControl | Wiring::DaoGovernsItself
            ),
            Stage::AdminToDao(_) => true,
        }
    }
}

/// The stages of every deployment, in order. Each instantiation needs only addresses made
/// before it; each wiring call only contracts that exist.
const STAGES: &[Stage] = &[
    Stage::Store(Artifact::Token),
    Stage::Store(Artifact::Emission),
    Stage::Store(Artifact::Vesting),
    Stage::Store(Artifact::Staking),
    Stage::Store(Artifact::Rewards),
    Stage::Store(Artifact::AssetNft),
    Stage::Store(Artifact::AssetShares),
    Stage::Store(Artifact::Fractional),
    Stage::Store(Artifact::PayfiEscrow),
    Stage::Store(Artifact::Attestation),
    Stage::Store(Artifact::ModelRegistry),
    Stage::Store(Artifact::DataVault),
    Stage::Store(Artifact::Ics20),
    Stage::Store(Artifact::Ics721),
    Stage::Store(Artifact::DaoCore),
    Stage::Store(Artifact::DaoVotingCw4),
    Stage::Store(Artifact::Cw4Group),
    Stage::Store(Artifact::DaoProposalSingle),
    Stage::Store(Artifact::DaoPreProposeSingle),
    // The DAO before any contract, so every contract can name it (wasm admin, compliance,
    // treasury); the deployer is its bootstrap admin until DaoGovernsItself.
    Stage::Instantiate(Role::Dao),
    // Tokens first: BTK starts with no minter (emission becomes its only minter below); the
    // deployer owns both only until the last steps, which renounce ownership.
    Stage::Instantiate(Role::Btk),
    Stage::Instantiate(Role::Btt),
    Stage::Instantiate(Role::Vesting),
    Stage::Instantiate(Role::Staking),
    Stage::Instantiate(Role::Rewards),
    Stage::Instantiate(Role::Emission),
    Stage::Wire(Wiring::EmissionMintsBtk),
    Stage::Wire(Wiring::FundPatientPool),
    Stage::Instantiate(Role::AssetNft),
    Stage::Instantiate(Role::Fractional),
    Stage::Instantiate(Role::PayfiEscrow),
    Stage::Instantiate(Role::Attestation),
    Stage::Instantiate(Role::ModelRegistry),
    Stage::Instantiate(Role::DataVault),
    Stage::Instantiate(Role::Ics20),
    Stage::Instantiate(Role::Ics721),
    Stage::Wire(Wiring::StakingWorkReporter),
    Stage::Wire(Wiring::RewardsReporter),
    Stage::Wire(Wiring::EscrowReporter),
    Stage::Wire(Wiring::RewardsServedByEscrow),
    Stage::Wire(Wiring::EscrowTellsRewards),
    Stage::Wire(Wiring::AssetNftValuer),
    Stage::Wire(Wiring::AttestationModelRegistry),
    // The wiring done, the DAO takes control of every governed contract.
    Stage::Wire(Wiring::HandOver(Role::Vesting)),
    Stage::Wire(Wiring::HandOver(Role::Staking)),
    Stage::Wire(Wiring::HandOver(Role::Rewards)),
    Stage::Wire(Wiring::HandOver(Role::Emission)),
    Stage::Wire(Wiring::HandOver(Role::AssetNft)),
    Stage::Wire(Wiring::HandOver(Role::Fractional)),
    Stage::Wire(Wiring::HandOver(Role::PayfiEscrow)),
    Stage::Wire(Wiring::HandOver(Role::Attestation)),
    Stage::Wire(Wiring::HandOver(Role::ModelRegistry)),
    Stage::Wire(Wiring::HandOver(Role::DataVault)),
    Stage::Wire(Wiring::DaoAcceptsControl),
    Stage::Wire(Wiring::DaoGovernsItself),
    Stage::AdminToDao(Role::Dao),
    // Last: nobody may change the minters of BTK (emission only) or BTT (none) again.
    Stage::Wire(Wiring::RenounceBtk),
    Stage::Wire(Wiring::RenounceBtt),
];

/// What the driver is to do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Store the artifact's code; report [`Outcome::Stored`].
    Store(Artifact),
    /// Instantiate a contract as the deployer; report [`Outcome::Instantiated`].
    Instantiate(Instantiate),
    /// Execute a wiring call as the deployer; report [`Outcome::Executed`].
    Execute(Execute),
    /// Change a contract's wasm admin as the deployer (MsgUpdateAdmin); report
    /// [`Outcome::Executed`].
    UpdateAdmin(UpdateAdmin),
}

/// The deployer makes `new_admin` the wasm admin of `contract` (the `role`).
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateAdmin {
    /// The contract's role.
    pub role: Role,
    /// Its address.
    pub contract: String,
    /// The new wasm admin.
    pub new_admin: String,
}

/// The deployer instantiates `code_id` with `msg`, as `label`, with wasm admin `admin` (None:
/// nobody may migrate it), for `role`.
#[derive(Clone, Debug, PartialEq)]
pub struct Instantiate {
    /// The role the new contract takes.
    pub role: Role,
    /// Code id of the role's artifact, as stored earlier in the plan.
    pub code_id: u64,
    /// Contract label: `<label_prefix>-<role label>` ([`Role::label`]).
    pub label: String,
    /// Wasm admin, the only account that may migrate the contract; None: nobody.
    pub admin: Option<String>,
    /// The instantiate message, as JSON.
    pub msg: serde_json::Value,
}

/// The deployer executes `msg` on `contract` (the wiring call `wiring`).
#[derive(Clone, Debug, PartialEq)]
pub struct Execute {
    /// The wiring call this is.
    pub wiring: Wiring,
    /// Address of the contract called ([`Wiring::contract`]).
    pub contract: String,
    /// The execute message, as JSON.
    pub msg: serde_json::Value,
}

/// What the chain answered to the step handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The code id and the sha256 (hex) of the stored artifact.
    Stored {
        /// Code id the chain gave it.
        code_id: u64,
        /// sha256 of the stored wasm (hex).
        checksum: String,
    },
    /// The new contract's address.
    Instantiated(String),
    /// The wiring call succeeded.
    Executed,
}

/// A chain the plan is carried out on synchronously, one call per step (the VM test worlds);
/// [`DeployPlan::drive`] runs the whole plan on it. (An async driver, like `bithive deploy`'s,
/// polls the plan and reports each outcome itself: `crate::chain`.)
pub trait Driver {
    /// Why a step failed on this chain; plan errors become one too.
    type Error: From<PlanError>;
    /// Carries out `step` and says what the chain answered.
    fn run(&mut self, step: &Step) -> Result<Outcome, Self::Error>;
}

/// The deployment in progress. Drive it with [`DeployPlan::poll`] until it returns `None`, then
/// [`DeployPlan::finish`].
#[derive(Debug)]
pub struct DeployPlan {
    config: DeployConfig,
    next: usize,
    /// The stage handed out and not yet reported.
    pending: Option<Stage>,
    /// The contracts instantiated so far.
    addresses: BTreeMap<Role, String>,
    d: Deployment,
}

impl DeployPlan {
    /// A plan for `deployer` on `chain_id`, starting in a block at `genesis` (unix seconds: the
    /// genesis of emission, staking and rewards). Refuses a config no deployment may use.
    pub fn new(
        config: DeployConfig,
        chain_id: &str,
        deployer: &str,
        genesis: u64,
    ) -> Result<Self, PlanError> {
        config.validate()?;
        if config.dao.is_some() {
            let mine = |a: &Option<String>| a.as_deref() == Some(deployer);
            if mine(&config.token_admin) || mine(&config.ics20.admin) {
                return Err(PlanError::Config(
                    "with a DAO, token_admin and ics20.admin must not be the deployer: it would \
                     keep the power to migrate the tokens or add ICS-20 tokens; leave them unset \
                     (tokens: nobody, ICS-20: the DAO)"
                        .into(),
                ));
            }
        }
        Ok(DeployPlan {
            config,
            next: 0,
            pending: None,
            addresses: BTreeMap::new(),
            d: Deployment {
                chain_id: chain_id.to_string(),
                deployer: deployer.to_string(),
                genesis,
                ..Deployment::default()
            },
        })
    }

    /// The configuration being deployed.
    pub fn config(&self) -> &DeployConfig {
        &self.config
    }

    /// The next step, or None when the plan is done. The step before must have been reported.
    pub fn poll(&mut self) -> Result<Option<Step>, PlanError> {
        if let Some(stage) = self.pending {
            return Err(PlanError::NotReported(format!("{stage:?}")));
        }
        while let Some(&stage) = STAGES.get(self.next) {
            self.next += 1;
            if stage == Stage::Wire(Wiring::FundPatientPool)
                && self.config.btt_patient_pool.is_zero()
            {
                continue;
            }
            if stage.dao_only() && self.config.dao.is_none() {
                continue;
            }
            let step = self.step(stage)?;
            self.pending = Some(stage);
            return Ok(Some(step));
        }
        Ok(None)
    }

    /// Carries out every step on `driver` and returns the deployment.
    pub fn drive<D: Driver>(mut self, driver: &mut D) -> Result<Deployment, D::Error> {
        while let Some(step) = self.poll()? {
            let outcome = driver.run(&step)?;
            self.report(&step, outcome)?;
        }
        Ok(self.finish()?)
    }

    /// Records what the chain answered to `step`, the step [`DeployPlan::poll`] handed out.
    pub fn report(&mut self, step: &Step, outcome: Outcome) -> Result<(), PlanError> {
        match (step, outcome) {
            (Step::Store(artifact), Outcome::Stored { code_id, checksum }) => {
                self.stored(*artifact, code_id, &checksum)
            }
            (Step::Instantiate(i), Outcome::Instantiated(address)) => {
                self.instantiated(i.role, &address)
            }
            (Step::Execute(e), Outcome::Executed) => self.executed(e.wiring),
            (Step::UpdateAdmin(u), Outcome::Executed) => {
                self.take_pending(Stage::AdminToDao(u.role))
            }
            (step, outcome) => Err(PlanError::Driver(format!(
                "{outcome:?} is no answer to {step:?}"
            ))),
        }
    }

    /// The driver stored `artifact` as `code_id`; `checksum` is its sha256 (hex).
    pub fn stored(
        &mut self,
        artifact: Artifact,
        code_id: u64,
        checksum: &str,
    ) -> Result<(), PlanError> {
        self.take_pending(Stage::Store(artifact))?;
        self.d.codes.insert(
            artifact.kind().to_string(),
            StoredCode {
                code_id,
                checksum: checksum.to_string(),
            },
        );
        Ok(())
    }

    /// The driver instantiated `role` at `address`.
    pub fn instantiated(&mut self, role: Role, address: &str) -> Result<(), PlanError> {
        self.take_pending(Stage::Instantiate(role))?;
        if address.is_empty() {
            return Err(PlanError::Driver(format!("{}: empty address", role.name())));
        }
        self.addresses.insert(role, address.to_string());
        Ok(())
    }

    /// The driver executed `wiring`.
    pub fn executed(&mut self, wiring: Wiring) -> Result<(), PlanError> {
        self.take_pending(Stage::Wire(wiring))
    }

    /// The deployment, once every step is done.
    pub fn finish(self) -> Result<Deployment, PlanError> {
        if self.pending.is_some() || self.next < STAGES.len() {
            return Err(PlanError::Unfinished(STAGES.len() - self.next));
        }
        let mut d = self.d;
        let mut addresses = self.addresses;
        d.contracts = Contracts::from_roles(|role| addresses.remove(&role).unwrap_or_default());
        Ok(d)
    }

    fn take_pending(&mut self, done: Stage) -> Result<(), PlanError> {
        match self.pending.take() {
            Some(stage) if stage == done => Ok(()),
            other => {
                self.pending = other;
                Err(PlanError::OutOfOrder {
                    expected: format!("{other:?}"),
                    got: format!("{done:?}"),
                })
            }
        }
    }

    fn step(&self, stage: Stage) -> Result<Step, PlanError> {
        Ok(match stage {
            Stage::Store(artifact) => Step::Store(artifact),
            Stage::Instantiate(role) => Step::Instantiate(Instantiate {
                role,
                code_id: self.code(role.artifact())?,
                label: format!("{}-{}", self.config.label_prefix, role.label()),
                admin: self.wasm_admin(role),
                msg: self.instantiate_msg(role)?,
            }),
            Stage::Wire(wiring) => Step::Execute(Execute {
                wiring,
                contract: self.addr(wiring.contract())?,
                msg: self.wiring_msg(wiring)?,
            }),
            Stage::AdminToDao(role) => Step::UpdateAdmin(UpdateAdmin {
                role,
                contract: self.addr(role)?,
                new_admin: self.addr(Role::Dao)?,
            }),
        })
    }

    fn code(&self, artifact: Artifact) -> Result<u64, PlanError> {
        self.d
            .codes
            .get(artifact.kind())
            .map(|c| c.code_id)
            .ok_or_else(|| PlanError::Missing(artifact.kind().to_string()))
    }

    fn addr(&self, role: Role) -> Result<String, PlanError> {
        self.addresses
            .get(&role)
            .cloned()
            .ok_or_else(|| PlanError::Missing(role.name().to_string()))
    }

    /// Who may migrate each contract: the configured token admin (or nobody) for BTK and BTT;
    /// the DAO for the rest when there is one (the DAO core itself only at the end, by
    /// [`Stage::AdminToDao`]), else the deployer.
    fn wasm_admin(&self, role: Role) -> Option<String> {
        match role {
            Role::Btk | Role::Btt => self.config.token_admin.clone(),
            Role::Dao => Some(self.d.deployer.clone()),
            _ => Some(self.governor()),
        }
    }

    /// The account that governs what the deployer does not need for the wiring: the DAO when
    /// there is one, else the deployer.
    fn governor(&self) -> String {
        self.addresses
            .get(&Role::Dao)
            .cloned()
            .unwrap_or_else(|| self.d.deployer.clone())
    }

    fn treasury(&self) -> String {
        self.config
            .treasury
            .clone()
            .unwrap_or_else(|| self.governor())
    }

    fn instantiate_msg(&self, role: Role) -> Result<serde_json::Value, PlanError> {
        let c = &self.config;
        let me = self.d.deployer.clone();
        let genesis = self.d.genesis;
        let treasury = self.treasury();
        let token_msg = |name: &str, symbol: &str, initial, cap| token::InstantiateMsg {
            name: name.into(),
            symbol: symbol.into(),
            decimals: c.decimals,
            initial_balances: initial,
            owner: Some(me.clone()),
            cap: Some(cap),
            minters: vec![],
            marketing: None,
        };
        match role {
            Role::Btk => to_value(&token_msg(
                BTK_NAME,
                BTK_SYMBOL,
                c.test_btk_allocations.clone(),
                BTK_CAP,
            )),
            // Fixed supply: everything there will ever be is minted here.
            Role::Btt => to_value(&token_msg(
                BTT_NAME,
                BTT_SYMBOL,
                vec![cw20::Cw20Coin {
                    address: me.clone(),
                    amount: c.btt_supply,
                }],
                c.btt_supply,
            )),
            Role::Vesting => to_value(&vesting::InstantiateMsg {
                owner: me,
                cw20_allowlist: vec![self.addr(Role::Btk)?, self.addr(Role::Btt)?],
            }),
            Role::Staking => {
                let s = &c.staking;
                to_value(&staking::InstantiateMsg {
                    governance: me,
                    compliance: self.governor(),
                    token: self.addr(Role::Btk)?,
                    slash_recipient: treasury,
                    work_reporter: None,
                    genesis,
                    epoch_seconds: s.epoch_seconds,
                    attestor_set_size: s.attestor_set_size,
                    window_epochs: s.window_epochs,
                    lock_seconds: s.lock_seconds,
                    unbonding_seconds: s.unbonding_seconds,
                    max_claims: s.max_claims,
                    fraud_slash: s.fraud_slash,
                    min_bond: None,
                    topup_grace_seconds: None,
                })
            }
            Role::Rewards => to_value(&rewards::InstantiateMsg {
                governance: me.clone(),
                btk: self.addr(Role::Btk)?,
                btt: self.addr(Role::Btt)?,
                staking: self.addr(Role::Staking)?,
                vesting: self.addr(Role::Vesting)?,
                // The attestation contract takes this role in the wiring below.
                reporter: me,
                genesis,
                epoch_seconds: c.rewards_epoch_seconds,
                patient_daily_cap: c.patient_daily_cap,
                max_units_per_t: None,
                challenge_seconds: Some(c.work_challenge_seconds),
                // The escrow comes after; it is linked in the wiring.
                escrow: None,
                max_btk_per_fee: Some(c.max_btk_per_fee),
            }),
            Role::Emission => to_value(&emission::InstantiateMsg {
                owner: me,
                token: self.addr(Role::Btk)?,
                genesis: Some(c.emission_genesis.unwrap_or(genesis)),
                compute_pool: self.addr(Role::Rewards)?,
                app_pool: self.addr(Role::Rewards)?,
                vesting: self.addr(Role::Vesting)?,
                foundation: c.foundation.clone().unwrap_or_else(|| treasury.clone()),
                operations: c.operations.clone().unwrap_or(treasury),
            }),
            Role::AssetNft => to_value(&asset_nft::InstantiateMsg {
                name: ASSET_NFT_NAME.into(),
                symbol: ASSET_NFT_SYMBOL.into(),
                admin: Some(me),
                compliance_officer: self.governor(),
                custodian: None,
                valuation: asset_nft::ValuationParams {
                    unit: VALUATION_UNIT.into(),
                    window: VALUATION_WINDOW,
                    freshness_secs: VALUATION_FRESHNESS_SECONDS,
                    quorum: 1,
                },
            }),
            Role::Fractional => to_value(&fractional::InstantiateMsg {
                admin: Some(me),
                share_code_id: self.code(Artifact::AssetShares)?,
                nft_contracts: vec![self.addr(Role::AssetNft)?],
                cw20_allowlist: vec![self.addr(Role::Btt)?],
            }),
            Role::PayfiEscrow => to_value(&payfi_escrow::InstantiateMsg {
                admin: Some(me),
                fee_bps: c.escrow_fee_bps,
                fee_collector: treasury,
                cw20_allowlist: vec![self.addr(Role::Btt)?, self.addr(Role::Btk)?],
                reporters: vec![],
                // Claims of unbound jobs are for nodes staking says may earn.
                staking: Some(self.addr(Role::Staking)?),
                job_dispute_seconds: c.job_dispute_seconds,
            }),
            Role::Attestation => {
                let a = &c.attestation;
                to_value(&attestation::InstantiateMsg {
                    governance: me,
                    staking: self.addr(Role::Staking)?,
                    escrow: Some(self.addr(Role::PayfiEscrow)?),
                    rewards: Some(self.addr(Role::Rewards)?),
                    asset_nft: Some(self.addr(Role::AssetNft)?),
                    // The registry comes after; it is linked in the wiring.
                    model_registry: None,
                    quorum_threshold: a.quorum_threshold,
                    quorum_kinds: a.quorum_kinds.clone(),
                    max_age_seconds: a.max_age_seconds,
                    max_future_seconds: a.max_future_seconds,
                    ibc_timeout_seconds: a.ibc_timeout_seconds,
                    peers: a.ibc_peers.clone(),
                })
            }
            // The model registry (#23): the escrow records served jobs, the attestation contract
            // sets accuracy; prices in BTT. The escrow is not told about it here, so jobs need not
            // name a registered model until governance sets the escrow's `model_registry`.
            Role::ModelRegistry => to_value(&model_registry::InstantiateMsg {
                admin: Some(me),
                evaluator: Some(self.addr(Role::Attestation)?),
                escrow: Some(self.addr(Role::PayfiEscrow)?),
                price_asset: model_registry::AssetInfo::Cw20(Addr::unchecked(
                    self.addr(Role::Btt)?,
                )),
            }),
            Role::DataVault => to_value(&data_vault::InstantiateMsg {
                name: DATA_VAULT_NAME.into(),
                symbol: DATA_VAULT_SYMBOL.into(),
                admin: Some(me),
                max_grant_seconds: MAX_GRANT_SECONDS,
                curators: vec![],
                answerers: vec![],
                cw20_allowlist: vec![self.addr(Role::Btt)?],
            }),
            // ICS-20 (#25): BTT and BTK, and no other cw20, may leave over IBC; new tokens only
            // by the configured admin.
            Role::Dao => self.dao_instantiate_msg(),
            Role::Ics20 => to_value(&ics20::InitMsg {
                default_timeout: c.ics20.default_timeout_seconds,
                gov_contract: c.ics20.admin.clone().unwrap_or_else(|| self.governor()),
                allowlist: [self.addr(Role::Btt)?, self.addr(Role::Btk)?]
                    .into_iter()
                    .map(|contract| ics20::AllowMsg {
                        contract,
                        gas_limit: c.ics20.gas_limit,
                    })
                    .collect(),
                default_gas_limit: None,
            }),
            // ICS-721 (#48, ADR 013): no peer until governance pins one (or the config names
            // some); voucher collections are asset-nft's code.
            Role::Ics721 => to_value(&ics721::InstantiateMsg {
                governance: self.governor(),
                asset_nft_code_id: self.code(Artifact::AssetNft)?,
                default_timeout_seconds: c.ics721.default_timeout_seconds,
                peers: c.ics721.ibc_peers.clone(),
            }),
        }
    }

    fn wiring_msg(&self, wiring: Wiring) -> Result<serde_json::Value, PlanError> {
        let attest = || self.addr(Role::Attestation);
        match wiring {
            Wiring::EmissionMintsBtk => to_value(&token::ExecuteMsg::SetMinter {
                minter: self.addr(Role::Emission)?,
                allowance: BTK_CAP,
            }),
            Wiring::FundPatientPool => to_value(&token::ExecuteMsg::Send {
                contract: self.addr(Role::Rewards)?,
                amount: self.config.btt_patient_pool,
                msg: cosmwasm_std::to_json_binary(&rewards::ReceiveMsg::FundPatientPool {})
                    .map_err(|e| PlanError::Serialize(e.to_string()))?,
            }),
            Wiring::StakingWorkReporter => to_value(&staking::ExecuteMsg::UpdateConfig {
                compliance: None,
                slash_recipient: None,
                work_reporter: Some(self.addr(Role::Rewards)?),
                fraud_slash: None,
                attestor_set_size: None,
                min_bond: None,
                topup_grace_seconds: None,
            }),
            Wiring::RewardsReporter => to_value(&rewards::ExecuteMsg::UpdateConfig {
                reporter: Some(attest()?),
                patient_daily_cap: None,
                max_units_per_t: None,
                challenge_seconds: None,
                escrow: None,
                max_btk_per_fee: None,
            }),
            Wiring::EscrowReporter => to_value(&payfi_escrow::ExecuteMsg::UpdateReporters {
                add: vec![attest()?],
                remove: vec![],
            }),
            Wiring::RewardsServedByEscrow => to_value(&rewards::ExecuteMsg::UpdateConfig {
                reporter: None,
                patient_daily_cap: None,
                max_units_per_t: None,
                challenge_seconds: None,
                escrow: Some(self.addr(Role::PayfiEscrow)?),
                max_btk_per_fee: None,
            }),
            Wiring::EscrowTellsRewards => to_value(&payfi_escrow::ExecuteMsg::UpdateConfig {
                fee_bps: None,
                fee_collector: None,
                staking: None,
                job_dispute_seconds: None,
                model_registry: None,
                rewards: Some(self.addr(Role::Rewards)?),
            }),
            Wiring::AssetNftValuer => {
                to_value(&asset_nft::ExecuteMsg::AddValuer { valuer: attest()? })
            }
            Wiring::AttestationModelRegistry => to_value(&attestation::ExecuteMsg::UpdateConfig {
                escrow: None,
                rewards: None,
                asset_nft: None,
                model_registry: Some(self.addr(Role::ModelRegistry)?),
                quorum_threshold: None,
                quorum_kinds: None,
                max_age_seconds: None,
                max_future_seconds: None,
                ibc_timeout_seconds: None,
            }),
            Wiring::RenounceBtk | Wiring::RenounceBtt => to_value(&renounce_ownership()),
            Wiring::HandOver(_) => to_value(&OwnershipMsg::UpdateOwnership(
                cw_ownable::Action::TransferOwnership {
                    new_owner: self.addr(Role::Dao)?,
                    expiry: None,
                },
            )),
            Wiring::DaoAcceptsControl => {
                let accept = cosmwasm_std::to_json_binary(&OwnershipMsg::UpdateOwnership(
                    cw_ownable::Action::AcceptOwnership,
                ))
                .map_err(|e| PlanError::Serialize(e.to_string()))?;
                let msgs = DAO_GOVERNED
                    .iter()
                    .map(|&role| {
                        Ok(cosmwasm_std::WasmMsg::Execute {
                            contract_addr: self.addr(role)?,
                            msg: accept.clone(),
                            funds: vec![],
                        }
                        .into())
                    })
                    .collect::<Result<Vec<_>, PlanError>>()?;
                to_value(&dao::core::ExecuteMsg::ExecuteAdminMsgs { msgs })
            }
            Wiring::DaoGovernsItself => {
                to_value(&dao::core::ExecuteMsg::NominateAdmin { admin: None })
            }
        }
    }

    /// The DAO: dao-dao-core with the deployer as bootstrap admin, voting by weight in a new
    /// cw4-group of the configured members, one dao-proposal-single module whose proposals only
    /// members may create (dao-pre-propose-single) and execute. Every module's wasm admin is the
    /// DAO.
    fn dao_instantiate_msg(&self) -> Result<serde_json::Value, PlanError> {
        use dao::core::{Admin, ModuleInstantiateInfo};
        use dao::proposal_single::{PercentageThreshold, PreProposeInfo, Threshold};
        let p = self
            .config
            .dao
            .as_ref()
            .ok_or_else(|| PlanError::Missing("the [dao] config".into()))?;
        let label = |what: &str| format!("{}-dao{what}", self.config.label_prefix);
        let module = |code_id, msg, what: &str| ModuleInstantiateInfo {
            code_id,
            msg,
            admin: Some(Admin::CoreModule {}),
            funds: vec![],
            label: label(what),
        };
        let voting = dao::voting_cw4::InstantiateMsg {
            group_contract: dao::voting_cw4::GroupContract::New {
                cw4_group_code_id: self.code(Artifact::Cw4Group)?,
                initial_members: p
                    .members
                    .iter()
                    .map(|m| dao::voting_cw4::Member {
                        addr: m.addr.clone(),
                        weight: m.weight,
                    })
                    .collect(),
            },
        };
        let pre_propose = dao::pre_propose_single::InstantiateMsg {
            deposit_info: None,
            submission_policy: dao::pre_propose_single::SubmissionPolicy::Specific {
                dao_members: true,
                allowlist: vec![],
                denylist: vec![],
            },
            extension: cosmwasm_std::Empty {},
        };
        let proposals = dao::proposal_single::InstantiateMsg {
            threshold: Threshold::AbsolutePercentage {
                percentage: match p.pass_percent {
                    Some(share) => PercentageThreshold::Percent(share),
                    None => PercentageThreshold::Majority {},
                },
            },
            max_voting_period: dao::Duration::Time(p.voting_period_seconds),
            min_voting_period: None,
            only_members_execute: true,
            allow_revoting: false,
            pre_propose_info: PreProposeInfo::ModuleMayPropose {
                info: module(
                    self.code(Artifact::DaoPreProposeSingle)?,
                    binary(&pre_propose)?,
                    "-pre-propose",
                ),
            },
            close_proposal_on_execution_failure: true,
            veto: None,
        };
        to_value(&dao::core::InstantiateMsg {
            admin: Some(self.d.deployer.clone()),
            name: p.name.clone(),
            description: p.description.clone(),
            image_url: None,
            automatically_add_cw20s: true,
            automatically_add_cw721s: true,
            voting_module_instantiate_info: module(
                self.code(Artifact::DaoVotingCw4)?,
                binary(&voting)?,
                "-voting",
            ),
            proposal_modules_instantiate_info: vec![module(
                self.code(Artifact::DaoProposalSingle)?,
                binary(&proposals)?,
                "-proposals",
            )],
            initial_items: None,
            dao_uri: None,
        })
    }
}

/// cw-ownable's `update_ownership`, which every governed contract speaks (ADR 008) with the same
/// JSON: `{"update_ownership": <action>}`.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum OwnershipMsg {
    UpdateOwnership(cw_ownable::Action),
}

/// A nested message (a DAO module's instantiate message) as JSON bytes.
fn binary<M: Serialize>(msg: &M) -> Result<cosmwasm_std::Binary, PlanError> {
    cosmwasm_std::to_json_binary(msg).map_err(|e| PlanError::Serialize(e.to_string()))
}

/// `UpdateOwnership(RenounceOwnership)` of a token, the plan's last steps.
pub fn renounce_ownership() -> token::ExecuteMsg {
    token::ExecuteMsg::UpdateOwnership(cw_ownable::Action::RenounceOwnership)
}

fn to_value<M: Serialize>(msg: &M) -> Result<serde_json::Value, PlanError> {
    serde_json::to_value(msg).map_err(|e| PlanError::Serialize(e.to_string()))
}
