//! cw-multi-test suite of the fractional vault with the real asset-nft and asset-shares
//! contracts, a cw20-base revenue token, a non-allowlisted cw20 and a malicious share receiver.

mod common;

use bithive_asset_nft::msg as nft_msg;
use bithive_cw_test_fixtures::{self as fixtures, assert_migrate_refusals, cloned, contract_err};
use bithive_cw_test_fixtures::{addrs, contract};
use bithive_fractional::msg::*;
use bithive_fractional::state::{AssetInfo, Vault, VaultStatus};
use bithive_fractional::{ContractError, FundsError};
use common::{approve_us_holder, mint_scanner};
use cosmwasm_std::{
    coin, coins, from_json, to_json_binary, Addr, Binary, DepsMut, Empty, Env, MessageInfo,
    Response, StdResult, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw721::msg::OwnerOfResponse;
use cw_multi_test::{App, AppResponse, Executor};

const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

struct T {
    app: App,
    nft: Addr,
    frac: Addr,
    usdc: Addr,
    admin: Addr,
    alice: Addr,
    bob: Addr,
    carol: Addr,
    clinic: Addr,
    dave: Addr,
}

fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    contract_err(r)
}

fn cw20_code(app: &mut App) -> u64 {
    fixtures::cw20_base_code(app)
}

fn new_cw20(app: &mut App, code: u64, owner: &Addr, holder: &Addr, sym: &str) -> Addr {
    fixtures::new_cw20(app, code, owner, holder, sym, 1_000_000)
}

fn setup() -> T {
    let mut app = App::default();
    let api = app.api();
    addrs!(|n| api.addr_make(n); admin, alice, bob, carol, clinic, dave);
    app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(
                storage,
                &clinic,
                vec![coin(10_000_000, IBC), coin(10_000_000, "uusd")],
            )
            .unwrap();
        for d in [&dave, &carol] {
            router
                .bank
                .init_balance(storage, d, coins(1_000_000, "uusd"))
                .unwrap();
        }
    });
    let nft_code = app.store_code(contract!(bithive_asset_nft));
    let share_code = app.store_code(contract!(bithive_asset_shares));
    let frac_code = app.store_code(contract!(bithive_fractional, reply));
    let c20 = cw20_code(&mut app);
    let usdc = new_cw20(&mut app, c20, &admin, &clinic, "USDC");
    let nft_init = nft_msg::InstantiateMsg {
        name: "BitHive Assets".into(),
        symbol: "BHA".into(),
        admin: None,
        compliance_officer: admin.to_string(),
        custodian: None,
        valuation: nft_msg::ValuationParams {
            unit: "USD".into(),
            window: 3,
            freshness_secs: 100,
            quorum: 1,
        },
    };
    let nft = app
        .instantiate_contract(nft_code, admin.clone(), &nft_init, &[], "nft", None)
        .unwrap();
    let frac_init = InstantiateMsg {
        admin: None,
        share_code_id: share_code,
        nft_contracts: vec![nft.to_string()],
        cw20_allowlist: vec![usdc.to_string()],
    };
    let frac = app
        .instantiate_contract(frac_code, admin.clone(), &frac_init, &[], "frac", None)
        .unwrap();
    let mut t = T {
        app,
        nft,
        frac,
        usdc,
        admin,
        alice,
        bob,
        carol,
        clinic,
        dave,
    };
    for who in [t.alice.clone(), t.frac.clone()] {
        t.approve_holder(&who);
    }
    t.mint("scanner-1");
    t
}

impl T {
    /// The NFT admin executes `msg` on the asset NFT (must succeed).
    fn nft_admin_exec(&mut self, msg: &nft_msg::ExecuteMsg) {
        self.app
            .execute_contract(self.admin.clone(), self.nft.clone(), msg, &[])
            .unwrap();
    }
    fn approve_holder(&mut self, who: &Addr) {
        self.nft_admin_exec(&approve_us_holder(who));
    }
    fn mint(&mut self, id: &str) {
        let msg = mint_scanner(id, &self.alice);
        self.nft_admin_exec(&msg);
    }
    fn fractionalize(&mut self, id: &str, shares: u128) -> anyhow::Result<AppResponse> {
        let msg = FractionalizeMsg {
            shares: Uint128::new(shares),
            share_name: "Scanner shares".into(),
            share_symbol: "SCAN".into(),
            decimals: 0,
            reserve_price: Price {
                asset: AssetInfo::Native("uusd".into()),
                amount: Uint128::new(10_000),
            },
            revenue_assets: vec![
                AssetInfo::Native(IBC.into()),
                AssetInfo::Cw20(self.usdc.clone()),
            ],
        };
        self.app.execute_contract(
            self.alice.clone(),
            self.nft.clone(),
            &nft_msg::ExecuteMsg::SendNft {
                contract: self.frac.to_string(),
                token_id: id.into(),
                msg: to_json_binary(&msg).unwrap(),
            },
            &[],
        )
    }
    fn q<R: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> R {
        self.app.wrap().query_wasm_smart(&self.frac, msg).unwrap()
    }
    fn vault(&self, id: u64) -> Vault {
        self.q(&QueryMsg::Vault { vault_id: id })
    }
    /// `who` sends `amount` of the cw20 `token` to the fractional contract with `msg`.
    fn send_to_vaults(
        &mut self,
        who: &Addr,
        token: &Addr,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> anyhow::Result<AppResponse> {
        let frac = self.frac.clone();
        fixtures::suite::cw20_send(&mut self.app, who, token, &frac, amount, msg)
    }

    /// [`T::send_to_vaults`] with the allowlisted USDC.
    fn send_usdc_to_vaults(
        &mut self,
        who: &Addr,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> anyhow::Result<AppResponse> {
        let usdc = self.usdc.clone();
        self.send_to_vaults(who, &usdc, amount, msg)
    }

    fn shares(&self, id: u64) -> Addr {
        self.vault(id).share_token.unwrap()
    }
    fn share_balance(&self, id: u64, who: &Addr) -> u128 {
        fixtures::cw20_balance(&self.app, &self.shares(id), who)
    }
    fn share_transfer(&mut self, id: u64, from: &Addr, to: &Addr, amount: u128) {
        let token = self.shares(id);
        self.app
            .execute_contract(
                from.clone(),
                token,
                &Cw20ExecuteMsg::Transfer {
                    recipient: to.to_string(),
                    amount: Uint128::new(amount),
                },
                &[],
            )
            .unwrap();
    }
    fn deposit(&mut self, id: u64, amount: u128, denom: &str) -> anyhow::Result<AppResponse> {
        self.app.execute_contract(
            self.clinic.clone(),
            self.frac.clone(),
            &ExecuteMsg::DepositRevenue { vault_id: id },
            &coins(amount, denom),
        )
    }
    fn claimable(&self, id: u64, who: &Addr) -> Vec<(AssetInfo, Uint128)> {
        let r: ClaimableResponse = self.q(&QueryMsg::Claimable {
            vault_id: id,
            holder: who.to_string(),
        });
        r.claimable
    }
    fn claim(&mut self, id: u64, who: &Addr) -> anyhow::Result<AppResponse> {
        self.app.execute_contract(
            who.clone(),
            self.frac.clone(),
            &ExecuteMsg::Claim { vault_id: id },
            &[],
        )
    }
    fn bank(&self, who: &Addr, denom: &str) -> u128 {
        fixtures::bank_balance(&self.app, who, denom)
    }
    fn nft_owner(&self, id: &str) -> String {
        let r: OwnerOfResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.nft,
                &nft_msg::QueryMsg::OwnerOf {
                    token_id: id.into(),
                    include_expired: None,
                },
            )
            .unwrap();
        r.owner
    }
}

#[test]
fn lock_mints_shares_through_reply() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let v = t.vault(1);
    assert_eq!(v.status, VaultStatus::Active);
    assert_eq!(v.depositor, t.alice);
    assert_eq!(t.share_balance(1, &t.alice), 1_000);
    assert_eq!(t.nft_owner("scanner-1"), t.frac.to_string());
    let by_token: Vault = t.q(&QueryMsg::VaultByShareToken {
        share_token: v.share_token.unwrap().to_string(),
    });
    assert_eq!(by_token.id, 1);
    let all: VaultsResponse = t.q(&QueryMsg::Vaults {
        start_after: None,
        limit: None,
    });
    assert_eq!(all.vaults.len(), 1);
}

#[test]
fn fractionalize_errors() {
    let mut t = setup();
    // Zero shares: the whole send reverts, the NFT stays with alice.
    let r = t.fractionalize("scanner-1", 0);
    assert!(r.is_err());
    assert_eq!(t.nft_owner("scanner-1"), t.alice.to_string());
    // A cw721 that is not accepted (another instance) cannot lock.
    let alice = t.alice.clone();
    let fake = t.app.api().addr_make("fake-nft");
    let r = t.app.execute_contract(
        fake.clone(),
        t.frac.clone(),
        &ExecuteMsg::ReceiveNft(cw721::receiver::Cw721ReceiveMsg {
            sender: alice.to_string(),
            token_id: "scanner-1".into(),
            msg: Binary::default(),
        }),
        &[],
    );
    assert_eq!(
        err(r),
        ContractError::NftNotAccepted {
            contract: fake.to_string()
        }
    );
}

/// Each refusal of a lock request, called as the accepted cw721 (its `ReceiveNft` hook), so the
/// typed error comes back; and refusals of share tokens coming back.
#[test]
fn lock_and_share_return_errors_are_typed() {
    let mut t = setup();
    let lock_with = |t: &mut T,
                     shares: u128,
                     asset: AssetInfo,
                     reserve: u128,
                     revenue_assets: Vec<AssetInfo>| {
        let f = FractionalizeMsg {
            shares: Uint128::new(shares),
            share_name: "Scanner shares".into(),
            share_symbol: "SCAN".into(),
            decimals: 0,
            reserve_price: Price {
                asset,
                amount: Uint128::new(reserve),
            },
            revenue_assets,
        };
        t.app.execute_contract(
            t.nft.clone(),
            t.frac.clone(),
            &ExecuteMsg::ReceiveNft(cw721::receiver::Cw721ReceiveMsg {
                sender: t.alice.to_string(),
                token_id: "scanner-1".into(),
                msg: to_json_binary(&f).unwrap(),
            }),
            &[],
        )
    };
    let lock = |t: &mut T, shares: u128, asset: AssetInfo, reserve: u128| {
        lock_with(t, shares, asset, reserve, vec![])
    };
    let uusd = AssetInfo::Native("uusd".into());
    assert_eq!(
        err(lock(&mut t, 0, uusd.clone(), 10)),
        ContractError::InvalidFractionalize {
            reason: "shares must be positive"
        }
    );
    assert_eq!(
        err(lock(&mut t, 10, uusd.clone(), 0)),
        ContractError::InvalidFractionalize {
            reason: "reserve price must be positive"
        }
    );
    // Reserve denoms follow the SDK's rules; `ibc/` needs its 64-hex-digit hash.
    for bad in ["u", "ibc/1234", "9atom", "u usd"] {
        assert!(
            matches!(
                err(lock(&mut t, 10, AssetInfo::Native(bad.into()), 10)),
                ContractError::Funds(FundsError::InvalidDenom { .. })
            ),
            "{bad}"
        );
    }
    let junk = t.app.api().addr_make("junk-cw20");
    assert_eq!(
        err(lock(&mut t, 10, AssetInfo::Cw20(junk.clone()), 10)),
        ContractError::Funds(FundsError::Cw20NotAccepted {
            contract: junk.to_string()
        })
    );
    // Revenue assets (fixed at lock): at most 8, distinct, valid denoms, allowlisted cw20s.
    let nine: Vec<_> = (0..9)
        .map(|i| AssetInfo::Native(format!("ibc/{i:064}")))
        .collect();
    assert_eq!(
        err(lock_with(&mut t, 10, uusd.clone(), 10, nine.clone())),
        ContractError::TooManyRevenueAssets {}
    );
    let duplicated = vec![uusd.clone(), uusd.clone()];
    assert_eq!(
        err(lock_with(&mut t, 10, uusd.clone(), 10, duplicated)),
        ContractError::InvalidFractionalize {
            reason: "revenue assets must be distinct"
        }
    );
    let bad_denom = vec![AssetInfo::Native("u".into())];
    assert!(matches!(
        err(lock_with(&mut t, 10, uusd.clone(), 10, bad_denom)),
        ContractError::Funds(FundsError::InvalidDenom { .. })
    ));
    let not_allowlisted = vec![AssetInfo::Cw20(junk.clone())];
    assert_eq!(
        err(lock_with(&mut t, 10, uusd.clone(), 10, not_allowlisted)),
        ContractError::Funds(FundsError::Cw20NotAccepted {
            contract: junk.to_string()
        })
    );
    // Native revenue with no coins attached.
    t.fractionalize("scanner-1", 100).unwrap();
    let r = t.app.execute_contract(
        t.clinic.clone(),
        t.frac.clone(),
        &ExecuteMsg::DepositRevenue { vault_id: 1 },
        &[],
    );
    assert!(matches!(
        err(r),
        ContractError::Funds(FundsError::Payment(_))
    ));
    // Revenue for a vault that does not exist.
    assert_eq!(
        err(t.deposit(7, 10, IBC)),
        ContractError::VaultNotFound { vault_id: 7 }
    );
    // Share token handing back zero shares (cw20-base refuses zero sends; a direct call from
    // the token address is the only way): refused before any state changes.
    let shares = t.shares(1);
    let back = |t: &mut T, amount: u128, msg: &ReceiveMsg| {
        t.app.execute_contract(
            shares.clone(),
            t.frac.clone(),
            &ExecuteMsg::Receive(Cw20ReceiveMsg {
                sender: t.alice.to_string(),
                amount: Uint128::new(amount),
                msg: to_json_binary(msg).unwrap(),
            }),
            &[],
        )
    };
    // Redeem before any buyout, and a revenue deposit paid in the vault's own shares.
    assert_eq!(
        err(back(&mut t, 10, &ReceiveMsg::Redeem {})),
        ContractError::WrongStatus {
            vault_id: 1,
            expected: "bought out"
        }
    );
    assert!(matches!(
        err(back(
            &mut t,
            10,
            &ReceiveMsg::DepositRevenue { vault_id: 1 }
        )),
        ContractError::Funds(FundsError::Cw20NotAccepted { .. })
    ));
    let dave = t.dave.clone();
    t.approve_holder(&dave);
    t.app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(storage, &dave, coins(10_000, "uusd"))
            .unwrap();
    });
    t.app
        .execute_contract(
            dave,
            t.frac.clone(),
            &ExecuteMsg::Buyout { vault_id: 1 },
            &coins(10_000, "uusd"),
        )
        .unwrap();
    assert_eq!(
        err(back(&mut t, 0, &ReceiveMsg::Redeem {})),
        ContractError::ZeroAmount {}
    );
}

#[test]
fn revenue_is_pro_rata_across_transfers() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let (alice, bob, carol) = (t.alice.clone(), t.bob.clone(), t.carol.clone());
    t.share_transfer(1, &alice, &bob, 400);
    t.deposit(1, 1_000, IBC).unwrap();
    assert_eq!(t.claimable(1, &alice)[0].1.u128(), 600);
    assert_eq!(t.claimable(1, &bob)[0].1.u128(), 400);
    t.share_transfer(1, &bob, &carol, 100);
    t.deposit(1, 1_000, IBC).unwrap();
    t.claim(1, &alice).unwrap();
    t.claim(1, &bob).unwrap();
    t.claim(1, &carol).unwrap();
    assert_eq!(t.bank(&alice, IBC), 1_200);
    assert_eq!(t.bank(&bob, IBC), 700);
    assert_eq!(t.bank(&carol, IBC), 100);
    assert_eq!(err(t.claim(1, &alice)), ContractError::NothingToClaim {});
    let pools: PoolsResponse = t.q(&QueryMsg::Pools { vault_id: 1 });
    assert_eq!(pools.pools[0].deposited.u128(), 2_000);
    assert_eq!(pools.pools[0].claimed.u128(), 2_000);
    // Rounding: 10 units over 3 holders never overpays; the carry is spread later.
    t.deposit(1, 10, IBC).unwrap();
    let owed: u128 = [&alice, &bob, &carol]
        .iter()
        .map(|h| t.claimable(1, h)[0].1.u128())
        .sum();
    assert!((8..=10).contains(&owed));
}

#[test]
fn cw20_revenue_and_allowlist() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let (clinic, alice, admin) = (t.clinic.clone(), t.alice.clone(), t.admin.clone());
    t.send_usdc_to_vaults(&clinic, 5_000, &ReceiveMsg::DepositRevenue { vault_id: 1 })
        .unwrap();
    t.claim(1, &alice).unwrap();
    assert_eq!(fixtures::cw20_balance(&t.app, &t.usdc, &alice), 5_000);
    // A cw20 that is not allowlisted is refused (the send reverts).
    let c20 = cw20_code(&mut t.app);
    let junk = new_cw20(&mut t.app, c20, &admin, &clinic, "JUNK");
    let r = t.send_to_vaults(
        &clinic,
        &junk,
        5,
        &ReceiveMsg::DepositRevenue { vault_id: 1 },
    );
    assert_eq!(
        err(r),
        ContractError::Funds(FundsError::Cw20NotAccepted {
            contract: junk.to_string()
        })
    );
    // Malicious cw20: anyone calling Receive directly with no tokens behind it.
    let r = t.app.execute_contract(
        clinic.clone(),
        t.frac.clone(),
        &ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: clinic.to_string(),
            amount: Uint128::new(1_000_000),
            msg: to_json_binary(&ReceiveMsg::DepositRevenue { vault_id: 1 }).unwrap(),
        }),
        &[],
    );
    assert!(matches!(
        err(r),
        ContractError::Funds(FundsError::Cw20NotAccepted { .. })
    ));
    // Forged share hook from a non-share-token.
    let r = t.app.execute_contract(
        clinic.clone(),
        t.frac.clone(),
        &ExecuteMsg::ShareHook(ShareHookMsg { changes: vec![] }),
        &[],
    );
    assert_eq!(err(r), ContractError::Unauthorized {});
    // Allowlisted cw20 trying to redeem: wrong kind of message.
    let r = t.send_usdc_to_vaults(&clinic, 5, &ReceiveMsg::Redeem {});
    assert!(matches!(
        err(r),
        ContractError::Funds(FundsError::Cw20NotAccepted { .. })
    ));
    // An asset the vault did not declare at lock is refused, even a valid one.
    assert_eq!(
        err(t.deposit(1, 10, "uusd")),
        ContractError::RevenueAssetNotAccepted {
            vault_id: 1,
            asset: AssetInfo::Native("uusd".into()).key(),
        }
    );
    assert!(t.deposit(1, 0, IBC).is_err());
    assert_eq!(
        err(t.deposit(99, 10, IBC)),
        ContractError::VaultNotFound { vault_id: 99 }
    );
}

#[test]
fn buyout_then_redeem_pro_rata() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    cloned!(t => alice, bob, carol, dave);
    t.share_transfer(1, &alice, &bob, 300);
    t.share_transfer(1, &alice, &carol, 100);
    t.deposit(1, 1_000, IBC).unwrap();
    let buy = |t: &mut T, who: &Addr, amount: u128, denom: &str| {
        t.app.execute_contract(
            who.clone(),
            t.frac.clone(),
            &ExecuteMsg::Buyout { vault_id: 1 },
            &coins(amount, denom),
        )
    };
    assert_eq!(
        err(buy(&mut t, &dave, 9_999, "uusd")),
        ContractError::BelowReserve {
            paid: "9999".into(),
            reserve: "10000".into()
        }
    );
    t.app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(
                storage,
                &dave,
                vec![coin(1_000_000, "uusd"), coin(20_000, IBC)],
            )
            .unwrap();
    });
    assert!(matches!(
        err(buy(&mut t, &dave, 20_000, IBC)),
        ContractError::WrongAsset { .. }
    ));
    // The buyer must be allowed to hold the asset: asset-nft refuses the transfer.
    let r = buy(&mut t, &dave, 12_000, "uusd");
    assert!(r.is_err());
    assert_eq!(t.vault(1).status, VaultStatus::Active);
    t.approve_holder(&dave);
    buy(&mut t, &dave, 12_000, "uusd").unwrap();
    assert_eq!(t.nft_owner("scanner-1"), dave.to_string());
    assert_eq!(
        t.vault(1).status,
        VaultStatus::BoughtOut {
            buyer: dave.clone()
        }
    );
    assert!(matches!(
        err(buy(&mut t, &dave, 12_000, "uusd")),
        ContractError::WrongStatus { .. }
    ));
    assert!(matches!(
        err(t.deposit(1, 10, IBC)),
        ContractError::WrongStatus { .. }
    ));
    let redeem = |t: &mut T, who: &Addr, amount: u128| {
        let token = t.shares(1);
        t.send_to_vaults(who, &token, amount, &ReceiveMsg::Redeem {})
    };
    let before = t.bank(&carol, "uusd");
    redeem(&mut t, &carol, 100).unwrap();
    assert_eq!(t.bank(&carol, "uusd") - before, 1_200);
    redeem(&mut t, &bob, 300).unwrap();
    assert_eq!(t.bank(&bob, "uusd"), 3_600);
    redeem(&mut t, &alice, 600).unwrap();
    assert_eq!(t.bank(&alice, "uusd"), 7_200);
    let v = t.vault(1);
    assert!(v.proceeds_remaining.is_zero() && v.shares_outstanding.is_zero());
    // Revenue earned before the buyout is still claimable after redeeming.
    t.claim(1, &bob).unwrap();
    assert_eq!(t.bank(&bob, IBC), 300);
    // Reunify is no longer possible.
    assert!(redeem(&mut t, &alice, 1).is_err());
}

#[test]
fn reunify_needs_the_whole_supply() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    let reunify = |t: &mut T, who: &Addr, amount: u128| {
        let token = t.shares(1);
        t.send_to_vaults(who, &token, amount, &ReceiveMsg::Reunify {})
    };
    t.share_transfer(1, &alice, &bob, 1);
    assert_eq!(
        err(reunify(&mut t, &alice, 999)),
        ContractError::NotWholeSupply {
            total: "1000".into(),
            got: "999".into()
        }
    );
    // Redeem before a buyout is refused.
    let token = t.shares(1);
    let r = t.send_to_vaults(&alice, &token, 10, &ReceiveMsg::Redeem {});
    assert!(matches!(err(r), ContractError::WrongStatus { .. }));
    t.share_transfer(1, &bob, &alice, 1);
    t.deposit(1, 100, IBC).unwrap();
    reunify(&mut t, &alice, 1_000).unwrap();
    assert_eq!(t.nft_owner("scanner-1"), alice.to_string());
    assert_eq!(
        t.vault(1).status,
        VaultStatus::Reunified {
            holder: alice.clone()
        }
    );
    // Accrued revenue survives the burn.
    t.claim(1, &alice).unwrap();
    assert_eq!(t.bank(&alice, IBC), 100);
    // The NFT can be locked again as a new vault.
    t.fractionalize("scanner-1", 10).unwrap();
    assert_eq!(t.vault(2).status, VaultStatus::Active);
}

// ---- malicious share receiver: claims revenue from inside its cw20 Receive (re-entrancy) ----

#[cosmwasm_schema::cw_serde]
enum GreedyMsg {
    Receive(Cw20ReceiveMsg),
}

fn greedy_exec(_d: DepsMut, _e: Env, _i: MessageInfo, msg: GreedyMsg) -> StdResult<Response> {
    let GreedyMsg::Receive(m) = msg;
    let frac: String = from_json(&m.msg)?;
    Ok(Response::new().add_message(WasmMsg::Execute {
        contract_addr: frac,
        msg: to_json_binary(&ExecuteMsg::Claim { vault_id: 1 })?,
        funds: vec![],
    }))
}

#[test]
fn receiver_cannot_claim_revenue_it_did_not_earn() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let code = t.app.store_code(fixtures::suite::execute_only(greedy_exec));
    let admin = t.admin.clone();
    let greedy = t
        .app
        .instantiate_contract(code, admin, &Empty {}, &[], "greedy", None)
        .unwrap();
    t.deposit(1, 1_000, IBC).unwrap();
    // Alice sends half her shares to the greedy contract, which claims on receipt: the hook
    // settled it at balance 0 first, so there is nothing for it and the whole send reverts.
    let token = t.shares(1);
    let alice = t.alice.clone();
    let r = t.app.execute_contract(
        alice.clone(),
        token.clone(),
        &Cw20ExecuteMsg::Send {
            contract: greedy.to_string(),
            amount: Uint128::new(500),
            msg: to_json_binary(&t.frac.to_string()).unwrap(),
        },
        &[],
    );
    assert!(r.is_err());
    assert_eq!(t.bank(&greedy, IBC), 0);
    // With a plain transfer it then earns only from later deposits.
    t.share_transfer(1, &alice, &greedy, 500);
    assert_eq!(t.claimable(1, &greedy)[0].1.u128(), 0);
    t.deposit(1, 1_000, IBC).unwrap();
    t.claim(1, &greedy).unwrap();
    t.claim(1, &alice).unwrap();
    assert_eq!(t.bank(&greedy, IBC), 500);
    assert_eq!(t.bank(&alice, IBC), 1_500);
}

#[test]
fn config_admin_only() {
    let mut t = setup();
    let alice = t.alice.clone();
    let upd = |t: &mut T, who: &Addr| {
        t.app.execute_contract(
            who.clone(),
            t.frac.clone(),
            &ExecuteMsg::UpdateConfig {
                share_code_id: Some(42),
                add_nft_contracts: vec![],
                remove_nft_contracts: vec![t.nft.to_string()],
                add_cw20: vec![],
                remove_cw20: vec![],
            },
            &[],
        )
    };
    assert_eq!(err(upd(&mut t, &alice)), ContractError::Unauthorized {});
    let admin = t.admin.clone();
    upd(&mut t, &admin).unwrap();
    let c: ConfigResponse = t.q(&QueryMsg::Config {});
    assert_eq!(c.share_code_id, 42);
    assert!(c.nft_contracts.is_empty());
    assert_eq!(c.cw20_allowlist, vec![t.usdc.clone()]);
    // The removed cw721 can no longer lock.
    assert!(t.fractionalize("scanner-1", 10).is_err());
}

#[test]
fn migrate_refuses_downgrade() {
    use bithive_fractional::contract;
    assert_migrate_refusals!(contract, MigrateMsg {}, "7.0.0", "other");
}

#[test]
fn cw20_buyout_at_reserve() {
    let mut t = setup();
    let usdc = t.usdc.clone();
    let msg = FractionalizeMsg {
        shares: Uint128::new(100),
        share_name: "Scanner shares".into(),
        share_symbol: "SCAN".into(),
        decimals: 0,
        reserve_price: Price {
            asset: AssetInfo::Cw20(usdc.clone()),
            amount: Uint128::new(50_000),
        },
        revenue_assets: vec![],
    };
    let alice = t.alice.clone();
    t.app
        .execute_contract(
            alice.clone(),
            t.nft.clone(),
            &nft_msg::ExecuteMsg::SendNft {
                contract: t.frac.to_string(),
                token_id: "scanner-1".into(),
                msg: to_json_binary(&msg).unwrap(),
            },
            &[],
        )
        .unwrap();
    let clinic = t.clinic.clone();
    t.approve_holder(&clinic);
    let send = |t: &mut T, amount: u128| {
        t.send_to_vaults(&clinic, &usdc, amount, &ReceiveMsg::Buyout { vault_id: 1 })
    };
    assert!(matches!(
        err(send(&mut t, 49_999)),
        ContractError::BelowReserve { .. }
    ));
    // Native coins cannot buy a cw20-priced vault.
    let r = t.app.execute_contract(
        clinic.clone(),
        t.frac.clone(),
        &ExecuteMsg::Buyout { vault_id: 1 },
        &coins(50_000, "uusd"),
    );
    assert!(matches!(err(r), ContractError::WrongAsset { .. }));
    send(&mut t, 50_000).unwrap();
    assert_eq!(t.nft_owner("scanner-1"), clinic.to_string());
    let token = t.shares(1);
    t.send_to_vaults(&alice, &token, 100, &ReceiveMsg::Redeem {})
        .unwrap();
    assert_eq!(fixtures::cw20_balance(&t.app, &usdc, &alice), 50_000);
}

// ---- issue #20 attacks ----

/// Eight 1-unit deposits of junk native denoms used to fill the vault's revenue asset slots for
/// good, so the asset's real revenue was refused. Revenue assets are now fixed at lock time:
/// other denoms are refused and change nothing.
#[test]
fn junk_denoms_cannot_fill_revenue_slots() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let (dave, alice) = (t.dave.clone(), t.alice.clone());
    t.app.init_modules(|router, _, storage| {
        let junk: Vec<_> = (0..8).map(|i| coin(1, format!("junk{i}"))).collect();
        router.bank.init_balance(storage, &dave, junk).unwrap();
    });
    for i in 0..8 {
        let r = t.app.execute_contract(
            dave.clone(),
            t.frac.clone(),
            &ExecuteMsg::DepositRevenue { vault_id: 1 },
            &coins(1, format!("junk{i}")),
        );
        if r.is_ok() {
            continue;
        }
        assert_eq!(
            err(r),
            ContractError::RevenueAssetNotAccepted {
                vault_id: 1,
                asset: AssetInfo::Native(format!("junk{i}")).key(),
            }
        );
        assert_eq!(t.bank(&dave, &format!("junk{i}")), 1);
    }
    // The asset's real revenue is still accepted and paid out.
    t.deposit(1, 1_000, IBC).unwrap();
    t.claim(1, &alice).unwrap();
    assert_eq!(t.bank(&alice, IBC), 1_000);
}

/// A holder burning shares while the vault is active left `total_shares` unchanged: revenue
/// kept being spread over shares that no longer exist (stranded) and reunify needed a supply
/// that could never be gathered. The share token now lets only its vault burn.
#[test]
fn holders_cannot_burn_shares_of_an_active_vault() {
    let mut t = setup();
    t.fractionalize("scanner-1", 1_000).unwrap();
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    let token = t.shares(1);
    let burn = t.app.execute_contract(
        alice.clone(),
        token.clone(),
        &Cw20ExecuteMsg::Burn {
            amount: Uint128::new(1),
        },
        &[],
    );
    assert!(burn.is_err(), "a holder burned vault shares");
    t.app
        .execute_contract(
            alice.clone(),
            token.clone(),
            &Cw20ExecuteMsg::IncreaseAllowance {
                spender: bob.to_string(),
                amount: Uint128::new(10),
                expires: None,
            },
            &[],
        )
        .unwrap();
    let burn_from = t.app.execute_contract(
        bob.clone(),
        token.clone(),
        &Cw20ExecuteMsg::BurnFrom {
            owner: alice.to_string(),
            amount: Uint128::new(1),
        },
        &[],
    );
    assert!(burn_from.is_err(), "a spender burned vault shares");
    // Nothing moved: the whole supply is still there and reunify works.
    assert_eq!(t.share_balance(1, &alice), 1_000);
    t.deposit(1, 1_000, IBC).unwrap();
    t.send_to_vaults(&alice, &token, 1_000, &ReceiveMsg::Reunify {})
        .unwrap();
    t.claim(1, &alice).unwrap();
    assert_eq!(t.bank(&alice, IBC), 1_000);
}
