//! Fixtures every contract multi-test suite needs the same way: the typed contract error of a
//! failed call, cw20-base tokens, bank and cw20 balances, block time, and a hostile contract that
//! rejects every call (payouts must never depend on the recipient accepting them); genesis bank
//! funding and the committed wasm artifacts; the BitHive contracts themselves ([`contract!`],
//! [`contracts`]: a generic instantiate and default instantiate messages).

pub mod contracts;
pub mod gas;
pub mod suite;

/// A BitHive contract crate's entry points wrapped for cw-multi-test, boxed for
/// `App::store_code`: `contract!(bithive_staking)` wraps `bithive_staking::contract::{execute,
/// instantiate, query}`; naming `reply` and/or `migrate` after the crate adds those entry points
/// (`contract!(bithive_attestation, reply, migrate)`). A macro, not a function, because this
/// crate may not depend on the contracts (they dev-depend on it): the paths resolve in the test
/// that names the crate.
#[macro_export]
macro_rules! contract {
    ($krate:ident $(, $entry:ident)* $(,)?) => {{
        let wrapper = $crate::__private::ContractWrapper::new(
            $krate::contract::execute,
            $krate::contract::instantiate,
            $krate::contract::query,
        );
        $(let wrapper = $crate::__with_entry!(wrapper, $krate, $entry);)*
        ::std::boxed::Box::new(wrapper)
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __with_entry {
    ($wrapper:ident, $krate:ident, reply) => {
        $wrapper.with_reply($krate::contract::reply)
    };
    ($wrapper:ident, $krate:ident, migrate) => {
        $wrapper.with_migrate($krate::contract::migrate)
    };
}

#[doc(hidden)]
pub mod __private {
    pub use cw_multi_test::ContractWrapper;
}

use std::fmt::{Debug, Display};
use std::path::PathBuf;

use cosmwasm_std::{
    to_json_binary, Addr, Binary, Coin, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError,
    StdResult, Uint128,
};
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg, MinterResponse};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use serde::de::IgnoredAny;
use serde::Serialize;

/// The contract error `E` a failed call returned (panics, naming the error, if it was anything
/// else, so a test never passes on the wrong failure).
pub fn contract_err<E>(r: anyhow::Result<AppResponse>) -> E
where
    E: Display + Debug + Send + Sync + 'static,
{
    match r {
        Ok(resp) => panic!("expected an error, got {resp:?}"),
        Err(e) => match e.downcast::<E>() {
            Ok(e) => e,
            Err(other) => panic!("not a {}: {other:?}", std::any::type_name::<E>()),
        },
    }
}

/// Stores cw20-base 2.0 (the honest reference token).
pub fn cw20_base_code(app: &mut App) -> u64 {
    app.store_code(Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    )))
}

/// A cw20-base token `sym` (6 decimals, no minter) with `amount` held by `holder`.
pub fn new_cw20(
    app: &mut App,
    code: u64,
    owner: &Addr,
    holder: &Addr,
    sym: &str,
    amount: u128,
) -> Addr {
    app.instantiate_contract(
        code,
        owner.clone(),
        &cw20_base::msg::InstantiateMsg {
            name: format!("{sym} token"),
            symbol: sym.into(),
            decimals: 6,
            initial_balances: vec![Cw20Coin {
                address: holder.to_string(),
                amount: Uint128::new(amount),
            }],
            mint: None,
            marketing: None,
        },
        &[],
        sym,
        None,
    )
    .expect("instantiate cw20-base")
}

/// The instantiate message of a cw20-base token `name` / `symbol` (6 decimals) in which every
/// one of `holders` starts with `each` and `minter` may mint without a cap.
pub fn cw20_minted_by(
    name: &str,
    symbol: &str,
    minter: &Addr,
    holders: &[Addr],
    each: u128,
) -> cw20_base::msg::InstantiateMsg {
    cw20_base::msg::InstantiateMsg {
        name: name.into(),
        symbol: symbol.into(),
        decimals: 6,
        initial_balances: holders
            .iter()
            .map(|h| Cw20Coin {
                address: h.to_string(),
                amount: Uint128::new(each),
            })
            .collect(),
        mint: Some(MinterResponse {
            minter: minter.to_string(),
            cap: None,
        }),
        marketing: None,
    }
}

/// Sets `who`'s bank balance to `coins` (genesis funding, before any contract runs).
pub fn fund(app: &mut App, who: &Addr, coins: Vec<Coin>) {
    app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(storage, who, coins)
            .expect("fund bank balance")
    });
}

/// The committed wasm artifact `name` (a path under the workspace's `artifacts/`).
pub fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-wasm.sh)", path.display()))
}

pub fn bank_balance(app: &App, who: &Addr, denom: &str) -> u128 {
    app.wrap()
        .query_balance(who, denom)
        .expect("bank balance")
        .amount
        .u128()
}

pub fn cw20_balance(app: &App, token: &Addr, who: &Addr) -> u128 {
    let b: BalanceResponse = app
        .wrap()
        .query_wasm_smart(
            token,
            &Cw20QueryMsg::Balance {
                address: who.to_string(),
            },
        )
        .expect("cw20 balance");
    b.balance.u128()
}

/// `from` sends `amount` of the cw20 `token` to `contract` with the receive hook `hook`.
pub fn cw20_send<H: Serialize>(
    app: &mut App,
    from: &Addr,
    token: &Addr,
    contract: &Addr,
    amount: u128,
    hook: &H,
) -> anyhow::Result<AppResponse> {
    let send = Cw20ExecuteMsg::Send {
        contract: contract.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(hook)?,
    };
    app.execute_contract(from.clone(), token.clone(), &send, &[])
}

/// Moves the block clock forward (and the height by one).
pub fn advance(app: &mut App, secs: u64) {
    app.update_block(|b| {
        b.time = b.time.plus_seconds(secs);
        b.height += 1;
    });
}

/// `who` executes `msg` on `contract`, sending no funds (a suite's usual call; the response is
/// dropped).
pub fn exec<M: Serialize + Debug>(
    app: &mut App,
    who: &Addr,
    contract: &Addr,
    msg: &M,
) -> anyhow::Result<()> {
    app.execute_contract(who.clone(), contract.clone(), msg, &[])
        .map(|_| ())
}

/// Accepts any message (so it is the contract, not JSON parsing, that refuses).
fn reject_exec(_d: DepsMut, _e: Env, _i: MessageInfo, _m: IgnoredAny) -> StdResult<Response> {
    Err(StdError::generic_err("I reject everything"))
}
fn plain_init(_d: DepsMut, _e: Env, _i: MessageInfo, _m: Empty) -> StdResult<Response> {
    Ok(Response::new())
}
fn plain_query(_d: Deps, _e: Env, _m: Empty) -> StdResult<Binary> {
    to_json_binary(&())
}

/// Instantiates a contract that fails every execute (a hostile payee or receiver).
pub fn rejecting_contract(app: &mut App, owner: &Addr) -> Addr {
    let code = app.store_code(Box::new(ContractWrapper::new(
        reject_exec,
        plain_init,
        plain_query,
    )));
    app.instantiate_contract(code, owner.clone(), &Empty {}, &[], "rejecting", None)
        .expect("instantiate rejecting contract")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_work_together() {
        let mut app = App::default();
        let (owner, alice) = (app.api().addr_make("owner"), app.api().addr_make("alice"));
        let code = cw20_base_code(&mut app);
        let token = new_cw20(&mut app, code, &owner, &alice, "USDC", 500);
        assert_eq!(cw20_balance(&app, &token, &alice), 500);
        let hostile = rejecting_contract(&mut app, &owner);
        // A cw20 `send` to the hostile contract fails; the typed error comes back.
        let r = cw20_send(&mut app, &alice, &token, &hostile, 1, &Empty {});
        let e: StdError = contract_err(r);
        assert!(e.to_string().contains("I reject everything"), "{e}");
        // Minting without the minter role is a cw20-base ContractError, not a StdError.
        let r = app.execute_contract(
            alice.clone(),
            token.clone(),
            &Cw20ExecuteMsg::Mint {
                recipient: alice.to_string(),
                amount: Uint128::new(1),
            },
            &[],
        );
        let e: cw20_base::ContractError = contract_err(r);
        assert_eq!(e, cw20_base::ContractError::Unauthorized {});
        assert_eq!(bank_balance(&app, &alice, "uatom"), 0);
        let t0 = app.block_info().time;
        advance(&mut app, 60);
        assert_eq!(app.block_info().time, t0.plus_seconds(60));
    }

    /// A contract crate's `contract` module, as `contract!` expects it.
    mod counter {
        pub mod contract {
            use cosmwasm_std::{
                to_json_binary, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult,
            };

            fn count(deps: Deps) -> u8 {
                deps.storage.get(b"n").map_or(0, |v| v[0])
            }
            fn bump(deps: DepsMut) -> StdResult<Response> {
                let n = count(deps.as_ref()) + 1;
                deps.storage.set(b"n", &[n]);
                Ok(Response::new())
            }
            pub fn instantiate(
                d: DepsMut,
                _: Env,
                _: MessageInfo,
                _: Empty,
            ) -> StdResult<Response> {
                bump(d)
            }
            pub fn execute(d: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
                bump(d)
            }
            pub fn migrate(d: DepsMut, _: Env, _: Empty) -> StdResult<Response> {
                bump(d)
            }
            pub fn query(d: Deps, _: Env, _: Empty) -> StdResult<Binary> {
                to_json_binary(&count(d))
            }
        }
    }

    #[test]
    fn contract_macro_wraps_the_entry_points() {
        let mut app = App::default();
        let owner = app.api().addr_make("owner");
        let plain = app.store_code(contract!(counter));
        let c = contracts::instantiate(&mut app, plain, &owner, &Empty {}, "plain");
        app.execute_contract(owner.clone(), c.clone(), &Empty {}, &[])
            .unwrap();
        let n: u8 = app.wrap().query_wasm_smart(&c, &Empty {}).unwrap();
        assert_eq!(n, 2);
        // Without `migrate` the wrapper has no migrate entry point; with it, migrating runs it.
        let admin = Some(owner.to_string());
        let c = app
            .instantiate_contract(plain, owner.clone(), &Empty {}, &[], "plain", admin.clone())
            .unwrap();
        assert!(app
            .migrate_contract(owner.clone(), c, &Empty {}, plain)
            .is_err());
        let migratable = app.store_code(contract!(counter, migrate));
        let c = app
            .instantiate_contract(migratable, owner.clone(), &Empty {}, &[], "m", admin)
            .unwrap();
        app.migrate_contract(owner, c.clone(), &Empty {}, migratable)
            .unwrap();
        let n: u8 = app.wrap().query_wasm_smart(&c, &Empty {}).unwrap();
        assert_eq!(n, 2);
    }
}
