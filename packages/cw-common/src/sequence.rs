//! Ids handed out from a stored counter.

use cosmwasm_std::{StdError, StdResult, Storage};
use cw_storage_plus::Item;

/// The next id of `seq` (1 for the first), saved as the counter's new value; `what` names the id
/// in the overflow error (`"{what} overflow"`).
pub fn next_id(storage: &mut dyn Storage, seq: &Item<u64>, what: &str) -> StdResult<u64> {
    let id = seq
        .may_load(storage)?
        .unwrap_or_default()
        .checked_add(1)
        .ok_or_else(|| StdError::generic_err(format!("{what} overflow")))?;
    seq.save(storage, &id)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    const SEQ: Item<u64> = Item::new("seq");

    #[test]
    fn counts_from_one_and_refuses_overflow() {
        let mut store = MockStorage::new();
        assert_eq!(next_id(&mut store, &SEQ, "thing id").unwrap(), 1);
        assert_eq!(next_id(&mut store, &SEQ, "thing id").unwrap(), 2);
        SEQ.save(&mut store, &u64::MAX).unwrap();
        assert_eq!(
            next_id(&mut store, &SEQ, "thing id")
                .unwrap_err()
                .to_string(),
            "Generic error: thing id overflow"
        );
        assert_eq!(SEQ.load(&store).unwrap(), u64::MAX);
    }
}
