//! Cosmos SDK transactions: protobuf decoding, signer and signature checks, and the mapping of
//! the supported messages onto the host's CosmWasm messages.

use std::io::Read;

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, Fee, SignDoc, TxBody, TxRaw};
use cosmrs::proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgMigrateContract, MsgStoreCode,
    MsgUpdateAdmin,
};
use cosmrs::proto::prost::Message;
use cosmrs::proto::Any;
use cosmwasm_std::{BankMsg, Coin, CosmosMsg, WasmMsg};
use k256::ecdsa::signature::Verifier;
use sha2::{Digest, Sha256};

use crate::abci::AbciError;
use crate::amino::SIGN_MODE_LEGACY_AMINO_JSON;

/// Largest wasm accepted after gunzip (wasmd's `MaxWasmSize` default is 800 KiB).
pub const MAX_WASM_SIZE: usize = 800 * 1024;
const SIGN_MODE_DIRECT: i32 = 1;
pub const SECP256K1_PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// A supported message, ready to run.
#[derive(Clone, Debug)]
pub enum AppMsg {
    StoreCode {
        sender: String,
        wasm: Vec<u8>,
        /// Bytes of the gzip archive the wasm came in (0 when sent plain): wasmd charges for
        /// uncompressing them.
        gzip_len: usize,
    },
    /// Bank send and every wasm message other than store, as the host runs them.
    Host { sender: String, msg: CosmosMsg },
}

impl AppMsg {
    pub fn sender(&self) -> &str {
        match self {
            AppMsg::StoreCode { sender, .. } | AppMsg::Host { sender, .. } => sender,
        }
    }
}

/// A decoded transaction (signature not yet checked: that needs the account state).
#[derive(Clone, Debug)]
pub struct DecodedTx {
    pub hash: [u8; 32],
    pub type_urls: Vec<String>,
    pub msgs: Vec<AppMsg>,
    pub memo: String,
    /// The signer's compressed secp256k1 key, when the tx carries it.
    pub pubkey: Option<Vec<u8>>,
    pub sequence: u64,
    pub fee: Vec<(u128, String)>,
    pub gas_limit: u64,
    pub signature: Vec<u8>,
    /// What the signature covers: the protobuf sign doc, or the amino JSON one (Ledger, and
    /// wallets' own screens).
    pub sign_mode: TxSignMode,
    body_bytes: Vec<u8>,
    auth_info_bytes: Vec<u8>,
    body: TxBody,
    fee_proto: Fee,
}

/// The sign modes the devnet verifies (wasmd verifies both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxSignMode {
    Direct,
    LegacyAminoJson,
}

fn bad(msg: impl Into<String>) -> AbciError {
    AbciError::tx_decode(msg)
}

pub fn tx_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn coins(list: &[ProtoCoin]) -> Result<Vec<Coin>, AbciError> {
    list.iter()
        .map(|c| {
            let amount: u128 = c
                .amount
                .parse()
                .map_err(|_| AbciError::invalid_coins(format!("{}{}", c.amount, c.denom)))?;
            if !valid_denom(&c.denom) {
                return Err(AbciError::invalid_coins(format!(
                    "invalid denom: {}",
                    c.denom
                )));
            }
            Ok(cosmwasm_std::coin(amount, &c.denom))
        })
        .collect()
}

/// The SDK's denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn valid_denom(d: &str) -> bool {
    let b = d.as_bytes();
    (3..=128).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"/:._-".contains(c))
}

fn decode_any<M: Message + Default>(any: &Any) -> Result<M, AbciError> {
    M::decode(any.value.as_slice()).map_err(|e| bad(format!("{}: {e}", any.type_url)))
}

fn gunzip_if_needed(wasm: Vec<u8>) -> Result<Vec<u8>, AbciError> {
    if !wasm.starts_with(&[0x1f, 0x8b]) {
        return Ok(wasm);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(wasm.as_slice())
        .take(MAX_WASM_SIZE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| AbciError::wasm_create(format!("gunzip: {e}")))?;
    Ok(out)
}

fn to_app_msg(any: &Any) -> Result<AppMsg, AbciError> {
    let host = |sender: String, msg: CosmosMsg| Ok(AppMsg::Host { sender, msg });
    match any.type_url.as_str() {
        "/cosmos.bank.v1beta1.MsgSend" => {
            let m: MsgSend = decode_any(any)?;
            let amount = coins(&m.amount)?;
            if amount.is_empty() {
                return Err(AbciError::invalid_coins("empty amount".into()));
            }
            host(
                m.from_address,
                CosmosMsg::Bank(BankMsg::Send {
                    to_address: m.to_address,
                    amount,
                }),
            )
        }
        "/cosmwasm.wasm.v1.MsgStoreCode" => {
            let m: MsgStoreCode = decode_any(any)?;
            let gzip_len = if m.wasm_byte_code.starts_with(&[0x1f, 0x8b]) {
                m.wasm_byte_code.len()
            } else {
                0
            };
            let wasm = gunzip_if_needed(m.wasm_byte_code)?;
            if wasm.is_empty() || wasm.len() > MAX_WASM_SIZE {
                return Err(AbciError::wasm_create(format!(
                    "wasm size {} not in 1..={MAX_WASM_SIZE}",
                    wasm.len()
                )));
            }
            Ok(AppMsg::StoreCode {
                sender: m.sender,
                wasm,
                gzip_len,
            })
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
            let m: MsgInstantiateContract = decode_any(any)?;
            if m.label.trim().is_empty() {
                return Err(AbciError::invalid_request("label is required".into()));
            }
            host(
                m.sender,
                CosmosMsg::Wasm(WasmMsg::Instantiate {
                    admin: (!m.admin.is_empty()).then_some(m.admin),
                    code_id: m.code_id,
                    msg: m.msg.into(),
                    funds: coins(&m.funds)?,
                    label: m.label,
                }),
            )
        }
        "/cosmwasm.wasm.v1.MsgExecuteContract" => {
            let m: MsgExecuteContract = decode_any(any)?;
            host(
                m.sender,
                CosmosMsg::Wasm(WasmMsg::Execute {
                    contract_addr: m.contract,
                    msg: m.msg.into(),
                    funds: coins(&m.funds)?,
                }),
            )
        }
        "/cosmwasm.wasm.v1.MsgMigrateContract" => {
            let m: MsgMigrateContract = decode_any(any)?;
            host(
                m.sender,
                CosmosMsg::Wasm(WasmMsg::Migrate {
                    contract_addr: m.contract,
                    new_code_id: m.code_id,
                    msg: m.msg.into(),
                }),
            )
        }
        "/cosmwasm.wasm.v1.MsgUpdateAdmin" => {
            let m: MsgUpdateAdmin = decode_any(any)?;
            host(
                m.sender,
                CosmosMsg::Wasm(WasmMsg::UpdateAdmin {
                    contract_addr: m.contract,
                    admin: m.new_admin,
                }),
            )
        }
        "/cosmwasm.wasm.v1.MsgClearAdmin" => {
            let m: MsgClearAdmin = decode_any(any)?;
            host(
                m.sender,
                CosmosMsg::Wasm(WasmMsg::ClearAdmin {
                    contract_addr: m.contract,
                }),
            )
        }
        other => Err(AbciError::unknown_request(format!(
            "unrecognized message type: {other}"
        ))),
    }
}

/// Decodes `TxRaw` bytes into a checked-shape transaction with one secp256k1 signer.
pub fn decode(bytes: &[u8]) -> Result<DecodedTx, AbciError> {
    let raw = TxRaw::decode(bytes).map_err(|e| bad(e.to_string()))?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).map_err(|e| bad(e.to_string()))?;
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).map_err(|e| bad(e.to_string()))?;
    if body.messages.is_empty() {
        return Err(AbciError::invalid_request(
            "must contain at least one message".into(),
        ));
    }
    let [signer] = auth.signer_infos.as_slice() else {
        return Err(AbciError::unauthorized(format!(
            "expected exactly one signer, got {}",
            auth.signer_infos.len()
        )));
    };
    let [signature] = raw.signatures.as_slice() else {
        return Err(AbciError::unauthorized(format!(
            "wrong number of signatures; expected 1, got {}",
            raw.signatures.len()
        )));
    };
    // Mode 0 (unspecified) is what simulations carry; it never verifies as anything else.
    let sign_mode = match signer.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) if s.mode == SIGN_MODE_DIRECT || s.mode == 0 => {
            TxSignMode::Direct
        }
        Some(mode_info::Sum::Single(s)) if s.mode == SIGN_MODE_LEGACY_AMINO_JSON => {
            TxSignMode::LegacyAminoJson
        }
        _ => return Err(AbciError::unauthorized(
            "only SIGN_MODE_DIRECT and SIGN_MODE_LEGACY_AMINO_JSON single signatures are supported"
                .into(),
        )),
    };
    let pubkey = match &signer.public_key {
        None => None,
        Some(any) if any.type_url == SECP256K1_PUBKEY_URL => {
            let pk: PubKey = decode_any(any)?;
            Some(pk.key)
        }
        Some(any) => {
            return Err(AbciError::invalid_pubkey(format!(
                "unsupported public key type {}",
                any.type_url
            )))
        }
    };
    let fee = auth.fee.clone().unwrap_or_default();
    let fee_coins = fee
        .amount
        .iter()
        .map(|c| match c.amount.parse::<u128>() {
            Ok(a) if valid_denom(&c.denom) => Ok((a, c.denom.clone())),
            _ => Err(AbciError::invalid_coins(format!("{}{}", c.amount, c.denom))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    validate_fee(&fee_coins)?;
    // The SDK's `Tx.ValidateBasic`: gas is an int64 downstream (`gas_wanted` in block results),
    // so a larger limit would produce results no CometBFT client can parse (issue #27).
    if fee.gas_limit > MAX_GAS_WANTED {
        return Err(AbciError::invalid_request(format!(
            "invalid gas supplied; {} > {MAX_GAS_WANTED}",
            fee.gas_limit
        )));
    }
    let msgs = body
        .messages
        .iter()
        .map(to_app_msg)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DecodedTx {
        hash: tx_hash(bytes),
        type_urls: body.messages.iter().map(|m| m.type_url.clone()).collect(),
        msgs,
        memo: body.memo.clone(),
        pubkey,
        sequence: signer.sequence,
        fee: fee_coins,
        gas_limit: fee.gas_limit,
        signature: signature.clone(),
        sign_mode,
        body_bytes: raw.body_bytes,
        auth_info_bytes: raw.auth_info_bytes,
        body,
        fee_proto: fee,
    })
}

/// The SDK's `MaxGasWanted` (`1 << 63 - 1`).
pub const MAX_GAS_WANTED: u64 = i64::MAX as u64;

/// The SDK's `Coins.IsValid` for a fee, checked before any state changes (its `DeductFees`
/// refuses the same with code 13): denoms strictly ascending (so no duplicates), every amount
/// positive. A fee listing its denom twice used to pass the fee check and pay nothing. As in the
/// SDK, an all-zero fee (a simulation's, or under a zero gas price) deducts nothing and is not
/// checked.
fn validate_fee(coins: &[(u128, String)]) -> Result<(), AbciError> {
    if coins.iter().all(|(a, _)| *a == 0) {
        return Ok(());
    }
    let sorted = coins.windows(2).all(|w| w[0].1 < w[1].1);
    if sorted && coins.iter().all(|(a, _)| *a > 0) {
        return Ok(());
    }
    let shown: Vec<String> = coins.iter().map(|(a, d)| format!("{a}{d}")).collect();
    Err(AbciError::insufficient_fee(format!(
        "invalid fee amount: {}: insufficient fee",
        shown.join(",")
    )))
}

/// `ripemd160(sha256(pubkey))` in bech32: the account address of a secp256k1 key.
pub fn address_of(pubkey: &[u8], prefix: &str) -> Result<String, AbciError> {
    if k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey).is_err() || pubkey.len() != 33 {
        return Err(AbciError::invalid_pubkey(
            "invalid secp256k1 public key".into(),
        ));
    }
    let hash = ripemd::Ripemd160::digest(Sha256::digest(pubkey));
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| AbciError::invalid_pubkey(e.to_string()))?;
    bech32::encode::<bech32::Bech32>(hrp, &hash)
        .map_err(|e| AbciError::invalid_pubkey(e.to_string()))
}

impl DecodedTx {
    /// The bytes the signer signed: the protobuf `SignDoc` (direct), or the amino JSON
    /// document rebuilt from the body and fee (`crate::amino`).
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Option<Vec<u8>> {
        match self.sign_mode {
            TxSignMode::Direct => Some(
                SignDoc {
                    body_bytes: self.body_bytes.clone(),
                    auth_info_bytes: self.auth_info_bytes.clone(),
                    chain_id: chain_id.to_string(),
                    account_number,
                }
                .encode_to_vec(),
            ),
            TxSignMode::LegacyAminoJson => crate::amino::sign_bytes(
                chain_id,
                account_number,
                self.sequence,
                &self.fee_proto,
                &self.body,
            )
            .ok(),
        }
    }

    /// Verifies the signature with `pubkey` in the tx's sign mode (low-S enforced by k256).
    pub fn verify(&self, pubkey: &[u8], chain_id: &str, account_number: u64) -> bool {
        let Some(doc) = self.sign_bytes(chain_id, account_number) else {
            return false;
        };
        let Ok(key) = k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey) else {
            return false;
        };
        let Ok(sig) = k256::ecdsa::Signature::from_slice(&self.signature) else {
            return false;
        };
        key.verify(&doc, &sig).is_ok()
    }
}
