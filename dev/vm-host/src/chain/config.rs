//! Chain parameters: identity, address prefix, gas schedule and limits.

use cosmwasm_std::Timestamp;

use crate::store::GasConfig;

/// Default gas limit of one transaction, in CosmWasm gas (= 1e14 / 140 000 ≈ 7.1e8 SDK gas).
const DEFAULT_TX_GAS: u64 = 100_000_000_000_000;

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
    /// CosmWasm gas of looking a contract up before an execute (wasmd reads its contract info,
    /// found or not).
    pub lookup_cost: u64,
    /// What a call costs instead of `call_cost` when its code already ran in this transaction
    /// (wasmd's `DefaultInstanceCostDiscount`, 2 000 SDK gas). 0 with `call_cost` 0.
    pub call_cost_discount: u64,
    /// Extra fixed CosmWasm gas of an instantiation (wasmd's store reads and writes around it:
    /// instance counter, account, contract info, history, indexes).
    pub instantiate_cost: u64,
    /// CosmWasm gas per byte of an instantiation's message and label, which wasmd writes to the
    /// contract's history and info.
    pub instantiate_cost_per_byte: u64,
    /// CosmWasm gas per byte of the JSON result a contract returns (wasmd's
    /// `costJSONDeserialization`: 1 SDK gas per byte).
    pub result_cost_per_byte: u64,
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
            call_cost_discount: 0,
            lookup_cost: 0,
            instantiate_cost: 0,
            instantiate_cost_per_byte: 0,
            result_cost_per_byte: 0,
            compile_cost_per_byte: 3,
        }
    }
}
