//! Messages shared by the data vault's suites (`multitest.rs`, `vm.rs`, `flat.rs`).
#![allow(dead_code)]

use bithive_data_vault::msg::*;
use cosmwasm_std::{Binary, Decimal, HexBinary, SignedDecimal, Timestamp, Uint128};

pub const DAY: u64 = 86_400;
pub const CID: &str = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

fn strings(addrs: &[&str]) -> Vec<String> {
    addrs.iter().map(|a| a.to_string()).collect()
}

/// "BitHive records" (BHREC): no admin, grants of at most a year, `curators`, one `answerer`,
/// the cw20s of `cw20_allowlist`.
pub fn init_msg(curators: &[&str], answerer: &str, cw20_allowlist: &[&str]) -> InstantiateMsg {
    InstantiateMsg {
        name: "BitHive records".into(),
        symbol: "BHREC".into(),
        admin: None,
        max_grant_seconds: 365 * DAY,
        curators: strings(curators),
        answerers: vec![answerer.into()],
        cw20_allowlist: strings(cw20_allowlist),
    }
}

/// A 1 MiB record of type `t` at [`CID`].
pub fn record(t: RecordType) -> RecordMsg {
    RecordMsg {
        content_id: CID.into(),
        record_type: t,
        size: 1_048_576,
        ciphertext_sha256: HexBinary::from([0xab; 32]),
    }
}

pub fn transfer_msg(recipient: impl ToString, token_id: &str) -> ExecuteMsg {
    ExecuteMsg::TransferNft {
        recipient: recipient.to_string(),
        token_id: token_id.into(),
    }
}

pub fn burn_msg(token_id: &str) -> ExecuteMsg {
    ExecuteMsg::Burn {
        token_id: token_id.into(),
    }
}

/// Access to `token_id` for `grantee` and `purpose` until `expires_at`, with an 80-byte key.
pub fn grant_msg(
    token_id: &str,
    grantee: impl ToString,
    purpose: Purpose,
    expires_at: Timestamp,
) -> ExecuteMsg {
    ExecuteMsg::GrantAccess {
        token_id: token_id.into(),
        grantee: grantee.to_string(),
        purpose,
        expires_at,
        wrapped_key: Binary::from(vec![7u8; 80]),
    }
}

pub fn revoke_msg(token_id: &str, grantee: impl ToString, purpose: Purpose) -> ExecuteMsg {
    ExecuteMsg::RevokeAccess {
        token_id: token_id.into(),
        grantee: grantee.to_string(),
        purpose,
    }
}

pub fn log_msg(token_id: &str, purpose: Purpose) -> ExecuteMsg {
    ExecuteMsg::LogAccess {
        token_id: token_id.into(),
        purpose,
    }
}

/// `token_id` joins dataset `dataset_id` until `expires_at`, with a 64-byte key.
pub fn join_msg(dataset_id: u64, token_id: &str, expires_at: Timestamp) -> ExecuteMsg {
    ExecuteMsg::JoinDataset {
        dataset_id,
        token_id: token_id.into(),
        expires_at,
        wrapped_key: Binary::from(vec![3u8; 64]),
    }
}

/// A lab-panel dataset: budget `total` (all of it for one researcher), at most 1 per query, 100
/// of `asset` per epsilon, queries answerable for a day, at most 3 records, open admission.
pub fn dataset_msg(total: &str, asset: AssetInfo) -> ExecuteMsg {
    dataset_msg_with(total, total, asset, Admission::Open {})
}

/// [`dataset_msg`] with a per-researcher cap `per_querier` and an admission rule.
pub fn dataset_msg_with(
    total: &str,
    per_querier: &str,
    asset: AssetInfo,
    admission: Admission,
) -> ExecuteMsg {
    ExecuteMsg::CreateDataset(CreateDatasetMsg {
        name: "hba1c-2026".into(),
        record_type: RecordType::LabPanel,
        total_epsilon: total.parse().expect("decimal"),
        max_query_epsilon: Decimal::one(),
        price_asset: asset,
        price_per_epsilon: Uint128::new(100),
        max_querier_epsilon: per_querier.parse().expect("decimal"),
        query_ttl_seconds: DAY,
        max_members: 3,
        admission,
    })
}

/// A count query on `dataset_id` spending `epsilon`.
pub fn count(dataset_id: u64, epsilon: &str) -> SubmitQueryMsg {
    SubmitQueryMsg {
        dataset_id,
        kind: QueryKind::Count {},
        epsilon: epsilon.parse().expect("decimal"),
    }
}

/// The answer 421.3 to count query `query_id`.
pub fn answer_msg(query_id: u64) -> ExecuteMsg {
    ExecuteMsg::SubmitAnswer {
        query_id,
        answer: DpAnswer::Count {
            value: SignedDecimal::from_ratio(4213, 10),
        },
    }
}

/// Every admin-only message, each making `stranger` something (admin, curator, answerer) or
/// changing the vault's limits.
pub fn admin_only_msgs(stranger: &str) -> [ExecuteMsg; 5] {
    let add = || vec![stranger.to_string()];
    [
        ExecuteMsg::UpdateConfig {
            max_grant_seconds: None,
        },
        ExecuteMsg::UpdateConfig {
            max_grant_seconds: Some(10),
        },
        ExecuteMsg::UpdateCurators {
            add: add(),
            remove: vec![],
        },
        ExecuteMsg::UpdateAnswerers {
            add: add(),
            remove: vec![],
        },
        ExecuteMsg::UpdateCw20Allowlist {
            add: add(),
            remove: vec![],
        },
    ]
}
