//! Steps 3 and 4 of the AIM story: records encrypted on the client, consent granted and
//! revoked, and differentially private queries within a dataset's privacy budget.

use bithive_content_store::record::{key_header, open_record, seal_record};
use bithive_content_store::{Cid, ContentStore, LocalStore};
use bithive_interface::data_vault::{
    self as vault, Admission, CreateDatasetMsg, DpAnswer, DpQuery, DpQueryStatus, GrantResponse,
    Purpose, QueryKind, RecordMsg, RecordType, SubmitQueryMsg,
};
use cosmwasm_std::{Binary, Decimal, HexBinary, Timestamp, Uint128};
use sha2::{Digest, Sha256};
use std::str::FromStr;
use std::time::Duration;

use super::*;
use crate::demo::platform::{
    bhive, bitchat_identity, ctx, exec, exec_outcome, fail, query, DemoError, Platform, DAY,
};

/// Steps 3 and 4: records, consent, private queries.
pub async fn records_and_queries(
    p: &Platform,
    store: &LocalStore,
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let tokens = records_and_grants(p, store, r, progress).await?;
    private_queries(p, &tokens, r, progress).await
}

/// Step 3: records encrypted on the client, stored by content id, minted; a grant, a logged
/// access, a revocation. Returns the record token ids with their keys.
async fn records_and_grants(
    p: &Platform,
    store: &LocalStore,
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<(String, [u8; 32], Cid)>, DemoError> {
    let c = &p.deployment.contracts;
    let mut tokens = Vec::new();
    for value in HBA1C {
        let plain = ctx!(
            serde_json::to_vec(&LabPanel {
                hba1c_mmol_mol: value
            }),
            "lab panel"
        )?;
        // The institute's lab seals the panel it produced and hands the ciphertext (and its
        // key) to the patient, who stores it and mints the record.
        let (sealed, key) = ctx!(seal_record(&plain), "record encryption")?;
        let sha = HexBinary::from(Sha256::digest(&sealed).as_slice());
        let cid = ctx!(store.put(&sealed).await, "store a record")?;
        let out = exec_outcome(
            &p.patient,
            &c.data_vault,
            &vault::ExecuteMsg::Mint {
                record: RecordMsg {
                    content_id: cid.to_string(),
                    record_type: RecordType::LabPanel,
                    size: sealed.len() as u64,
                    ciphertext_sha256: sha.clone(),
                },
            },
            "mint a record",
        )
        .await?;
        let token_id = wasm_attr(&out, vault::events::attr::TOKEN_ID, "mint a record")?;
        // Provenance: the lab endorses the ciphertext it produced, which datasets naming it as
        // an issuer require.
        exec(
            &p.institute,
            &c.data_vault,
            &vault::ExecuteMsg::EndorseRecord {
                token_id: token_id.clone(),
                ciphertext_sha256: sha,
            },
            "endorse a record",
        )
        .await?;
        tokens.push((token_id, key, cid));
    }
    r.records = tokens.len();

    // A research grant of the first record: its key sealed to the researcher.
    let (token_id, key, cid) = &tokens[0];
    let patient_id = bitchat_identity(p.patient.key())?;
    let researcher_id = bitchat_identity(p.researcher.key())?;
    let researcher = p.researcher.address().to_string();
    let wrapped = ctx!(
        patient_id.seal_to(
            &researcher_id.noise_public(),
            &key_header(&c.data_vault, token_id, &researcher),
            key
        ),
        "wrap the record key"
    )?;
    let now = ctx!(p.patient.rpc().latest_block_time().await, "block time")?;
    exec(
        &p.patient,
        &c.data_vault,
        &vault::ExecuteMsg::GrantAccess {
            token_id: token_id.clone(),
            grantee: researcher.clone(),
            purpose: Purpose::Research,
            expires_at: Timestamp::from_seconds(now + 30 * DAY),
            wrapped_key: Binary::from(wrapped),
        },
        "grant access",
    )
    .await?;
    // The researcher logs its access (the patient's audit trail), then reads the record.
    let logged = exec_outcome(
        &p.researcher,
        &c.data_vault,
        &vault::ExecuteMsg::LogAccess {
            token_id: token_id.clone(),
            purpose: Purpose::Research,
        },
        "log access",
    )
    .await?;
    let grant: GrantResponse = query(
        &p.researcher,
        &c.data_vault,
        &vault::QueryMsg::Grant {
            token_id: token_id.clone(),
            grantee: researcher.clone(),
            purpose: Purpose::Research,
        },
        "grant query",
    )
    .await?;
    let g = grant
        .grant
        .filter(|_| grant.live)
        .ok_or_else(|| fail("grant query")(&"no live grant"))?;
    let (sender, record_key) = ctx!(
        researcher_id.open_sealed(
            &key_header(&c.data_vault, token_id, &researcher),
            g.wrapped_key.as_slice()
        ),
        "unwrap the record key"
    )?;
    if sender != patient_id.noise_public() {
        return Err(fail("unwrap the record key")(
            &"not sealed by the record's owner",
        ));
    }
    let fetched = ctx!(store.get(cid).await, "fetch the record by content id")?;
    let panel: LabPanel = ctx!(
        serde_json::from_slice(&ctx!(
            open_record(
                &fetched,
                &<[u8; 32]>::try_from(record_key)
                    .map_err(|_| fail("record key")(&"not 32 bytes"))?
            ),
            "record decryption"
        )?),
        "read the record"
    )?;
    if panel.hba1c_mmol_mol != HBA1C[0] {
        return Err(fail("read the record")(
            &"the record read is not the one stored",
        ));
    }
    progress(&format!(
        "patient stored {} encrypted lab panels (content ids, record NFTs {}), each endorsed by the institute's lab that produced it; granted the researcher record {token_id} for research; the researcher logged the access at height {} and read it (HbA1c {} mmol/mol)",
        tokens.len(),
        tokens.iter().map(|t| t.0.as_str()).collect::<Vec<_>>().join(", "),
        logged.height,
        panel.hba1c_mmol_mol
    ));

    exec(
        &p.patient,
        &c.data_vault,
        &vault::ExecuteMsg::RevokeAccess {
            token_id: token_id.clone(),
            grantee: researcher.clone(),
            purpose: Purpose::Research,
        },
        "revoke access",
    )
    .await?;
    r.access_refused_after_revoke = expect_refused(
        &p.researcher,
        &c.data_vault,
        &vault::ExecuteMsg::LogAccess {
            token_id: token_id.clone(),
            purpose: Purpose::Research,
        },
        &[],
        "access after revocation",
        "was revoked",
    )
    .await?;
    progress(&format!(
        "patient revoked the grant; the researcher's next access is refused: {}",
        r.access_refused_after_revoke
    ));
    Ok(tokens)
}

/// Step 4: a dataset with a privacy budget, a count answered by the relayer (the node's
/// operator key is the registered answerer), one query past the budget refused.
async fn private_queries(
    p: &Platform,
    tokens: &[(String, [u8; 32], Cid)],
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let c = &p.deployment.contracts;
    let dec = |s: &str| Decimal::from_str(s).map_err(|e| fail("epsilon")(&e));
    // The DAO appoints the institute a curator (it creates and runs the dataset) and registers
    // the relayer as the DP answerer (its operator account: members seal keys to it).
    let answerer = p.operator_key.address().to_string();
    let curator = vault::ExecuteMsg::UpdateCurators {
        add: vec![p.institute.address().to_string()],
        remove: vec![],
    };
    let register = vault::ExecuteMsg::UpdateAnswerers {
        add: vec![answerer.clone()],
        remove: vec![],
    };
    p.govern(
        "appoint the institute curator and the relayer DP answerer",
        vec![
            (
                c.data_vault.clone(),
                ctx!(serde_json::to_value(curator), "proposal")?,
            ),
            (
                c.data_vault.clone(),
                ctx!(serde_json::to_value(register), "proposal")?,
            ),
        ],
    )
    .await?;
    let created = exec_outcome(
        &p.institute,
        &c.data_vault,
        &vault::ExecuteMsg::CreateDataset(CreateDatasetMsg {
            name: "hba1c-panels".into(),
            record_type: RecordType::LabPanel,
            total_epsilon: dec(TOTAL_EPSILON)?,
            max_query_epsilon: dec(QUERY_EPSILON)?,
            price_asset: vault::AssetInfo::Native(p.denom().to_string()),
            price_per_epsilon: Uint128::new(PRICE_PER_EPSILON),
            max_querier_epsilon: dec(TOTAL_EPSILON)?,
            query_ttl_seconds: DAY,
            max_members: 1000,
            // Only records the institute's lab endorsed: minting a record is free, so an open
            // dataset could be filled with fabricated ones.
            admission: Admission::Issuers {
                issuers: vec![p.institute.address().to_string()],
            },
        }),
        "create dataset",
    )
    .await?;
    let dataset_id: u64 = ctx!(
        wasm_attr(&created, vault::events::attr::DATASET_ID, "create dataset")?.parse::<u64>(),
        "create dataset"
    )?;
    let patient_id = bitchat_identity(p.patient.key())?;
    // The relayer's operator key answers (its BitChat identity, as the relayer derives it).
    let answerer_noise = bitchat_identity(&p.operator_key)?.noise_public();
    let now = ctx!(p.patient.rpc().latest_block_time().await, "block time")?;
    for (token_id, key, _) in tokens {
        let wrapped = ctx!(
            patient_id.seal_to(
                &answerer_noise,
                &key_header(&c.data_vault, token_id, &answerer),
                key
            ),
            "wrap the record key"
        )?;
        exec(
            &p.patient,
            &c.data_vault,
            &vault::ExecuteMsg::JoinDataset {
                dataset_id,
                token_id: token_id.clone(),
                expires_at: Timestamp::from_seconds(now + 30 * DAY),
                wrapped_key: Binary::from(wrapped),
            },
            "join dataset",
        )
        .await?;
    }

    // The researcher pays for a count at epsilon 0.6; the relayer answers it.
    let epsilon = dec(QUERY_EPSILON)?;
    let submit = vault::ExecuteMsg::SubmitQuery(SubmitQueryMsg {
        dataset_id,
        kind: QueryKind::Count {},
        epsilon,
    });
    let price = PRICE_PER_EPSILON * 6 / 10;
    let any = ctx!(
        p.researcher
            .execute_msg_with_funds(&c.data_vault, &submit, &[(price, p.denom())]),
        "submit query"
    )?;
    let submitted = ctx!(p.researcher.submit(vec![any], "").await, "submit query")?;
    let query_id: u64 = ctx!(
        wasm_attr(&submitted, vault::events::attr::QUERY_ID, "submit query")?.parse::<u64>(),
        "submit query"
    )?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (value, answerer_seen) = loop {
        let q: DpQuery = query(
            &p.researcher,
            &c.data_vault,
            &vault::QueryMsg::DpQuery { query_id },
            "query status",
        )
        .await?;
        match q.status {
            DpQueryStatus::Answered {
                answer: DpAnswer::Count { value },
                answerer,
                ..
            } => break (value, answerer),
            DpQueryStatus::Pending if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            other => {
                return Err(fail("dp answer")(&format!(
                    "query {query_id} not answered by the relayer within 60 s: {other:?}"
                )))
            }
        }
    };
    if answerer_seen.as_str() != answerer {
        return Err(fail("dp answer")(&format!(
            "answered by {answerer_seen}, not the relayer's {answerer}"
        )));
    }
    r.answer = value.to_string();
    let dataset: vault::Dataset = query(
        &p.gov,
        &c.data_vault,
        &vault::QueryMsg::Dataset { dataset_id },
        "dataset",
    )
    .await?;
    r.spent_epsilon = dataset.spent_epsilon;
    progress(&format!(
        "researcher paid {} for a count over dataset {dataset_id} ({} records) at epsilon {epsilon}; the relayer read the records by content id and answered {} (OpenDP Laplace); budget spent {} of {}",
        bhive(price),
        tokens.len(),
        r.answer,
        dataset.spent_epsilon,
        dataset.total_epsilon,
    ));

    // A second query at 0.6 would spend 1.2 of a budget of 1.
    r.over_budget_refused = expect_refused(
        &p.researcher,
        &c.data_vault,
        &submit,
        &[(price, p.denom())],
        "query past the budget",
        "exceeds the remaining budget",
    )
    .await?;
    progress(&format!(
        "a second query at epsilon {epsilon} is refused: {}",
        r.over_budget_refused
    ));
    Ok(())
}
