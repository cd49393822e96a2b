//! The signing client: one operator account on one chain. Submissions are serialized through the
//! local sequence; simulate -> fee -> sign -> broadcast_tx_sync -> poll `tx`.
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmrs::cosmwasm::{MsgExecuteContract, MsgInstantiateContract, MsgStoreCode, MsgUpdateAdmin};
use cosmrs::tx::Msg;
use cosmrs::{AccountId, Any};
use tokio::sync::Mutex;

use crate::error::{cosmrs_err, ChainError};
use crate::keys::OperatorKey;
use crate::query::{self, AccountInfo};
use crate::rpc::{Event, RpcEndpoint};
use crate::tx::{self, GasConfig, TxParams};

/// How long to wait for inclusion, and how often to ask.
#[derive(Clone, Copy, Debug)]
pub struct ConfirmConfig {
    pub poll_interval: Duration,
    pub timeout: Duration,
}

impl Default for ConfirmConfig {
    fn default() -> Self {
        ConfirmConfig {
            poll_interval: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
        }
    }
}

/// (amount, denom) pairs as cosmrs coins; a malformed denom is a config error.
fn coins(amounts: &[(u128, &str)]) -> Result<Vec<cosmrs::Coin>, ChainError> {
    amounts
        .iter()
        .map(|(amount, denom)| {
            Ok(cosmrs::Coin {
                denom: denom
                    .parse()
                    .map_err(|e| ChainError::Config(format!("denom {denom}: {e}")))?,
                amount: *amount,
            })
        })
        .collect()
}

/// A tx accepted into the mempool.
#[derive(Clone, Debug)]
pub struct Broadcasted {
    pub hash: String,
    pub sequence: u64,
    pub gas_limit: u64,
    pub fee_amount: u128,
}

/// A committed, successful tx.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    pub hash: String,
    pub height: u64,
    pub gas_used: i64,
    pub gas_wanted: i64,
    pub events: Vec<Event>,
}

impl TxOutcome {
    /// First value of `key` in the first event of type `kind`.
    pub fn attr(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .find_map(|e| e.attr(key))
    }
}

/// Gas of the fee's transfer to the fee collector at delivery, which a zero-fee simulation does
/// not count (measured on wasmd v0.61.14: 22,257; the devnet charges the same).
pub const FEE_TRANSFER_GAS: u64 = 22_257;

/// Counters a daemon exports as metrics.
#[derive(Default, Debug)]
pub struct ClientStats {
    pub simulate_errors: std::sync::atomic::AtomicU64,
    pub broadcast_errors: std::sync::atomic::AtomicU64,
    pub sequence_recoveries: std::sync::atomic::AtomicU64,
}

const MAX_ATTEMPTS: u32 = 5;

pub struct ChainClient {
    rpc: Arc<dyn RpcEndpoint>,
    chain_id: String,
    key: OperatorKey,
    gas: GasConfig,
    confirm: ConfirmConfig,
    /// `None` until the account is queried, and again after an uncertain broadcast.
    account: Mutex<Option<AccountInfo>>,
    /// Gas price in use: the configured one, raised (up to the max) when the chain asks for more.
    price: std::sync::Mutex<f64>,
    pub stats: ClientStats,
}

fn inc(c: &std::sync::atomic::AtomicU64) {
    c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

impl ChainClient {
    pub fn new(
        rpc: Arc<dyn RpcEndpoint>,
        chain_id: &str,
        key: OperatorKey,
        gas: GasConfig,
        confirm: ConfirmConfig,
    ) -> Result<Self, ChainError> {
        gas.validate()?;
        Ok(ChainClient {
            rpc,
            chain_id: chain_id.to_string(),
            key,
            price: std::sync::Mutex::new(gas.gas_price),
            gas,
            confirm,
            account: Mutex::new(None),
            stats: ClientStats::default(),
        })
    }

    pub fn rpc(&self) -> &Arc<dyn RpcEndpoint> {
        &self.rpc
    }
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
    pub fn address(&self) -> &str {
        self.key.address()
    }
    pub fn key(&self) -> &OperatorKey {
        &self.key
    }
    pub fn gas(&self) -> &GasConfig {
        &self.gas
    }

    fn current_price(&self) -> f64 {
        *self.price.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Balance of the operator in the fee denom.
    pub async fn fee_balance(&self) -> Result<u128, ChainError> {
        query::balance(self.rpc.as_ref(), self.key.address(), &self.gas.fee_denom).await
    }

    /// A smart query; `msg` is any serialisable message, normally a `bithive-interface` type.
    pub async fn query_smart<M: serde::Serialize + ?Sized>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<Vec<u8>, ChainError> {
        query::wasm_smart(self.rpc.as_ref(), contract, &encode_msg(msg)?).await
    }

    /// x/wasm's record of a contract: code id, creator, wasm admin, label.
    pub async fn contract_info(&self, contract: &str) -> Result<query::ContractInfo, ChainError> {
        query::wasm_contract_info(self.rpc.as_ref(), contract).await
    }

    /// A smart query answered as `R`.
    pub async fn query_typed<M: serde::Serialize + ?Sized, R: serde::de::DeserializeOwned>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<R, ChainError> {
        let raw = self.query_smart(contract, msg).await?;
        serde_json::from_slice(&raw).map_err(|e| ChainError::Decode {
            what: "smart query answer",
            message: e.to_string(),
        })
    }

    /// Simulates, signs and broadcasts `msgs` as one tx (`broadcast_tx_sync`).
    pub async fn broadcast(&self, msgs: Vec<Any>, memo: &str) -> Result<Broadcasted, ChainError> {
        self.broadcast_with(msgs, memo, &mut |_| Ok(())).await
    }

    /// As [`ChainClient::broadcast`], calling `before_send(tx_hash)` right before each send, so
    /// a caller can persist the hash first (a crash then never leaves an unknown tx behind).
    pub async fn broadcast_with(
        &self,
        msgs: Vec<Any>,
        memo: &str,
        before_send: &mut (dyn FnMut(&str) -> Result<(), String> + Send),
    ) -> Result<Broadcasted, ChainError> {
        let mut guard = self.account.lock().await;
        for attempt in 0..MAX_ATTEMPTS {
            let acct = match *guard {
                Some(a) => a,
                None => {
                    let a = query::account(self.rpc.as_ref(), self.key.address()).await?;
                    *guard = Some(a);
                    a
                }
            };
            let params = |gas_limit: u64, fee_amount: u128| TxParams {
                chain_id: &self.chain_id,
                account_number: acct.account_number,
                sequence: acct.sequence,
                gas_limit,
                fee_amount,
                fee_denom: &self.gas.fee_denom,
                memo,
            };
            // Simulation: same signer and sequence, zero fee (the ante handler skips fee checks in
            // simulate mode but does check the sequence).
            let sim_tx = tx::sign_tx(&self.key, msgs.clone(), &params(0, 0))?;
            let simulated = match query::simulate(self.rpc.as_ref(), sim_tx).await {
                Ok(g) => g,
                Err(ChainError::Simulate(log)) if log.contains("account sequence mismatch") => {
                    self.recover_sequence(&mut guard, &log, attempt).await?;
                    continue;
                }
                Err(e) => {
                    inc(&self.stats.simulate_errors);
                    return Err(e);
                }
            };
            // A zero-fee simulation skips the fee's transfer to the fee collector (the SDK's
            // DeductFeeDecorator), which delivery then charges: added before the adjustment, or a
            // small tx (an admin update) runs out of gas at `txSize` despite it.
            let gas_limit = self.gas.gas_limit(simulated + FEE_TRANSFER_GAS);
            if gas_limit > self.gas.max_gas {
                return Err(ChainError::Simulate(format!(
                    "gas limit {gas_limit} above the configured max_gas {}",
                    self.gas.max_gas
                )));
            }
            let price = self.current_price();
            let fee = tx::fee_amount(gas_limit, price);
            let bytes = tx::sign_tx(&self.key, msgs.clone(), &params(gas_limit, fee))?;
            let hash = crate::rpc::tx_hash_hex(&bytes);
            before_send(&hash).map_err(ChainError::Aborted)?;
            let r = match self.rpc.broadcast_tx_sync(bytes).await {
                Ok(r) => r,
                Err(e) => {
                    // The tx may or may not be in a mempool: forget the sequence so the next
                    // submission asks the chain.
                    inc(&self.stats.broadcast_errors);
                    *guard = None;
                    return Err(e);
                }
            };
            if r.code == 0 || r.log.contains(crate::http::TX_IN_CACHE) {
                *guard = Some(AccountInfo {
                    sequence: acct.sequence + 1,
                    ..acct
                });
                return Ok(Broadcasted {
                    hash,
                    sequence: acct.sequence,
                    gas_limit,
                    fee_amount: fee,
                });
            }
            inc(&self.stats.broadcast_errors);
            if r.log.contains("account sequence mismatch") {
                self.recover_sequence(&mut guard, &r.log, attempt).await?;
                continue;
            }
            if r.log.contains("insufficient fee") {
                let required =
                    tx::parse_required_fee(&r.log, &self.gas.fee_denom).ok_or_else(|| {
                        ChainError::Broadcast {
                            code: r.code,
                            codespace: r.codespace.clone(),
                            log: r.log.clone(),
                        }
                    })?;
                let needed = required as f64 / gas_limit.max(1) as f64;
                if needed > self.gas.max_gas_price {
                    let err = ChainError::GasPriceAboveMax {
                        required: needed,
                        max: self.gas.max_gas_price,
                        denom: self.gas.fee_denom.clone(),
                    };
                    tracing::error!(chain = %self.chain_id, alert = "gas_price_above_max", "{err}");
                    return Err(err);
                }
                tracing::warn!(chain = %self.chain_id, from = price, to = needed, "raising gas price on the chain's demand");
                *self.price.lock().unwrap_or_else(|p| p.into_inner()) = needed;
                continue;
            }
            return Err(ChainError::Broadcast {
                code: r.code,
                codespace: r.codespace,
                log: r.log,
            });
        }
        Err(ChainError::SequenceUnresolved(MAX_ATTEMPTS))
    }

    async fn recover_sequence(
        &self,
        guard: &mut tokio::sync::MutexGuard<'_, Option<AccountInfo>>,
        log: &str,
        attempt: u32,
    ) -> Result<(), ChainError> {
        inc(&self.stats.sequence_recoveries);
        let current = guard.ok_or(ChainError::SequenceUnresolved(attempt))?;
        let next = match tx::parse_expected_sequence(log) {
            Some(expected) => expected,
            None => {
                query::account(self.rpc.as_ref(), self.key.address())
                    .await?
                    .sequence
            }
        };
        tracing::warn!(chain = %self.chain_id, local = current.sequence, chain_expected = next, "account sequence mismatch, resyncing");
        **guard = Some(AccountInfo {
            sequence: next,
            ..current
        });
        Ok(())
    }

    /// Polls `tx` until the tx is committed; an executed-but-failed tx is an error.
    pub async fn confirm(&self, hash: &str) -> Result<TxOutcome, ChainError> {
        let start = Instant::now();
        loop {
            match self.rpc.tx(hash).await {
                Ok(Some(r)) if r.code == 0 => {
                    return Ok(TxOutcome {
                        hash: r.hash,
                        height: r.height,
                        gas_used: r.gas_used,
                        gas_wanted: r.gas_wanted,
                        events: r.events,
                    })
                }
                Ok(Some(r)) => {
                    return Err(ChainError::TxFailed {
                        hash: r.hash,
                        code: r.code,
                        log: r.log,
                    })
                }
                Ok(None) => {}
                // Keep polling through outages until the timeout.
                Err(e) if e.is_transport() => tracing::debug!(%hash, error = %e, "tx poll failed"),
                Err(e) => return Err(e),
            }
            if start.elapsed() >= self.confirm.timeout {
                return Err(ChainError::ConfirmTimeout(hash.to_string()));
            }
            tokio::time::sleep(self.confirm.poll_interval).await;
        }
    }

    /// Broadcast then confirm.
    pub async fn submit(&self, msgs: Vec<Any>, memo: &str) -> Result<TxOutcome, ChainError> {
        let b = self.broadcast(msgs, memo).await?;
        self.confirm(&b.hash).await
    }

    fn account_id(addr: &str) -> Result<AccountId, ChainError> {
        AccountId::from_str(addr).map_err(|e| ChainError::Config(format!("address {addr}: {e}")))
    }

    /// A `MsgExecuteContract` from this operator.
    pub fn execute_msg<M: serde::Serialize + ?Sized>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<Any, ChainError> {
        self.execute_msg_with_funds(contract, msg, &[])
    }

    /// A `MsgExecuteContract` from this operator sending `funds` (amount, denom) along.
    pub fn execute_msg_with_funds<M: serde::Serialize + ?Sized>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[(u128, &str)],
    ) -> Result<Any, ChainError> {
        MsgExecuteContract {
            sender: self.key.account_id()?,
            contract: Self::account_id(contract)?,
            msg: encode_msg(msg)?,
            funds: coins(funds)?,
        }
        .to_any()
        .map_err(cosmrs_err)
    }

    /// A bank `MsgSend` of `amount` (amount, denom) from this operator to `to`.
    pub fn send_msg(&self, to: &str, amount: &[(u128, &str)]) -> Result<Any, ChainError> {
        cosmrs::bank::MsgSend {
            from_address: self.key.account_id()?,
            to_address: Self::account_id(to)?,
            amount: coins(amount)?,
        }
        .to_any()
        .map_err(cosmrs_err)
    }

    /// Several contract executions in one tx.
    pub async fn execute_batch<M: serde::Serialize>(
        &self,
        calls: &[(String, M)],
    ) -> Result<TxOutcome, ChainError> {
        let msgs = calls
            .iter()
            .map(|(c, m)| self.execute_msg(c, m))
            .collect::<Result<Vec<_>, _>>()?;
        self.submit(msgs, "").await
    }

    /// The `MsgStoreCode` [`ChainClient::store_code`] sends, with the wasm gzipped as wasmd's
    /// CLI and CosmJS send it: the fee simulation hex-encodes the tx into an `abci_query`, and a
    /// raw artifact over ~500 KB passes CometBFT's default 1 MB request limit (wasmd answers
    /// 400). wasmd (and the devnet) gunzip it; the code checksum is the raw wasm's.
    pub fn store_code_msg(&self, wasm: &[u8]) -> Result<Any, ChainError> {
        MsgStoreCode {
            sender: self.key.account_id()?,
            wasm_byte_code: gzip_wasm(wasm)?,
            instantiate_permission: None,
        }
        .to_any()
        .map_err(cosmrs_err)
    }

    /// Stores a wasm code; returns the code id (from the `store_code` event).
    pub async fn store_code(&self, wasm: Vec<u8>) -> Result<(u64, TxOutcome), ChainError> {
        let msg = self.store_code_msg(&wasm)?;
        let out = self.submit(vec![msg], "").await?;
        let id = out
            .attr("store_code", "code_id")
            .and_then(|s| s.parse().ok())
            .ok_or(ChainError::Decode {
                what: "store_code event",
                message: "no code_id attribute".into(),
            })?;
        Ok((id, out))
    }

    /// Instantiates a code; returns the contract address (from the `instantiate` event).
    pub async fn instantiate<M: serde::Serialize + ?Sized>(
        &self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> Result<(String, TxOutcome), ChainError> {
        let msg = MsgInstantiateContract {
            sender: self.key.account_id()?,
            admin: admin.map(Self::account_id).transpose()?,
            code_id,
            label: Some(label.to_string()),
            msg: encode_msg(msg)?,
            funds: vec![],
        }
        .to_any()
        .map_err(cosmrs_err)?;
        let out = self.submit(vec![msg], "").await?;
        let addr = out
            .attr("instantiate", "_contract_address")
            .map(str::to_string)
            .ok_or(ChainError::Decode {
                what: "instantiate event",
                message: "no _contract_address attribute".into(),
            })?;
        Ok((addr, out))
    }

    /// Makes `new_admin` the wasm admin of `contract` (MsgUpdateAdmin; the signer must be its
    /// admin now).
    pub async fn update_admin(
        &self,
        contract: &str,
        new_admin: &str,
    ) -> Result<TxOutcome, ChainError> {
        let msg = MsgUpdateAdmin {
            sender: self.key.account_id()?,
            new_admin: Self::account_id(new_admin)?,
            contract: Self::account_id(contract)?,
        }
        .to_any()
        .map_err(cosmrs_err)?;
        self.submit(vec![msg], "").await
    }
}

/// `wasm` gzipped (unchanged when it already is).
pub fn gzip_wasm(wasm: &[u8]) -> Result<Vec<u8>, ChainError> {
    use std::io::Write;
    if wasm.starts_with(&[0x1f, 0x8b]) {
        return Ok(wasm.to_vec());
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(wasm)
        .and_then(|()| enc.finish())
        .map_err(|e| ChainError::Config(format!("gzip wasm: {e}")))
}

/// JSON bytes of a contract message.
fn encode_msg<M: serde::Serialize + ?Sized>(msg: &M) -> Result<Vec<u8>, ChainError> {
    serde_json::to_vec(msg).map_err(|e| ChainError::Config(format!("contract message: {e}")))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::gzip_wasm;

    #[test]
    fn gzip_wasm_round_trips_and_is_idempotent() {
        let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
            .iter()
            .copied()
            .cycle()
            .take(10_000)
            .collect();
        let z = gzip_wasm(&wasm).unwrap();
        assert!(z.starts_with(&[0x1f, 0x8b]) && z.len() < wasm.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(z.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, wasm);
        assert_eq!(gzip_wasm(&z).unwrap(), z);
    }
}
