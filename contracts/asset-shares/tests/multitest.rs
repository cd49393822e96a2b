//! The share token notifies its hook of every balance change, first, with pre-change balances.

use bithive_asset_shares::msg::{ExecuteMsg, HookExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use bithive_asset_shares::ContractError;
use bithive_cw_test_fixtures::{addrs, assert_migrate_refusals, cloned, contract};
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult,
    Uint128,
};
use cw20::{BalanceResponse, Cw20ReceiveMsg, TokenInfoResponse};
use cw_multi_test::{App, ContractWrapper, Executor};
use cw_storage_plus::Item;

const LOG: Item<Vec<String>> = Item::new("log");

#[cosmwasm_schema::cw_serde]
#[serde(untagged)]
enum RecorderMsg {
    Hook(HookExecuteMsg),
    Receive { receive: Cw20ReceiveMsg },
}

/// Logs hooks and cw20 receipts in arrival order.
fn rec_exec(deps: DepsMut, _e: Env, _i: MessageInfo, msg: RecorderMsg) -> StdResult<Response> {
    let mut log = LOG.may_load(deps.storage)?.unwrap_or_default();
    log.push(match msg {
        RecorderMsg::Hook(HookExecuteMsg::ShareHook(h)) => format!(
            "hook {}",
            h.changes
                .iter()
                .map(|c| format!("{}={}", short(c.address.as_str()), c.old_balance))
                .collect::<Vec<_>>()
                .join(",")
        ),
        RecorderMsg::Receive { receive } => format!("receive {}", receive.amount),
    });
    LOG.save(deps.storage, &log)?;
    Ok(Response::new())
}
fn rec_init(_d: DepsMut, _e: Env, _i: MessageInfo, _m: Empty) -> StdResult<Response> {
    Ok(Response::new())
}
fn rec_query(deps: Deps, _e: Env, _m: Empty) -> StdResult<Binary> {
    to_json_binary(&LOG.may_load(deps.storage)?.unwrap_or_default())
}

fn short(a: &str) -> String {
    a.chars().rev().take(6).collect()
}

struct T {
    app: App,
    token: Addr,
    rec: Addr,
    minter: Addr,
    alice: Addr,
    bob: Addr,
}

fn setup(with_hook: bool) -> T {
    let mut app = App::default();
    let api = app.api();
    addrs!(|n| api.addr_make(n); minter, alice, bob);
    let rec_code = app.store_code(Box::new(ContractWrapper::new(
        rec_exec, rec_init, rec_query,
    )));
    let rec = app
        .instantiate_contract(rec_code, minter.clone(), &Empty {}, &[], "rec", None)
        .unwrap();
    let code = app.store_code(contract!(bithive_asset_shares));
    let init = InstantiateMsg {
        name: "Scanner shares".into(),
        symbol: "SCAN".into(),
        decimals: 0,
        minter: minter.to_string(),
        hook: with_hook.then(|| rec.to_string()),
    };
    let token = app
        .instantiate_contract(code, minter.clone(), &init, &[], "shares", None)
        .unwrap();
    T {
        app,
        token,
        rec,
        minter,
        alice,
        bob,
    }
}

impl T {
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> anyhow::Result<cw_multi_test::AppResponse> {
        self.app
            .execute_contract(who.clone(), self.token.clone(), &msg, &[])
    }
    fn log(&self) -> Vec<String> {
        self.app
            .wrap()
            .query_wasm_smart(&self.rec, &Empty {})
            .unwrap()
    }
    fn balance(&self, who: &Addr) -> u128 {
        let b: BalanceResponse = self.q(&QueryMsg::Balance {
            address: who.to_string(),
        });
        b.balance.u128()
    }
    fn q<R: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> R {
        self.app.wrap().query_wasm_smart(&self.token, msg).unwrap()
    }
}

#[test]
fn every_balance_change_is_hooked_with_old_balances() {
    let mut t = setup(true);
    cloned!(t => minter, alice, bob, rec);
    let (a, b, r, m) = (
        short(alice.as_str()),
        short(bob.as_str()),
        short(rec.as_str()),
        short(minter.as_str()),
    );
    t.exec(
        &minter,
        ExecuteMsg::Mint {
            recipient: alice.to_string(),
            amount: Uint128::new(100),
        },
    )
    .unwrap();
    t.exec(
        &alice,
        ExecuteMsg::Transfer {
            recipient: bob.to_string(),
            amount: Uint128::new(30),
        },
    )
    .unwrap();
    // Only the minter (the vault) burns (issue #20): a holder's burn is refused, unhooked.
    assert_eq!(
        t.exec(
            &bob,
            ExecuteMsg::Burn {
                amount: Uint128::new(5),
            },
        )
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap(),
        ContractError::BurnNotAllowed {}
    );
    t.exec(
        &bob,
        ExecuteMsg::Transfer {
            recipient: minter.to_string(),
            amount: Uint128::new(5),
        },
    )
    .unwrap();
    t.exec(
        &minter,
        ExecuteMsg::Burn {
            amount: Uint128::new(5),
        },
    )
    .unwrap();
    // Allowance changes move no balance: no hook.
    t.exec(
        &alice,
        ExecuteMsg::IncreaseAllowance {
            spender: bob.to_string(),
            amount: Uint128::new(50),
            expires: None,
        },
    )
    .unwrap();
    t.exec(
        &alice,
        ExecuteMsg::DecreaseAllowance {
            spender: bob.to_string(),
            amount: Uint128::new(10),
            expires: None,
        },
    )
    .unwrap();
    t.exec(
        &bob,
        ExecuteMsg::TransferFrom {
            owner: alice.to_string(),
            recipient: bob.to_string(),
            amount: Uint128::new(10),
        },
    )
    .unwrap();
    // A spender's burn_from is refused too; the minter's, with an allowance, is hooked.
    assert_eq!(
        t.exec(
            &bob,
            ExecuteMsg::BurnFrom {
                owner: alice.to_string(),
                amount: Uint128::new(10),
            },
        )
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap(),
        ContractError::BurnNotAllowed {}
    );
    t.exec(
        &alice,
        ExecuteMsg::IncreaseAllowance {
            spender: minter.to_string(),
            amount: Uint128::new(10),
            expires: None,
        },
    )
    .unwrap();
    t.exec(
        &minter,
        ExecuteMsg::BurnFrom {
            owner: alice.to_string(),
            amount: Uint128::new(10),
        },
    )
    .unwrap();
    // Send: the hook runs before the receiver.
    t.exec(
        &alice,
        ExecuteMsg::Send {
            contract: rec.to_string(),
            amount: Uint128::new(7),
            msg: Binary::default(),
        },
    )
    .unwrap();
    t.exec(
        &bob,
        ExecuteMsg::SendFrom {
            owner: alice.to_string(),
            contract: rec.to_string(),
            amount: Uint128::new(3),
            msg: Binary::default(),
        },
    )
    .unwrap();
    assert_eq!(
        t.log(),
        vec![
            format!("hook {a}=0"),
            format!("hook {a}=100,{b}=0"),
            format!("hook {b}=30,{m}=0"),
            format!("hook {m}=5"),
            format!("hook {a}=70,{b}=25"),
            format!("hook {a}=60"),
            format!("hook {a}=50,{r}=0"),
            "receive 7".to_string(),
            format!("hook {a}=43,{r}=7"),
            "receive 3".to_string(),
        ]
    );
    assert_eq!(t.balance(&alice), 40);
    let info: TokenInfoResponse = t.q(&QueryMsg::TokenInfo {});
    assert_eq!(info.total_supply.u128(), 85);
}

#[test]
fn failures_do_not_hook_and_only_minter_mints() {
    let mut t = setup(true);
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    let r = t.exec(
        &alice,
        ExecuteMsg::Mint {
            recipient: alice.to_string(),
            amount: Uint128::new(1),
        },
    );
    assert!(matches!(
        r.unwrap_err().downcast::<ContractError>().unwrap(),
        ContractError::Cw20(cw20_base::ContractError::Unauthorized {})
    ));
    let r = t.exec(
        &alice,
        ExecuteMsg::Transfer {
            recipient: bob.to_string(),
            amount: Uint128::new(1),
        },
    );
    assert!(r.is_err());
    assert!(t.log().is_empty());
}

#[test]
fn without_hook_it_is_a_plain_cw20() {
    let mut t = setup(false);
    let (minter, alice, bob) = (t.minter.clone(), t.alice.clone(), t.bob.clone());
    t.exec(
        &minter,
        ExecuteMsg::Mint {
            recipient: alice.to_string(),
            amount: Uint128::new(10),
        },
    )
    .unwrap();
    t.exec(
        &alice,
        ExecuteMsg::Transfer {
            recipient: bob.to_string(),
            amount: Uint128::new(4),
        },
    )
    .unwrap();
    assert_eq!(t.balance(&bob), 4);
    assert!(t.log().is_empty());
}

#[test]
fn migrate_refuses_downgrade() {
    use bithive_asset_shares::contract;
    // cw20-base's state is not taken over either.
    assert_migrate_refusals!(contract, MigrateMsg {}, "5.0.0", "crates.io:cw20-base");
}
