use bithive_formulas::emission::{halvings, ERA_SECONDS};
use bithive_interface::staking::{events as ev, MAX_ENDPOINT_LEN, MAX_TOPUP_GRACE_SECONDS};
use bithive_signed_attestation::{operator_pop_digest, PubKey33, Signature64};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Decimal, DepsMut, Env, MessageInfo, Response, StdResult,
    Storage, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};

use crate::attestors::epoch_of;
use crate::error::ContractError;
use crate::msg::{ReceiveMsg, Tier};
use crate::state::{
    Claim, Config, Lot, Node, BONDED, CONFIG, ENDPOINTS, EPOCH_WORK, MAX_ATTESTORS, MAX_LOTS,
    NODES, NODE_WORK, OPERATOR_KEYS, PLEDGE_PER_T, TOTALS,
};

/// Pledge after `h` halvings: 100 BTK per T, doubled at every halving of the emission.
fn pledge_at(capacity_t: u32, h: u64) -> Uint128 {
    let base = Uint128::new(PLEDGE_PER_T).saturating_mul(Uint128::from(capacity_t));
    if h >= 128 {
        return Uint128::MAX;
    }
    base.saturating_mul(Uint128::new(1u128 << h))
}

/// Pledge required now.
pub fn required_pledge(config: &Config, capacity_t: u32, now: u64) -> Uint128 {
    pledge_at(capacity_t, halvings(now.saturating_sub(config.genesis)))
}

/// What a node's pledge entitles it to now.
#[derive(Debug, Clone, PartialEq)]
pub struct PledgeTerms {
    pub required: Uint128,
    /// Bonded covers the current requirement: full rewards.
    pub full_rate: bool,
    /// May earn at all: full rate, or 50 % during the top-up grace.
    pub eligible: bool,
    /// End of the grace the node is earning under (only when it earns at 50 %).
    pub grace_until: Option<u64>,
}

/// The pledge is the condition for mining. The 50 % rate only bridges a halving: a node that
/// covered the requirement before the latest halving earns at 50 % until `topup_grace_seconds`
/// after it; any other node below the requirement earns nothing.
pub fn pledge_terms(config: &Config, capacity_t: u32, bonded: Uint128, now: u64) -> PledgeTerms {
    let h = halvings(now.saturating_sub(config.genesis));
    let required = pledge_at(capacity_t, h);
    let full_rate = bonded >= required;
    let mut grace_until = None;
    if !full_rate && h > 0 && bonded >= pledge_at(capacity_t, h - 1) {
        let halving_at = config.genesis.saturating_add(h.saturating_mul(ERA_SECONDS));
        let until = halving_at.saturating_add(config.topup_grace_seconds);
        if now < until {
            grace_until = Some(until);
        }
    }
    PledgeTerms {
        required,
        full_rate,
        eligible: full_rate || grace_until.is_some(),
        grace_until,
    }
}

/// Keeps the bonded-node index exact: a node is in it iff its bond is at least `min_bond`. Called
/// by everything that changes lots (bond, unbond, both slash paths) and by `migrate`.
pub fn sync_bonded(
    storage: &mut dyn Storage,
    config: &Config,
    addr: &Addr,
    node: &Node,
) -> StdResult<()> {
    if node.bonded() >= config.min_bond {
        BONDED.save(storage, addr, &())
    } else {
        BONDED.remove(storage, addr);
        Ok(())
    }
}

fn check_tier(capacity_t: u32, tier: Tier) -> Result<(), ContractError> {
    let (lo, hi) = tier.capacity_range();
    if capacity_t < lo || capacity_t > hi {
        return Err(ContractError::CapacityOutOfTier {
            capacity: capacity_t,
            tier: format!("{tier:?}"),
        });
    }
    Ok(())
}

fn load_node(deps: &DepsMut, addr: &Addr) -> Result<Node, ContractError> {
    NODES
        .may_load(deps.storage, addr)?
        .ok_or_else(|| ContractError::UnknownNode(addr.to_string()))
}

pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    capacity_t: u32,
    tier: Tier,
    operator_key: PubKey33,
    operator_signature: Signature64,
) -> Result<Response, ContractError> {
    if NODES.has(deps.storage, &info.sender) {
        return Err(ContractError::AlreadyRegistered);
    }
    check_tier(capacity_t, tier)?;
    // Compressed SEC1 keys start with 0x02 or 0x03; a key serves one node only.
    if !matches!(operator_key.0[0], 2 | 3) || OPERATOR_KEYS.has(deps.storage, &operator_key.0) {
        return Err(ContractError::BadOperatorKey);
    }
    // Proof of possession: the key signed for this sender on this contract of this chain, so
    // nobody registers (and is paid for) a key it does not hold.
    let digest = operator_pop_digest(
        &env.block.chain_id,
        env.contract.address.as_str(),
        info.sender.as_str(),
        &operator_key,
    )
    .map_err(|e| ContractError::Attestation(e.to_string()))?;
    let valid = deps
        .api
        .secp256k1_verify(&digest.0, &operator_signature.0, &operator_key.0)
        .unwrap_or(false);
    if !valid {
        return Err(ContractError::BadOperatorSignature);
    }
    OPERATOR_KEYS.save(deps.storage, &operator_key.0, &info.sender)?;
    let node = Node {
        capacity_t,
        tier,
        operator_key,
        lots: vec![],
        claims: vec![],
        compliance: Decimal::zero(),
        registered_at: env.block.time.seconds(),
        slashed: Uint128::zero(),
    };
    NODES.save(deps.storage, &info.sender, &node)?;
    let mut totals = TOTALS.load(deps.storage)?;
    totals.nodes += 1;
    TOTALS.save(deps.storage, &totals)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REGISTER_NODE)
        .add_attribute(ev::attr::NODE, info.sender)
        .add_attribute(ev::attr::CAPACITY_T, capacity_t.to_string())
        .add_attribute(ev::attr::TIER, format!("{tier:?}")))
}

pub fn update_node(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    capacity_t: u32,
    tier: Tier,
) -> Result<Response, ContractError> {
    let mut node = load_node(&deps, &info.sender)?;
    check_tier(capacity_t, tier)?;
    node.capacity_t = capacity_t;
    node.tier = tier;
    NODES.save(deps.storage, &info.sender, &node)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::UPDATE_NODE)
        .add_attribute(ev::attr::NODE, info.sender)
        .add_attribute(ev::attr::CAPACITY_T, capacity_t.to_string()))
}

/// The sender (a registered node) sets or withdraws its probe endpoint.
pub fn set_endpoint(
    deps: DepsMut,
    info: MessageInfo,
    endpoint: Option<String>,
) -> Result<Response, ContractError> {
    load_node(&deps, &info.sender)?;
    let res = Response::new()
        .add_attribute(ev::ACTION, ev::SET_ENDPOINT)
        .add_attribute(ev::attr::NODE, info.sender.clone());
    match endpoint {
        Some(url) => {
            check_endpoint(&url)?;
            ENDPOINTS.save(deps.storage, &info.sender, &url)?;
            Ok(res.add_attribute(ev::attr::ENDPOINT, url))
        }
        None => {
            ENDPOINTS.remove(deps.storage, &info.sender);
            Ok(res.add_attribute(ev::attr::ENDPOINT, ""))
        }
    }
}

/// `http://` and a host, printable ASCII without spaces, at most `MAX_ENDPOINT_LEN` bytes: the
/// attestors connect to it as given (the probe answers are signed, so plain HTTP is enough).
fn check_endpoint(url: &str) -> Result<(), ContractError> {
    let host = url.strip_prefix("http://").unwrap_or("");
    if url.len() > MAX_ENDPOINT_LEN
        || host.is_empty()
        || host.starts_with('/')
        || !url.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ContractError::InvalidEndpoint {
            max_len: MAX_ENDPOINT_LEN,
        });
    }
    Ok(())
}

pub fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.token {
        return Err(ContractError::WrongToken(info.sender.into()));
    }
    match from_json(&wrapper.msg)? {
        ReceiveMsg::Bond {} => {
            let who = deps.api.addr_validate(&wrapper.sender)?;
            bond(deps, env, &config, who, wrapper.amount)
        }
    }
}

fn bond(
    deps: DepsMut,
    env: Env,
    config: &Config,
    who: Addr,
    amount: Uint128,
) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount);
    }
    let mut node = load_node(&deps, &who)?;
    let now = env.block.time.seconds();
    let unlock_at = now.saturating_add(config.lock_seconds);
    let full = node.lots.len() >= MAX_LOTS;
    match node.lots.last_mut() {
        Some(last) if last.unlock_at == unlock_at || full => {
            last.amount = last.amount.checked_add(amount)?;
            last.unlock_at = unlock_at;
        }
        _ => node.lots.push(Lot { amount, unlock_at }),
    }
    NODES.save(deps.storage, &who, &node)?;
    sync_bonded(deps.storage, config, &who, &node)?;
    let mut totals = TOTALS.load(deps.storage)?;
    totals.bonded = totals.bonded.checked_add(amount)?;
    TOTALS.save(deps.storage, &totals)?;
    let required = required_pledge(config, node.capacity_t, now);
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::BOND)
        .add_attribute(ev::attr::NODE, who)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::BONDED, node.bonded())
        .add_attribute(ev::attr::REQUIRED, required)
        .add_attribute(ev::attr::UNLOCK_AT, unlock_at.to_string()))
}

pub fn unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount);
    }
    let config = CONFIG.load(deps.storage)?;
    let mut node = load_node(&deps, &info.sender)?;
    let now = env.block.time.seconds();
    if node.claims.len() >= config.max_claims as usize {
        return Err(ContractError::TooManyClaims(config.max_claims));
    }
    let matured: Uint128 = node
        .lots
        .iter()
        .filter(|l| l.unlock_at <= now)
        .map(|l| l.amount)
        .sum();
    if matured < amount {
        return Err(ContractError::StillLocked {
            matured: matured.to_string(),
        });
    }
    // Take from the oldest matured lots first.
    let mut left = amount;
    for lot in node.lots.iter_mut().filter(|l| l.unlock_at <= now) {
        let take = lot.amount.min(left);
        lot.amount -= take;
        left -= take;
        if left.is_zero() {
            break;
        }
    }
    node.lots.retain(|l| !l.amount.is_zero());
    let release_at = now.saturating_add(config.unbonding_seconds);
    node.claims.push(Claim { amount, release_at });
    NODES.save(deps.storage, &info.sender, &node)?;
    sync_bonded(deps.storage, &config, &info.sender, &node)?;
    let mut totals = TOTALS.load(deps.storage)?;
    totals.bonded = totals.bonded.checked_sub(amount)?;
    totals.unbonding = totals.unbonding.checked_add(amount)?;
    TOTALS.save(deps.storage, &totals)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::UNBOND)
        .add_attribute(ev::attr::NODE, info.sender)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::RELEASE_AT, release_at.to_string()))
}

pub fn claim_unbonded(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut node = load_node(&deps, &info.sender)?;
    let now = env.block.time.seconds();
    let amount: Uint128 = node
        .claims
        .iter()
        .filter(|c| c.release_at <= now)
        .map(|c| c.amount)
        .sum();
    if amount.is_zero() {
        return Err(ContractError::NothingToClaim);
    }
    node.claims.retain(|c| c.release_at > now);
    NODES.save(deps.storage, &info.sender, &node)?;
    let mut totals = TOTALS.load(deps.storage)?;
    totals.unbonding = totals.unbonding.checked_sub(amount)?;
    TOTALS.save(deps.storage, &totals)?;
    Ok(Response::new()
        .add_message(WasmMsg::Execute {
            contract_addr: config.token.into(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: info.sender.to_string(),
                amount,
            })?,
            funds: vec![],
        })
        .add_attribute(ev::ACTION, ev::CLAIM_UNBONDED)
        .add_attribute(ev::attr::NODE, info.sender)
        .add_attribute(ev::attr::AMOUNT, amount))
}

pub fn set_compliance(
    deps: DepsMut,
    info: MessageInfo,
    node: String,
    level: Decimal,
) -> Result<Response, ContractError> {
    if CONFIG.load(deps.storage)?.compliance != info.sender {
        return Err(ContractError::Unauthorized);
    }
    if level > Decimal::one() {
        return Err(ContractError::BadCompliance);
    }
    let addr = deps.api.addr_validate(&node)?;
    let mut n = load_node(&deps, &addr)?;
    n.compliance = level;
    NODES.save(deps.storage, &addr, &n)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SET_COMPLIANCE)
        .add_attribute(ev::attr::NODE, addr)
        .add_attribute(ev::attr::LEVEL, level.to_string()))
}

pub fn record_work(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    node: String,
    units: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if config.work_reporter.as_ref() != Some(&info.sender) {
        return Err(ContractError::Unauthorized);
    }
    let addr = deps.api.addr_validate(&node)?;
    if !NODES.has(deps.storage, &addr) {
        return Err(ContractError::UnknownNode(node));
    }
    let epoch = epoch_of(&config, env.block.time.seconds());
    let n = NODE_WORK
        .may_load(deps.storage, (&addr, epoch))?
        .unwrap_or_default()
        .checked_add(units)?;
    NODE_WORK.save(deps.storage, (&addr, epoch), &n)?;
    let e = EPOCH_WORK
        .may_load(deps.storage, epoch)?
        .unwrap_or_default()
        .checked_add(units)?;
    EPOCH_WORK.save(deps.storage, epoch, &e)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::RECORD_WORK)
        .add_attribute(ev::attr::NODE, addr)
        .add_attribute(ev::attr::UNITS, units)
        .add_attribute(ev::attr::EPOCH, epoch.to_string()))
}

pub fn validate_config(c: &Config) -> Result<(), ContractError> {
    if c.epoch_seconds == 0 {
        return Err(ContractError::InvalidConfig(
            "epoch_seconds must be positive",
        ));
    }
    if c.attestor_set_size == 0 || c.attestor_set_size > MAX_ATTESTORS {
        return Err(ContractError::InvalidConfig(
            "attestor_set_size must be 1..=100",
        ));
    }
    if c.window_epochs == 0 || c.window_epochs > crate::state::MAX_WINDOW {
        return Err(ContractError::InvalidConfig("window_epochs must be 1..=16"));
    }
    if c.max_claims == 0 || c.max_claims > 32 {
        return Err(ContractError::InvalidConfig("max_claims must be 1..=32"));
    }
    if c.fraud_slash.is_zero() || c.fraud_slash > Decimal::one() {
        return Err(ContractError::BadFraction);
    }
    // A fraction that rounds every pledge slash to zero is dust: require at least 1/10^6.
    if c.fraud_slash < Decimal::from_ratio(1u128, 1_000_000u128) {
        return Err(ContractError::InvalidConfig("fraud_slash rounds to zero"));
    }
    // A zero min_bond would index unbonded nodes again (the sybil flood of #20).
    if c.min_bond.is_zero() {
        return Err(ContractError::InvalidConfig("min_bond must be positive"));
    }
    if c.topup_grace_seconds > MAX_TOPUP_GRACE_SECONDS {
        return Err(ContractError::InvalidConfig(
            "topup_grace_seconds must be at most 540 days",
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    compliance: Option<String>,
    slash_recipient: Option<String>,
    work_reporter: Option<String>,
    fraud_slash: Option<Decimal>,
    attestor_set_size: Option<u32>,
    min_bond: Option<Uint128>,
    topup_grace_seconds: Option<u64>,
) -> Result<Response, ContractError> {
    let mut c = CONFIG.load(deps.storage)?;
    if c.governance != info.sender {
        return Err(ContractError::Unauthorized);
    }
    let api = deps.api;
    if let Some(x) = compliance {
        c.compliance = api.addr_validate(&x)?;
    }
    if let Some(x) = slash_recipient {
        c.slash_recipient = api.addr_validate(&x)?;
    }
    if let Some(x) = work_reporter {
        c.work_reporter = Some(api.addr_validate(&x)?);
    }
    if let Some(x) = fraud_slash {
        c.fraud_slash = x;
    }
    if let Some(x) = attestor_set_size {
        c.attestor_set_size = x;
    }
    if let Some(x) = min_bond {
        c.min_bond = x;
    }
    if let Some(x) = topup_grace_seconds {
        c.topup_grace_seconds = x;
    }
    validate_config(&c)?;
    CONFIG.save(deps.storage, &c)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CONFIG))
}
