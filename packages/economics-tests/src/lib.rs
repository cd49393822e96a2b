//! A multi-test world with the two tokens and the four economics contracts wired together as on
//! chain: emission mints BTK into the rewards pools and vesting, staking takes pledges and work
//! records from rewards, rewards pays through vesting.

use bithive_formulas::emission::CAP;
use bithive_token::msg::InstantiateMsg as TokenInit;
use cosmwasm_std::{to_json_binary, Addr, Decimal, Empty, Uint128};
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg, TokenInfoResponse};
use cw_multi_test::{App, AppBuilder, Contract, ContractWrapper, Executor};

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;

macro_rules! wrap {
    ($c:ident) => {
        Box::new(
            ContractWrapper::new(
                $c::contract::execute,
                $c::contract::instantiate,
                $c::contract::query,
            )
            .with_migrate($c::contract::migrate),
        )
    };
}

pub fn token_code() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        bithive_token::contract::execute,
        bithive_token::contract::instantiate,
        bithive_token::contract::query,
    ))
}
pub fn emission_code() -> Box<dyn Contract<Empty>> {
    wrap!(bithive_emission)
}
pub fn vesting_code() -> Box<dyn Contract<Empty>> {
    wrap!(bithive_vesting)
}
pub fn staking_code() -> Box<dyn Contract<Empty>> {
    wrap!(bithive_staking)
}
pub fn rewards_code() -> Box<dyn Contract<Empty>> {
    wrap!(bithive_rewards)
}

pub struct World {
    pub app: App,
    pub btk: Addr,
    pub btt: Addr,
    pub emission: Addr,
    pub vesting: Addr,
    pub staking: Addr,
    pub rewards: Addr,
    pub gov: Addr,
    pub reporter: Addr,
    pub treasury: Addr,
    pub foundation: Addr,
    pub operations: Addr,
    pub genesis: u64,
    /// BTK given to node operators at genesis (outside emission).
    pub initial_btk: u128,
}

impl World {
    /// `operators` each get `initial` BTK to pledge with.
    pub fn new(operators: &[Addr], initial: u128) -> World {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let api = app.api();
        let gov = api.addr_make("governance");
        let reporter = api.addr_make("reporter");
        let treasury = api.addr_make("treasury");
        let foundation = api.addr_make("science-foundation");
        let operations = api.addr_make("operations");
        let genesis = app.block_info().time.seconds();
        let token_id = app.store_code(token_code());
        let initial_btk = initial * operators.len() as u128;
        let token = |app: &mut App, symbol: &str, balances: Vec<Cw20Coin>, cap: Option<u128>| {
            app.instantiate_contract(
                token_id,
                gov.clone(),
                &TokenInit {
                    name: format!("BitHive {symbol}"),
                    symbol: symbol.into(),
                    decimals: 6,
                    initial_balances: balances,
                    owner: Some(gov.to_string()),
                    cap: cap.map(Uint128::new),
                    minters: vec![],
                    marketing: None,
                },
                &[],
                symbol,
                None,
            )
            .unwrap()
        };
        let btk = token(
            &mut app,
            "BTK",
            operators
                .iter()
                .map(|o| Cw20Coin {
                    address: o.to_string(),
                    amount: Uint128::new(initial),
                })
                .collect(),
            Some(CAP),
        );
        let btt = token(
            &mut app,
            "BTT",
            vec![Cw20Coin {
                address: gov.to_string(),
                amount: Uint128::new(1_000_000_000 * BTK),
            }],
            None,
        );
        let vesting_id = app.store_code(vesting_code());
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
                Some(gov.to_string()),
            )
            .unwrap();
        let staking_id = app.store_code(staking_code());
        let staking = app
            .instantiate_contract(
                staking_id,
                gov.clone(),
                &bithive_staking::msg::InstantiateMsg {
                    governance: gov.to_string(),
                    compliance: gov.to_string(),
                    token: btk.to_string(),
                    slash_recipient: treasury.to_string(),
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
                Some(gov.to_string()),
            )
            .unwrap();
        let rewards_id = app.store_code(rewards_code());
        let rewards = app
            .instantiate_contract(
                rewards_id,
                gov.clone(),
                &bithive_rewards::msg::InstantiateMsg {
                    governance: gov.to_string(),
                    btk: btk.to_string(),
                    btt: btt.to_string(),
                    staking: staking.to_string(),
                    vesting: vesting.to_string(),
                    reporter: reporter.to_string(),
                    genesis,
                    epoch_seconds: DAY,
                    patient_daily_cap: Uint128::new(3_000 * BTK),
                },
                &[],
                "rewards",
                Some(gov.to_string()),
            )
            .unwrap();
        let emission_id = app.store_code(emission_code());
        let emission = app
            .instantiate_contract(
                emission_id,
                gov.clone(),
                &bithive_emission::msg::InstantiateMsg {
                    owner: gov.to_string(),
                    token: btk.to_string(),
                    genesis: Some(genesis),
                    compute_pool: rewards.to_string(),
                    app_pool: rewards.to_string(),
                    vesting: vesting.to_string(),
                    foundation: foundation.to_string(),
                    operations: operations.to_string(),
                },
                &[],
                "emission",
                Some(gov.to_string()),
            )
            .unwrap();
        // Wiring: emission mints BTK (allowance: the cap minus the genesis balances); rewards
        // records work in staking.
        let set_minter = bithive_token::msg::ExecuteMsg::SetMinter {
            minter: emission.to_string(),
            allowance: Uint128::new(CAP - initial_btk),
        };
        app.execute_contract(gov.clone(), btk.clone(), &set_minter, &[])
            .unwrap();
        let wire = bithive_staking::msg::ExecuteMsg::UpdateConfig {
            governance: None,
            compliance: None,
            slash_recipient: None,
            work_reporter: Some(rewards.to_string()),
            fraud_slash: None,
            attestor_set_size: None,
        };
        app.execute_contract(gov.clone(), staking.clone(), &wire, &[])
            .unwrap();
        World {
            app,
            btk,
            btt,
            emission,
            vesting,
            staking,
            rewards,
            gov,
            reporter,
            treasury,
            foundation,
            operations,
            genesis,
            initial_btk,
        }
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn advance(&mut self, secs: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(secs);
            b.height += (secs / 6).max(1);
        });
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

    pub fn supply(&self, token: &Addr) -> u128 {
        let r: TokenInfoResponse = self
            .app
            .wrap()
            .query_wasm_smart(token, &Cw20QueryMsg::TokenInfo {})
            .unwrap();
        r.total_supply.u128()
    }

    /// cw20 Send of `amount` from `from` to `contract` with hook `msg`.
    pub fn send<T: serde::Serialize>(
        &mut self,
        token: &Addr,
        from: &Addr,
        contract: &Addr,
        amount: u128,
        msg: &T,
    ) -> anyhow::Result<()> {
        let send = Cw20ExecuteMsg::Send {
            contract: contract.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg)?,
        };
        self.app
            .execute_contract(from.clone(), token.clone(), &send, &[])
            .map(|_| ())
    }
}
