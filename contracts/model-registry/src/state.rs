use cosmwasm_std::{Addr, Empty};
use cw_storage_plus::{Item, Map};

pub use bithive_interface::model_registry::{Config, Model};

pub const CONFIG: Item<Config> = Item::new("config");
pub const MODEL_SEQ: Item<u64> = Item::new("model_seq");
/// id -> model: every execute path reads and writes models by key only (gas flat in their number).
pub const MODELS: Map<u64, Model> = Map::new("models");
/// name -> id of its newest version (its owner owns the name).
pub const LATEST: Map<&str, u64> = Map::new("latest");
/// (name, version) -> id.
pub const VERSIONS: Map<(&str, u32), u64> = Map::new("versions");
/// (owner, id): the owner index of `models_by_owner`.
pub const BY_OWNER: Map<(&Addr, u64), Empty> = Map::new("by_owner");
