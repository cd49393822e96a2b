//! The committed artifacts `asset_nft`, `asset_shares` and `fractional` executed in
//! cosmwasm-vm 3 through bithive-vm-host, with wasmd's storage gas: mint an asset NFT, lock it
//! (the share token is instantiated through a reply and the shares minted to the depositor),
//! native (`ibc/...`) and allowlisted-cw20 revenue claimed pro rata across share transfers,
//! buyout then redeem, and reunify. Gas figures: `cargo run -p bithive-fractional --example fractional_gas`.

mod vm_world;

use bithive_fractional::msg::ReceiveMsg;
use bithive_fractional::state::VaultStatus;
use vm_world::{contract_error, World, IBC, RESERVE_DENOM};

#[test]
fn mint_lock_revenue_across_transfers_buyout_redeem() {
    let mut w = World::new();
    let alice = w.alice.clone();
    let [bob, carol, dave] = ["bob", "carol", "dave"].map(|n| w.chain.addr(n));
    w.mint("scanner-1", &alice);
    // Compliance: the NFT cannot go to an unapproved holder.
    let e = contract_error(w.transfer_nft(&alice, &bob, "scanner-1"));
    assert!(e.contains("US"), "{e}");

    let (vault, shares) = w.lock(&alice, "scanner-1", 1_000, 10_000);
    assert_eq!(w.owner_of("scanner-1"), w.frac);
    assert_eq!(w.shares_of(&shares, &alice), 1_000);
    let v = w.vault(vault);
    assert_eq!(v.status, VaultStatus::Active);
    assert_eq!(
        v.share_token.as_ref().map(|a| a.as_str()),
        Some(shares.as_str())
    );
    // The share token's admin and minter is the vault.
    let info = w.chain.contract_info(&shares).expect("share token exists");
    assert_eq!(info.admin.as_deref(), Some(w.frac.as_str()));

    // 40 % to bob, then 1_000 revenue: alice 600, bob 400.
    w.share_transfer(&shares, &alice, &bob, 400).unwrap();
    w.deposit_native(vault, 1_000).unwrap();
    // Bob passes half of his shares to carol after the deposit: the revenue earned so far stays
    // his (the share token told the vault before the balances moved).
    w.share_transfer(&shares, &bob, &carol, 200).unwrap();
    // Second deposit, in allowlisted cw20: alice 60 %, bob 20 %, carol 20 %.
    w.deposit_usdc(vault, 500).unwrap();
    for who in [&alice, &bob, &carol] {
        w.claim(who, vault).unwrap();
    }
    assert_eq!(w.chain.balance(&alice, IBC), 600);
    assert_eq!(w.chain.balance(&bob, IBC), 400);
    assert_eq!(w.chain.balance(&carol, IBC), 0);
    let usdc = w.usdc.clone();
    assert_eq!(
        [&alice, &bob, &carol].map(|h| w.cw20_balance(&usdc, h)),
        [300, 100, 100]
    );
    // Nothing left: a second claim is a contract error, not a VM failure.
    let e = contract_error(w.claim(&alice, vault));
    assert!(e.contains("nothing to claim"), "{e}");
    // Revenue from a cw20 that is not allowlisted is refused.
    let junk_init = cw20_base::msg::InstantiateMsg {
        name: "Junk".into(),
        symbol: "JUNK".into(),
        decimals: 6,
        initial_balances: vec![cw20::Cw20Coin {
            address: w.clinic.clone(),
            amount: cosmwasm_std::Uint128::new(1_000),
        }],
        mint: None,
        marketing: None,
    };
    let (admin, clinic, code) = (w.admin.clone(), w.clinic.clone(), w.cw20_code);
    let (junk, _) = w
        .chain
        .instantiate(code, &admin, &junk_init, &[], "junk", None)
        .unwrap();
    let send = cw20::Cw20ExecuteMsg::Send {
        contract: w.frac.clone(),
        amount: cosmwasm_std::Uint128::new(10),
        msg: cosmwasm_std::to_json_binary(&ReceiveMsg::DepositRevenue { vault_id: vault }).unwrap(),
    };
    let e = contract_error(w.chain.execute(&junk, &clinic, &send, &[]));
    assert!(e.contains("not an allowlisted cw20"), "{e}");

    // Buyout below the reserve fails; at the reserve by an approved holder takes the NFT.
    w.approve(&dave);
    w.chain
        .mint_native(&dave, &[bithive_vm_host::coin(20_000, RESERVE_DENOM)])
        .unwrap();
    let frac = w.frac.clone();
    let buyout = bithive_fractional::msg::ExecuteMsg::Buyout { vault_id: vault };
    let low = [bithive_vm_host::coin(9_999, RESERVE_DENOM)];
    let e = contract_error(w.chain.execute(&frac, &dave, &buyout, &low));
    assert!(e.contains("reserve"), "{e}");
    let price = [bithive_vm_host::coin(12_000, RESERVE_DENOM)];
    w.chain.execute(&frac, &dave, &buyout, &price).unwrap();
    assert_eq!(w.owner_of("scanner-1"), dave);
    // Shares redeem the proceeds pro rata: bob 20 % of 12_000, the last redeemer takes the rest.
    w.send_shares(&shares, &bob, 200, &ReceiveMsg::Redeem {})
        .unwrap();
    assert_eq!(w.chain.balance(&bob, RESERVE_DENOM), 2_400);
    w.send_shares(&shares, &carol, 200, &ReceiveMsg::Redeem {})
        .unwrap();
    w.send_shares(&shares, &alice, 600, &ReceiveMsg::Redeem {})
        .unwrap();
    assert_eq!(w.chain.balance(&carol, RESERVE_DENOM), 2_400);
    assert_eq!(w.chain.balance(&alice, RESERVE_DENOM), 7_200);
    assert_eq!(w.chain.balance(&frac, RESERVE_DENOM), 0);
    assert_eq!(w.shares_of(&shares, &alice), 0);
    // Revenue deposited before the buyout was already claimed; a new deposit is refused.
    let e = contract_error(w.deposit_native(vault, 10));
    assert!(e.contains("not active"), "{e}");
}

#[test]
fn reunify_needs_the_whole_supply() {
    let mut w = World::new();
    let alice = w.alice.clone();
    let bob = w.chain.addr("bob");
    w.mint("scanner-2", &alice);
    let (vault, shares) = w.lock(&alice, "scanner-2", 500, 1_000);
    w.share_transfer(&shares, &alice, &bob, 1).unwrap();
    let e = contract_error(w.send_shares(&shares, &alice, 499, &ReceiveMsg::Reunify {}));
    assert!(e.contains("whole supply"), "{e}");
    // Nothing moved: the failed send reverted entirely.
    assert_eq!(w.shares_of(&shares, &alice), 499);
    w.share_transfer(&shares, &bob, &alice, 1).unwrap();
    w.send_shares(&shares, &alice, 500, &ReceiveMsg::Reunify {})
        .unwrap();
    assert_eq!(w.owner_of("scanner-2"), alice);
    assert_eq!(
        w.vault(vault).status,
        VaultStatus::Reunified {
            holder: cosmwasm_std::Addr::unchecked(alice.clone())
        }
    );
    let token_info: cw20::TokenInfoResponse = w
        .chain
        .query(&shares, &cw20::Cw20QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(token_info.total_supply.u128(), 0);
    // The NFT can be locked again as a new vault with a new share token.
    let (vault2, shares2) = w.lock(&alice, "scanner-2", 10, 1_000);
    assert_eq!(vault2, vault + 1);
    assert_ne!(shares2, shares);
}
