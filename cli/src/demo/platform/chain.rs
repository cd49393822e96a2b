//! The calls the demo and the tests make on any chain: clients, queries and executes with the
//! interface crate's messages, balances, node registration and the relayer's config.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bithive_chain_client::{
    ChainClient, CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint, OperatorKey,
};
use bithive_interface::staking::Tier;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::deploy::Deployment;

use super::*;

/// `node` registers in `contracts`' staking with `operator` as its operator key (a proof of
/// possession signed for this chain, staking contract and node account); governance (`gov`)
/// records its compliance. On any chain: the platform's devnet or a real one.
pub async fn register_node_on(
    gov: &ChainClient,
    contracts: &crate::deploy::Contracts,
    node: &ChainClient,
    operator: &OperatorKey,
) -> Result<(), DemoError> {
    ctx!(
        bithive_relayer::registration::register_node(
            gov,
            &contracts.staking,
            node,
            operator,
            4,
            Tier::T1,
        )
        .await,
        "register node"
    )
}

/// One tabular row of the breast-cancer models (30 features), as the engine's test vectors.
pub const DEMO_ROW: &str = "[13,20,85,550,0.1,0.1,0.08,0.05,0.18,0.06,0.4,1.2,2.8,40,0.007,0.025,0.03,0.012,0.02,0.0038,15,26,100,700,0.13,0.25,0.27,0.11,0.29,0.084]";

/// A random attestation nonce (the contract accepts each (signer, nonce) once).
pub fn random_nonce() -> Result<u64, DemoError> {
    let mut b = [0u8; 8];
    ctx!(getrandom::getrandom(&mut b), "random nonce")?;
    Ok(u64::from_le_bytes(b))
}

/// A fresh BIP-39 mnemonic (24 words) from the OS RNG.
pub fn new_mnemonic() -> Result<String, DemoError> {
    let mut entropy = [0u8; 32];
    ctx!(getrandom::getrandom(&mut entropy), "random key")?;
    let m = ctx!(bip39::Mnemonic::from_entropy(&entropy), "random key")?;
    Ok(m.to_string())
}

pub fn client(url: &str, chain_id: &str, key: OperatorKey) -> Result<ChainClient, DemoError> {
    client_paying(url, chain_id, key, DENOM, 0.025)
}

/// [`client`] paying fees in `denom` at `gas_price`.
pub fn client_paying(
    url: &str,
    chain_id: &str,
    key: OperatorKey,
    denom: &str,
    gas_price: f64,
) -> Result<ChainClient, DemoError> {
    let rpc = ctx!(
        HttpEndpoint::new(url, CompatVersion::V038, Duration::from_secs(10)),
        "rpc endpoint"
    )?;
    let gas = GasConfig {
        gas_price,
        gas_adjustment: 1.4,
        max_gas_price: (4.0 * gas_price).max(0.1),
        fee_denom: denom.into(),
        max_gas: 60_000_000,
    };
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(50),
        timeout: Duration::from_secs(60),
    };
    ctx!(
        ChainClient::new(Arc::new(rpc), chain_id, key, gas, confirm),
        "chain client"
    )
}

/// A smart query with a `bithive-interface` message, answered as its response type.
pub async fn query<M: Serialize + ?Sized, R: DeserializeOwned>(
    c: &ChainClient,
    contract: &str,
    msg: &M,
    step: &str,
) -> Result<R, DemoError> {
    ctx!(c.query_typed(contract, msg).await, step)
}

/// Executes one `bithive-interface` message; returns the commit height.
pub async fn exec<M: Serialize>(
    c: &ChainClient,
    contract: &str,
    msg: &M,
    step: &str,
) -> Result<u64, DemoError> {
    Ok(exec_outcome(c, contract, msg, step).await?.height)
}

/// Executes one `bithive-interface` message; returns the committed outcome (its events).
pub async fn exec_outcome<M: Serialize>(
    c: &ChainClient,
    contract: &str,
    msg: &M,
    step: &str,
) -> Result<bithive_chain_client::TxOutcome, DemoError> {
    let any = ctx!(c.execute_msg(contract, msg), step)?;
    ctx!(c.submit(vec![any], "").await, step)
}

/// The BitChat identity of a chain key: its Noise key is what messages and record keys are
/// sealed to (the same derivation the relayer uses for its operator key).
pub fn bitchat_identity(key: &OperatorKey) -> Result<bithive_bitchat::NodeIdentity, DemoError> {
    let secret: [u8; 32] = key.k256().to_bytes().into();
    ctx!(
        bithive_bitchat::NodeIdentity::from_secret(&secret),
        "BitChat identity"
    )
}

pub async fn cw20_balance(c: &ChainClient, token: &str, addr: &str) -> Result<u128, DemoError> {
    let b: cw20::BalanceResponse = query(
        c,
        token,
        &cw20::Cw20QueryMsg::Balance {
            address: addr.to_string(),
        },
        "cw20 balance",
    )
    .await?;
    Ok(b.balance.u128())
}

pub async fn native_balance(c: &ChainClient, addr: &str) -> Result<u128, DemoError> {
    native_balance_of(c, addr, DENOM).await
}

/// `addr`'s bank balance of `denom` (an `ibc/...` voucher, for example).
pub async fn native_balance_of(
    c: &ChainClient,
    addr: &str,
    denom: &str,
) -> Result<u128, DemoError> {
    ctx!(
        bithive_chain_client::query::balance(c.rpc().as_ref(), addr, denom).await,
        "bank balance"
    )
}

pub fn btk(base: u128) -> String {
    format!("{}.{:06} BTK", base / 1_000_000, base % 1_000_000)
}

pub fn bhive(base: u128) -> String {
    format!("{}.{:06} BHIVE", base / 1_000_000, base % 1_000_000)
}

/// The relayer's config for deployment `d` on the chain at `url`: chain id, address prefix and
/// fees are `client`'s (a platform key's client on that chain).
pub fn relayer_config(
    home: &Path,
    inference_config: &Path,
    url: &str,
    client: &ChainClient,
    d: &Deployment,
    node: &str,
) -> Result<bithive_relayer::config::Config, DemoError> {
    let gas = client.gas();
    use bithive_relayer::config::{ChainConfig, Config, InferenceSection, JobKind};
    let cfg = Config {
        db_path: home.join("relayer.sqlite"),
        metrics_addr: None,
        metrics_limits: Default::default(),
        probe_addr: None,
        attestor: None,
        keyring: home.join("keyring.json"),
        chains: vec![ChainConfig {
            chain_id: client.chain_id().into(),
            rpc: vec![url.into()],
            compat: CompatVersion::V038,
            rpc_timeout_ms: 10_000,
            account_prefix: client.key().prefix().into(),
            key: "operator".into(),
            gas_price: gas.gas_price,
            gas_adjustment: gas.gas_adjustment,
            max_gas_price: gas.max_gas_price,
            fee_denom: gas.fee_denom.clone(),
            max_gas: gas.max_gas,
            contracts: [
                ("payfi_escrow".to_string(), d.contracts.payfi_escrow.clone()),
                ("attestation".to_string(), d.contracts.attestation.clone()),
            ]
            .into_iter()
            .collect(),
            jobs: vec![JobKind::Inference],
            poll_interval_ms: 200,
            start_height: Some(1),
            batch_size: 10,
            blocks_per_poll: 200,
            confirm_timeout_ms: 60_000,
            attest_on: None,
            node: Some(node.into()),
        }],
        inference: Some(InferenceSection {
            config: inference_config.to_path_buf(),
            sealed_models: None,
        }),
        matching: None,
        dp: None,
    };
    ctx!(cfg.validate(), "relayer config")?;
    Ok(cfg)
}

/// Fails `step` unless the node gained exactly `price` less the escrow's fee (`fee_bps`);
/// returns the fee.
pub fn expect_paid(
    step: &str,
    gained: u128,
    price: u128,
    fee_bps: u128,
) -> Result<u128, DemoError> {
    let fee = price * fee_bps / 10_000;
    if gained != price - fee {
        return Err(fail(step)(&format!(
            "node balance rose by {gained}, expected {}",
            price - fee
        )));
    }
    Ok(fee)
}
