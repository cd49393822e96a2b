//! Execute paths are flat in the number of records, grants and dataset members: every handler
//! touches a fixed set of keys. Measured as storage operations (reads, writes, removes, range
//! scans and bytes moved, which is what wasmd's gas meter charges for storage; counted by the
//! fixtures' `CountingStorage`) on one handler call
//! after 10 and after 10,000 records (each with a grant to the same node, and 10 or 10,000 grants
//! on the measured record). Run with `--nocapture` to print the figures.

mod common;

use bithive_cw_test_fixtures::gas::{CountingStorage, StorageCost};
use bithive_data_vault::contract::{execute, instantiate};
use bithive_data_vault::msg::*;
use common::{grant_msg, init_msg, join_msg, DAY};
use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier};
use cosmwasm_std::{coins, Decimal, Env, OwnedDeps, SignedDecimal, Uint128};

/// `reads/writes/removes/ranges/bytes` (bytes read, written and iterated, keys included).
fn ops(c: &StorageCost) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        c.reads,
        c.writes,
        c.deletes,
        c.ranges,
        c.bytes_moved()
    )
}

type Deps = OwnedDeps<CountingStorage, MockApi, MockQuerier>;

fn addr(n: &str) -> cosmwasm_std::Addr {
    MockApi::default().addr_make(n)
}

fn record() -> RecordMsg {
    common::record(RecordType::LabPanel)
}

fn run(deps: &mut Deps, env: &Env, who: &str, msg: ExecuteMsg, pay: u128) -> StorageCost {
    deps.storage.meter().reset();
    let funds = if pay > 0 { coins(pay, "ubtt") } else { vec![] };
    execute(
        deps.as_mut(),
        env.clone(),
        message_info(&addr(who), &funds),
        msg,
    )
    .unwrap();
    deps.storage.meter().get()
}

fn grant(token: &str, grantee: &str, env: &Env) -> ExecuteMsg {
    let expires_at = env.block.time.plus_seconds(DAY);
    grant_msg(token, addr(grantee), Purpose::Research, expires_at)
}

/// State with `n` records, each granted to `node`, `n` grants on record 1, a dataset with `n`
/// members (when `n` fits) and `n` queries; then one call of each handler, measured.
fn measure(n: u32) -> Vec<(&'static str, StorageCost)> {
    let mut deps: Deps = OwnedDeps {
        storage: CountingStorage::default(),
        api: MockApi::default(),
        querier: MockQuerier::default(),
        custom_query_type: Default::default(),
    };
    let env = mock_env();
    let init = init_msg(&[], addr("answerer").as_str(), &[]);
    let admin = message_info(&addr("admin"), &[]);
    instantiate(deps.as_mut(), env.clone(), admin, init).unwrap();
    let ds_msg = ExecuteMsg::CreateDataset(CreateDatasetMsg {
        name: "d".into(),
        record_type: RecordType::LabPanel,
        total_epsilon: Decimal::from_ratio(1_000_000u64, 1u64),
        max_query_epsilon: Decimal::one(),
        price_asset: AssetInfo::Native("ubtt".into()),
        price_per_epsilon: Uint128::new(10),
        max_querier_epsilon: Decimal::from_ratio(1_000_000u64, 1u64),
        query_ttl_seconds: 100,
        max_members: MAX_DATASET_MEMBERS,
        // Joining checks the issuers' endorsements: flat in the records too.
        admission: Admission::Issuers {
            issuers: vec![addr("issuer").to_string()],
        },
    });
    let endorse = |token: &str| ExecuteMsg::EndorseRecord {
        token_id: token.into(),
        ciphertext_sha256: record().ciphertext_sha256,
    };
    run(&mut deps, &env, "admin", ds_msg, 0);
    let join = |token: &str| join_msg(1, token, env.block.time.plus_seconds(DAY));
    let submit = || {
        ExecuteMsg::SubmitQuery(SubmitQueryMsg {
            dataset_id: 1,
            kind: QueryKind::Count {},
            epsilon: Decimal::percent(10),
        })
    };
    for i in 0..n {
        let owner = format!("owner{}", i % 100);
        run(
            &mut deps,
            &env,
            &owner,
            ExecuteMsg::Mint { record: record() },
            0,
        );
        let token = (i + 1).to_string();
        run(&mut deps, &env, "issuer", endorse(&token), 0);
        run(&mut deps, &env, &owner, grant(&token, "node", &env), 0);
        run(&mut deps, &env, &owner, join(&token), 0);
        run(
            &mut deps,
            &env,
            "owner0",
            grant("1", &format!("g{i}"), &env),
            0,
        );
        run(&mut deps, &env, "researcher", submit(), 1);
    }
    let mut out = vec![];
    out.push((
        "mint",
        run(
            &mut deps,
            &env,
            "alice",
            ExecuteMsg::Mint { record: record() },
            0,
        ),
    ));
    let fresh = (n + 1).to_string();
    out.push((
        "grant_access",
        run(&mut deps, &env, "alice", grant(&fresh, "node", &env), 0),
    ));
    out.push((
        "log_access",
        run(
            &mut deps,
            &env,
            "node",
            ExecuteMsg::LogAccess {
                token_id: fresh.clone(),
                purpose: Purpose::Research,
            },
            0,
        ),
    ));
    out.push((
        "endorse_record",
        run(&mut deps, &env, "issuer", endorse(&fresh), 0),
    ));
    out.push((
        "join_dataset",
        run(&mut deps, &env, "alice", join(&fresh), 0),
    ));
    // Record 2 leaves by the curator's hand (n members stay).
    out.push((
        "remove_member",
        run(
            &mut deps,
            &env,
            "admin",
            ExecuteMsg::RemoveMember {
                dataset_id: 1,
                token_id: "2".into(),
            },
            0,
        ),
    ));
    out.push((
        "revoke_access",
        run(
            &mut deps,
            &env,
            "alice",
            ExecuteMsg::RevokeAccess {
                token_id: fresh.clone(),
                grantee: addr("node").to_string(),
                purpose: Purpose::Research,
            },
            0,
        ),
    ));
    out.push((
        "transfer_nft",
        run(
            &mut deps,
            &env,
            "alice",
            ExecuteMsg::TransferNft {
                recipient: addr("bob").to_string(),
                token_id: fresh.clone(),
            },
            0,
        ),
    ));
    // Record 1 (n grants on it) is transferred too: voiding n grants costs the same.
    out.push((
        "transfer_nft (record with n grants)",
        run(
            &mut deps,
            &env,
            "owner0",
            ExecuteMsg::TransferNft {
                recipient: addr("bob").to_string(),
                token_id: "1".into(),
            },
            0,
        ),
    ));
    out.push((
        "submit_query",
        run(&mut deps, &env, "researcher", submit(), 1),
    ));
    let q = u64::from(n) + 1;
    out.push((
        "submit_answer",
        run(
            &mut deps,
            &env,
            "answerer",
            ExecuteMsg::SubmitAnswer {
                query_id: q,
                answer: DpAnswer::Count {
                    value: SignedDecimal::one(),
                },
            },
            0,
        ),
    ));
    let mut late = env.clone();
    late.block.time = env.block.time.plus_seconds(100);
    deps.storage.meter().reset();
    execute(
        deps.as_mut(),
        late,
        message_info(&addr("anyone"), &[]),
        ExecuteMsg::RefundQuery { query_id: 1 },
    )
    .unwrap();
    out.push(("refund_query", deps.storage.meter().get()));
    out.push((
        "burn",
        run(
            &mut deps,
            &env,
            "bob",
            ExecuteMsg::Burn {
                token_id: fresh.clone(),
            },
            0,
        ),
    ));
    out
}

#[test]
fn storage_operations_flat_in_records_and_grants() {
    let small = measure(10);
    let large = measure(10_000);
    println!("handler | n=10 (reads/writes/removes/ranges/bytes) | n=10,000");
    for ((name, a), (_, b)) in small.iter().zip(&large) {
        println!("{name} | {} | {}", ops(a), ops(b));
        // Same keys touched; bytes differ only by the longer decimal ids ("11" vs "10001").
        assert_eq!(
            (a.reads, a.writes, a.deletes, a.ranges),
            (b.reads, b.writes, b.deletes, b.ranges),
            "{name}"
        );
        assert_eq!(a.ranges, 0, "{name} scans storage");
        assert!(
            b.bytes_moved() <= a.bytes_moved() + 64,
            "{name}: {} vs {} bytes",
            a.bytes_moved(),
            b.bytes_moved()
        );
    }
}
