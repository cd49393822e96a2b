//! An in-memory chain behind [`RpcEndpoint`], for tests and benches of the relayer and deploy
//! tools. It checks what a Cosmos SDK ante handler checks (signature over SIGN_MODE_DIRECT sign
//! bytes, account number, sequence with a CheckTx state, min gas price fee in a denom, balance,
//! gas limit) and runs `MsgExecuteContract` on contracts written as Rust [`MockContract`]s, with
//! wasmd-shaped events (`execute` + `_contract_address`, `wasm`/`wasm-*`). Blocks are produced
//! on demand ([`MockChain::produce_block`]) or by a timer task. Simulated gas is a fixed cost
//! model (base + per message + per byte), not a wasm gas meter.
//!
//! Every [`MockEndpoint`] of a chain can be switched "down" (transport errors) to test outages
//! and failover.
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use cosmrs::cosmwasm::MsgExecuteContract;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::base::abci::v1beta1::GasInfo;
use cosmrs::proto::cosmos::tx::v1beta1::{SignDoc, SimulateRequest, SimulateResponse, TxRaw};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::tx::Msg;
use k256::ecdsa::signature::Verifier;

use crate::error::ChainError;
use crate::query::{
    BASE_ACCOUNT_TYPE_URL, PATH_ACCOUNT, PATH_BALANCE, PATH_SIMULATE, PATH_WASM_SMART,
};
use crate::rpc::{
    tx_hash_hex, AbciQueryResult, BlockEvents, BroadcastResult, Event, RpcEndpoint, TxEvents,
    TxResult,
};

/// Gas model of the mock: `BASE + PER_MSG * msgs + PER_BYTE * tx bytes`.
pub const GAS_BASE: u64 = 60_000;
pub const GAS_PER_MSG: u64 = 30_000;
pub const GAS_PER_BYTE: u64 = 10;

/// Context of one contract execution.
#[derive(Clone, Debug)]
pub struct ExecCtx {
    pub sender: String,
    pub contract: String,
    pub height: u64,
}

/// A contract of the mock chain. Returned events are emitted with `_contract_address` first, as
/// wasmd does; an `Err` fails (and reverts) the whole tx.
pub trait MockContract: Send {
    fn execute(&mut self, ctx: &ExecCtx, msg: &[u8]) -> Result<Vec<Event>, String>;
    fn query(&self, msg: &[u8]) -> Result<Vec<u8>, String>;
    /// For revert on failure.
    fn box_clone(&self) -> Box<dyn MockContract>;
    /// For tests that inspect a contract's state.
    fn as_any(&self) -> &dyn std::any::Any;
}

#[derive(Clone, Debug, Default)]
struct Account {
    number: u64,
    sequence: u64,
    balances: HashMap<String, u128>,
}

enum Pending {
    Signed {
        hash: String,
        bytes: Vec<u8>,
    },
    /// An execution by `sender` without signature (a user of the chain, driven by the test).
    Unsigned {
        sender: String,
        contract: String,
        msg: Vec<u8>,
    },
}

struct State {
    chain_id: String,
    prefix: String,
    height: u64,
    blocks: BTreeMap<u64, BlockEvents>,
    accounts: HashMap<String, Account>,
    next_account_number: u64,
    /// Sequence per account as CheckTx sees it (committed + accepted in the mempool).
    check_seq: HashMap<String, u64>,
    mempool: Vec<Pending>,
    txs: HashMap<String, TxResult>,
    contracts: HashMap<String, Box<dyn MockContract>>,
    min_gas_price: f64,
    fee_denom: String,
}

/// The mock chain. Cheap to clone (shared state).
#[derive(Clone)]
pub struct MockChain {
    state: Arc<Mutex<State>>,
    /// Total successful broadcasts (a test probe).
    pub broadcasts: Arc<AtomicU64>,
}

struct Decoded {
    signer: String,
    sequence: u64,
    signer_pubkey: Vec<u8>,
    msgs: Vec<cosmrs::Any>,
    gas_limit: u64,
    fee: Vec<(String, u128)>,
}

impl MockChain {
    pub fn new(chain_id: &str, prefix: &str, fee_denom: &str, min_gas_price: f64) -> Self {
        MockChain {
            state: Arc::new(Mutex::new(State {
                chain_id: chain_id.into(),
                prefix: prefix.into(),
                height: 0,
                blocks: BTreeMap::new(),
                accounts: HashMap::new(),
                next_account_number: 1,
                check_seq: HashMap::new(),
                mempool: Vec::new(),
                txs: HashMap::new(),
                contracts: HashMap::new(),
                min_gas_price,
                fee_denom: fee_denom.into(),
            })),
            broadcasts: Arc::new(AtomicU64::new(0)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Credits `amount` of `denom` (creates the account).
    pub fn fund(&self, address: &str, denom: &str, amount: u128) {
        let mut guard = self.lock();
        let s = &mut *guard;
        if !s.accounts.contains_key(address) {
            let number = s.next_account_number;
            s.next_account_number += 1;
            s.accounts.insert(
                address.to_string(),
                Account {
                    number,
                    ..Default::default()
                },
            );
        }
        if let Some(acct) = s.accounts.get_mut(address) {
            *acct.balances.entry(denom.to_string()).or_default() += amount;
        }
    }

    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        let s = self.lock();
        s.accounts
            .get(address)
            .and_then(|a| a.balances.get(denom).copied())
            .unwrap_or(0)
    }

    pub fn add_contract(&self, address: &str, contract: Box<dyn MockContract>) {
        self.lock().contracts.insert(address.to_string(), contract);
    }

    /// Reads a contract's state (downcast to its concrete type).
    pub fn with_contract<C: 'static, R>(
        &self,
        address: &str,
        f: impl FnOnce(&C) -> R,
    ) -> Option<R> {
        let s = self.lock();
        let c = s.contracts.get(address)?;
        c.as_any().downcast_ref::<C>().map(f)
    }

    pub fn set_min_gas_price(&self, price: f64) {
        self.lock().min_gas_price = price;
    }

    pub fn height(&self) -> u64 {
        self.lock().height
    }

    pub fn mempool_len(&self) -> usize {
        self.lock().mempool.len()
    }

    /// Moves an account's committed sequence forward, as if another process used the same key.
    pub fn bump_sequence(&self, address: &str, by: u64) {
        let mut s = self.lock();
        if let Some(a) = s.accounts.get_mut(address) {
            a.sequence += by;
            let seq = a.sequence;
            s.check_seq.insert(address.to_string(), seq);
        }
    }

    /// Queues an unsigned execution by `sender` for the next block (a chain user, e.g. a patient
    /// creating a job).
    pub fn execute_as(&self, sender: &str, contract: &str, msg: &serde_json::Value) {
        self.lock().mempool.push(Pending::Unsigned {
            sender: sender.into(),
            contract: contract.into(),
            msg: msg.to_string().into_bytes(),
        });
    }

    /// A new RPC endpoint on this chain.
    pub fn endpoint(&self, name: &str) -> MockEndpoint {
        MockEndpoint {
            chain: self.clone(),
            name: name.into(),
            down: Arc::new(AtomicBool::new(false)),
            undecodable: Arc::new(AtomicU64::new(0)),
            results_lag: Arc::new(AtomicBool::new(false)),
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Spawns a task producing a block every `interval` until the handle is aborted.
    pub fn spawn_block_producer(
        &self,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let chain = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tick.tick().await;
                chain.produce_block();
            }
        })
    }

    fn decode_tx(s: &State, bytes: &[u8]) -> Result<(Decoded, TxRaw), String> {
        let raw = TxRaw::decode(bytes).map_err(|e| format!("tx parse error: {e}"))?;
        let tx = cosmrs::Tx::from_bytes(bytes).map_err(|e| format!("tx parse error: {e}"))?;
        let si = tx.auth_info.signer_infos.first().ok_or("no signer info")?;
        let pk = si
            .public_key
            .as_ref()
            .and_then(|p| p.single())
            .ok_or("signer has no single public key")?;
        let signer = pk
            .account_id(&s.prefix)
            .map_err(|e| e.to_string())?
            .to_string();
        let fee = tx
            .auth_info
            .fee
            .amount
            .iter()
            .map(|c| (c.denom.to_string(), c.amount))
            .collect();
        Ok((
            Decoded {
                signer,
                sequence: si.sequence,
                signer_pubkey: pk.to_bytes(),
                msgs: tx.body.messages.clone(),
                gas_limit: tx.auth_info.fee.gas_limit,
                fee,
            },
            raw,
        ))
    }

    fn gas_needed(msgs: usize, bytes: usize) -> u64 {
        GAS_BASE + GAS_PER_MSG * msgs as u64 + GAS_PER_BYTE * bytes as u64
    }

    fn seq_mismatch(expected: u64, got: u64) -> String {
        format!(
            "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
        )
    }

    /// CheckTx: signature, sequence, fee, balance. Returns (code, log).
    fn check_tx(s: &mut State, bytes: &[u8]) -> (u32, String) {
        let (d, raw) = match Self::decode_tx(s, bytes) {
            Ok(x) => x,
            Err(e) => return (2, e),
        };
        let Some(acct) = s.accounts.get(&d.signer).cloned() else {
            return (
                9,
                format!("account {} not found: unknown address", d.signer),
            );
        };
        let expected = *s.check_seq.get(&d.signer).unwrap_or(&acct.sequence);
        if d.sequence != expected {
            return (32, Self::seq_mismatch(expected, d.sequence));
        }
        let doc = SignDoc {
            body_bytes: raw.body_bytes.clone(),
            auth_info_bytes: raw.auth_info_bytes.clone(),
            chain_id: s.chain_id.clone(),
            account_number: acct.number,
        };
        let ok = (|| {
            let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(&d.signer_pubkey).ok()?;
            let sig = k256::ecdsa::Signature::from_slice(raw.signatures.first()?).ok()?;
            vk.verify(&doc.encode_to_vec(), &sig).ok()
        })();
        if ok.is_none() {
            return (
                4,
                "signature verification failed; please verify account number and chain-id: unauthorized".into(),
            );
        }
        let required = (d.gas_limit as f64 * s.min_gas_price).ceil() as u128;
        let paid = d
            .fee
            .iter()
            .find(|(denom, _)| *denom == s.fee_denom)
            .map(|(_, a)| *a)
            .unwrap_or(0);
        if paid < required {
            let got: Vec<String> = d.fee.iter().map(|(dn, a)| format!("{a}{dn}")).collect();
            return (
                13,
                format!(
                    "insufficient fees; got: {} required: {required}{}: insufficient fee",
                    got.join(","),
                    s.fee_denom
                ),
            );
        }
        if acct.balances.get(&s.fee_denom).copied().unwrap_or(0) < paid {
            return (
                5,
                format!(
                    "{paid}{} is more than the balance: insufficient funds",
                    s.fee_denom
                ),
            );
        }
        let hash = tx_hash_hex(bytes);
        if s.mempool
            .iter()
            .any(|p| matches!(p, Pending::Signed { hash: h, .. } if *h == hash))
            || s.txs.contains_key(&hash)
        {
            return (19, "tx already exists in cache".into());
        }
        s.check_seq.insert(d.signer.clone(), expected + 1);
        s.mempool.push(Pending::Signed {
            hash,
            bytes: bytes.to_vec(),
        });
        (0, String::new())
    }

    fn run_execs(
        s: &mut State,
        height: u64,
        execs: &[(String, String, Vec<u8>)],
    ) -> Result<Vec<Event>, String> {
        let mut events = Vec::new();
        let mut snapshots: HashMap<String, Box<dyn MockContract>> = HashMap::new();
        for (sender, contract, msg) in execs {
            let Some(c) = s.contracts.get_mut(contract) else {
                return Self::revert(s, snapshots, format!("no such contract: {contract}"));
            };
            snapshots
                .entry(contract.clone())
                .or_insert_with(|| c.box_clone());
            let ctx = ExecCtx {
                sender: sender.clone(),
                contract: contract.clone(),
                height,
            };
            match c.execute(&ctx, msg) {
                Ok(evs) => {
                    events.push(Event {
                        kind: "execute".into(),
                        attributes: vec![("_contract_address".into(), contract.clone())],
                    });
                    for mut e in evs {
                        e.attributes.insert(0, ("_contract_address".into(), contract.clone()));
                        events.push(e);
                    }
                }
                Err(e) => {
                    return Self::revert(
                        s,
                        snapshots,
                        format!("failed to execute message; message index: 0: {e}: execute wasm contract failed"),
                    )
                }
            }
        }
        Ok(events)
    }

    fn revert(
        s: &mut State,
        snapshots: HashMap<String, Box<dyn MockContract>>,
        err: String,
    ) -> Result<Vec<Event>, String> {
        for (addr, c) in snapshots {
            s.contracts.insert(addr, c);
        }
        Err(err)
    }

    /// Commits the mempool as a new block; returns its height.
    pub fn produce_block(&self) -> u64 {
        let mut s = self.lock();
        s.height += 1;
        let height = s.height;
        let pending = std::mem::take(&mut s.mempool);
        let mut txs = Vec::new();
        for (index, p) in pending.into_iter().enumerate() {
            let index = index as u32;
            match p {
                Pending::Unsigned {
                    sender,
                    contract,
                    msg,
                } => {
                    let (code, log, events) =
                        match Self::run_execs(&mut s, height, &[(sender, contract, msg)]) {
                            Ok(ev) => (0, String::new(), ev),
                            Err(e) => (5, e, vec![]),
                        };
                    txs.push(TxEvents {
                        index,
                        code,
                        log,
                        events,
                    });
                }
                Pending::Signed { hash, bytes } => {
                    let result = Self::deliver(&mut s, height, &bytes);
                    let (code, log, gas_wanted, gas_used, events) = result;
                    txs.push(TxEvents {
                        index,
                        code,
                        log: log.clone(),
                        events: events.clone(),
                    });
                    s.txs.insert(
                        hash.clone(),
                        TxResult {
                            hash,
                            height,
                            code,
                            log,
                            gas_wanted,
                            gas_used,
                            events,
                        },
                    );
                }
            }
        }
        // Recheck: the CheckTx state restarts from the committed state.
        s.check_seq.clear();
        s.blocks.insert(
            height,
            BlockEvents {
                height,
                txs,
                block_events: vec![],
            },
        );
        height
    }

    fn deliver(s: &mut State, height: u64, bytes: &[u8]) -> (u32, String, i64, i64, Vec<Event>) {
        let Ok((d, _)) = Self::decode_tx(s, bytes) else {
            return (2, "tx parse error".into(), 0, 0, vec![]);
        };
        let fee_denom = s.fee_denom.clone();
        let paid = d
            .fee
            .iter()
            .find(|(dn, _)| *dn == fee_denom)
            .map(|(_, a)| *a)
            .unwrap_or(0);
        let Some(acct) = s.accounts.get_mut(&d.signer) else {
            return (9, "unknown address".into(), 0, 0, vec![]);
        };
        if acct.sequence != d.sequence {
            return (
                32,
                Self::seq_mismatch(acct.sequence, d.sequence),
                0,
                0,
                vec![],
            );
        }
        // Ante handler effects stay even if the messages fail.
        acct.sequence += 1;
        let bal = acct.balances.entry(fee_denom.clone()).or_default();
        *bal = bal.saturating_sub(paid);
        let mut events = vec![
            Event {
                kind: "tx".into(),
                attributes: vec![
                    ("fee".into(), format!("{paid}{fee_denom}")),
                    ("fee_payer".into(), d.signer.clone()),
                ],
            },
            Event {
                kind: "tx".into(),
                attributes: vec![("acc_seq".into(), format!("{}/{}", d.signer, d.sequence))],
            },
        ];
        let needed = Self::gas_needed(d.msgs.len(), bytes.len());
        let gas_wanted = d.gas_limit as i64;
        if needed > d.gas_limit {
            return (
                11,
                format!(
                    "out of gas in location: mock; gasWanted: {}, gasUsed: {needed}: out of gas",
                    d.gas_limit
                ),
                gas_wanted,
                d.gas_limit as i64,
                events,
            );
        }
        let mut execs = Vec::new();
        for any in &d.msgs {
            match MsgExecuteContract::from_any(any) {
                Ok(m) => execs.push((m.sender.to_string(), m.contract.to_string(), m.msg)),
                Err(_) => {
                    return (
                        6,
                        format!("unsupported message type {}: unknown request", any.type_url),
                        gas_wanted,
                        needed as i64,
                        events,
                    )
                }
            }
        }
        if execs.iter().any(|(sender, _, _)| *sender != d.signer) {
            return (
                4,
                "message sender is not the signer: unauthorized".into(),
                gas_wanted,
                needed as i64,
                events,
            );
        }
        for _ in &execs {
            events.push(Event {
                kind: "message".into(),
                attributes: vec![
                    (
                        "action".into(),
                        "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
                    ),
                    ("sender".into(), d.signer.clone()),
                    ("module".into(), "wasm".into()),
                ],
            });
        }
        match Self::run_execs(s, height, &execs) {
            Ok(ev) => {
                events.extend(ev);
                (0, String::new(), gas_wanted, needed as i64, events)
            }
            Err(log) => (5, log, gas_wanted, needed as i64, events),
        }
    }

    fn abci(&self, path: &str, data: &[u8]) -> AbciQueryResult {
        let fail = |code: u32, log: String| AbciQueryResult {
            code,
            log,
            value: vec![],
        };
        let ok = |value: Vec<u8>| AbciQueryResult {
            code: 0,
            log: String::new(),
            value,
        };
        let s = self.lock();
        match path {
            PATH_ACCOUNT => {
                let Ok(req) = QueryAccountRequest::decode(data) else {
                    return fail(2, "bad request".into());
                };
                match s.accounts.get(&req.address) {
                    None => fail(
                        22,
                        format!("account {} not found: key not found", req.address),
                    ),
                    Some(a) => {
                        let base = BaseAccount {
                            address: req.address.clone(),
                            pub_key: None,
                            account_number: a.number,
                            sequence: a.sequence,
                        };
                        let resp = QueryAccountResponse {
                            account: Some(cosmrs::Any {
                                type_url: BASE_ACCOUNT_TYPE_URL.into(),
                                value: base.encode_to_vec(),
                            }),
                        };
                        ok(resp.encode_to_vec())
                    }
                }
            }
            PATH_BALANCE => {
                let Ok(req) = QueryBalanceRequest::decode(data) else {
                    return fail(2, "bad request".into());
                };
                let amount = s
                    .accounts
                    .get(&req.address)
                    .and_then(|a| a.balances.get(&req.denom).copied())
                    .unwrap_or(0);
                let resp = QueryBalanceResponse {
                    balance: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                        denom: req.denom,
                        amount: amount.to_string(),
                    }),
                };
                ok(resp.encode_to_vec())
            }
            PATH_WASM_SMART => {
                let Ok(req) = QuerySmartContractStateRequest::decode(data) else {
                    return fail(2, "bad request".into());
                };
                match s.contracts.get(&req.address) {
                    None => fail(5, format!("no such contract: {}", req.address)),
                    Some(c) => match c.query(&req.query_data) {
                        Ok(v) => ok(QuerySmartContractStateResponse { data: v }.encode_to_vec()),
                        Err(e) => fail(5, format!("query wasm contract failed: {e}")),
                    },
                }
            }
            PATH_SIMULATE => {
                let Ok(req) = SimulateRequest::decode(data) else {
                    return fail(2, "bad request".into());
                };
                let (d, _) = match Self::decode_tx(&s, &req.tx_bytes) {
                    Ok(x) => x,
                    Err(e) => return fail(2, e),
                };
                let Some(acct) = s.accounts.get(&d.signer) else {
                    return fail(9, "unknown address".into());
                };
                let expected = *s.check_seq.get(&d.signer).unwrap_or(&acct.sequence);
                if d.sequence != expected {
                    return fail(32, Self::seq_mismatch(expected, d.sequence));
                }
                let gas = Self::gas_needed(d.msgs.len(), req.tx_bytes.len());
                #[allow(deprecated)]
                let resp = SimulateResponse {
                    gas_info: Some(GasInfo {
                        gas_wanted: 0,
                        gas_used: gas,
                    }),
                    result: None,
                };
                ok(resp.encode_to_vec())
            }
            other => fail(6, format!("unknown query path {other}")),
        }
    }
}

/// One RPC endpoint of a [`MockChain`], switchable down.
#[derive(Clone)]
pub struct MockEndpoint {
    chain: MockChain,
    name: String,
    down: Arc<AtomicBool>,
    /// A height whose block results cannot be decoded (a poison block; 0: none).
    undecodable: Arc<AtomicU64>,
    /// The tip's block results are not stored yet (CometBFT saves a block before its results).
    results_lag: Arc<AtomicBool>,
    /// Calls answered (a test probe).
    pub calls: Arc<AtomicU64>,
}

impl MockEndpoint {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Makes the block results at `height` undecodable, as a real node's can be (a tx with
    /// `gas_wanted` beyond int64 on a chain that accepted it).
    pub fn set_undecodable(&self, height: u64) {
        self.undecodable.store(height, Ordering::SeqCst);
    }

    /// While set, the block results of the latest height are missing, as a CometBFT node's are
    /// between storing a block and storing its results.
    pub fn set_results_lag(&self, lag: bool) {
        self.results_lag.store(lag, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), ChainError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ChainError::Transport {
                endpoint: self.name.clone(),
                message: "connection refused (mock outage)".into(),
            });
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[async_trait]
impl RpcEndpoint for MockEndpoint {
    fn name(&self) -> String {
        self.name.clone()
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.check()?;
        Ok(self.chain.height())
    }
    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError> {
        self.check()?;
        if self.undecodable.load(Ordering::SeqCst) == height {
            return Err(ChainError::Decode {
                what: "block_results",
                message: "serde parse error (mock poison block)".into(),
            });
        }
        let s = self.chain.lock();
        if self.results_lag.load(Ordering::SeqCst) && height == s.height {
            return Err(ChainError::Transport {
                endpoint: self.name.clone(),
                message: format!(
                    "Internal error: could not find results for height #{height} (code: -32603)"
                ),
            });
        }
        s.blocks
            .get(&height)
            .cloned()
            .ok_or_else(|| ChainError::Transport {
                endpoint: self.name.clone(),
                message: format!(
                "height {height} must be less than or equal to the current blockchain height {}",
                s.height
            ),
            })
    }
    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError> {
        self.check()?;
        Ok(self.chain.abci(path, &data))
    }
    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError> {
        self.check()?;
        let hash = tx_hash_hex(&tx);
        let (code, log) = MockChain::check_tx(&mut self.chain.lock(), &tx);
        if code == 0 {
            self.chain.broadcasts.fetch_add(1, Ordering::Relaxed);
        }
        Ok(BroadcastResult {
            code,
            codespace: if code == 0 {
                String::new()
            } else {
                "sdk".into()
            },
            log,
            hash,
        })
    }
    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError> {
        self.check()?;
        Ok(self.chain.lock().txs.get(&hash_hex.to_uppercase()).cloned())
    }
}

/// A valid bech32 address (32 bytes, like a wasmd contract address) derived from a label.
pub fn address(prefix: &str, label: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(label.as_bytes());
    cosmrs::AccountId::new(prefix, &h)
        .map(|a| a.to_string())
        .unwrap_or_default()
}
