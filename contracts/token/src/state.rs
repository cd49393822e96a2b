//! Storage of the parts this contract adds to cw20-base (whose own items, `token_info`, `balance`,
//! `allowance`, `marketing_info`, `logo`, are reused as they are).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};

#[cw_serde]
pub struct MintState {
    /// Bound on cumulative minting (initial balances included). `None`: only u128 bounds it.
    pub cap: Option<Uint128>,
    /// Everything ever minted, initial balances included. Burning does not lower it.
    pub minted: Uint128,
}

pub const MINT_STATE: Item<MintState> = Item::new("mint_state");
/// Registered minters and what each may still mint.
pub const MINTERS: Map<&Addr, Uint128> = Map::new("minters");
