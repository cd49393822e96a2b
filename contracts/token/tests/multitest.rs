//! cw-multi-test suite: every message, every error, the events emitted.

mod common;

use bithive_cw_common::MigrateError;
use bithive_cw_test_fixtures::cloned;
use bithive_token::msg::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, MintInfoResponse, MinterAllowance, MintersResponse,
    QueryMsg,
};
use bithive_token::ContractError;
use common::*;
use cosmwasm_std::{to_json_binary, Addr, Binary, Uint128};
use cw20::{
    AllAccountsResponse, AllAllowancesResponse, AllSpenderAllowancesResponse, AllowanceResponse,
    Cw20Coin, Cw20ReceiveMsg, DownloadLogoResponse, EmbeddedLogo, Expiration, Logo, LogoInfo,
    MarketingInfoResponse, MinterResponse, TokenInfoResponse,
};
use cw_multi_test::Executor;
use cw_ownable::{Action, Ownership, OwnershipError};

fn u(n: u128) -> Uint128 {
    Uint128::new(n)
}

fn coin(address: impl Into<String>, amount: Uint128) -> Cw20Coin {
    Cw20Coin {
        address: address.into(),
        amount,
    }
}

fn allowance(minter: impl Into<String>, allowance: Uint128) -> MinterAllowance {
    MinterAllowance {
        minter: minter.into(),
        allowance,
    }
}

fn transfer(recipient: impl ToString, amount: u128) -> ExecuteMsg {
    let (recipient, amount) = (recipient.to_string(), u(amount));
    ExecuteMsg::Transfer { recipient, amount }
}

/// `owner`'s tokens to `recipient` under the sender's allowance.
fn transfer_from(owner: impl ToString, recipient: impl ToString, amount: u128) -> ExecuteMsg {
    let (owner, recipient) = (owner.to_string(), recipient.to_string());
    let amount = u(amount);
    ExecuteMsg::TransferFrom {
        owner,
        recipient,
        amount,
    }
}

fn mint(recipient: impl ToString, amount: u128) -> ExecuteMsg {
    let (recipient, amount) = (recipient.to_string(), u(amount));
    ExecuteMsg::Mint { recipient, amount }
}

fn attr(key: &str, value: &str) -> (String, String) {
    (key.into(), value.into())
}

fn set_minter(minter: impl ToString, allowance: u128) -> ExecuteMsg {
    let (minter, allowance) = (minter.to_string(), u(allowance));
    ExecuteMsg::SetMinter { minter, allowance }
}

/// An allowance increase that never expires.
fn increase_allowance(spender: impl ToString, amount: u128) -> ExecuteMsg {
    let (spender, amount) = (spender.to_string(), u(amount));
    let expires = None;
    ExecuteMsg::IncreaseAllowance {
        spender,
        amount,
        expires,
    }
}

/// Stores and instantiates the cw20 receiver probe contract.
fn instantiate_receiver(s: &mut Suite) -> Addr {
    let rcode = s.app.store_code(receiver_contract());
    s.app
        .instantiate_contract(
            rcode,
            s.owner.clone(),
            &cosmwasm_std::Empty {},
            &[],
            "r",
            None,
        )
        .unwrap()
}

fn base_msg(s: &Suite) -> InstantiateMsg {
    InstantiateMsg {
        name: "BitHive Token".into(),
        symbol: "BTT".into(),
        decimals: 6,
        initial_balances: vec![],
        owner: Some(s.owner.to_string()),
        cap: None,
        minters: vec![],
        marketing: None,
    }
}

/// The error of instantiating [`base_msg`] after `change`.
fn refused_init(s: &mut Suite, change: impl FnOnce(&mut InstantiateMsg)) -> ContractError {
    let mut m = base_msg(s);
    change(&mut m);
    instantiate_err(s, m)
}

fn instantiate_err(s: &mut Suite, msg: InstantiateMsg) -> ContractError {
    s.app
        .instantiate_contract(s.code_id, s.owner.clone(), &msg, &[], "t", None)
        .unwrap_err()
        .downcast()
        .unwrap()
}

#[test]
fn instantiate_records_info_version_and_owner() {
    let s = Suite::new();
    let info: TokenInfoResponse = s.query(&QueryMsg::TokenInfo {});
    assert_eq!(
        info,
        TokenInfoResponse {
            name: "BitSpark Token".into(),
            symbol: "BTK".into(),
            decimals: 6,
            total_supply: u(1_000_000)
        }
    );
    let v = cw2::query_contract_info(&s.app.wrap(), s.token.to_string()).unwrap();
    assert_eq!(v.contract, "crates.io:bithive-token");
    let mi: MintInfoResponse = s.query(&QueryMsg::MintInfo {});
    assert_eq!(mi.minted, u(1_000_000));
    assert_eq!(mi.remaining, Some(u(BTK_CAP - 1_000_000)));
    let own: Ownership<Addr> = s.query(&QueryMsg::Ownership {});
    assert_eq!(own.owner, Some(s.owner.clone()));
    let m: Option<MinterResponse> = s.query(&QueryMsg::Minter {});
    assert_eq!(
        m,
        Some(MinterResponse {
            minter: s.owner.to_string(),
            cap: Some(u(BTK_CAP))
        })
    );
}

#[test]
fn instantiate_rejects_bad_input_with_typed_errors() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.to_string(), s.bob.to_string());

    let duplicated = vec![coin(alice.clone(), u(1)), coin(alice.clone(), u(2))];
    assert_eq!(
        refused_init(&mut s, |m| m.initial_balances = duplicated),
        ContractError::DuplicateInitialBalance {
            address: alice.clone()
        }
    );
    let zero = vec![coin(bob.clone(), u(0))];
    assert_eq!(
        refused_init(&mut s, |m| m.initial_balances = zero),
        ContractError::ZeroInitialBalance {
            address: bob.clone()
        }
    );
    let overflowing = vec![coin(alice.clone(), Uint128::MAX), coin(bob.clone(), u(1))];
    assert!(matches!(
        refused_init(&mut s, |m| m.initial_balances = overflowing),
        ContractError::Overflow(_)
    ));
    let over_cap = |m: &mut InstantiateMsg| {
        m.cap = Some(u(10));
        m.initial_balances = vec![coin(alice.clone(), u(11))];
    };
    assert_eq!(
        refused_init(&mut s, over_cap),
        ContractError::InitialSupplyOverCap {
            supply: u(11),
            cap: u(10)
        }
    );
    assert_eq!(
        refused_init(&mut s, |m| m.cap = Some(u(0))),
        ContractError::ZeroCap {}
    );
    let minters = vec![allowance(bob.clone(), u(1)), allowance(bob.clone(), u(2))];
    assert_eq!(
        refused_init(&mut s, |m| m.minters = minters),
        ContractError::DuplicateMinter {
            minter: bob.clone()
        }
    );
    let not_an_address = vec![coin("not an address", u(1))];
    assert!(matches!(
        refused_init(&mut s, |m| m.initial_balances = not_an_address),
        ContractError::Std(_)
    ));
    // cw20-base's own validation (symbol) surfaces as its typed error.
    assert!(matches!(
        refused_init(&mut s, |m| m.symbol = "b".into()),
        ContractError::Base(_)
    ));
}

#[test]
fn transfer_moves_balance_and_emits_event() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let res = s.exec(&alice, &transfer(&bob, 400)).unwrap();
    assert_eq!(
        wasm_attrs(&res),
        attrs(&[
            ("action", "transfer"),
            ("from", alice.as_str()),
            ("to", bob.as_str()),
            ("amount", "400")
        ])
    );
    assert_eq!((s.balance(&alice), s.balance(&bob)), (999_600, 400));
    assert_eq!(s.supply(), 1_000_000);

    assert_eq!(
        s.exec(&alice, &transfer(&bob, 0)).unwrap_err(),
        ContractError::ZeroAmount {}
    );
    let err = s.exec(&bob, &transfer(&alice, 401)).unwrap_err();
    assert!(
        matches!(err, ContractError::Base(cw20_base::ContractError::Std(_))),
        "{err:?}"
    );
    let err = s.exec(&bob, &transfer("INVALID", 1)).unwrap_err();
    assert!(matches!(err, ContractError::Base(_)), "{err:?}");
}

#[test]
fn burn_lowers_supply_but_never_frees_cap() {
    let mut s = Suite::new();
    let alice = s.alice.clone();
    let res = s
        .exec(&alice, &ExecuteMsg::Burn { amount: u(100) })
        .unwrap();
    assert_eq!(
        wasm_attrs(&res),
        attrs(&[
            ("action", "burn"),
            ("from", alice.as_str()),
            ("amount", "100")
        ])
    );
    assert_eq!(s.supply(), 999_900);
    let mi: MintInfoResponse = s.query(&QueryMsg::MintInfo {});
    assert_eq!(mi.minted, u(1_000_000));
    assert_eq!(
        s.exec(&alice, &ExecuteMsg::Burn { amount: u(0) })
            .unwrap_err(),
        ContractError::ZeroAmount {}
    );
    assert!(s
        .exec(
            &alice,
            &ExecuteMsg::Burn {
                amount: u(1_000_000)
            }
        )
        .is_err());
}

#[test]
fn send_calls_receiver_hook_and_reverts_with_it() {
    let mut s = Suite::new();
    let alice = s.alice.clone();
    let receiver = instantiate_receiver(&mut s);
    let payload = to_json_binary(&"hello").unwrap();
    let res = s
        .exec(
            &alice,
            &ExecuteMsg::Send {
                contract: receiver.to_string(),
                amount: u(50),
                msg: payload.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        wasm_attrs(&res)[..4],
        attrs(&[
            ("action", "send"),
            ("from", alice.as_str()),
            ("to", receiver.as_str()),
            ("amount", "50")
        ])[..]
    );
    let last: Option<Cw20ReceiveMsg> = s
        .app
        .wrap()
        .query_wasm_smart(&receiver, &cosmwasm_std::Empty {})
        .unwrap();
    assert_eq!(
        last,
        Some(Cw20ReceiveMsg {
            sender: alice.to_string(),
            amount: u(50),
            msg: payload
        })
    );
    assert_eq!(s.balance(&receiver), 50);

    // A receiver that fails rolls the whole send back.
    let fail = Binary::from(b"\"fail\"".as_slice());
    assert!(s
        .app
        .execute_contract(
            alice.clone(),
            s.token.clone(),
            &ExecuteMsg::Send {
                contract: receiver.to_string(),
                amount: u(10),
                msg: fail
            },
            &[]
        )
        .is_err());
    assert_eq!(s.balance(&receiver), 50);
    assert_eq!(s.balance(&alice), 999_950);
    assert_eq!(
        s.exec(
            &alice,
            &ExecuteMsg::Send {
                contract: receiver.to_string(),
                amount: u(0),
                msg: Binary::default()
            }
        )
        .unwrap_err(),
        ContractError::ZeroAmount {}
    );
}

#[test]
fn allowances_full_flow() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let res = s.exec(&alice, &increase_allowance(&bob, 300)).unwrap();
    assert_eq!(
        wasm_attrs(&res),
        attrs(&[
            ("action", "increase_allowance"),
            ("owner", alice.as_str()),
            ("spender", bob.as_str()),
            ("amount", "300")
        ])
    );
    s.exec(
        &alice,
        &ExecuteMsg::DecreaseAllowance {
            spender: bob.to_string(),
            amount: u(50),
            expires: None,
        },
    )
    .unwrap();
    let a: AllowanceResponse = s.query(&QueryMsg::Allowance {
        owner: alice.to_string(),
        spender: bob.to_string(),
    });
    assert_eq!(a.allowance, u(250));

    let res = s.exec(&bob, &transfer_from(&alice, &carol, 100)).unwrap();
    assert_eq!(wasm_attrs(&res)[0], attr("action", "transfer_from"));
    s.exec(
        &bob,
        &ExecuteMsg::BurnFrom {
            owner: alice.to_string(),
            amount: u(50),
        },
    )
    .unwrap();
    assert_eq!(s.balance(&carol), 100);
    assert_eq!(s.supply(), 999_950);

    let receiver = instantiate_receiver(&mut s);
    s.exec(
        &bob,
        &ExecuteMsg::SendFrom {
            owner: alice.to_string(),
            contract: receiver.to_string(),
            amount: u(100),
            msg: Binary::default(),
        },
    )
    .unwrap();
    assert_eq!(s.balance(&receiver), 100);
    // Allowance is now 0: any further use fails.
    let err = s.exec(&bob, &transfer_from(&alice, &bob, 1)).unwrap_err();
    assert!(matches!(err, ContractError::Base(_)), "{err:?}");

    // Zero amounts are refused on every allowance path.
    for msg in [
        increase_allowance(&bob, 0),
        ExecuteMsg::DecreaseAllowance {
            spender: bob.to_string(),
            amount: u(0),
            expires: None,
        },
        transfer_from(&alice, &bob, 0),
        ExecuteMsg::BurnFrom {
            owner: alice.to_string(),
            amount: u(0),
        },
        ExecuteMsg::SendFrom {
            owner: alice.to_string(),
            contract: receiver.to_string(),
            amount: u(0),
            msg: Binary::default(),
        },
    ] {
        let sender = if matches!(
            msg,
            ExecuteMsg::IncreaseAllowance { .. } | ExecuteMsg::DecreaseAllowance { .. }
        ) {
            &alice
        } else {
            &bob
        };
        assert_eq!(
            s.exec(sender, &msg).unwrap_err(),
            ContractError::ZeroAmount {}
        );
    }
}

#[test]
fn allowance_expiry_and_overflow_errors() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let height = s.app.block_info().height;
    assert_eq!(
        s.exec(
            &alice,
            &ExecuteMsg::IncreaseAllowance {
                spender: bob.to_string(),
                amount: u(5),
                expires: Some(Expiration::AtHeight(height))
            }
        )
        .unwrap_err(),
        ContractError::Base(cw20_base::ContractError::InvalidExpiration {})
    );
    s.exec(
        &alice,
        &ExecuteMsg::IncreaseAllowance {
            spender: bob.to_string(),
            amount: u(5),
            expires: Some(Expiration::AtHeight(height + 2)),
        },
    )
    .unwrap();
    s.app.update_block(|b| b.height += 5);
    assert_eq!(
        s.exec(&bob, &transfer_from(&alice, &bob, 1)).unwrap_err(),
        ContractError::Base(cw20_base::ContractError::Expired {})
    );
    // Growing an allowance past u128 is a typed error, not a VM abort.
    s.exec(&alice, &increase_allowance(&carol, u128::MAX))
        .unwrap();
    assert_eq!(
        s.exec(&alice, &increase_allowance(&carol, 1)).unwrap_err(),
        ContractError::AllowanceOverflow {
            spender: carol.to_string()
        }
    );
    assert_eq!(
        s.exec(&alice, &increase_allowance(&alice, 1)).unwrap_err(),
        ContractError::Base(cw20_base::ContractError::CannotSetOwnAccount {})
    );
}

#[test]
fn minting_respects_allowance_cap_and_roles() {
    let mut s = Suite::new();
    cloned!(s => owner, minter, alice, bob);
    let res = s.exec(&minter, &mint(&bob, 700)).unwrap();
    assert_eq!(
        wasm_attrs(&res),
        attrs(&[
            ("action", "mint"),
            ("minter", minter.as_str()),
            ("to", bob.as_str()),
            ("amount", "700"),
            ("minter_allowance", "999999999300")
        ])
    );
    assert_eq!(s.balance(&bob), 700);
    assert_eq!(
        s.exec(&alice, &mint(&bob, 1)).unwrap_err(),
        ContractError::NotMinter {
            sender: alice.to_string()
        }
    );
    assert_eq!(
        s.exec(&minter, &mint(&bob, 0)).unwrap_err(),
        ContractError::ZeroAmount {}
    );
    assert_eq!(
        s.exec(&minter, &mint(&bob, 1_000_000_000_000)).unwrap_err(),
        ContractError::MintAllowanceExceeded {
            minter: minter.to_string(),
            allowance: u(999_999_999_300),
            amount: u(1_000_000_000_000)
        }
    );

    // Owner gives alice an allowance larger than the cap: the cap still binds.
    let res = s.exec(&owner, &set_minter(&alice, u128::MAX)).unwrap();
    assert_eq!(
        wasm_attrs(&res),
        attrs(&[
            ("action", "set_minter"),
            ("minter", alice.as_str()),
            ("allowance", &Uint128::MAX.to_string())
        ])
    );
    let minted = 1_000_000 + 700;
    assert_eq!(
        s.exec(&alice, &mint(&bob, BTK_CAP - minted + 1))
            .unwrap_err(),
        ContractError::CapExceeded {
            cap: u(BTK_CAP),
            minted: u(minted),
            amount: u(BTK_CAP - minted + 1)
        }
    );
    s.exec(&alice, &mint(&bob, BTK_CAP - minted)).unwrap();
    // Burning does not free cap.
    s.exec(&bob, &ExecuteMsg::Burn { amount: u(1_000) })
        .unwrap();
    assert!(matches!(
        s.exec(&alice, &mint(&bob, 1)),
        Err(ContractError::CapExceeded { .. })
    ));
    let mi: MintInfoResponse = s.query(&QueryMsg::MintInfo {});
    assert_eq!(
        mi,
        MintInfoResponse {
            cap: Some(u(BTK_CAP)),
            minted: u(BTK_CAP),
            remaining: Some(u(0))
        }
    );

    // Only the owner manages minters.
    assert_eq!(
        s.exec(&alice, &set_minter(&alice, 1)).unwrap_err(),
        ContractError::Ownership(OwnershipError::NotOwner)
    );
    assert_eq!(
        s.exec(
            &alice,
            &ExecuteMsg::RemoveMinter {
                minter: minter.to_string()
            }
        )
        .unwrap_err(),
        ContractError::Ownership(OwnershipError::NotOwner)
    );
    let ms: MintersResponse = s.query(&QueryMsg::Minters {
        start_after: None,
        limit: None,
    });
    assert_eq!(ms.minters.len(), 2);
    let res = s
        .exec(
            &owner,
            &ExecuteMsg::RemoveMinter {
                minter: minter.to_string(),
            },
        )
        .unwrap();
    assert_eq!(
        wasm_attrs(&res),
        attrs(&[("action", "remove_minter"), ("minter", minter.as_str())])
    );
    assert_eq!(
        s.exec(
            &owner,
            &ExecuteMsg::RemoveMinter {
                minter: minter.to_string()
            }
        )
        .unwrap_err(),
        ContractError::NotMinter {
            sender: minter.to_string()
        }
    );
    let a: MinterAllowance = s.query(&QueryMsg::MinterAllowance {
        minter: minter.to_string(),
    });
    assert_eq!(a.allowance, u(0));
}

#[test]
fn uncapped_token_minting_overflow_is_typed() {
    let mut s = Suite::new();
    let mut m = base_msg(&s);
    m.minters = vec![allowance(s.minter.to_string(), Uint128::MAX)];
    m.initial_balances = vec![coin(s.alice.to_string(), u(1))];
    let btt = s
        .app
        .instantiate_contract(s.code_id, s.owner.clone(), &m, &[], "btt", None)
        .unwrap();
    let err: ContractError = s
        .app
        .execute_contract(s.minter.clone(), btt, &mint(&s.bob, u128::MAX), &[])
        .unwrap_err()
        .downcast()
        .unwrap();
    assert!(matches!(err, ContractError::Overflow(_)), "{err:?}");
}

#[test]
fn ownership_transfer_is_two_step() {
    let mut s = Suite::new();
    let (owner, alice, bob) = (s.owner.clone(), s.alice.clone(), s.bob.clone());
    s.exec(
        &owner,
        &ExecuteMsg::UpdateOwnership(Action::TransferOwnership {
            new_owner: alice.to_string(),
            expiry: None,
        }),
    )
    .unwrap();
    // Still the old owner until accepted.
    let own: Ownership<Addr> = s.query(&QueryMsg::Ownership {});
    assert_eq!(
        (own.owner, own.pending_owner),
        (Some(owner.clone()), Some(alice.clone()))
    );
    assert_eq!(
        s.exec(&bob, &ExecuteMsg::UpdateOwnership(Action::AcceptOwnership))
            .unwrap_err(),
        ContractError::Ownership(OwnershipError::NotPendingOwner)
    );
    let res = s
        .exec(
            &alice,
            &ExecuteMsg::UpdateOwnership(Action::AcceptOwnership),
        )
        .unwrap();
    assert_eq!(wasm_attrs(&res)[0], attr("action", "update_ownership"));
    s.exec(&alice, &set_minter(&bob, 5)).unwrap();
    assert_eq!(
        s.exec(&owner, &set_minter(&bob, 5)).unwrap_err(),
        ContractError::Ownership(OwnershipError::NotOwner)
    );
    s.exec(
        &alice,
        &ExecuteMsg::UpdateOwnership(Action::RenounceOwnership),
    )
    .unwrap();
    let m: Option<MinterResponse> = s.query(&QueryMsg::Minter {});
    assert_eq!(m, None);
}

#[test]
fn marketing_and_logo() {
    let mut s = Suite::new();
    let mut m = base_msg(&s);
    m.marketing = Some(bithive_token::msg::InstantiateMarketingInfo {
        project: Some("BitHive".into()),
        description: Some("healthcare payments".into()),
        marketing: Some(s.alice.to_string()),
        logo: Some(Logo::Url("https://example.org/btt.png".into())),
    });
    let btt = s
        .app
        .instantiate_contract(s.code_id, s.owner.clone(), &m, &[], "btt", None)
        .unwrap();
    let info: MarketingInfoResponse = s
        .app
        .wrap()
        .query_wasm_smart(&btt, &QueryMsg::MarketingInfo {})
        .unwrap();
    assert_eq!(
        info.logo,
        Some(LogoInfo::Url("https://example.org/btt.png".into()))
    );
    let upd = ExecuteMsg::UpdateMarketing {
        project: Some("BTT".into()),
        description: None,
        marketing: None,
    };
    assert!(s
        .app
        .execute_contract(s.bob.clone(), btt.clone(), &upd, &[])
        .is_err());
    s.app
        .execute_contract(s.alice.clone(), btt.clone(), &upd, &[])
        .unwrap();
    let png = Binary::from(b"\x89PNG\r\n\x1a\n0000".as_slice());
    s.app
        .execute_contract(
            s.alice.clone(),
            btt.clone(),
            &ExecuteMsg::UploadLogo(Logo::Embedded(EmbeddedLogo::Png(png.clone()))),
            &[],
        )
        .unwrap();
    let logo: DownloadLogoResponse = s
        .app
        .wrap()
        .query_wasm_smart(&btt, &QueryMsg::DownloadLogo {})
        .unwrap();
    assert_eq!((logo.mime_type.as_str(), logo.data), ("image/png", png));
    let err: ContractError = s
        .app
        .execute_contract(
            s.alice.clone(),
            btt.clone(),
            &ExecuteMsg::UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(
                b"not a png".as_slice(),
            )))),
            &[],
        )
        .unwrap_err()
        .downcast()
        .unwrap();
    assert_eq!(
        err,
        ContractError::Base(cw20_base::ContractError::InvalidPngHeader {})
    );
}

#[test]
fn enumeration_paginates() {
    let mut s = Suite::new();
    let alice = s.alice.clone();
    let mut holders: Vec<String> = vec![alice.to_string()];
    for i in 0..45 {
        let a = s.app.api().addr_make(&format!("holder{i}"));
        s.exec(&alice, &transfer(&a, 1)).unwrap();
        s.exec(&alice, &increase_allowance(&a, 1)).unwrap();
        holders.push(a.to_string());
    }
    holders.sort();
    let mut seen = vec![];
    let mut start = None;
    loop {
        let page: AllAccountsResponse = s.query(&QueryMsg::AllAccounts {
            start_after: start.clone(),
            limit: Some(100),
        });
        assert!(page.accounts.len() <= 30, "page bounded");
        if page.accounts.is_empty() {
            break;
        }
        start = page.accounts.last().cloned();
        seen.extend(page.accounts);
    }
    assert_eq!(seen, holders);
    let first: AllAllowancesResponse = s.query(&QueryMsg::AllAllowances {
        owner: alice.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(first.allowances.len(), 10);
    let spender = s.app.api().addr_make("holder3");
    let sp: AllSpenderAllowancesResponse = s.query(&QueryMsg::AllSpenderAllowances {
        spender: spender.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(sp.allowances.len(), 1);
    assert_eq!(sp.allowances[0].owner, alice.to_string());
}

#[test]
fn migrate_accepts_upgrade_and_refuses_downgrade() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let res = s
        .app
        .migrate_contract(owner.clone(), s.token.clone(), &MigrateMsg {}, s.code_id)
        .unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "action" && a.value == "migrate")));

    // Pretend the stored code is newer: migration must refuse.
    let err = refused_migration(&mut s, "crates.io:bithive-token", "99.0.0");
    assert!(
        matches!(err, ContractError::Migrate(MigrateError::Downgrade { .. })),
        "{err:?}"
    );
    // Another contract's state is not taken over.
    let err = refused_migration(&mut s, "crates.io:cw20-base", "0.1.0");
    assert!(
        matches!(
            err,
            ContractError::Migrate(MigrateError::WrongContract { .. })
        ),
        "{err:?}"
    );
}

/// The error of migrating the token (by its owner, onto its own code) once its cw2 record says
/// `contract` at `version`.
fn refused_migration(s: &mut Suite, contract: &str, version: &str) -> ContractError {
    let info = cw2::ContractVersion {
        contract: contract.into(),
        version: version.into(),
    };
    let token = s.token.clone();
    let stored = cosmwasm_std::to_json_vec(&info).unwrap();
    s.app
        .contract_storage_mut(&token)
        .set(b"contract_info", &stored);
    s.app
        .migrate_contract(s.owner.clone(), token, &MigrateMsg {}, s.code_id)
        .unwrap_err()
        .downcast()
        .unwrap()
}
