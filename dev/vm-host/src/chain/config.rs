//! Chain parameters: identity, address prefix, gas schedule and limits.

use cosmwasm_std::Timestamp;

use crate::store::GasConfig;

/// Default gas limit of one transaction, in CosmWasm gas (= 1e12 / 140 ≈ 7.1e9 SDK gas).
const DEFAULT_TX_GAS: u64 = 1_000_000_000_000;

#[derive(Clone, Debug)]
pub struct ChainConfig {
    pub chain_id: String,
    pub bech32_prefix: String,
    pub gas: GasConfig,
    /// Gas limit of one transaction, in CosmWasm gas.
    pub tx_gas_limit: u64,
    /// Block time at genesis.
    pub genesis_time: Timestamp,
    /// Fixed CosmWasm gas charged before every contract call (wasmd's `DefaultInstanceCost`,
    /// 60 000 SDK gas, is `60_000 * SDK_TO_CW_GAS`). 0 keeps `gas_used` to the contract's own
    /// execution and storage, which is what per-contract gas figures compare.
    pub call_cost: u64,
    /// SDK gas per wasm byte charged by a `MsgStoreCode` (wasmd's `DefaultCompileCost` = 3).
    pub compile_cost_per_byte: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            chain_id: "bithive-local-1".into(),
            bech32_prefix: "bithive".into(),
            gas: GasConfig::default(),
            tx_gas_limit: DEFAULT_TX_GAS,
            genesis_time: Timestamp::from_seconds(1_767_225_600), // 2026-01-01T00:00:00Z
            call_cost: 0,
            compile_cost_per_byte: 3,
        }
    }
}
