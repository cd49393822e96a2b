//! Storage. cw721's own `Cw721Config` (tokens, owner index) holds ownership; the maps here hold
//! what the vault adds. Every execute path reads and writes a fixed number of keys: nothing
//! iterates over records, grants, members or queries.

use cosmwasm_std::{Addr, Decimal, Empty, Timestamp};
use cw_storage_plus::{Item, Map};

pub use bithive_interface::data_vault::{
    Config, Dataset, DpQuery, DpQueryStatus, Grant, Membership, Purpose, ReadingKey, Record,
    RecordType,
};

pub const CONFIG: Item<Config> = Item::new("vault_config");
/// Last token id assigned (ids are "1", "2", ...: never reused, so nothing can be front-run).
pub const TOKEN_SEQ: Item<u64> = Item::new("vault_token_seq");
pub const RECORDS: Map<&str, Record> = Map::new("vault_records");
/// Transfer epoch per record: bumped on every transfer and burn, which voids every grant and
/// dataset consent given under the previous epoch without touching them.
pub const EPOCHS: Map<&str, u64> = Map::new("vault_epochs");
/// Accesses logged per record.
pub const ACCESS_SEQ: Map<&str, u64> = Map::new("vault_access_seq");
/// (token id, grantee, purpose) -> grant.
pub const GRANTS: Map<(&str, &Addr, &str), Grant> = Map::new("vault_grants");
/// (grantee, token id, purpose): the reverse index a node pages through.
pub const GRANTS_BY_GRANTEE: Map<(&Addr, &str, &str), Empty> = Map::new("vault_grants_rev");
/// account -> the reading key it published itself (ADR 017).
pub const READING_KEYS: Map<&Addr, ReadingKey> = Map::new("vault_reading_keys");
pub const CURATORS: Map<&Addr, Empty> = Map::new("vault_curators");
pub const ANSWERERS: Map<&Addr, Empty> = Map::new("vault_answerers");
pub const DATASET_SEQ: Item<u64> = Item::new("vault_dataset_seq");
pub const DATASETS: Map<u64, Dataset> = Map::new("vault_datasets");
/// (dataset id, token id) -> consent.
pub const MEMBERS: Map<(u64, &str), Membership> = Map::new("vault_members");
/// (dataset id, token id): records the curator removed; they may not join that dataset again.
pub const EXCLUDED: Map<(u64, &str), Empty> = Map::new("vault_excluded");
/// (token id, endorser) -> when: the issuers vouching for a record's ciphertext.
pub const ENDORSEMENTS: Map<(&str, &Addr), Timestamp> = Map::new("vault_endorsements");
/// (dataset id, researcher) -> epsilon spent by that researcher's accepted queries.
pub const QUERIER_SPENT: Map<(u64, &Addr), Decimal> = Map::new("vault_querier_spent");
pub const QUERY_SEQ: Item<u64> = Item::new("vault_query_seq");
pub const QUERIES: Map<u64, DpQuery> = Map::new("vault_queries");
/// (dataset id, query id): per-dataset query index.
pub const DATASET_QUERIES: Map<(u64, u64), Empty> = Map::new("vault_dataset_queries");

/// The next value of a sequence (1, 2, ...).
pub fn next(
    storage: &mut dyn cosmwasm_std::Storage,
    seq: &Item<u64>,
) -> Result<u64, crate::ContractError> {
    let n = seq.may_load(storage)?.unwrap_or(0).checked_add(1).ok_or(
        cosmwasm_std::OverflowError::new(cosmwasm_std::OverflowOperation::Add),
    )?;
    seq.save(storage, &n)?;
    Ok(n)
}

pub fn epoch(storage: &dyn cosmwasm_std::Storage, token_id: &str) -> cosmwasm_std::StdResult<u64> {
    Ok(EPOCHS.may_load(storage, token_id)?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dataset stored before admission rules and per-querier caps reads back as open and
    /// uncapped, so `migrate` needs no walk over the datasets.
    #[test]
    fn a_dataset_stored_by_the_previous_version_still_loads() {
        let old = r#"{"id":1,"name":"d","curator":"c","record_type":"lab_panel",
            "total_epsilon":"5","spent_epsilon":"1","max_query_epsilon":"1",
            "price_asset":{"native":"ubtt"},"price_per_epsilon":"10","query_ttl_seconds":60,
            "max_members":3,"members":0,"closed":false}"#;
        let d: Dataset = cosmwasm_std::from_json(old).unwrap();
        assert_eq!(
            d.admission,
            bithive_interface::data_vault::Admission::Open {}
        );
        assert_eq!(d.max_querier_epsilon, None);
    }
}
