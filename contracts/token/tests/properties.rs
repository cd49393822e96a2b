//! Property tests: random operation sequences against a reference model. After every step,
//! balances sum to the total supply, cumulative minting never exceeds the cap, burns never free
//! cap, and the contract agrees with the model on every balance and on success or failure.

mod common;

use std::collections::BTreeMap;

use bithive_token::msg::{ExecuteMsg, InstantiateMsg, MintInfoResponse, MinterAllowance, QueryMsg};
use common::token_contract;
use cosmwasm_std::{Addr, Uint128};
use cw20::{AllAccountsResponse, Cw20Coin};
use cw_multi_test::{App, Executor};
use proptest::prelude::*;

const CAP: u128 = 10_000;
const ACCOUNTS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Transfer {
        from: usize,
        to: usize,
        amount: u128,
    },
    Burn {
        from: usize,
        amount: u128,
    },
    Mint {
        minter: usize,
        to: usize,
        amount: u128,
    },
    Approve {
        owner: usize,
        spender: usize,
        amount: u128,
    },
    TransferFrom {
        spender: usize,
        owner: usize,
        to: usize,
        amount: u128,
    },
    BurnFrom {
        spender: usize,
        owner: usize,
        amount: u128,
    },
    SetMinter {
        minter: usize,
        allowance: u128,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..ACCOUNTS;
    let amt = prop_oneof![0u128..50, 0u128..3_000, Just(CAP)];
    prop_oneof![
        (who.clone(), who.clone(), amt.clone()).prop_map(|(from, to, amount)| Op::Transfer {
            from,
            to,
            amount
        }),
        (who.clone(), amt.clone()).prop_map(|(from, amount)| Op::Burn { from, amount }),
        (who.clone(), who.clone(), amt.clone()).prop_map(|(minter, to, amount)| Op::Mint {
            minter,
            to,
            amount
        }),
        (who.clone(), who.clone(), amt.clone()).prop_map(|(owner, spender, amount)| Op::Approve {
            owner,
            spender,
            amount
        }),
        (who.clone(), who.clone(), who.clone(), amt.clone()).prop_map(
            |(spender, owner, to, amount)| Op::TransferFrom {
                spender,
                owner,
                to,
                amount
            }
        ),
        (who.clone(), who.clone(), amt.clone()).prop_map(|(spender, owner, amount)| Op::BurnFrom {
            spender,
            owner,
            amount
        }),
        (who, amt).prop_map(|(minter, allowance)| Op::SetMinter { minter, allowance }),
    ]
}

#[derive(Default)]
struct Model {
    balances: BTreeMap<usize, u128>,
    allowances: BTreeMap<(usize, usize), u128>,
    minters: BTreeMap<usize, u128>,
    minted: u128,
    supply: u128,
}

impl Model {
    fn bal(&self, a: usize) -> u128 {
        self.balances.get(&a).copied().unwrap_or(0)
    }
    fn debit(&mut self, a: usize, x: u128) -> bool {
        let b = self.bal(a);
        if b < x {
            return false;
        }
        self.balances.insert(a, b - x);
        true
    }
    fn credit(&mut self, a: usize, x: u128) {
        *self.balances.entry(a).or_default() += x;
    }
    fn spend_allowance(&mut self, owner: usize, spender: usize, x: u128) -> bool {
        let a = self.allowances.get(&(owner, spender)).copied().unwrap_or(0);
        if a < x || self.bal(owner) < x {
            return false;
        }
        self.allowances.insert((owner, spender), a - x);
        true
    }
    /// `spender` takes `x` of `owner`'s balance under its allowance (whether it may).
    fn take_allowed(&mut self, owner: usize, spender: usize, x: u128) -> bool {
        x > 0 && self.spend_allowance(owner, spender, x) && self.debit(owner, x)
    }
    /// Applies `op`; returns whether it must succeed. Owner is account 0.
    fn apply(&mut self, op: &Op) -> bool {
        match *op {
            Op::Transfer { from, to, amount } => {
                amount > 0 && self.debit(from, amount) && {
                    self.credit(to, amount);
                    true
                }
            }
            Op::Burn { from, amount } => {
                amount > 0 && self.debit(from, amount) && {
                    self.supply -= amount;
                    true
                }
            }
            Op::Mint { minter, to, amount } => {
                let Some(&allow) = self.minters.get(&minter) else {
                    return false;
                };
                if amount == 0 || allow < amount || self.minted + amount > CAP {
                    return false;
                }
                self.minters.insert(minter, allow - amount);
                self.minted += amount;
                self.supply += amount;
                self.credit(to, amount);
                true
            }
            Op::Approve {
                owner,
                spender,
                amount,
            } => {
                if amount == 0 || owner == spender {
                    return false;
                }
                *self.allowances.entry((owner, spender)).or_default() += amount;
                true
            }
            Op::TransferFrom {
                spender,
                owner,
                to,
                amount,
            } => {
                self.take_allowed(owner, spender, amount) && {
                    self.credit(to, amount);
                    true
                }
            }
            Op::BurnFrom {
                spender,
                owner,
                amount,
            } => {
                self.take_allowed(owner, spender, amount) && {
                    self.supply -= amount;
                    true
                }
            }
            Op::SetMinter { minter, allowance } => {
                self.minters.insert(minter, allowance);
                true
            }
        }
    }
}

fn msg_for(op: &Op, addrs: &[Addr]) -> (usize, ExecuteMsg) {
    let s = |i: usize| addrs[i].to_string();
    let u = Uint128::new;
    match *op {
        Op::Transfer { from, to, amount } => (
            from,
            ExecuteMsg::Transfer {
                recipient: s(to),
                amount: u(amount),
            },
        ),
        Op::Burn { from, amount } => (from, ExecuteMsg::Burn { amount: u(amount) }),
        Op::Mint { minter, to, amount } => (
            minter,
            ExecuteMsg::Mint {
                recipient: s(to),
                amount: u(amount),
            },
        ),
        Op::Approve {
            owner,
            spender,
            amount,
        } => (
            owner,
            ExecuteMsg::IncreaseAllowance {
                spender: s(spender),
                amount: u(amount),
                expires: None,
            },
        ),
        Op::TransferFrom {
            spender,
            owner,
            to,
            amount,
        } => (
            spender,
            ExecuteMsg::TransferFrom {
                owner: s(owner),
                recipient: s(to),
                amount: u(amount),
            },
        ),
        Op::BurnFrom {
            spender,
            owner,
            amount,
        } => (
            spender,
            ExecuteMsg::BurnFrom {
                owner: s(owner),
                amount: u(amount),
            },
        ),
        Op::SetMinter { minter, allowance } => (
            0,
            ExecuteMsg::SetMinter {
                minter: s(minter),
                allowance: u(allowance),
            },
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn supply_conservation_and_cap(initial in 0u128..5_000, ops in proptest::collection::vec(op(), 1..40)) {
        let mut app = App::default();
        let addrs: Vec<Addr> = (0..ACCOUNTS).map(|i| app.api().addr_make(&format!("acct{i}"))).collect();
        let code = app.store_code(token_contract());
        let mut model = Model::default();
        let mut initial_balances = vec![];
        if initial > 0 {
            initial_balances.push(Cw20Coin { address: addrs[1].to_string(), amount: Uint128::new(initial) });
            model.credit(1, initial);
        }
        model.minted = initial;
        model.supply = initial;
        model.minters.insert(2, 4_000);
        let token = app.instantiate_contract(code, addrs[0].clone(), &InstantiateMsg {
            name: "Prop Token".into(), symbol: "PROP".into(), decimals: 6, initial_balances,
            owner: None, cap: Some(Uint128::new(CAP)),
            minters: vec![MinterAllowance { minter: addrs[2].to_string(), allowance: Uint128::new(4_000) }],
            marketing: None,
        }, &[], "prop", None).unwrap();

        for op in &ops {
            let expect_ok = model.apply(op);
            let (sender, msg) = msg_for(op, &addrs);
            let got = app.execute_contract(addrs[sender].clone(), token.clone(), &msg, &[]);
            prop_assert_eq!(got.is_ok(), expect_ok, "{:?} -> {:?}", op, got.err());

            let all: AllAccountsResponse = app.wrap().query_wasm_smart(&token, &QueryMsg::AllAccounts { start_after: None, limit: Some(30) }).unwrap();
            let mut sum = 0u128;
            for a in &all.accounts {
                let b: cw20::BalanceResponse = app.wrap().query_wasm_smart(&token, &QueryMsg::Balance { address: a.clone() }).unwrap();
                sum += b.balance.u128();
            }
            let info: cw20::TokenInfoResponse = app.wrap().query_wasm_smart(&token, &QueryMsg::TokenInfo {}).unwrap();
            let mint: MintInfoResponse = app.wrap().query_wasm_smart(&token, &QueryMsg::MintInfo {}).unwrap();
            prop_assert_eq!(sum, info.total_supply.u128());
            prop_assert!(mint.minted.u128() <= CAP);
            prop_assert!(info.total_supply <= mint.minted);
            prop_assert_eq!(info.total_supply.u128(), model.supply);
            prop_assert_eq!(mint.minted.u128(), model.minted);
            for (i, a) in addrs.iter().enumerate() {
                let b: cw20::BalanceResponse = app.wrap().query_wasm_smart(&token, &QueryMsg::Balance { address: a.to_string() }).unwrap();
                prop_assert_eq!(b.balance.u128(), model.bal(i));
            }
        }
    }
}
