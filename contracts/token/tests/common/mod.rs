//! Shared multi-test fixture: one token, a receiver contract, named accounts.
#![allow(dead_code)]

use bithive_cw_test_fixtures::suite::instantiate_migratable;
use bithive_cw_test_fixtures::{addrs, contract};
use bithive_token::msg::{ExecuteMsg, InstantiateMsg, MinterAllowance, QueryMsg};
use bithive_token::ContractError;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError,
    StdResult, Uint128,
};
use cw20::{BalanceResponse, Cw20Coin, Cw20ReceiveMsg, TokenInfoResponse};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use cw_storage_plus::Item;

pub const BTK_CAP: u128 = 2_100_000_000 * 1_000_000;

pub fn token_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_token, migrate)
}

/// A cw20 receiver: records the last hook, and fails when the hook's msg is `"fail"`.
const LAST: Item<Cw20ReceiveMsg> = Item::new("last");

#[cosmwasm_schema::cw_serde]
pub enum ReceiverExec {
    Receive(Cw20ReceiveMsg),
}

fn recv_exec(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: ReceiverExec,
) -> StdResult<Response> {
    let ReceiverExec::Receive(r) = msg;
    if r.msg.as_slice() == b"\"fail\"" {
        return Err(StdError::generic_err("receiver refused"));
    }
    LAST.save(deps.storage, &r)?;
    Ok(Response::new().add_attribute("action", "received"))
}
fn recv_inst(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}
fn recv_query(deps: Deps, _: Env, _: Empty) -> StdResult<Binary> {
    to_json_binary(&LAST.may_load(deps.storage)?)
}
pub fn receiver_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(recv_exec, recv_inst, recv_query))
}

pub struct Suite {
    pub app: App,
    pub token: Addr,
    pub code_id: u64,
    pub owner: Addr,
    pub minter: Addr,
    pub alice: Addr,
    pub bob: Addr,
    pub carol: Addr,
}

impl Suite {
    /// BTK-like: cap 2.1e15, alice holds 1,000,000 base units, `minter` may mint 10^12.
    pub fn new() -> Self {
        let mut app = App::default();
        addrs!(|n| app.api().addr_make(n); owner, minter, alice, bob, carol);
        let code_id = app.store_code(token_contract());
        let init = InstantiateMsg {
            name: "BitSpark Token".into(),
            symbol: "BTK".into(),
            decimals: 6,
            initial_balances: vec![Cw20Coin {
                address: alice.to_string(),
                amount: Uint128::new(1_000_000),
            }],
            owner: None,
            cap: Some(Uint128::new(BTK_CAP)),
            minters: vec![MinterAllowance {
                minter: minter.to_string(),
                allowance: Uint128::new(1_000_000_000_000),
            }],
            marketing: None,
        };
        let token = instantiate_migratable(&mut app, code_id, &owner, &init, "btk");
        Suite {
            app,
            token,
            code_id,
            owner,
            minter,
            alice,
            bob,
            carol,
        }
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> Result<AppResponse, ContractError> {
        self.app
            .execute_contract(sender.clone(), self.token.clone(), msg, &[])
            .map_err(|e| e.downcast().expect("a ContractError"))
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.token.clone(), msg)
            .unwrap()
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        let r: BalanceResponse = self.query(&QueryMsg::Balance {
            address: who.to_string(),
        });
        r.balance.u128()
    }

    pub fn supply(&self) -> u128 {
        let r: TokenInfoResponse = self.query(&QueryMsg::TokenInfo {});
        r.total_supply.u128()
    }
}

/// The `wasm` event attributes of a response, as (key, value) pairs.
pub fn wasm_attrs(res: &AppResponse) -> Vec<(String, String)> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key != "_contract_address")
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect()
}

pub fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
