//! Property: revenue claims never exceed deposits, and each holder earns its exact pro-rata
//! share (within one unit) across arbitrary interleavings of deposits, transfers and claims.

use cosmwasm_std::testing::MockStorage;
use cosmwasm_std::{Addr, Uint128};
use proptest::prelude::*;

use crate::accrual;
use crate::state::{AssetInfo, Vault, VaultStatus};

#[derive(Debug, Clone)]
enum Op {
    Deposit(u64),
    Transfer { from: usize, to: usize, pct: u8 },
    Claim(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..5_000_000).prop_map(Op::Deposit),
        (0usize..4, 0usize..4, 0u8..=100).prop_map(|(from, to, pct)| Op::Transfer {
            from,
            to,
            pct
        }),
        (0usize..4).prop_map(Op::Claim),
    ]
}

proptest! {
    #[test]
    fn claims_never_exceed_deposits(total in 1u64..1_000_000, ops in proptest::collection::vec(op(), 1..60)) {
        let mut storage = MockStorage::new();
        let holders: Vec<Addr> = (0..4).map(|i| Addr::unchecked(format!("holder{i}"))).collect();
        let asset = AssetInfo::Native("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2".into());
        let vault = Vault {
            id: 1,
            nft_contract: Addr::unchecked("nft"),
            token_id: "t".into(),
            depositor: holders[0].clone(),
            share_token: Some(Addr::unchecked("shares")),
            total_shares: Uint128::from(total),
            reserve_asset: asset.clone(),
            reserve_amount: Uint128::one(),
            status: VaultStatus::Active,
            proceeds_remaining: Uint128::zero(),
            shares_outstanding: Uint128::from(total),
            revenue_assets: vec![asset.clone()],
        };
        let mut bal = [total as u128, 0, 0, 0];
        let mut exact_num = [0u128; 4]; // exact earnings * total
        let mut claimed = [0u128; 4];
        let mut deposited = 0u128;
        for op in ops {
            match op {
                Op::Deposit(a) => {
                    accrual::deposit(&mut storage, &vault, &asset, Uint128::from(a)).unwrap();
                    deposited += a as u128;
                    for h in 0..4 { exact_num[h] += a as u128 * bal[h]; }
                }
                Op::Transfer { from, to, pct } => {
                    let amount = bal[from] * pct as u128 / 100;
                    // The share token's hook: settle both at their old balances, then move.
                    accrual::settle(&mut storage, &vault, &holders[from], Uint128::new(bal[from])).unwrap();
                    accrual::settle(&mut storage, &vault, &holders[to], Uint128::new(bal[to])).unwrap();
                    bal[from] -= amount;
                    bal[to] += amount;
                }
                Op::Claim(h) => {
                    let paid = accrual::take_claim(&mut storage, &vault, &holders[h], Uint128::new(bal[h])).unwrap();
                    claimed[h] += paid.iter().map(|(_, a)| a.u128()).sum::<u128>();
                }
            }
            prop_assert!(claimed.iter().sum::<u128>() <= deposited);
        }
        let mut owed_total = 0u128;
        for h in 0..4 {
            let claimable = accrual::claimable(&storage, &vault, &holders[h], Uint128::new(bal[h])).unwrap();
            let earned = claimed[h] + claimable.iter().map(|(_, a)| a.u128()).sum::<u128>();
            owed_total += earned;
            let t = total as u128;
            prop_assert!(earned * t <= exact_num[h] + t, "holder {} over-paid", h);
            prop_assert!(earned * t + 2 * t >= exact_num[h], "holder {} under-paid", h);
        }
        prop_assert!(owed_total <= deposited);
        // Dust stays below one unit per holder plus the carried remainder.
        prop_assert!(deposited - owed_total <= 5);
    }
}
