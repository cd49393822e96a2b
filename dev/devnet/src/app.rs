//! The application: accounts, ante checks (signature, sequence, fee, gas), message execution in
//! the wasmd-like host, blocks and the tx index. No I/O: the node layer drives it.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use bithive_vm_host::{coin, BankMsg, Chain, ChainConfig, CosmosMsg, IbcCall, Timestamp, TxMsg};
use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmrs::proto::prost::Message;
use cosmrs::proto::Any;
use sha2::{Digest, Sha256};

use crate::abci::{host_error, AbciError, AbciEvent, ExecTxResult};
use crate::config::{parse_coins, DevnetConfig};
use crate::error::DevnetError;
use crate::mempool::{Mempool, TxInCache};
use crate::tx::{self, AppMsg, DecodedTx};

/// SDK gas per byte of transaction (`TxSizeCostPerByte`).
const TX_SIZE_COST_PER_BYTE: u64 = 10;
/// SDK gas of one secp256k1 signature check (`SigVerifyCostSecp256k1`).
const SIG_VERIFY_COST: u64 = 1000;
/// The ante handler's store reads and writes at the SDK's KV gas prices (params, account,
/// sequence, wasmd's tx counter): measured on wasmd v0.61.14 by the differential test
/// (cli/tests/wasmd_diff.rs), which holds every tx to 1 %.
const ANTE_STORE_GAS: u64 = 26_370;
/// The fee's bank transfer to the fee collector, which the SDK skips for a zero fee (as in a
/// simulation), as measured.
const FEE_DEDUCT_GAS: u64 = 22_257;
/// KV gas of a `MsgSend` of one coin to an existing account (send-enabled params, both
/// balances read and written), as measured on wasmd v0.61.14.
const BANK_SEND_GAS_PER_COIN: u64 = 19_809;
/// The ante's extra write of an account's public key, on its first tx, as measured.
const SET_PUBKEY_GAS: u64 = 13_222;
/// wasmd's code id counter and code info writes of a `MsgStoreCode`, as measured.
const STORE_CODE_GAS: u64 = 10_520;
/// wasmd's `defaultPerByteUncompressCost`: 0.15 SDK gas per byte of a gzipped upload.
const UNCOMPRESS_COST: (u64, u64) = (15, 100);
/// KV gas of creating the recipient's account on its first `MsgSend` (account number, account).
const NEW_ACCOUNT_GAS: u64 = 12_746;
/// wasmd's `DefaultInstanceCost`: SDK gas per contract call.
const WASM_INSTANCE_COST: u64 = 60_000;
/// wasmd's `DefaultInstanceCostDiscount`: a call into a code already loaded in this tx.
const WASM_INSTANCE_COST_DISCOUNT: u64 = 2_000;
/// wasmd's read of a contract's info before an execute (a miss: flat 1000 + 3 per key byte).
const WASM_LOOKUP_COST: u64 = 1_099;
/// wasmd's reads around a call on top of the lookup (the rest of the contract info, code info,
/// pinned check), as measured.
const WASM_CALL_READS: u64 = 2_701;
/// wasmd's store work around an instantiation (instance counter, account number and account,
/// contract info, history, code and creator indexes), fixed part, as measured...
const WASM_INSTANTIATE_COST: u64 = 38_682;
/// ...and per byte of message, label, admin and IBC port (written to history and info at 30
/// per byte).
const WASM_INSTANTIATE_COST_PER_BYTE: u64 = 30;
/// wasmd's `DefaultDeserializationCostPerByte`: SDK gas per byte of a contract's JSON result.
const WASM_RESULT_COST_PER_BYTE: u64 = 1;
/// CosmWasm gas per SDK gas (wasmd's `DefaultGasMultiplier`).
const CW_PER_SDK: u64 = bithive_vm_host::SDK_TO_CW_GAS;
/// x/auth's `MaxMemoCharacters` default: a longer memo is refused before any fee.
const MAX_MEMO_CHARACTERS: usize = 256;
/// Gas limit of a simulation.
const SIMULATE_GAS: u64 = 100_000_000;
/// SDK gas limit of one IBC message of the built-in relay.
const IBC_GAS: u64 = 10_000_000;

/// Prefix of the devnet's system transactions: the IBC messages its built-in relay delivers
/// (`ibc`). They go through blocks like any tx, so the block log replays them, but CheckTx
/// refuses them: clients cannot forge packets.
pub const IBC_TX_PREFIX: &[u8] = b"BITHIVE-IBC/v1\0";

/// The body of an IBC system transaction.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct IbcTx {
    pub contract: String,
    pub call: IbcCall,
}

impl IbcTx {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = IBC_TX_PREFIX.to_vec();
        // Serializing plain data structures to JSON does not fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Result<Self, String>> {
        let body = bytes.strip_prefix(IBC_TX_PREFIX)?;
        Some(serde_json::from_slice(body).map_err(|e| e.to_string()))
    }
}

/// The event ibc-go emits for each relayed message kind.
fn ibc_event_type(call: &IbcCall) -> &'static str {
    use bithive_vm_host::cosmwasm_std::{IbcChannelConnectMsg as C, IbcChannelOpenMsg as O};
    match call {
        IbcCall::ChannelOpen(O::OpenInit { .. }) => "channel_open_init",
        IbcCall::ChannelOpen(O::OpenTry { .. }) => "channel_open_try",
        IbcCall::ChannelConnect(C::OpenAck { .. }) => "channel_open_ack",
        IbcCall::ChannelConnect(C::OpenConfirm { .. }) => "channel_open_confirm",
        IbcCall::PacketReceive(_) => "recv_packet",
        IbcCall::PacketAck(_) => "acknowledge_packet",
        IbcCall::PacketTimeout(_) => "timeout_packet",
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub number: u64,
    pub sequence: u64,
    pub pubkey: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub height: u64,
    /// Nanoseconds since the Unix epoch.
    pub time_ns: u64,
    pub hash: [u8; 32],
    pub last_hash: [u8; 32],
    /// State hash after the previous block (CometBFT's header semantics).
    pub app_hash: [u8; 32],
    pub txs: Vec<Vec<u8>>,
    pub results: Vec<ExecTxResult>,
}

/// What a transaction's messages produced: their events, the `TxMsgData` bytes and the
/// message responses in it.
pub type MsgsOutput = (Vec<AbciEvent>, Vec<u8>, Vec<Any>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Check,
    Deliver,
    Simulate,
}

/// Signer and gas after the ante checks passed.
struct Ante {
    signer: String,
    gas: u64,
}

pub struct App {
    chain: Chain,
    chain_id: String,
    denom: String,
    prefix: String,
    gas_price: (u128, u128),
    accounts: BTreeMap<String, Account>,
    next_account_number: u64,
    blocks: Vec<Block>,
    tx_index: HashMap<[u8; 32], (u64, u32)>,
    mempool: Mempool,
    /// Next sequence per account as CheckTx sees it (deliver state + pending txs).
    check_seq: HashMap<String, u64>,
    /// Fees of the txs waiting in the mempool, per (account, denom): CheckTx spends them as the
    /// SDK's check state does, so a second tx cannot be admitted on a balance the first
    /// already pays with (issue #43: 4 of 30 txs each paying the whole balance were admitted
    /// and 3 went into a block unpaid).
    check_fees: HashMap<(String, String), u128>,
    app_hash: [u8; 32],
    fee_collector: String,
    /// Transactions of the current block that passed the ante (wasmd's tx counter, recorded
    /// in contract history as `AbsoluteTxPosition.tx_index`).
    block_tx_counter: u64,
}

fn module_address(prefix: &str, name: &str) -> String {
    let h = Sha256::digest(name.as_bytes());
    bech32::Hrp::parse(prefix)
        .ok()
        .and_then(|hrp| bech32::encode::<bech32::Bech32>(hrp, &h[..20]).ok())
        .unwrap_or_default()
}

fn coins_str(coins: &[(u128, String)]) -> String {
    coins
        .iter()
        .map(|(a, d)| format!("{a}{d}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The module name the SDK derives from a message type URL (`/cosmos.bank.v1beta1.MsgSend` ->
/// `bank`, `/cosmwasm.wasm.v1.MsgExecuteContract` -> `wasm`).
fn module_of(type_url: &str) -> &str {
    type_url
        .trim_start_matches('/')
        .split('.')
        .nth(1)
        .unwrap_or_default()
}

impl App {
    pub fn new(config: &DevnetConfig) -> Result<Self, DevnetError> {
        let chain = Chain::new(ChainConfig {
            chain_id: config.chain_id.clone(),
            bech32_prefix: config.bech32_prefix.clone(),
            call_cost: (WASM_INSTANCE_COST + WASM_CALL_READS) * CW_PER_SDK,
            call_cost_discount: (WASM_INSTANCE_COST_DISCOUNT + WASM_CALL_READS) * CW_PER_SDK,
            lookup_cost: WASM_LOOKUP_COST * CW_PER_SDK,
            instantiate_cost: WASM_INSTANTIATE_COST * CW_PER_SDK,
            instantiate_cost_per_byte: WASM_INSTANTIATE_COST_PER_BYTE * CW_PER_SDK,
            result_cost_per_byte: WASM_RESULT_COST_PER_BYTE * CW_PER_SDK,
            ..ChainConfig::default()
        })?;
        let mut app = App {
            chain,
            chain_id: config.chain_id.clone(),
            denom: config.denom.clone(),
            prefix: config.bech32_prefix.clone(),
            gas_price: config.gas_price()?,
            accounts: BTreeMap::new(),
            next_account_number: 0,
            blocks: Vec::new(),
            tx_index: HashMap::new(),
            mempool: Mempool::default(),
            check_seq: HashMap::new(),
            check_fees: HashMap::new(),
            app_hash: [0; 32],
            fee_collector: module_address(&config.bech32_prefix, "fee_collector"),
            block_tx_counter: 0,
        };
        let fee_collector = app.fee_collector.clone();
        app.ensure_account(&fee_collector);
        for acc in &config.genesis_accounts {
            if !acc
                .address
                .starts_with(&format!("{}1", config.bech32_prefix))
            {
                return Err(DevnetError::Config(format!(
                    "genesis address {} lacks prefix {}",
                    acc.address, config.bech32_prefix
                )));
            }
            let coins = parse_coins(&acc.coins)?
                .into_iter()
                .map(|(a, d)| coin(a, &d))
                .collect::<Vec<_>>();
            app.chain.mint_native(&acc.address, &coins)?;
            app.ensure_account(&acc.address);
        }
        Ok(app)
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
    pub fn denom(&self) -> &str {
        &self.denom
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn chain(&self) -> &Chain {
        &self.chain
    }
    pub fn account(&self, address: &str) -> Option<&Account> {
        self.accounts.get(address)
    }
    pub fn height(&self) -> u64 {
        self.blocks.last().map_or(0, |b| b.height)
    }
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }
    pub fn block(&self, height: u64) -> Option<&Block> {
        let first = self.blocks.first()?.height;
        height
            .checked_sub(first)
            .and_then(|i| self.blocks.get(i as usize))
    }
    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }
    /// Whether a tx with this hash is in the mempool, or committed and successful (CometBFT's
    /// mempool cache: with its default `keep-invalid-txs-in-cache = false` a tx that failed in
    /// its block leaves the cache, so re-sending it reaches CheckTx again).
    pub fn in_cache(&self, hash: &[u8; 32]) -> bool {
        if self.mempool.contains(hash) {
            return true;
        }
        self.tx_index.get(hash).is_some_and(|&(height, index)| {
            self.block(height)
                .and_then(|b| b.results.get(index as usize))
                .is_some_and(|r| r.code == 0)
        })
    }

    /// A broadcast as CometBFT admits it: a tx already in the mempool or committed is refused
    /// by the mempool cache before CheckTx ([`TxInCache`]), so a client that re-sends the same
    /// bytes (after a lost answer, through another endpoint) learns that it was taken instead
    /// of getting a sequence error; anything else goes to CheckTx. Every broadcast path (RPC
    /// sync, async and commit, REST) admits through here.
    pub fn broadcast(&mut self, bytes: &[u8]) -> Result<ExecTxResult, TxInCache> {
        if self.in_cache(&tx::tx_hash(bytes)) {
            return Err(TxInCache);
        }
        Ok(self.check_tx(bytes))
    }
    /// Changes the minimum gas price (a decimal, e.g. `"0.04"`) from now on, as a validator
    /// raising its `minimum-gas-prices` does: a fee spike for tests of what clients pay. Not kept
    /// in the block log (a node's own setting, not chain state).
    pub fn set_min_gas_price(&mut self, price: &str) -> Result<(), DevnetError> {
        self.gas_price = crate::config::parse_decimal(price)
            .ok_or_else(|| DevnetError::Config(format!("bad min_gas_price {price:?}")))?;
        Ok(())
    }
    /// (height, index in block) of a committed transaction.
    pub fn tx_location(&self, hash: &[u8; 32]) -> Option<(u64, u32)> {
        self.tx_index.get(hash).copied()
    }
    pub fn app_hash(&self) -> [u8; 32] {
        self.app_hash
    }

    fn ensure_account(&mut self, address: &str) {
        if !self.accounts.contains_key(address) {
            let number = self.next_account_number;
            self.next_account_number += 1;
            self.accounts.insert(
                address.to_string(),
                Account {
                    number,
                    ..Account::default()
                },
            );
        }
    }

    fn required_fee(&self, gas_limit: u64) -> u128 {
        let (num, den) = self.gas_price;
        // ceil(gas * num / den); u64 * u128 price fits unless the price is absurd.
        (gas_limit as u128)
            .checked_mul(num)
            .map(|p| p.div_ceil(den.max(1)))
            .unwrap_or(u128::MAX)
    }

    fn ante(&self, tx: &DecodedTx, tx_len: usize, mode: Mode) -> Result<Ante, AbciError> {
        // The SDK's `ValidateMemoDecorator`, before any fee: bytes, not characters.
        if tx.memo.len() > MAX_MEMO_CHARACTERS {
            return Err(AbciError::memo_too_large(
                MAX_MEMO_CHARACTERS,
                tx.memo.len(),
            ));
        }
        // Simulations carry an empty signature: charge what a real one would add.
        let sig_bytes = if mode == Mode::Simulate { 64 + 2 } else { 0 };
        let mut gas =
            TX_SIZE_COST_PER_BYTE * (tx_len + sig_bytes) as u64 + SIG_VERIFY_COST + ANTE_STORE_GAS;
        if mode == Mode::Check {
            let required = self.required_fee(tx.gas_limit);
            let got = tx
                .fee
                .iter()
                .filter(|(_, d)| *d == self.denom)
                .map(|(a, _)| *a)
                .sum::<u128>();
            if got < required {
                return Err(AbciError::insufficient_fee(format!(
                    "insufficient fees; got: {} required: {required}{}",
                    coins_str(&tx.fee),
                    self.denom
                )));
            }
        }
        let signer = match &tx.pubkey {
            Some(pk) => tx::address_of(pk, &self.prefix)?,
            None => tx.msgs[0].sender().to_string(),
        };
        for m in &tx.msgs {
            if m.sender() != signer {
                return Err(AbciError::invalid_pubkey(format!(
                    "pubKey does not match signer address {} with signer index: 0",
                    m.sender()
                )));
            }
        }
        let account = self.accounts.get(&signer).ok_or_else(|| {
            AbciError::unknown_address(format!("account {signer} does not exist"))
        })?;
        if account.pubkey.is_none() {
            gas += SET_PUBKEY_GAS;
        }
        if tx.fee.iter().any(|(a, _)| *a > 0) {
            gas += FEE_DEDUCT_GAS;
        }
        let pubkey = match (&account.pubkey, &tx.pubkey) {
            (Some(a), Some(t)) if a != t => {
                return Err(AbciError::invalid_pubkey(
                    "public key does not match the account's".into(),
                ))
            }
            (_, Some(t)) => t.clone(),
            (Some(a), None) => a.clone(),
            (None, None) => {
                return Err(AbciError::invalid_pubkey(
                    "pubkey on account is not set".into(),
                ))
            }
        };
        // CheckTx and simulate both read the check state (the Cosmos SDK simulates on it), where
        // each accepted CheckTx has already moved the sender's sequence: a second tx sent before
        // the next block is simulated at the sequence after the first, as on wasmd.
        let expected = match mode {
            Mode::Check | Mode::Simulate => self
                .check_seq
                .get(&signer)
                .copied()
                .unwrap_or(account.sequence),
            _ => account.sequence,
        };
        if tx.sequence != expected {
            return Err(AbciError::wrong_sequence(expected, tx.sequence));
        }
        if mode != Mode::Simulate && !tx.verify(&pubkey, &self.chain_id, account.number) {
            return Err(AbciError::unauthorized(format!(
                "signature verification failed; please verify account number ({}), sequence ({}) and chain-id ({})",
                account.number, account.sequence, self.chain_id
            )));
        }
        if mode != Mode::Simulate && gas > tx.gas_limit {
            return Err(AbciError::out_of_gas("txSize", tx.gas_limit, gas));
        }
        for (amount, denom) in &tx.fee {
            let mut have = self.chain.balance(&signer, denom);
            if matches!(mode, Mode::Check | Mode::Simulate) {
                let pending = self.check_fees.get(&(signer.clone(), denom.clone()));
                have = have.saturating_sub(pending.copied().unwrap_or(0));
            }
            if have < *amount {
                return Err(AbciError::insufficient_funds(format!(
                    "spendable balance {have}{denom} is smaller than {amount}{denom}"
                )));
            }
        }
        Ok(Ante { signer, gas })
    }

    /// CheckTx: admits a transaction to the mempool, or says why not.
    pub fn check_tx(&mut self, bytes: &[u8]) -> ExecTxResult {
        if bytes.starts_with(IBC_TX_PREFIX) {
            let e = AbciError::unauthorized(
                "IBC messages come from the devnet's built-in relay only".into(),
            );
            return ExecTxResult::error(&e, 0, 0);
        }
        let tx = match tx::decode(bytes) {
            Ok(tx) => tx,
            Err(e) => return ExecTxResult::error(&e, 0, 0),
        };
        match self.ante(&tx, bytes.len(), Mode::Check) {
            Ok(ante) => {
                for (amount, denom) in &tx.fee {
                    let spent = self
                        .check_fees
                        .entry((ante.signer.clone(), denom.clone()))
                        .or_default();
                    *spent = spent.saturating_add(*amount);
                }
                self.check_seq.insert(ante.signer, tx.sequence + 1);
                self.mempool.push(bytes.to_vec());
                ExecTxResult {
                    gas_wanted: tx.gas_limit,
                    gas_used: ante.gas,
                    ..ExecTxResult::default()
                }
            }
            Err(e) => ExecTxResult::error(&e, tx.gas_limit, 0),
        }
    }

    /// Fixed SDK gas of the messages, outside the VM.
    fn fixed_msg_gas(&self, msgs: &[AppMsg]) -> u64 {
        let mut new_accounts = std::collections::BTreeSet::new();
        msgs.iter()
            .map(|m| match m {
                AppMsg::Host {
                    msg: CosmosMsg::Bank(BankMsg::Send { amount, to_address }),
                    ..
                } => {
                    let new = !self.accounts.contains_key(to_address)
                        && new_accounts.insert(to_address.as_str());
                    BANK_SEND_GAS_PER_COIN * amount.len() as u64
                        + if new { NEW_ACCOUNT_GAS } else { 0 }
                }
                AppMsg::StoreCode { gzip_len, .. } => {
                    STORE_CODE_GAS + *gzip_len as u64 * UNCOMPRESS_COST.0 / UNCOMPRESS_COST.1
                }
                _ => 0,
            })
            .sum()
    }

    fn host_msgs(msgs: &[AppMsg]) -> Vec<TxMsg> {
        msgs.iter()
            .map(|m| match m {
                AppMsg::StoreCode { wasm, .. } => TxMsg::StoreCode(wasm.clone()),
                AppMsg::Host { msg, .. } => TxMsg::Cosmos(msg.clone()),
            })
            .collect()
    }

    /// Runs the messages; returns events, `TxMsgData` and SDK gas used beyond the ante.
    fn run_msgs(
        &mut self,
        tx: &DecodedTx,
        signer: &str,
        sdk_gas_left: u64,
        simulate: bool,
    ) -> (Result<MsgsOutput, AbciError>, u64) {
        let fixed = self.fixed_msg_gas(&tx.msgs);
        if fixed > sdk_gas_left {
            return (
                Err(AbciError::out_of_gas("bank", tx.gas_limit, tx.gas_limit)),
                sdk_gas_left,
            );
        }
        let cw_limit = (sdk_gas_left - fixed).saturating_mul(CW_PER_SDK);
        let msgs = Self::host_msgs(&tx.msgs);
        let outcome = if simulate {
            self.chain.simulate(signer, msgs, cw_limit)
        } else {
            self.chain.run_tx_with(signer, msgs, cw_limit)
        };
        let used = fixed + outcome.gas_used.div_ceil(CW_PER_SDK);
        match outcome.result {
            Ok(resp) => {
                let mut events = Vec::new();
                let mut responses = Vec::new();
                for (i, url) in tx.type_urls.iter().enumerate() {
                    let start = resp
                        .msg_event_starts
                        .get(i)
                        .copied()
                        .unwrap_or(resp.events.len());
                    let end = resp
                        .msg_event_starts
                        .get(i + 1)
                        .copied()
                        .unwrap_or(resp.events.len());
                    let own = &resp.events[start..end];
                    // baseapp's `createEvents`: the `message` event leads each message's events,
                    // with `module` unless one of them already has that attribute; then every
                    // event of the message gets `msg_index` (SDK 0.50+).
                    let mut message = vec![("action", url.as_str()), ("sender", signer)];
                    if !own
                        .iter()
                        .any(|e| e.attributes.iter().any(|a| a.key == "module"))
                    {
                        message.push(("module", module_of(url)));
                    }
                    let index = i.to_string();
                    let first = events.len();
                    events.push(AbciEvent::new("message", &message));
                    events.extend(own.iter().map(AbciEvent::from));
                    for e in &mut events[first..] {
                        e.attributes.push(crate::abci::AbciAttribute {
                            key: "msg_index".into(),
                            value: index.clone(),
                            index: true,
                        });
                    }
                    let value = resp
                        .msg_data
                        .get(i)
                        .cloned()
                        .flatten()
                        .map(|b| b.to_vec())
                        .unwrap_or_default();
                    responses.push(Any {
                        type_url: format!("{url}Response"),
                        value,
                    });
                }
                // `data` (deprecated since SDK 0.46) stays empty, as the SDK leaves it.
                let data = TxMsgData {
                    msg_responses: responses.clone(),
                    ..TxMsgData::default()
                }
                .encode_to_vec();
                (Ok((events, data, responses)), used)
            }
            Err(e) => {
                let index = outcome.failed_msg.unwrap_or(0);
                let url = tx.type_urls.get(index).map_or("", String::as_str);
                let total = used.saturating_add(tx.gas_limit.saturating_sub(sdk_gas_left));
                // A fixed charge that did not fit: the SDK's meter counts it whole before it
                // panics, so wasmd reports gas used past the limit, at the charge's name.
                if let (true, Some((over, location))) = (e.is_out_of_gas(), outcome.overrun) {
                    let used = used.saturating_add(over.div_ceil(CW_PER_SDK));
                    let total = used.saturating_add(tx.gas_limit.saturating_sub(sdk_gas_left));
                    return (
                        Err(AbciError::out_of_gas(location, tx.gas_limit, total)),
                        used,
                    );
                }
                (Err(host_error(index, url, &e, tx.gas_limit, total)), used)
            }
        }
    }

    /// Queues a system transaction (an [`IbcTx`]) for the next block.
    pub fn submit_ibc(&mut self, tx: &IbcTx) -> [u8; 32] {
        let bytes = tx.encode();
        self.mempool.push(bytes)
    }

    /// Runs a relayed IBC message as its own atomic transaction, with ibc-go's events.
    fn deliver_ibc(&mut self, tx: Result<IbcTx, String>) -> ExecTxResult {
        let tx = match tx {
            Ok(t) => t,
            Err(e) => {
                let err = AbciError::tx_decode(format!("ibc system tx: {e}"));
                return ExecTxResult::error(&err, 0, 0);
            }
        };
        let gas_limit = IBC_GAS.saturating_mul(CW_PER_SDK);
        match self.chain.ibc_call(&tx.contract, &tx.call, gas_limit) {
            Ok(out) => {
                let mut attrs = vec![("port_id".to_string(), format!("wasm.{}", tx.contract))];
                if let Some(ack) = &out.acknowledgement {
                    attrs.push(("packet_ack_hex".into(), hex::encode(ack.as_slice())));
                }
                let mut events = vec![AbciEvent::new(
                    ibc_event_type(&tx.call),
                    &attrs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                )];
                if out.acknowledgement.is_some() {
                    let ack = AbciEvent::new(
                        "write_acknowledgement",
                        &attrs
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect::<Vec<_>>(),
                    );
                    events.push(ack);
                }
                events.extend(out.events.iter().map(AbciEvent::from));
                ExecTxResult {
                    gas_wanted: IBC_GAS,
                    gas_used: out.gas_used.div_ceil(CW_PER_SDK),
                    events,
                    ..ExecTxResult::default()
                }
            }
            Err(e) => {
                let err = host_error(0, "/ibc.core", &e, IBC_GAS, IBC_GAS);
                ExecTxResult::error(&err, IBC_GAS, IBC_GAS)
            }
        }
    }

    /// Executes one transaction of a block (FinalizeBlock's per-tx result).
    fn deliver(&mut self, bytes: &[u8]) -> ExecTxResult {
        if let Some(ibc) = IbcTx::decode(bytes) {
            return self.deliver_ibc(ibc);
        }
        let tx = match tx::decode(bytes) {
            Ok(tx) => tx,
            Err(e) => return ExecTxResult::error(&e, 0, 0),
        };
        let ante = match self.ante(&tx, bytes.len(), Mode::Deliver) {
            Ok(a) => a,
            Err(e) => return ExecTxResult::error(&e, tx.gas_limit, 0),
        };
        self.chain.set_tx_index(self.block_tx_counter);
        self.block_tx_counter += 1;
        // Ante effects persist whatever the messages do: pubkey, sequence, fee.
        let seq = tx.sequence;
        if let Some(acc) = self.accounts.get_mut(&ante.signer) {
            acc.sequence += 1;
            if acc.pubkey.is_none() {
                acc.pubkey = tx.pubkey.clone();
            }
        }
        let mut events = Vec::new();
        let fee: Vec<_> = tx.fee.iter().map(|(a, d)| coin(*a, d)).collect();
        if !fee.is_empty() {
            let send = CosmosMsg::Bank(BankMsg::Send {
                to_address: self.fee_collector.clone(),
                amount: fee,
            });
            let out = self
                .chain
                .run_tx_with(&ante.signer, vec![send.into()], u64::MAX);
            match out.result {
                Ok(r) => events.extend(r.events.iter().map(AbciEvent::from)),
                Err(e) => {
                    let err = AbciError::insufficient_funds(e.to_string());
                    return ExecTxResult::error(&err, tx.gas_limit, ante.gas);
                }
            }
        }
        let sig_b64 = base64::engine::general_purpose::STANDARD.encode(&tx.signature);
        let fee_str = coins_str(&tx.fee);
        events.push(AbciEvent::new(
            "tx",
            &[("fee", &fee_str), ("fee_payer", &ante.signer)],
        ));
        events.push(AbciEvent::new(
            "tx",
            &[("acc_seq", &format!("{}/{seq}", ante.signer))],
        ));
        events.push(AbciEvent::new("tx", &[("signature", &sig_b64)]));
        let left = tx.gas_limit - ante.gas;
        let (result, used) = self.run_msgs(&tx, &ante.signer, left, false);
        let gas_used = ante.gas + used;
        match result {
            Ok((msg_events, data, _)) => {
                // Accounts come into being in execution order, as in wasmd: every instantiated
                // contract gets one (`NewAccountWithAddress`, taking the next account number),
                // and so does every new recipient of a bank transfer, a contract's included
                // (the bank keeper's `SendCoins`). The events record both, in that order.
                for e in &msg_events {
                    let created = match e.kind.as_str() {
                        "transfer" => e.attr("recipient"),
                        "instantiate" => e.attr("_contract_address"),
                        _ => None,
                    };
                    if let Some(address) = created {
                        self.ensure_account(address);
                    }
                }
                events.extend(msg_events);
                ExecTxResult {
                    code: 0,
                    codespace: String::new(),
                    log: String::new(),
                    data,
                    gas_wanted: tx.gas_limit,
                    gas_used,
                    events,
                }
            }
            // Out of gas at a fixed charge reports the gas used past the limit, as wasmd does.
            Err(e) => ExecTxResult {
                events,
                ..ExecTxResult::error(
                    &e,
                    tx.gas_limit,
                    if e.code == 11 {
                        gas_used
                    } else {
                        gas_used.min(tx.gas_limit)
                    },
                )
            },
        }
    }

    /// `Simulate`: runs the transaction on the current state without keeping anything.
    /// Returns (gas used, (events, TxMsgData bytes, msg responses)).
    pub fn simulate(&mut self, bytes: &[u8]) -> Result<(u64, MsgsOutput), AbciError> {
        let tx = tx::decode(bytes)?;
        let ante = self.ante(&tx, bytes.len(), Mode::Simulate)?;
        let (result, used) = self.run_msgs(&tx, &ante.signer, SIMULATE_GAS, true);
        Ok((ante.gas + used, result?))
    }

    /// FinalizeBlock + Commit: executes every mempool transaction in a new block at `time_ns`.
    pub fn finalize_block(&mut self, time_ns: u64) -> &Block {
        let txs = self.mempool.take();
        self.apply_block(time_ns, txs)
    }

    /// Executes a block with exactly these transactions (also used to replay the block log).
    pub fn apply_block(&mut self, time_ns: u64, txs: Vec<Vec<u8>>) -> &Block {
        let height = self.height() + 1;
        let time_ns = time_ns.max(self.blocks.last().map_or(0, |b| b.time_ns));
        self.chain.set_block(height, Timestamp::from_nanos(time_ns));
        self.block_tx_counter = 0;
        let results: Vec<ExecTxResult> = txs.iter().map(|t| self.deliver(t)).collect();
        let last_hash = self.blocks.last().map_or([0; 32], |b| b.hash);
        let mut h = Sha256::new();
        h.update(height.to_be_bytes());
        h.update(time_ns.to_be_bytes());
        h.update(last_hash);
        h.update(self.app_hash);
        for (i, t) in txs.iter().enumerate() {
            h.update(tx::tx_hash(t));
            self.tx_index.insert(tx::tx_hash(t), (height, i as u32));
        }
        let hash: [u8; 32] = h.finalize().into();
        let block = Block {
            height,
            time_ns,
            hash,
            last_hash,
            app_hash: self.app_hash,
            txs,
            results,
        };
        // The next app hash commits to this block's results (codes and data).
        let mut ah = Sha256::new();
        ah.update(self.app_hash);
        for r in &block.results {
            ah.update(r.code.to_be_bytes());
            ah.update(&r.data);
        }
        self.app_hash = ah.finalize().into();
        self.check_seq.clear();
        self.check_fees.clear();
        // A tx that stayed in the mempool (none today: every block takes them all) would be
        // rechecked here.
        self.blocks.push(block);
        self.blocks.last().expect("just pushed")
    }
}
