//! The economics world on the committed wasm artifacts in cosmwasm-vm 3 (bithive-vm-host).
#![allow(dead_code)]

use std::path::PathBuf;

use bithive_formulas::emission::CAP;
use bithive_vm_host::{Chain, ChainConfig};
use cosmwasm_std::{to_json_binary, Decimal, Uint128};
use cw20::Cw20Coin;

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;

pub fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-wasm.sh)", path.display()))
}

pub struct VmWorld {
    pub chain: Chain,
    pub btk: String,
    pub btt: String,
    pub emission: String,
    pub vesting: String,
    pub staking: String,
    pub rewards: String,
    pub gov: String,
    pub reporter: String,
    pub treasury: String,
}

impl VmWorld {
    pub fn new(operators: &[String], initial: u128) -> VmWorld {
        let mut chain = Chain::new(ChainConfig::default()).expect("chain");
        let gov = chain.addr("governance");
        let reporter = chain.addr("reporter");
        let treasury = chain.addr("treasury");
        let foundation = chain.addr("foundation");
        let operations = chain.addr("operations");
        let genesis = chain.block().time.seconds();
        let code = |c: &mut Chain, n: &str| c.store_code(&artifact(n)).expect("store code");
        let (token_id, vesting_id, staking_id, rewards_id, emission_id) = (
            code(&mut chain, "bithive_token.wasm"),
            code(&mut chain, "bithive_vesting.wasm"),
            code(&mut chain, "bithive_staking.wasm"),
            code(&mut chain, "bithive_rewards.wasm"),
            code(&mut chain, "bithive_emission.wasm"),
        );
        let token = |c: &mut Chain, symbol: &str, balances: Vec<Cw20Coin>, cap: Option<u128>| {
            let msg = bithive_token::msg::InstantiateMsg {
                name: format!("BitHive {symbol}"),
                symbol: symbol.into(),
                decimals: 6,
                initial_balances: balances,
                owner: Some(gov.clone()),
                cap: cap.map(Uint128::new),
                minters: vec![],
                marketing: None,
            };
            c.instantiate(token_id, &gov, &msg, &[], symbol, None).expect("token").0
        };
        let btk = token(
            &mut chain,
            "BTK",
            operators.iter().map(|o| Cw20Coin { address: o.clone(), amount: Uint128::new(initial) }).collect(),
            Some(CAP),
        );
        let btt = token(&mut chain, "BTT", vec![Cw20Coin { address: gov.clone(), amount: Uint128::new(1_000_000 * BTK) }], None);
        let vesting = chain
            .instantiate(
                vesting_id,
                &gov,
                &bithive_vesting::msg::InstantiateMsg { owner: gov.clone(), cw20_allowlist: vec![btk.clone()] },
                &[],
                "vesting",
                Some(&gov),
            )
            .expect("vesting")
            .0;
        let staking = chain
            .instantiate(
                staking_id,
                &gov,
                &bithive_staking::msg::InstantiateMsg {
                    governance: gov.clone(),
                    compliance: gov.clone(),
                    token: btk.clone(),
                    slash_recipient: treasury.clone(),
                    work_reporter: None,
                    genesis,
                    epoch_seconds: DAY,
                    attestor_set_size: 3,
                    window_epochs: 7,
                    lock_seconds: None,
                    unbonding_seconds: 21 * DAY,
                    max_claims: 8,
                    fraud_slash: Decimal::percent(20),
                },
                &[],
                "staking",
                Some(&gov),
            )
            .expect("staking")
            .0;
        let rewards = chain
            .instantiate(
                rewards_id,
                &gov,
                &bithive_rewards::msg::InstantiateMsg {
                    governance: gov.clone(),
                    btk: btk.clone(),
                    btt: btt.clone(),
                    staking: staking.clone(),
                    vesting: vesting.clone(),
                    reporter: reporter.clone(),
                    genesis,
                    epoch_seconds: DAY,
                    patient_daily_cap: Uint128::new(3_000 * BTK),
                },
                &[],
                "rewards",
                Some(&gov),
            )
            .expect("rewards")
            .0;
        let emission = chain
            .instantiate(
                emission_id,
                &gov,
                &bithive_emission::msg::InstantiateMsg {
                    owner: gov.clone(),
                    token: btk.clone(),
                    genesis: Some(genesis),
                    compute_pool: rewards.clone(),
                    app_pool: rewards.clone(),
                    vesting: vesting.clone(),
                    foundation,
                    operations,
                },
                &[],
                "emission",
                Some(&gov),
            )
            .expect("emission")
            .0;
        let initial_total = initial * operators.len() as u128;
        chain
            .execute(
                &btk,
                &gov,
                &bithive_token::msg::ExecuteMsg::SetMinter {
                    minter: emission.clone(),
                    allowance: Uint128::new(CAP - initial_total),
                },
                &[],
            )
            .expect("set minter");
        chain
            .execute(
                &staking,
                &gov,
                &bithive_staking::msg::ExecuteMsg::UpdateConfig {
                    governance: None,
                    compliance: None,
                    slash_recipient: None,
                    work_reporter: Some(rewards.clone()),
                    fraud_slash: None,
                    attestor_set_size: None,
                },
                &[],
            )
            .expect("wire staking");
        VmWorld { chain, btk, btt, emission, vesting, staking, rewards, gov, reporter, treasury }
    }

    pub fn balance(&self, token: &str, who: &str) -> u128 {
        let r: cw20::BalanceResponse = self
            .chain
            .query(token, &cw20::Cw20QueryMsg::Balance { address: who.to_string() })
            .expect("balance");
        r.balance.u128()
    }

    /// cw20 Send with a hook; returns the gas used.
    pub fn send<T: serde::Serialize>(&mut self, token: &str, from: &str, contract: &str, amount: u128, hook: &T) -> u64 {
        let msg = cw20::Cw20ExecuteMsg::Send {
            contract: contract.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(hook).expect("hook"),
        };
        self.chain.execute(token, from, &msg, &[]).expect("send").gas_used
    }
}
