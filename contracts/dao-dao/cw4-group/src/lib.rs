//! `cw4-group` 1.1.2, unchanged, behind its own entry points: a dependency's `#[no_mangle]` entry
//! points are not exported from a cdylib that does not reference them. The artifact pipeline
//! (scripts/build-wasm.sh) builds, checks and checksums it like every BitHive contract.

use cosmwasm_std::{entry_point, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use cw4_group::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};
use cw4_group::ContractError;

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw4_group::contract::instantiate(deps, env, info, msg)
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw4_group::contract::execute(deps, env, info, msg)
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    cw4_group::contract::query(deps, env, msg)
}
