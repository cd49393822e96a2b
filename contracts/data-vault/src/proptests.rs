//! Property tests on the handlers with mock dependencies: the epsilon budget is never exceeded,
//! a grant is never usable at or after its expiry, and a query never pays out more than it was
//! funded with (each query pays once, to the answerer or back to the researcher).

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::{
    coins, BankMsg, Binary, CosmosMsg, Decimal, Env, HexBinary, OwnedDeps, SignedDecimal, Uint128,
};
use proptest::prelude::*;

use crate::contract::{execute, instantiate};
use crate::msg::*;
use crate::ContractError;

const DENOM: &str = "ubtt";
type Deps = OwnedDeps<cosmwasm_std::MemoryStorage, MockApi, cosmwasm_std::testing::MockQuerier>;

fn addr(name: &str) -> cosmwasm_std::Addr {
    MockApi::default().addr_make(name)
}

fn setup() -> (Deps, Env) {
    let mut deps = mock_dependencies();
    let env = mock_env();
    instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&addr("admin"), &[]),
        InstantiateMsg {
            name: "v".into(),
            symbol: "V".into(),
            admin: None,
            max_grant_seconds: 365 * 86_400,
            curators: vec![],
            answerers: vec![addr("answerer").to_string()],
            cw20_allowlist: vec![],
        },
    )
    .unwrap();
    (deps, env)
}

fn dataset(deps: &mut Deps, env: &Env, total: Decimal, max: Decimal, ttl: u64) -> u64 {
    let r = execute(
        deps.as_mut(),
        env.clone(),
        message_info(&addr("admin"), &[]),
        ExecuteMsg::CreateDataset(CreateDatasetMsg {
            name: "d".into(),
            record_type: RecordType::LabPanel,
            total_epsilon: total,
            max_query_epsilon: max,
            price_asset: AssetInfo::Native(DENOM.into()),
            price_per_epsilon: Uint128::new(10),
            max_querier_epsilon: total,
            query_ttl_seconds: ttl,
            max_members: 10,
            admission: Admission::Open {},
        }),
    )
    .unwrap();
    cosmwasm_std::from_json(r.data.unwrap()).unwrap()
}

fn submit(
    deps: &mut Deps,
    env: &Env,
    ds: u64,
    eps: Decimal,
    pay: u128,
) -> Result<u64, ContractError> {
    let r = execute(
        deps.as_mut(),
        env.clone(),
        message_info(&addr("researcher"), &coins(pay, DENOM)),
        ExecuteMsg::SubmitQuery(SubmitQueryMsg {
            dataset_id: ds,
            kind: QueryKind::Count {},
            epsilon: eps,
        }),
    )?;
    Ok(
        cosmwasm_std::from_json::<SubmitQueryResponse>(r.data.unwrap())
            .unwrap()
            .query_id,
    )
}

fn paid_out(r: &cosmwasm_std::Response) -> u128 {
    r.messages
        .iter()
        .map(|m| match &m.msg {
            CosmosMsg::Bank(BankMsg::Send { amount, .. }) => {
                amount.iter().map(|c| c.amount.u128()).sum()
            }
            _ => 0,
        })
        .sum()
}

fn at(env: &Env, secs: u64) -> Env {
    let mut e = env.clone();
    e.block.time = env.block.time.plus_seconds(secs);
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever epsilons are asked for, the accepted ones sum to at most the total, and a query
    /// is refused only when it would not fit (or is above the per-query cap).
    #[test]
    fn budget_never_exceeded(
        total_milli in 1u64..5_000,
        max_milli in 1u64..5_000,
        asks in prop::collection::vec(1u64..3_000, 1..40),
    ) {
        let (mut deps, env) = setup();
        let total = Decimal::from_ratio(total_milli, 1_000u64);
        let max = Decimal::from_ratio(max_milli.min(total_milli), 1_000u64);
        let ds = dataset(&mut deps, &env, total, max, 60);
        let mut accepted = Decimal::zero();
        for ask in asks {
            let eps = Decimal::from_ratio(ask, 1_000u64);
            let fits = eps <= max && accepted + eps <= total;
            let r = submit(&mut deps, &env, ds, eps, 30 * u128::from(ask));
            prop_assert_eq!(r.is_ok(), fits, "eps {} accepted {} total {}", eps, accepted, total);
            if r.is_ok() {
                accepted += eps;
            }
            prop_assert!(accepted <= total);
        }
        let d: Dataset = cosmwasm_std::from_json(
            crate::contract::query(deps.as_ref(), env, QueryMsg::Dataset { dataset_id: ds }).unwrap()
        ).unwrap();
        prop_assert_eq!(d.spent_epsilon, accepted);
    }

    /// A grant works strictly before its expiry and never at or after it.
    #[test]
    fn grant_never_outlives_expiry(duration in 1u64..1_000_000, mut probes in prop::collection::vec(0u64..2_000_000, 1..20)) {
        // The boundary itself, always: one second before, at, and after the expiry.
        probes.extend([duration - 1, duration, duration + 1]);
        let (mut deps, env) = setup();
        let (alice, bob) = (addr("alice"), addr("bob"));
        execute(deps.as_mut(), env.clone(), message_info(&alice, &[]), ExecuteMsg::Mint {
            record: RecordMsg {
                content_id: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy".into(),
                record_type: RecordType::Other,
                size: 1,
                ciphertext_sha256: HexBinary::from([1u8; 32]),
            },
        }).unwrap();
        let expires_at = env.block.time.plus_seconds(duration);
        execute(deps.as_mut(), env.clone(), message_info(&alice, &[]), ExecuteMsg::GrantAccess {
            token_id: "1".into(),
            grantee: bob.to_string(),
            purpose: Purpose::Treatment,
            expires_at,
            wrapped_key: Binary::from(vec![1u8; 4]),
        }).unwrap();
        for p in probes {
            let e = at(&env, p);
            let r = execute(deps.as_mut(), e.clone(), message_info(&bob, &[]), ExecuteMsg::LogAccess {
                token_id: "1".into(),
                purpose: Purpose::Treatment,
            });
            prop_assert_eq!(r.is_ok(), e.block.time < expires_at);
            if e.block.time >= expires_at {
                let expired = matches!(r, Err(ContractError::GrantExpired { .. }));
                prop_assert!(expired);
            }
        }
    }

    /// Random answers and refunds at random times: each query pays out at most once, never more
    /// than it holds, and the total paid never exceeds the total funded.
    #[test]
    fn paid_never_exceeds_funded(
        pays in prop::collection::vec(10u128..10_000, 1..12),
        ops in prop::collection::vec((0usize..12, any::<bool>(), 0u64..200), 0..60),
    ) {
        let (mut deps, env) = setup();
        let ds = dataset(&mut deps, &env, Decimal::from_ratio(100u64, 1u64), Decimal::one(), 100);
        let mut funded = 0u128;
        let mut ids = vec![];
        for p in &pays {
            ids.push((submit(&mut deps, &env, ds, Decimal::percent(10), *p).unwrap(), *p));
            funded += p;
        }
        let mut paid = 0u128;
        let mut paid_per = vec![0u128; ids.len()];
        for (i, answer, t) in ops {
            let i = i % ids.len();
            let (id, amount) = ids[i];
            let e = at(&env, t);
            let r = if answer {
                execute(deps.as_mut(), e, message_info(&addr("answerer"), &[]), ExecuteMsg::SubmitAnswer {
                    query_id: id,
                    answer: DpAnswer::Count { value: SignedDecimal::one() },
                })
            } else {
                execute(deps.as_mut(), e, message_info(&addr("anyone"), &[]), ExecuteMsg::RefundQuery { query_id: id })
            };
            if let Ok(r) = r {
                let out = paid_out(&r);
                prop_assert_eq!(out, amount);
                paid_per[i] += out;
                paid += out;
            }
            prop_assert!(paid_per[i] <= amount);
            prop_assert!(paid <= funded);
        }
        // Everything unanswered is refundable after expiry, exactly once.
        let late = at(&env, 1_000);
        for (i, (id, amount)) in ids.iter().enumerate() {
            if let Ok(r) = execute(deps.as_mut(), late.clone(), message_info(&addr("anyone"), &[]), ExecuteMsg::RefundQuery { query_id: *id }) {
                paid_per[i] += paid_out(&r);
                paid += paid_out(&r);
            }
            prop_assert_eq!(paid_per[i], *amount);
        }
        prop_assert_eq!(paid, funded);
    }
}
