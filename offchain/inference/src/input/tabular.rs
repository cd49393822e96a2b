//! Tabular rows: exact feature count, finite values; Dquality = share of features inside the
//! training range recorded in the manifest.

use cosmwasm_std::Decimal;

use super::{check_finite, Prepared};
use crate::error::InputError;
use crate::manifest::Manifest;

pub(super) fn prepare(manifest: &Manifest, row: &[f32]) -> Result<Prepared, InputError> {
    let features = manifest.item_len();
    if row.len() != features {
        return Err(InputError::WrongShape {
            model: manifest.name.clone(),
            expected: manifest.input_shape.clone(),
            got: vec![1, row.len()],
        });
    }
    check_finite(row)?;
    let d_quality = match (&manifest.feature_min, &manifest.feature_max) {
        (Some(lo), Some(hi)) => {
            let inside = row
                .iter()
                .zip(lo.iter().zip(hi))
                .filter(|&(&x, (&lo, &hi))| lo <= x && x <= hi)
                .count();
            Decimal::from_ratio(inside as u128, features as u128)
        }
        _ => Decimal::one(),
    };
    Ok(Prepared {
        tensor: row.to_vec(),
        d_quality,
    })
}
