//! Test helpers: a funded key, signed SIGN_MODE_DIRECT txs built with cosmrs, a devnet on port 0.

#![allow(dead_code)]

use std::path::PathBuf;

use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmwasm::wasm::v1::{MsgExecuteContract, MsgInstantiateContract, MsgStoreCode};
use cosmrs::proto::prost::Message;
use cosmrs::proto::Any;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};

pub const DENOM: &str = "ubhive";
pub const CHAIN_ID: &str = "bithive-test-1";

pub struct Key {
    pub signing: SigningKey,
    pub address: String,
}

impl Key {
    pub fn new(seed: u8) -> Self {
        let signing = SigningKey::from_slice(&[seed; 32]).unwrap();
        let pk = signing.public_key().to_bytes();
        let address = bithive_devnet::tx::address_of(&pk, "bithive").unwrap();
        Key { signing, address }
    }

    /// A signed tx for `msgs` with `gas` and a fee of `fee` ubhive.
    pub fn sign(
        &self,
        msgs: Vec<Any>,
        account_number: u64,
        sequence: u64,
        gas: u64,
        fee: u128,
    ) -> Vec<u8> {
        let fee = vec![ubhive(fee)];
        self.sign_with_fee(CHAIN_ID, msgs, account_number, sequence, gas, fee)
    }

    /// A signed tx whose fee lists exactly `fee` (any order, duplicates, zeros).
    pub fn sign_with_fee(
        &self,
        chain_id: &str,
        msgs: Vec<Any>,
        account_number: u64,
        sequence: u64,
        gas: u64,
        fee: Vec<cosmrs::Coin>,
    ) -> Vec<u8> {
        let body = Body::new(msgs, "", 0u32);
        let signer = SignerInfo::single_direct(Some(self.signing.public_key()), sequence);
        let fee = Fee {
            amount: fee,
            gas_limit: gas,
            payer: None,
            granter: None,
        };
        let auth = signer.auth_info(fee);
        let doc = SignDoc::new(&body, &auth, &chain_id.parse().unwrap(), account_number).unwrap();
        doc.sign(&self.signing).unwrap().to_bytes().unwrap()
    }
}

/// `amount` of the fee denom.
pub fn ubhive(amount: u128) -> cosmrs::Coin {
    cosmrs::Coin {
        denom: DENOM.parse().unwrap(),
        amount,
    }
}

pub fn any<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

pub fn send(from: &str, to: &str, amount: u128, denom: &str) -> Any {
    any(
        "/cosmos.bank.v1beta1.MsgSend",
        &MsgSend {
            from_address: from.into(),
            to_address: to.into(),
            amount: vec![Coin {
                denom: denom.into(),
                amount: amount.to_string(),
            }],
        },
    )
}

pub fn store(sender: &str, wasm: Vec<u8>) -> Any {
    any(
        "/cosmwasm.wasm.v1.MsgStoreCode",
        &MsgStoreCode {
            sender: sender.into(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        },
    )
}

pub fn instantiate(
    sender: &str,
    code_id: u64,
    msg: &serde_json::Value,
    label: &str,
    admin: &str,
) -> Any {
    any(
        "/cosmwasm.wasm.v1.MsgInstantiateContract",
        &MsgInstantiateContract {
            sender: sender.into(),
            admin: admin.into(),
            code_id,
            label: label.into(),
            msg: serde_json::to_vec(msg).unwrap(),
            funds: vec![],
        },
    )
}

pub fn execute(sender: &str, contract: &str, msg: &serde_json::Value) -> Any {
    any(
        "/cosmwasm.wasm.v1.MsgExecuteContract",
        &MsgExecuteContract {
            sender: sender.into(),
            contract: contract.into(),
            msg: serde_json::to_vec(msg).unwrap(),
            funds: vec![],
        },
    )
}

pub fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn config(funded: &[&Key], home: Option<PathBuf>, block_time_ms: u64) -> DevnetConfig {
    DevnetConfig {
        chain_id: CHAIN_ID.into(),
        rpc_listen: "127.0.0.1:0".parse().unwrap(),
        block_time_ms,
        home,
        genesis_accounts: funded
            .iter()
            .map(|k| GenesisAccount {
                address: k.address.clone(),
                coins: format!("1000000000000{DENOM},5000ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"),
            })
            .collect(),
        ..DevnetConfig::default()
    }
}

pub async fn start(funded: &[&Key], home: Option<PathBuf>, block_time_ms: u64) -> DevnetHandle {
    Devnet::start(config(funded, home, block_time_ms))
        .await
        .unwrap()
}

/// JSON-RPC POST, returns the whole response object.
pub async fn rpc(url: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    raw_post(
        url,
        &serde_json::json!({"jsonrpc":"2.0","id":1,"method":method,"params":params}).to_string(),
    )
    .await
}

/// A minimal HTTP/1.1 POST over a raw socket (no extra client dependency).
pub async fn raw_post(url: &str, body: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://");
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_http(addr, &req).await
}

/// A URI-style GET (`/tx?hash=0x...`), the same way.
pub async fn raw_get(url: &str, path_and_query: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://");
    let req = format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    raw_http(addr, &req).await
}

async fn raw_http(addr: &str, req: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A minimal CosmWasm contract (built here with wasm-encoder, no toolchain needed) whose
/// `instantiate` succeeds with an empty response and whose `query` loops forever: what an
/// attacker uploads to burn a node's query gas.
pub fn looping_query_contract() -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function, FunctionSection,
        GlobalSection, GlobalType, Instruction as I, MemArg, MemorySection, MemoryType, Module,
        TypeSection, ValType,
    };
    const I32: ValType = ValType::I32;
    let mut types = TypeSection::new();
    types.ty().function([I32], [I32]); // allocate
    types.ty().function([I32], []); // deallocate
    types.ty().function([], []); // interface_version_8
    types.ty().function([I32, I32, I32], [I32]); // instantiate(env, info, msg)
    types.ty().function([I32, I32], [I32]); // query(env, msg)
    let mut funcs = FunctionSection::new();
    for t in 0..5 {
        funcs.function(t);
    }
    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: 17,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    // A bump allocator from 64 KiB; nothing is ever freed (an instance lives for one call).
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(65536),
    );
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    for (i, name) in [
        "allocate",
        "deallocate",
        "interface_version_8",
        "instantiate",
        "query",
    ]
    .iter()
    .enumerate()
    {
        exports.export(name, ExportKind::Func, i as u32);
    }
    let arg = |offset| MemArg {
        offset,
        align: 2,
        memory_index: 0,
    };
    let mut code = CodeSection::new();
    // allocate(size): a Region {offset, capacity, length} followed by its bytes.
    let mut f = Function::new([(1, I32)]);
    for ins in [
        I::GlobalGet(0),
        I::LocalSet(1),
        I::LocalGet(1),
        I::LocalGet(1),
        I::I32Const(12),
        I::I32Add,
        I::I32Store(arg(0)),
        I::LocalGet(1),
        I::LocalGet(0),
        I::I32Store(arg(4)),
        I::LocalGet(1),
        I::I32Const(0),
        I::I32Store(arg(8)),
        I::GlobalGet(0),
        I::LocalGet(0),
        I::I32Add,
        I::I32Const(19),
        I::I32Add,
        I::I32Const(-8),
        I::I32And,
        I::GlobalSet(0),
        I::LocalGet(1),
        I::End,
    ] {
        f.instruction(&ins);
    }
    code.function(&f);
    let mut f = Function::new([]);
    f.instruction(&I::End);
    code.function(&f); // deallocate
    let mut f = Function::new([]);
    f.instruction(&I::End);
    code.function(&f); // interface_version_8
    let mut f = Function::new([]);
    f.instruction(&I::I32Const(8)).instruction(&I::End);
    code.function(&f); // instantiate: the Region at 8 holds the answer
    let mut f = Function::new([]);
    for ins in [
        I::Loop(wasm_encoder::BlockType::Empty),
        I::Br(0),
        I::End,
        I::Unreachable,
        I::End,
    ] {
        f.instruction(&ins);
    }
    code.function(&f); // query: loops until the gas runs out
    let answer = br#"{"ok":{"messages":[],"attributes":[],"events":[],"data":null}}"#;
    let len = answer.len() as u32;
    let mut bytes = Vec::new();
    for v in [32u32, len, len] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.resize(24, 0);
    bytes.extend_from_slice(answer);
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(8), bytes);
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&memory)
        .section(&globals)
        .section(&exports)
        .section(&code)
        .section(&data);
    m.finish()
}

/// Total size of the files under `dir` (0 when it does not exist).
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
