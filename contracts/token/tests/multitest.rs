//! cw-multi-test suite: every message, every error, the events emitted.

mod common;

use bithive_cw_common::MigrateError;
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

    let mut m = base_msg(&s);
    m.initial_balances = vec![coin(alice.clone(), u(1)), coin(alice.clone(), u(2))];
    assert_eq!(
        instantiate_err(&mut s, m),
        ContractError::DuplicateInitialBalance {
            address: alice.clone()
        }
    );

    let mut m = base_msg(&s);
    m.initial_balances = vec![coin(bob.clone(), u(0))];
    assert_eq!(
        instantiate_err(&mut s, m),
        ContractError::ZeroInitialBalance {
            address: bob.clone()
        }
    );

    let mut m = base_msg(&s);
    m.initial_balances = vec![coin(alice.clone(), Uint128::MAX), coin(bob.clone(), u(1))];
    assert!(matches!(
        instantiate_err(&mut s, m),
        ContractError::Overflow(_)
    ));

    let mut m = base_msg(&s);
    m.cap = Some(u(10));
    m.initial_balances = vec![coin(alice.clone(), u(11))];
    assert_eq!(
        instantiate_err(&mut s, m),
        ContractError::InitialSupplyOverCap {
            supply: u(11),
            cap: u(10)
        }
    );

    let mut m = base_msg(&s);
    m.cap = Some(u(0));
    assert_eq!(instantiate_err(&mut s, m), ContractError::ZeroCap {});

    let mut m = base_msg(&s);
    m.minters = vec![allowance(bob.clone(), u(1)), allowance(bob.clone(), u(2))];
    assert_eq!(
        instantiate_err(&mut s, m),
        ContractError::DuplicateMinter {
            minter: bob.clone()
        }
    );

    let mut m = base_msg(&s);
    m.initial_balances = vec![coin("not an address", u(1))];
    assert!(matches!(instantiate_err(&mut s, m), ContractError::Std(_)));

    // cw20-base's own validation (symbol) surfaces as its typed error.
    let mut m = base_msg(&s);
    m.symbol = "b".into();
    assert!(matches!(instantiate_err(&mut s, m), ContractError::Base(_)));
}

#[test]
fn transfer_moves_balance_and_emits_event() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let res = s
        .exec(
            &alice,
            &ExecuteMsg::Transfer {
                recipient: bob.to_string(),
                amount: u(400),
            },
        )
        .unwrap();
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
        s.exec(
            &alice,
            &ExecuteMsg::Transfer {
                recipient: bob.to_string(),
                amount: u(0)
            }
        )
        .unwrap_err(),
        ContractError::ZeroAmount {}
    );
    let err = s
        .exec(
            &bob,
            &ExecuteMsg::Transfer {
                recipient: alice.to_string(),
                amount: u(401),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, ContractError::Base(cw20_base::ContractError::Std(_))),
        "{err:?}"
    );
    let err = s
        .exec(
            &bob,
            &ExecuteMsg::Transfer {
                recipient: "INVALID".into(),
                amount: u(1),
            },
        )
        .unwrap_err();
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
    let res = s
        .exec(
            &alice,
            &ExecuteMsg::IncreaseAllowance {
                spender: bob.to_string(),
                amount: u(300),
                expires: None,
            },
        )
        .unwrap();
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

    let res = s
        .exec(
            &bob,
            &ExecuteMsg::TransferFrom {
                owner: alice.to_string(),
                recipient: carol.to_string(),
                amount: u(100),
            },
        )
        .unwrap();
    assert_eq!(
        wasm_attrs(&res)[0],
        ("action".to_string(), "transfer_from".to_string())
    );
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
    let err = s
        .exec(
            &bob,
            &ExecuteMsg::TransferFrom {
                owner: alice.to_string(),
                recipient: bob.to_string(),
                amount: u(1),
            },
        )
        .unwrap_err();
    assert!(matches!(err, ContractError::Base(_)), "{err:?}");

    // Zero amounts are refused on every allowance path.
    for msg in [
        ExecuteMsg::IncreaseAllowance {
            spender: bob.to_string(),
            amount: u(0),
            expires: None,
        },
        ExecuteMsg::DecreaseAllowance {
            spender: bob.to_string(),
            amount: u(0),
            expires: None,
        },
        ExecuteMsg::TransferFrom {
            owner: alice.to_string(),
            recipient: bob.to_string(),
            amount: u(0),
        },
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
        s.exec(
            &bob,
            &ExecuteMsg::TransferFrom {
                owner: alice.to_string(),
                recipient: bob.to_string(),
                amount: u(1)
            }
        )
        .unwrap_err(),
        ContractError::Base(cw20_base::ContractError::Expired {})
    );
    // Growing an allowance past u128 is a typed error, not a VM abort.
    s.exec(
        &alice,
        &ExecuteMsg::IncreaseAllowance {
            spender: carol.to_string(),
            amount: Uint128::MAX,
            expires: None,
        },
    )
    .unwrap();
    assert_eq!(
        s.exec(
            &alice,
            &ExecuteMsg::IncreaseAllowance {
                spender: carol.to_string(),
                amount: u(1),
                expires: None
            }
        )
        .unwrap_err(),
        ContractError::AllowanceOverflow {
            spender: carol.to_string()
        }
    );
    assert_eq!(
        s.exec(
            &alice,
            &ExecuteMsg::IncreaseAllowance {
                spender: alice.to_string(),
                amount: u(1),
                expires: None
            }
        )
        .unwrap_err(),
        ContractError::Base(cw20_base::ContractError::CannotSetOwnAccount {})
    );
}

#[test]
fn minting_respects_allowance_cap_and_roles() {
    let mut s = Suite::new();
    let (owner, minter, alice, bob) = (
        s.owner.clone(),
        s.minter.clone(),
        s.alice.clone(),
        s.bob.clone(),
    );
    let res = s
        .exec(
            &minter,
            &ExecuteMsg::Mint {
                recipient: bob.to_string(),
                amount: u(700),
            },
        )
        .unwrap();
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
        s.exec(
            &alice,
            &ExecuteMsg::Mint {
                recipient: bob.to_string(),
                amount: u(1)
            }
        )
        .unwrap_err(),
        ContractError::NotMinter {
            sender: alice.to_string()
        }
    );
    assert_eq!(
        s.exec(
            &minter,
            &ExecuteMsg::Mint {
                recipient: bob.to_string(),
                amount: u(0)
            }
        )
        .unwrap_err(),
        ContractError::ZeroAmount {}
    );
    assert_eq!(
        s.exec(
            &minter,
            &ExecuteMsg::Mint {
                recipient: bob.to_string(),
                amount: u(1_000_000_000_000)
            }
        )
        .unwrap_err(),
        ContractError::MintAllowanceExceeded {
            minter: minter.to_string(),
            allowance: u(999_999_999_300),
            amount: u(1_000_000_000_000)
        }
    );

    // Owner gives alice an allowance larger than the cap: the cap still binds.
    let res = s
        .exec(
            &owner,
            &ExecuteMsg::SetMinter {
                minter: alice.to_string(),
                allowance: Uint128::MAX,
            },
        )
        .unwrap();
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
        s.exec(
            &alice,
            &ExecuteMsg::Mint {
                recipient: bob.to_string(),
                amount: u(BTK_CAP - minted + 1)
            }
        )
        .unwrap_err(),
        ContractError::CapExceeded {
            cap: u(BTK_CAP),
            minted: u(minted),
            amount: u(BTK_CAP - minted + 1)
        }
    );
    s.exec(
        &alice,
        &ExecuteMsg::Mint {
            recipient: bob.to_string(),
            amount: u(BTK_CAP - minted),
        },
    )
    .unwrap();
    // Burning does not free cap.
    s.exec(&bob, &ExecuteMsg::Burn { amount: u(1_000) })
        .unwrap();
    assert!(matches!(
        s.exec(
            &alice,
            &ExecuteMsg::Mint {
                recipient: bob.to_string(),
                amount: u(1)
            }
        ),
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
        s.exec(
            &alice,
            &ExecuteMsg::SetMinter {
                minter: alice.to_string(),
                allowance: u(1)
            }
        )
        .unwrap_err(),
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
        .execute_contract(
            s.minter.clone(),
            btt,
            &ExecuteMsg::Mint {
                recipient: s.bob.to_string(),
                amount: Uint128::MAX,
            },
            &[],
        )
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
    assert_eq!(
        wasm_attrs(&res)[0],
        ("action".to_string(), "update_ownership".to_string())
    );
    s.exec(
        &alice,
        &ExecuteMsg::SetMinter {
            minter: bob.to_string(),
            allowance: u(5),
        },
    )
    .unwrap();
    assert_eq!(
        s.exec(
            &owner,
            &ExecuteMsg::SetMinter {
                minter: bob.to_string(),
                allowance: u(5)
            }
        )
        .unwrap_err(),
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
        s.exec(
            &alice,
            &ExecuteMsg::Transfer {
                recipient: a.to_string(),
                amount: u(1),
            },
        )
        .unwrap();
        s.exec(
            &alice,
            &ExecuteMsg::IncreaseAllowance {
                spender: a.to_string(),
                amount: u(1),
                expires: None,
            },
        )
        .unwrap();
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
    let token = s.token.clone();
    s.app.contract_storage_mut(&token).set(
        b"contract_info",
        &cosmwasm_std::to_json_vec(&cw2::ContractVersion {
            contract: "crates.io:bithive-token".into(),
            version: "99.0.0".into(),
        })
        .unwrap(),
    );
    let err: ContractError = s
        .app
        .migrate_contract(owner.clone(), token.clone(), &MigrateMsg {}, s.code_id)
        .unwrap_err()
        .downcast()
        .unwrap();
    assert!(
        matches!(err, ContractError::Migrate(MigrateError::Downgrade { .. })),
        "{err:?}"
    );

    s.app.contract_storage_mut(&token).set(
        b"contract_info",
        &cosmwasm_std::to_json_vec(&cw2::ContractVersion {
            contract: "crates.io:cw20-base".into(),
            version: "0.1.0".into(),
        })
        .unwrap(),
    );
    let err: ContractError = s
        .app
        .migrate_contract(owner, token, &MigrateMsg {}, s.code_id)
        .unwrap_err()
        .downcast()
        .unwrap();
    assert!(
        matches!(
            err,
            ContractError::Migrate(MigrateError::WrongContract { .. })
        ),
        "{err:?}"
    );
}
