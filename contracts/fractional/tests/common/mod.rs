//! Asset-NFT messages shared by the fractional suites (`multitest.rs`, and `vm_world`, which
//! `vm.rs` and the gas example use).
#![allow(dead_code)]

use bithive_asset_nft::msg::{AssetMetadataMsg, ExecuteMsg as NftMsg};
use bithive_asset_nft::state::{AssetClass, ComplianceMarker, Jurisdiction};
use cosmwasm_std::HexBinary;

/// The compliance officer approves `holder` as a US holder.
pub fn approve_us_holder(holder: impl ToString) -> NftMsg {
    NftMsg::ApproveHolder {
        jurisdiction: "US".into(),
        holder: holder.to_string(),
    }
}

/// Mints `id` to `owner`: a scanner whose US jurisdiction requires approved holders.
pub fn mint_scanner(id: &str, owner: impl ToString) -> NftMsg {
    NftMsg::Mint {
        token_id: id.into(),
        owner: owner.to_string(),
        token_uri: None,
        extension: AssetMetadataMsg {
            class: AssetClass::MedicalEquipment,
            description_uri: "ipfs://bafybeigdyrzt5scanner".into(),
            content_hash: HexBinary::from([0x11u8; 32]),
            jurisdictions: vec![Jurisdiction {
                code: "US".into(),
                markers: vec![ComplianceMarker::ApprovedHoldersOnly],
            }],
            certifications: vec![],
            device_pubkey: None,
        },
    }
}
