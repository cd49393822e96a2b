//! The two tokens and the four economics contracts wired together as on chain: emission mints BTK
//! into the rewards pools and vesting, staking takes pledges and work records from rewards,
//! rewards pays through vesting.
//!
//! The world runs on a [`Ledger`]: [`MultiTest`] (cw-multi-test, the contracts as Rust code) or
//! [`Vm`] (the committed `artifacts/*.wasm` in cosmwasm-vm 3 through `bithive-vm-host`). The
//! integration story ([`year::a_simulated_year`]) is written once against the trait and runs on
//! both.

mod ledger;
pub mod year;

pub use ledger::{Code, Ledger, MultiTest, Vm};

use bithive_cw_test_fixtures::contracts::{
    emission_instantiate, rewards_instantiate, staking_instantiate, staking_work_reporter,
    vesting_instantiate,
};
use bithive_formulas::emission::CAP;
use bithive_token::msg::InstantiateMsg as TokenInit;
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
    /// `operators` each get `initial` BTK to pledge with.
    pub fn new(mut ledger: L, operators: &[String], initial: u128) -> World<L> {
        let gov = ledger.addr("governance");
        let reporter = ledger.addr("reporter");
        let treasury = ledger.addr("treasury");
        let foundation = ledger.addr("science-foundation");
        let operations = ledger.addr("operations");
        let genesis = ledger.now();
        let initial_btk = initial * operators.len() as u128;
        let token = |l: &mut L, symbol: &str, balances: Vec<Cw20Coin>, cap: Option<u128>| {
            let msg = TokenInit {
                name: format!("BitHive {symbol}"),
                symbol: symbol.into(),
                decimals: 6,
                initial_balances: balances,
                owner: Some(gov.clone()),
                cap: cap.map(Uint128::new),
                minters: vec![],
                marketing: None,
            };
            l.instantiate(Code::Token, &gov, &msg, symbol, None)
        };
        let balances = operators
            .iter()
            .map(|o| Cw20Coin {
                address: o.clone(),
                amount: Uint128::new(initial),
            })
            .collect();
        let btk = token(&mut ledger, "BTK", balances, Some(CAP));
        // BTT: fixed supply, the cap is what is minted here (as `bithive deploy`).
        let btt = token(
            &mut ledger,
            "BTT",
            vec![Cw20Coin {
                address: gov.clone(),
                amount: Uint128::new(1_000_000_000 * BTK),
            }],
            Some(1_000_000_000 * BTK),
        );
        let vesting = ledger.instantiate(
            Code::Vesting,
            &gov,
            &vesting_instantiate(&gov, &btk),
            "vesting",
            Some(&gov),
        );
        let staking_init = bithive_staking::msg::InstantiateMsg {
            slash_recipient: treasury.clone(),
            unbonding_seconds: 21 * DAY,
            max_claims: 8,
            fraud_slash: Decimal::percent(20),
            ..staking_instantiate(&gov, &btk, genesis)
        };
        let staking = ledger.instantiate(Code::Staking, &gov, &staking_init, "staking", Some(&gov));
        let rewards_init = bithive_rewards::msg::InstantiateMsg {
            reporter: reporter.clone(),
            patient_daily_cap: Uint128::new(3_000 * BTK),
            ..rewards_instantiate(&gov, &btk, &btt, &staking, &vesting, genesis)
        };
        let rewards = ledger.instantiate(Code::Rewards, &gov, &rewards_init, "rewards", Some(&gov));
        let emission_init = bithive_emission::msg::InstantiateMsg {
            genesis: Some(genesis),
            foundation: foundation.clone(),
            operations: operations.clone(),
            ..emission_instantiate(&gov, &btk, &vesting, &rewards)
        };
        let emission =
            ledger.instantiate(Code::Emission, &gov, &emission_init, "emission", Some(&gov));
        let mut w = World {
            ledger,
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
        };
        // Wiring: emission mints BTK (allowance: the cap minus the genesis balances); rewards
        // records work in staking.
        let set_minter = bithive_token::msg::ExecuteMsg::SetMinter {
            minter: w.emission.clone(),
            allowance: Uint128::new(CAP - initial_btk),
        };
        let wire = staking_work_reporter(&w.rewards);
        let (gov, btk, staking) = (w.gov.clone(), w.btk.clone(), w.staking.clone());
        w.exec(&gov, &btk, &set_minter).expect("set minter");
        w.exec(&gov, &staking, &wire).expect("wire staking");
        // Last, as `bithive deploy`: nobody may change either token's minters again.
        let renounce =
            bithive_token::msg::ExecuteMsg::UpdateOwnership(cw_ownable::Action::RenounceOwnership);
        let btt = w.btt.clone();
        for token in [&btk, &btt] {
            w.exec(&gov, token, &renounce)
                .expect("renounce token ownership");
        }
        w
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
