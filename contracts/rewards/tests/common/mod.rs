#![allow(dead_code)]

use bithive_cw_test_fixtures::{cw20_base_code, cw20_minted_by};
use bithive_formulas::enode::EnodeInputs;
use bithive_rewards::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReceiveMsg};
use bithive_rewards::state::ComputePool;
use bithive_rewards::ContractError;
use bithive_staking::msg::{ExecuteMsg as StakingMsg, ReceiveMsg as StakingReceive, Tier};
use cosmwasm_std::{to_json_binary, Addr, Decimal, Uint128};
use cw20::{BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg};
use cw_multi_test::{App, AppBuilder, ContractWrapper, Executor};

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;

pub struct Suite {
    pub app: App,
    pub btk: Addr,
    pub btt: Addr,
    pub staking: Addr,
    pub vesting: Addr,
    pub rewards: Addr,
    pub gov: Addr,
    pub reporter: Addr,
    pub nodes: Vec<Addr>,
}

fn token(app: &mut App, id: u64, gov: &Addr, symbol: &str, holders: &[Addr]) -> Addr {
    let name = format!("BitHive {symbol}");
    let init = cw20_minted_by(&name, symbol, gov, holders, 1_000_000_000 * BTK);
    app.instantiate_contract(id, gov.clone(), &init, &[], symbol, None)
        .unwrap()
}

pub fn suite(n_nodes: usize) -> Suite {
    suite_with(n_nodes, 0, None)
}

/// A suite whose genesis lies `since_genesis` seconds in the past (`ERA_SECONDS`: the first
/// halving is now, so a 4 T node needs 800 BTK and one holding 400 BTK earns at 50 % during the
/// top-up grace), with staking's `topup_grace_seconds` (default 30 days).
pub fn suite_with(n_nodes: usize, since_genesis: u64, grace: Option<u64>) -> Suite {
    let mut app = AppBuilder::new().build(|_, _, _| {});
    let gov = app.api().addr_make("gov");
    let reporter = app.api().addr_make("reporter");
    let nodes: Vec<Addr> = (0..n_nodes)
        .map(|i| app.api().addr_make(&format!("node{i}")))
        .collect();
    let cw20_id = cw20_base_code(&mut app);
    let mut holders = nodes.clone();
    holders.push(gov.clone());
    let btk = token(&mut app, cw20_id, &gov, "BTK", &holders);
    let btt = token(&mut app, cw20_id, &gov, "BTT", std::slice::from_ref(&gov));
    let genesis = app.block_info().time.seconds() - since_genesis;
    let vesting_id = app.store_code(Box::new(ContractWrapper::new(
        bithive_vesting::contract::execute,
        bithive_vesting::contract::instantiate,
        bithive_vesting::contract::query,
    )));
    let vesting = app
        .instantiate_contract(
            vesting_id,
            gov.clone(),
            &bithive_vesting::msg::InstantiateMsg {
                owner: gov.to_string(),
                cw20_allowlist: vec![btk.to_string()],
            },
            &[],
            "vesting",
            None,
        )
        .unwrap();
    let staking_id = app.store_code(Box::new(ContractWrapper::new(
        bithive_staking::contract::execute,
        bithive_staking::contract::instantiate,
        bithive_staking::contract::query,
    )));
    let staking = app
        .instantiate_contract(
            staking_id,
            gov.clone(),
            &bithive_staking::msg::InstantiateMsg {
                governance: gov.to_string(),
                compliance: gov.to_string(),
                token: btk.to_string(),
                slash_recipient: gov.to_string(),
                work_reporter: None,
                genesis,
                epoch_seconds: DAY,
                attestor_set_size: 3,
                window_epochs: 7,
                lock_seconds: None,
                unbonding_seconds: 7 * DAY,
                max_claims: 4,
                fraud_slash: Decimal::percent(10),
                min_bond: None,
                topup_grace_seconds: grace,
            },
            &[],
            "staking",
            None,
        )
        .unwrap();
    let rewards_id = app.store_code(Box::new(ContractWrapper::new(
        bithive_rewards::contract::execute,
        bithive_rewards::contract::instantiate,
        bithive_rewards::contract::query,
    )));
    let rewards = app
        .instantiate_contract(
            rewards_id,
            gov.clone(),
            &InstantiateMsg {
                governance: gov.to_string(),
                btk: btk.to_string(),
                btt: btt.to_string(),
                staking: staking.to_string(),
                vesting: vesting.to_string(),
                reporter: reporter.to_string(),
                genesis,
                epoch_seconds: DAY,
                patient_daily_cap: Uint128::new(2_000 * BTK),
                max_units_per_t: None,
                challenge_seconds: None,
            },
            &[],
            "rewards",
            None,
        )
        .unwrap();
    let update = StakingMsg::UpdateConfig {
        governance: None,
        compliance: None,
        slash_recipient: None,
        work_reporter: Some(rewards.to_string()),
        fraud_slash: None,
        attestor_set_size: None,
        min_bond: None,
        topup_grace_seconds: None,
    };
    app.execute_contract(gov.clone(), staking.clone(), &update, &[])
        .unwrap();
    Suite {
        app,
        btk,
        btt,
        staking,
        vesting,
        rewards,
        gov,
        reporter,
        nodes,
    }
}

pub fn err(e: anyhow::Error) -> ContractError {
    e.downcast().unwrap()
}

pub fn inputs() -> EnodeInputs {
    EnodeInputs {
        pcompute: Decimal::percent(250),
        penergy: Decimal::one(),
        tasks_successful: 1,
        tasks_total: 1,
        availability: Decimal::one(),
        dfactor: Decimal::one(),
    }
}

impl Suite {
    pub fn advance(&mut self, secs: u64) {
        bithive_cw_test_fixtures::advance(&mut self.app, secs);
    }
    pub fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<()> {
        self.app
            .execute_contract(who.clone(), self.rewards.clone(), msg, &[])
            .map(|_| ())
    }
    /// Registers node `i` (4 T) with the given pledge.
    pub fn join(&mut self, i: usize, pledge: u128) {
        let node = self.nodes[i].clone();
        let sk = bithive_signed_attestation::signing::signing_key(&[i as u8 + 1; 32]).unwrap();
        let key = bithive_signed_attestation::signing::public_key(&sk);
        let operator_signature = bithive_signed_attestation::signing::sign_operator_pop(
            &sk,
            &self.app.block_info().chain_id,
            self.staking.as_str(),
            node.as_str(),
        )
        .unwrap();
        let msg = StakingMsg::RegisterNode {
            capacity_t: 4,
            tier: Tier::T1,
            operator_key: key,
            operator_signature,
        };
        self.app
            .execute_contract(node.clone(), self.staking.clone(), &msg, &[])
            .unwrap();
        if pledge > 0 {
            let send = Cw20ExecuteMsg::Send {
                contract: self.staking.to_string(),
                amount: Uint128::new(pledge),
                msg: to_json_binary(&StakingReceive::Bond {}).unwrap(),
            };
            self.app
                .execute_contract(node, self.btk.clone(), &send, &[])
                .unwrap();
        }
    }
    /// Adds `amount` to node `i`'s pledge.
    pub fn bond(&mut self, i: usize, amount: u128) {
        let send = Cw20ExecuteMsg::Send {
            contract: self.staking.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&StakingReceive::Bond {}).unwrap(),
        };
        self.app
            .execute_contract(self.nodes[i].clone(), self.btk.clone(), &send, &[])
            .unwrap();
    }
    pub fn fund(&mut self, hook: ReceiveMsg, amount: u128) -> anyhow::Result<()> {
        let token = if matches!(hook, ReceiveMsg::FundPatientPool {}) {
            self.btt.clone()
        } else {
            self.btk.clone()
        };
        let send = Cw20ExecuteMsg::Send {
            contract: self.rewards.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&hook).unwrap(),
        };
        self.app
            .execute_contract(self.gov.clone(), token, &send, &[])
            .map(|_| ())
    }
    pub fn report(&mut self, i: usize, units: u128) -> anyhow::Result<()> {
        let msg = ExecuteMsg::ReportWork {
            node: self.nodes[i].to_string(),
            units: Uint128::new(units),
            enode: inputs(),
        };
        let reporter = self.reporter.clone();
        self.exec(&reporter, &msg)
    }
    pub fn balance(&self, token: &Addr, who: &Addr) -> u128 {
        let r: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                token,
                &Cw20QueryMsg::Balance {
                    address: who.to_string(),
                },
            )
            .unwrap();
        r.balance.u128()
    }
    pub fn pool(&self) -> ComputePool {
        self.app
            .wrap()
            .query_wasm_smart(&self.rewards, &QueryMsg::ComputePool {})
            .unwrap()
    }
}
