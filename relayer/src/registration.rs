//! A node joins a deployment's staking: it registers with its operator key (the key its
//! relayer signs attestations with, proven by a signature over this chain, staking contract and
//! node account), and governance records its compliance. On any chain.
use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_interface::staking::{ExecuteMsg as StakingMsg, Tier};
use bithive_signed_attestation::PubKey33;
use cosmwasm_std::Decimal;

use crate::error::RelayerError;

/// The compliance level governance records for a node that joined (0.9).
pub fn compliance_msg(node: &str) -> StakingMsg {
    StakingMsg::SetCompliance {
        node: node.to_string(),
        level: Decimal::permille(900),
    }
}

/// `node` registers in `staking` with `operator` as its operator key, claiming `capacity_t` T
/// at `tier` (its own transaction; governance records its compliance after).
pub async fn register(
    staking: &str,
    node: &ChainClient,
    operator: &OperatorKey,
    capacity_t: u32,
    tier: Tier,
) -> Result<(), RelayerError> {
    let operator_signature = bithive_signed_attestation::signing::sign_operator_pop(
        operator.k256(),
        node.chain_id(),
        staking,
        node.address(),
    )
    .map_err(|e| RelayerError::Attestation(format!("operator key proof: {e}")))?;
    let register = StakingMsg::RegisterNode {
        capacity_t,
        tier,
        operator_key: PubKey33(operator.public_key_compressed()),
        operator_signature,
    };
    node.execute_batch(&[(staking.to_string(), register)])
        .await?;
    Ok(())
}

/// [`register`], then `gov` (staking's governance as one account: a deployment without a DAO)
/// sets its compliance to 0.9 ([`compliance_msg`]).
pub async fn register_node(
    gov: &ChainClient,
    staking: &str,
    node: &ChainClient,
    operator: &OperatorKey,
    capacity_t: u32,
    tier: Tier,
) -> Result<(), RelayerError> {
    register(staking, node, operator, capacity_t, tier).await?;
    gov.execute_batch(&[(staking.to_string(), compliance_msg(node.address()))])
        .await?;
    Ok(())
}
