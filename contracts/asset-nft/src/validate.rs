//! Input validation lives in the interface crate (`bithive_interface::asset_nft::validate`), so
//! clients check exactly what the contract checks; its error becomes the contract's.

pub use bithive_interface::asset_nft::validate::*;

use crate::error::ContractError;

impl From<InvalidField> for ContractError {
    fn from(e: InvalidField) -> Self {
        ContractError::InvalidField {
            field: e.field,
            reason: e.reason,
        }
    }
}
