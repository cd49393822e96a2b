//! Properties: escrowed funds are conserved (paid + fees + refunded = deposited, and exactly that
//! much leaves the contract); a voucher pays at most once (total paid = highest accepted
//! cumulative amount, never more than the deposit).

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::{coins, Addr, BankMsg, Binary, CosmosMsg, DepsMut, Env, Response, Uint128};
use proptest::prelude::*;

use crate::coding::{PaymentCoding, PaymentType};
use crate::contract::{execute, instantiate};
use crate::msg::{CreateEscrowMsg, ExecuteMsg, InstantiateMsg, OpenChannelMsg};
use crate::state::{EscrowStatus, ESCROWS};

const DENOM: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

fn paid_out(res: &Response) -> u128 {
    res.messages
        .iter()
        .map(|m| match &m.msg {
            CosmosMsg::Bank(BankMsg::Send { amount, .. }) => {
                amount.iter().map(|c| c.amount.u128()).sum::<u128>()
            }
            _ => 0,
        })
        .sum()
}

struct Parties {
    admin: Addr,
    payer: Addr,
    payee: Addr,
    arbiter: Addr,
    collector: Addr,
}

fn parties(api: &MockApi) -> Parties {
    Parties {
        admin: api.addr_make("admin"),
        payer: api.addr_make("payer"),
        payee: api.addr_make("payee"),
        arbiter: api.addr_make("arbiter"),
        collector: api.addr_make("collector"),
    }
}

/// Instantiates the escrow by `p.admin`: `fee_bps` to `p.collector`, no cw20s, reporters or
/// staking.
fn init(deps: DepsMut, env: &Env, p: &Parties, fee_bps: u16) {
    let msg = InstantiateMsg {
        admin: None,
        fee_bps,
        fee_collector: p.collector.to_string(),
        cw20_allowlist: vec![],
        reporters: vec![],
        staking: None,
        job_dispute_seconds: 0,
    };
    instantiate(deps, env.clone(), message_info(&p.admin, &[]), msg).unwrap();
}

#[derive(Debug, Clone)]
enum EscrowOp {
    Release { by_arbiter: bool, index: u32 },
    Dispute,
    Resolve { pct: u8 },
    Refund { advance: bool },
}

fn escrow_op() -> impl Strategy<Value = EscrowOp> {
    prop_oneof![
        (any::<bool>(), 0u32..6)
            .prop_map(|(by_arbiter, index)| EscrowOp::Release { by_arbiter, index }),
        Just(EscrowOp::Dispute),
        (0u8..=100).prop_map(|pct| EscrowOp::Resolve { pct }),
        any::<bool>().prop_map(|advance| EscrowOp::Refund { advance }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn escrow_funds_are_conserved(
        fee_bps in 0u16..=1_000,
        milestones in proptest::collection::vec(1u128..1_000_000_000, 1..6),
        ops in proptest::collection::vec(escrow_op(), 1..12),
    ) {
        let mut deps = mock_dependencies();
        let p = parties(&deps.api);
        let mut env: Env = mock_env();
        init(deps.as_mut(), &env, &p, fee_bps);
        let total: u128 = milestones.iter().sum();
        execute(deps.as_mut(), env.clone(), message_info(&p.payer, &coins(total, DENOM)),
            ExecuteMsg::CreateEscrow(CreateEscrowMsg {
                payee: p.payee.to_string(),
                arbiter: Some(p.arbiter.to_string()),
                milestones: milestones.iter().map(|m| Uint128::new(*m)).collect(),
                expires_at: env.block.time.plus_seconds(1_000),
                coding: PaymentCoding {
                    payment_type: PaymentType::Procedure,
                    procedure_codes: vec!["99213".into()],
                    diagnosis_codes: vec!["E11.9".into()],
                    invoice_ref: "INV-1".into(),
                },
            })).unwrap();
        let mut out = 0u128;
        for op in ops {
            let left = {
                let e = ESCROWS.load(&deps.storage, 1).unwrap();
                e.total.u128() - e.paid_to_payee.u128() - e.fees_paid.u128() - e.refunded.u128()
            };
            let (sender, msg) = match op {
                EscrowOp::Release { by_arbiter, index } => (
                    if by_arbiter { &p.arbiter } else { &p.payer },
                    ExecuteMsg::ReleaseMilestone { escrow_id: 1, milestone: index },
                ),
                EscrowOp::Dispute => (&p.payee, ExecuteMsg::Dispute { escrow_id: 1 }),
                EscrowOp::Resolve { pct } => (
                    &p.arbiter,
                    ExecuteMsg::Resolve { escrow_id: 1, payee_amount: Uint128::new(left * pct as u128 / 100) },
                ),
                EscrowOp::Refund { advance } => {
                    if advance { env.block.time = env.block.time.plus_seconds(2_000); }
                    (&p.payer, ExecuteMsg::Refund { escrow_id: 1 })
                }
            };
            if let Ok(res) = execute(deps.as_mut(), env.clone(), message_info(sender, &[]), msg) {
                out += paid_out(&res);
            }
            let e = ESCROWS.load(&deps.storage, 1).unwrap();
            let accounted = e.paid_to_payee.u128() + e.fees_paid.u128() + e.refunded.u128();
            prop_assert_eq!(accounted, out, "messages match the books");
            prop_assert!(accounted <= total);
            if e.status == EscrowStatus::Closed {
                prop_assert_eq!(accounted, total, "a closed escrow has paid out everything");
            }
            prop_assert!(e.fees_paid.u128() * 10_000 <= (e.fees_paid.u128() + e.paid_to_payee.u128()) * fee_bps as u128);
        }
    }

    #[test]
    fn a_voucher_pays_at_most_once(
        deposit in 1u128..1_000_000,
        attempts in proptest::collection::vec((0u128..1_200_000, any::<bool>()), 1..16),
    ) {
        let mut deps = mock_dependencies();
        let p = parties(&deps.api);
        let env = mock_env();
        init(deps.as_mut(), &env, &p, 50);
        let signer = bithive_payfi_voucher::VoucherSigner::from_secret(&[5u8; 32]).unwrap();
        execute(deps.as_mut(), env.clone(), message_info(&p.payer, &coins(deposit, DENOM)),
            ExecuteMsg::OpenChannel(OpenChannelMsg {
                payee: p.payee.to_string(),
                pubkey: Binary::from(signer.public_key_compressed().to_vec()),
                challenge_period_secs: 3_600,
            })).unwrap();
        let chain = env.block.chain_id.clone();
        let contract = env.contract.address.to_string();
        let mut out = 0u128;
        let mut best = 0u128;
        let mut accepted: Vec<u128> = vec![];
        for (amount, replay) in attempts {
            // Either a fresh voucher or a replay of one already redeemed.
            let cumulative = match (replay, accepted.last()) {
                (true, Some(prev)) => *prev,
                _ => amount,
            };
            let sig = signer.sign(&chain, &contract, 1, cumulative).unwrap();
            let res = execute(deps.as_mut(), env.clone(), message_info(&p.payee, &[]),
                ExecuteMsg::RedeemVoucher {
                    channel_id: 1,
                    cumulative: Uint128::new(cumulative),
                    signature: Binary::from(sig.to_vec()),
                    form: None,
                });
            match res {
                Ok(r) => {
                    prop_assert!(cumulative > best && cumulative <= deposit);
                    prop_assert!(!accepted.contains(&cumulative));
                    out += paid_out(&r);
                    best = cumulative;
                    accepted.push(cumulative);
                }
                Err(_) => prop_assert!(cumulative <= best || cumulative > deposit),
            }
            prop_assert_eq!(out, best, "paid out exactly the highest voucher");
        }
    }
}
