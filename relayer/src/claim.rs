//! A node claims its compute rewards (ADR 007): `bithive relayer claim`, and the demo.
//!
//! The node account (not necessarily the relayer's operator key) sends rewards `claim_compute`;
//! what is claimable is read first, so "nothing to claim" is an answer, not a failed
//! transaction.
use bithive_chain_client::ChainClient;
use bithive_interface::rewards::{
    events as ev, ExecuteMsg as RewardsMsg, NodeRewardsResponse, QueryMsg as RewardsQuery,
};
use cosmwasm_std::Uint128;
use serde::Serialize;

use crate::error::RelayerError;

/// What one claim paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claimed {
    pub node: String,
    /// BTK claimed (base units): paid now plus into vesting.
    pub amount: Uint128,
    pub paid_now: Uint128,
    pub vesting: Uint128,
    /// The claim's transaction.
    pub tx: String,
}

/// What the node behind `client` may claim now.
pub async fn claimable(
    client: &ChainClient,
    rewards: &str,
) -> Result<NodeRewardsResponse, RelayerError> {
    Ok(client
        .query_typed(
            rewards,
            &RewardsQuery::NodeRewards {
                node: client.address().to_string(),
            },
        )
        .await?)
}

/// Claims the compute rewards of the node `client` signs for; `None` when nothing is claimable.
pub async fn claim_compute(
    client: &ChainClient,
    rewards: &str,
) -> Result<Option<Claimed>, RelayerError> {
    if claimable(client, rewards).await?.claimable.is_zero() {
        return Ok(None);
    }
    let tx = client
        .execute_batch(&[(rewards.to_string(), RewardsMsg::ClaimCompute {})])
        .await?;
    let (amount, paid_now, vesting) = claimed_amounts(&tx.events).ok_or_else(|| {
        RelayerError::Attestation(format!(
            "claim tx {} carries no claim_compute event with its amounts",
            tx.hash
        ))
    })?;
    Ok(Some(Claimed {
        node: client.address().to_string(),
        amount,
        paid_now,
        vesting,
        tx: tx.hash.clone(),
    }))
}

/// `(amount, paid_now, vesting)` of rewards' `claim_compute` event among `events`; `None` when
/// there is none or an amount does not parse.
pub fn claimed_amounts(
    events: &[bithive_chain_client::rpc::Event],
) -> Option<(Uint128, Uint128, Uint128)> {
    let e = events
        .iter()
        .filter(|e| e.kind == "wasm")
        .find(|e| e.attr(ev::ACTION) == Some(ev::CLAIM_COMPUTE))?;
    let amount = |k: &str| e.attr(k)?.parse::<Uint128>().ok();
    Some((
        amount(ev::attr::AMOUNT)?,
        amount(ev::attr::PAID_NOW)?,
        amount(ev::attr::VESTING)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_chain_client::rpc::Event;

    fn event(kind: &str, attrs: &[(&str, &str)]) -> Event {
        Event {
            kind: kind.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_amounts_come_from_the_claim_event_only() {
        let claim = event(
            "wasm",
            &[
                ("action", "claim_compute"),
                ("amount", "40000"),
                ("paid_now", "0"),
                ("vesting", "40000"),
            ],
        );
        let other = event("wasm", &[("action", "transfer"), ("amount", "7")]);
        assert_eq!(
            claimed_amounts(&[other.clone(), claim.clone()]),
            Some((40_000u128.into(), 0u128.into(), 40_000u128.into()))
        );
        // No claim event, or an amount that does not parse: an error, never a silent 0.
        assert_eq!(claimed_amounts(&[other]), None);
        let bad = event(
            "wasm",
            &[
                ("action", "claim_compute"),
                ("amount", "x"),
                ("paid_now", "0"),
                ("vesting", "0"),
            ],
        );
        assert_eq!(claimed_amounts(&[bad]), None);
    }
}
