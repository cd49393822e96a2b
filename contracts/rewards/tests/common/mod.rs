#![allow(dead_code)]

use bithive_cw_test_fixtures::contracts::{
    instantiate, rewards_instantiate, staking_instantiate, staking_work_reporter,
    vesting_instantiate,
};
use bithive_cw_test_fixtures::{contract, cw20_balance, cw20_base_code, cw20_minted_by, cw20_send};
use bithive_interface::rewards::{JobOutcome, MeasuredWork};
use bithive_rewards::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReceiveMsg};
use bithive_rewards::state::ComputePool;
use bithive_rewards::ContractError;
use bithive_staking::msg::{ExecuteMsg as StakingMsg, ReceiveMsg as StakingReceive, Tier};
use cosmwasm_std::{Addr, Decimal, Decimal256, Uint128};
use cw_multi_test::{App, AppBuilder, Executor};

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;
/// The escrow fee each served job pays in the suite: with the suite's `max_btk_per_fee` (10^9) it
/// never binds; the fee cap has its own tests.
pub const FEE: u128 = 1_000;
/// The suite's `max_btk_per_fee`.
pub const SUITE_BTK_PER_FEE: u128 = 1_000_000_000;

pub struct Suite {
    pub app: App,
    pub btk: Addr,
    pub btt: Addr,
    pub staking: Addr,
    pub vesting: Addr,
    pub rewards: Addr,
    pub gov: Addr,
    pub reporter: Addr,
    /// Plays the escrow: tells rewards how jobs settled (the escrow's own tests drive the real
    /// one, `contracts/payfi-escrow/tests/served_units.rs`).
    pub escrow: Addr,
    pub nodes: Vec<Addr>,
}

fn token(app: &mut App, id: u64, gov: &Addr, symbol: &str, holders: &[Addr]) -> Addr {
    let name = format!("BitHive {symbol}");
    let init = cw20_minted_by(&name, symbol, gov, holders, 1_000_000_000 * BTK);
    instantiate(app, id, gov, &init, symbol)
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
    let escrow = app.api().addr_make("escrow");
    let nodes = bithive_cw_test_fixtures::suite::node_addrs(app.api(), n_nodes);
    let cw20_id = cw20_base_code(&mut app);
    let mut holders = nodes.clone();
    holders.push(gov.clone());
    let btk = token(&mut app, cw20_id, &gov, "BTK", &holders);
    let btt = token(&mut app, cw20_id, &gov, "BTT", std::slice::from_ref(&gov));
    let genesis = app.block_info().time.seconds() - since_genesis;
    let vesting_id = app.store_code(contract!(bithive_vesting));
    let vesting_init = vesting_instantiate(&gov, &btk);
    let vesting = instantiate(&mut app, vesting_id, &gov, &vesting_init, "vesting");
    let staking_id = app.store_code(contract!(bithive_staking));
    let staking_init = bithive_staking::msg::InstantiateMsg {
        topup_grace_seconds: grace,
        ..staking_instantiate(&gov, &btk, genesis)
    };
    let staking = instantiate(&mut app, staking_id, &gov, &staking_init, "staking");
    let rewards_id = app.store_code(contract!(bithive_rewards));
    let rewards_init = InstantiateMsg {
        reporter: reporter.to_string(),
        escrow: Some(escrow.to_string()),
        max_btk_per_fee: Some(Decimal256::from_ratio(SUITE_BTK_PER_FEE, 1u8)),
        ..rewards_instantiate(&gov, &btk, &btt, &staking, &vesting, genesis)
    };
    let rewards = instantiate(&mut app, rewards_id, &gov, &rewards_init, "rewards");
    app.execute_contract(
        gov.clone(),
        staking.clone(),
        &staking_work_reporter(&rewards),
        &[],
    )
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
        escrow,
        nodes,
    }
}

pub fn err(e: anyhow::Error) -> ContractError {
    e.downcast().unwrap()
}

/// What the attestors measured (Enode 2.5 with every job paid): 162.5 TFLOPS at 65 W, a T1
/// node's declared power.
pub fn measured() -> MeasuredWork {
    MeasuredWork {
        pcompute: Decimal::permille(162_500),
        penergy: Decimal::from_ratio(65u8, 1u8),
        availability: Decimal::one(),
        dfactor: Decimal::one(),
    }
}

impl Suite {
    pub fn advance(&mut self, secs: u64) {
        bithive_cw_test_fixtures::advance(&mut self.app, secs);
    }
    pub fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<()> {
        bithive_cw_test_fixtures::exec(&mut self.app, who, &self.rewards, msg)
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
            .execute_contract(node, self.staking.clone(), &msg, &[])
            .unwrap();
        if pledge > 0 {
            self.bond(i, pledge);
        }
    }
    /// Adds `amount` to node `i`'s pledge.
    pub fn bond(&mut self, i: usize, amount: u128) {
        let bond = StakingReceive::Bond {};
        let (node, btk, staking) = (&self.nodes[i], &self.btk, &self.staking);
        cw20_send(&mut self.app, node, btk, staking, amount, &bond).unwrap();
    }
    pub fn fund(&mut self, hook: ReceiveMsg, amount: u128) -> anyhow::Result<()> {
        let token = if matches!(hook, ReceiveMsg::FundPatientPool {}) {
            self.btt.clone()
        } else {
            self.btk.clone()
        };
        cw20_send(
            &mut self.app,
            &self.gov,
            &token,
            &self.rewards,
            amount,
            &hook,
        )
        .map(|_| ())
    }
    /// The escrow tells rewards node `i`'s job settled with `outcome`.
    pub fn settle(&mut self, i: usize, outcome: JobOutcome) -> anyhow::Result<()> {
        let msg = ExecuteMsg::RecordOutcome {
            node: self.nodes[i].to_string(),
            outcome,
        };
        let escrow = self.escrow.clone();
        self.exec(&escrow, &msg)
    }
    /// Node `i` is paid one job worth `units` (fee [`FEE`]).
    pub fn serve(&mut self, i: usize, units: u128) {
        let paid = JobOutcome::Paid {
            units: Uint128::new(units),
            fee: Uint128::new(FEE),
        };
        self.settle(i, paid).unwrap();
    }
    /// The quorum's report of node `i` ([`measured`]).
    pub fn report_measured(&mut self, i: usize) -> anyhow::Result<()> {
        let msg = ExecuteMsg::ReportWork {
            node: self.nodes[i].to_string(),
            measured: measured(),
        };
        let reporter = self.reporter.clone();
        self.exec(&reporter, &msg)
    }
    /// Node `i` serves one job of `units`, then the quorum reports it: `units x 2.5` of weight.
    pub fn report(&mut self, i: usize, units: u128) -> anyhow::Result<()> {
        self.serve(i, units);
        self.report_measured(i)
    }
    /// Staking forfeits node `i`'s weight of the collecting epoch (a re-execution proof).
    pub fn forfeit(&mut self, i: usize) {
        let msg = ExecuteMsg::ForfeitEpoch {
            node: self.nodes[i].to_string(),
        };
        let staking = self.staking.clone();
        self.exec(&staking, &msg).unwrap();
    }
    pub fn balance(&self, token: &Addr, who: &Addr) -> u128 {
        cw20_balance(&self.app, token, who)
    }
    pub fn pool(&self) -> ComputePool {
        self.app
            .wrap()
            .query_wasm_smart(&self.rewards, &QueryMsg::ComputePool {})
            .unwrap()
    }
}
