//! Queries (paged lists: at most 100 per page, 30 by default).

use cosmwasm_std::{Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;

use crate::execute::own_port;
use crate::msg::{ChannelsResponse, Held, Outgoing, VoucherClass, VoucherClassesResponse};
use crate::packet::voucher_class_id;
use crate::state::{CHANNELS, HELD, OUTGOING, VOUCHER_CLASSES};

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(30).min(100) as usize
}

pub fn channels(
    deps: Deps,
    start_after: Option<String>,
    l: Option<u32>,
) -> StdResult<ChannelsResponse> {
    let start = start_after.as_deref().map(Bound::exclusive);
    let channels = CHANNELS
        .range(deps.storage, start, None, Order::Ascending)
        .take(limit(l))
        .map(|r| r.map(|(_, c)| c))
        .collect::<StdResult<_>>()?;
    Ok(ChannelsResponse { channels })
}

/// Looked up by the sending chain's class id over `channel_id`.
pub fn voucher_class(
    deps: Deps,
    env: &Env,
    channel_id: &str,
    class_id: &str,
) -> StdResult<Option<VoucherClass>> {
    let local = voucher_class_id(&own_port(env), channel_id, class_id);
    VOUCHER_CLASSES.may_load(deps.storage, &local)
}

pub fn voucher_classes(
    deps: Deps,
    start_after: Option<String>,
    l: Option<u32>,
) -> StdResult<VoucherClassesResponse> {
    let start = start_after.as_deref().map(Bound::exclusive);
    let classes = VOUCHER_CLASSES
        .range(deps.storage, start, None, Order::Ascending)
        .take(limit(l))
        .map(|r| r.map(|(_, c)| c))
        .collect::<StdResult<_>>()?;
    Ok(VoucherClassesResponse { classes })
}

pub fn outgoing(deps: Deps, collection: String, token_id: String) -> StdResult<Option<Outgoing>> {
    let collection = deps.api.addr_validate(&collection)?;
    OUTGOING.may_load(deps.storage, (&collection, &token_id))
}

pub fn held(deps: Deps, collection: String, token_id: String) -> StdResult<Option<Held>> {
    let collection = deps.api.addr_validate(&collection)?;
    HELD.may_load(deps.storage, (&collection, &token_id))
}
