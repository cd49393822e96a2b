//! The BitHive deployment as `bithive deploy` makes it (the deployment plan), seen through its
//! economics: the two tokens and the four economics contracts wired together as on chain:
//! emission mints BTK into the rewards pools and vesting, staking takes pledges and work records
//! from rewards, rewards pays through vesting.
//!
//! The world runs on a [`Ledger`]: [`MultiTest`] (cw-multi-test, the contracts as Rust code) or
//! [`Vm`] (the committed `artifacts/*.wasm` in cosmwasm-vm 3 through `bithive-vm-host`). The
//! integration story ([`year::a_simulated_year`]) is written once against the trait and runs on
//! both.

mod ledger;
pub mod year;

pub use ledger::{multi_test, Ledger, MultiTest, PlanDriver, Vm};

use bithive_deploy_plan::{DeployConfig, DeployPlan, StakingParams};
use cosmwasm_std::{to_json_binary, Decimal, Uint128};
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg, TokenInfoResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;

pub struct World<L: Ledger> {
    pub ledger: L,
    pub btk: String,
    pub btt: String,
    pub emission: String,
    pub vesting: String,
    pub staking: String,
    pub rewards: String,
    pub gov: String,
    pub reporter: String,
    pub treasury: String,
    pub foundation: String,
    pub operations: String,
    pub genesis: u64,
    /// BTK given to node operators at genesis (outside emission).
    pub initial_btk: u128,
}

impl<L: Ledger> World<L> {
    /// The deployment plan of `bithive deploy`, carried out on `ledger` by the account
    /// "governance"; `operators` each get `initial` BTK at genesis to pledge with. What the world
    /// sets apart from the plan's defaults is [`World::config`]; after the plan, one governance
    /// call makes the account "reporter" the rewards contract's work reporter, so the stories
    /// report work directly (on a chain the attestation contract reports, after a quorum of
    /// attestors signed).
    pub fn new(mut ledger: L, operators: &[String], initial: u128) -> World<L> {
        let gov = ledger.addr("governance");
        let reporter = ledger.addr("reporter");
        let treasury = ledger.addr("treasury");
        let foundation = ledger.addr("science-foundation");
        let operations = ledger.addr("operations");
        let genesis = ledger.now();
        let chain_id = ledger.chain_id();
        let allocations: Vec<Cw20Coin> = operators
            .iter()
            .map(|o| Cw20Coin {
                address: o.clone(),
                amount: Uint128::new(initial),
            })
            .collect();
        let config = World::<L>::config(&treasury, &foundation, &operations, allocations);
        let plan = DeployPlan::new(config, &chain_id, &gov, genesis).expect("deployment plan");
        let deployment = plan
            .drive(&mut PlanDriver {
                ledger: &mut ledger,
                deployer: &gov,
            })
            .unwrap_or_else(|e| panic!("the deployment plan: {e}"));
        let c = &deployment.contracts;
        let mut w = World {
            btk: c.btk.clone(),
            btt: c.btt.clone(),
            emission: c.emission.clone(),
            vesting: c.vesting.clone(),
            staking: c.staking.clone(),
            rewards: c.rewards.clone(),
            ledger,
            gov,
            reporter,
            treasury,
            foundation,
            operations,
            genesis,
            initial_btk: initial * operators.len() as u128,
        };
        // The stories model the economy, not the metering: `reporter` reports work and tells
        // rewards the jobs a node served, as the attestation contract and the escrow do in a
        // deployment (their own tests cover that path).
        let report_directly = bithive_rewards::msg::ExecuteMsg::UpdateConfig {
            reporter: Some(w.reporter.clone()),
            patient_daily_cap: None,
            max_units_per_t: None,
            challenge_seconds: None,
            escrow: Some(w.reporter.clone()),
            max_btk_per_fee: None,
        };
        let (gov, rewards) = (w.gov.clone(), w.rewards.clone());
        w.exec(&gov, &rewards, &report_directly)
            .expect("reporter for the stories");
        w
    }

    /// The plan's configuration for the world: its own treasury, foundation and operations
    /// accounts (so the story can tell slashes from vesting), a 20 % fraud slash, an attestor
    /// set of 3, 3,000 BTT a patient a day, no work challenge window (the stories report work
    /// directly), no binding fee cap (`max_btk_per_fee` 10^12: the stories' jobs pay a fee of 1),
    /// the patient pool funded by the story itself, and the operators' genesis BTK.
    pub fn config(
        treasury: &str,
        foundation: &str,
        operations: &str,
        test_btk_allocations: Vec<Cw20Coin>,
    ) -> DeployConfig {
        DeployConfig {
            staking: StakingParams {
                attestor_set_size: 3,
                fraud_slash: Decimal::percent(20),
                ..StakingParams::default()
            },
            work_challenge_seconds: 0,
            max_btk_per_fee: cosmwasm_std::Decimal256::from_ratio(10u128.pow(12), 1u8),
            patient_daily_cap: Uint128::new(3_000 * BTK),
            btt_patient_pool: Uint128::zero(),
            treasury: Some(treasury.into()),
            foundation: Some(foundation.into()),
            operations: Some(operations.into()),
            test_btk_allocations,
            ..DeployConfig::default()
        }
    }

    pub fn now(&self) -> u64 {
        self.ledger.now()
    }

    pub fn advance(&mut self, secs: u64) {
        self.ledger.advance(secs);
    }

    /// Executes `msg` on `contract` from `sender` (no funds).
    pub fn exec<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &M,
    ) -> Result<(), String> {
        self.ledger.execute(sender, contract, msg)
    }

    pub fn query<M: Serialize, T: DeserializeOwned>(&self, contract: &str, msg: &M) -> T {
        self.ledger.query(contract, msg)
    }

    pub fn balance(&self, token: &str, who: &str) -> u128 {
        let r: BalanceResponse = self.query(
            token,
            &Cw20QueryMsg::Balance {
                address: who.to_string(),
            },
        );
        r.balance.u128()
    }

    pub fn supply(&self, token: &str) -> u128 {
        let r: TokenInfoResponse = self.query(token, &Cw20QueryMsg::TokenInfo {});
        r.total_supply.u128()
    }

    /// cw20 Send of `amount` from `from` to `contract` with hook `msg`.
    pub fn send<T: Serialize>(
        &mut self,
        token: &str,
        from: &str,
        contract: &str,
        amount: u128,
        msg: &T,
    ) -> Result<(), String> {
        let send = Cw20ExecuteMsg::Send {
            contract: contract.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).map_err(|e| e.to_string())?,
        };
        self.exec(from, token, &send)
    }
}
