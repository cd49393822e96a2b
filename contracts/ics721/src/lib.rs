//! ICS-721 for BitHive asset NFTs (ADR 013). An asset NFT leaves for another chain escrowed
//! here and arrives there as a voucher in a `bithive-asset-nft` collection this contract
//! instantiated for its class, with its metadata, jurisdictions, compliance markers and
//! certifications, so `ApprovedHoldersOnly` holds on the receiving chain too. The packets are
//! cw-ics721's (`ics721-1`), so other ICS-721 chains read them. See README.md.

pub mod contract;
pub mod error;
pub mod execute;
pub mod ibc;
pub mod msg;
pub mod packet;
pub mod plan;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
