//! Wallet and registry files for a deployment (#21): `bithive chain-info`, and `bithive deploy`
//! and the demo after deploying. The facts come from `deployment.json` (chain id, deployer
//! address prefix, token addresses, fees) and the chain itself over RPC: BTT's and BTK's cw20
//! `TokenInfo` (names, symbols, decimals), the native coin's bank metadata where the chain has
//! it, and the bond denom where it has x/staking. The files are built and checked by
//! `bithive-wallet-files`.
use std::path::{Path, PathBuf};

use bithive_chain_client::cosmrs::proto::cosmos::bank::v1beta1::{
    QueryDenomMetadataRequest, QueryDenomMetadataResponse,
};
use bithive_chain_client::cosmrs::proto::cosmos::staking::v1beta1::{
    QueryParamsRequest, QueryParamsResponse,
};
use bithive_chain_client::cosmrs::proto::prost::Message;
use bithive_chain_client::{query, ChainError, RpcEndpoint};
use bithive_wallet_files::keplr::GasPriceStep;
use bithive_wallet_files::registry::NetworkType;
use bithive_wallet_files::{ChainFacts, Cw20Token, NativeCoin, WalletFiles};
use cw20::TokenInfoResponse;

use crate::deploy::Deployment;

pub const PATH_DENOM_METADATA: &str = "/cosmos.bank.v1beta1.Query/DenomMetadata";
pub const PATH_STAKING_PARAMS: &str = "/cosmos.staking.v1beta1.Query/Params";

/// What `bithive deploy`'s client raises the gas price to: 4x (its `max_gas_price`).
pub const HIGH_GAS_PRICE_FACTOR: f64 = 4.0;

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("deployment: {0}")]
    Deployment(String),
    #[error("{what} of {contract}: {source}")]
    Query {
        what: &'static str,
        contract: String,
        #[source]
        source: ChainError,
    },
    #[error("{what}: {message}")]
    Decode { what: &'static str, message: String },
    #[error("{0}")]
    Facts(String),
    #[error(transparent)]
    Files(#[from] bithive_wallet_files::Error),
}

/// The caller's choices; every None is derived (and said so in the notes).
#[derive(Clone, Debug, Default)]
pub struct WalletOptions {
    /// CometBFT RPC URL written into the files (the facts are queried through the endpoint
    /// given beside these options).
    pub rpc: String,
    pub rest: Option<String>,
    pub chain_name: Option<String>,
    pub registry_name: Option<String>,
    pub network_type: Option<NetworkType>,
    pub native_symbol: Option<String>,
    pub native_decimals: Option<u8>,
    /// Fee denom and gas price; default: what `deployment.json` records.
    pub fee_denom: Option<String>,
    pub gas_price: Option<f64>,
}

/// What was written, and which facts were derived rather than read.
#[derive(Clone, Debug)]
pub struct Written {
    pub files: WalletFiles,
    /// The public RPC and REST URLs the files give wallets (recorded in the deployment).
    pub endpoints: crate::deploy::PublicEndpoints,
    pub paths: Vec<PathBuf>,
    pub notes: Vec<String>,
}

fn missing(field: &str) -> WalletError {
    WalletError::Deployment(format!(
        "{field} is missing or empty; is this a deployment.json written by `bithive deploy`?"
    ))
}

async fn token_info(rpc: &dyn RpcEndpoint, contract: &str) -> Result<Cw20Token, WalletError> {
    let msg = serde_json::to_vec(&bithive_interface::token::QueryMsg::TokenInfo {})
        .map_err(|e| WalletError::Facts(e.to_string()))?;
    let answer = query::wasm_smart(rpc, contract, &msg)
        .await
        .map_err(|source| WalletError::Query {
            what: "cw20 token_info",
            contract: contract.to_string(),
            source,
        })?;
    let info: TokenInfoResponse =
        serde_json::from_slice(&answer).map_err(|e| WalletError::Decode {
            what: "cw20 TokenInfoResponse",
            message: e.to_string(),
        })?;
    Ok(Cw20Token {
        address: contract.to_string(),
        name: info.name,
        symbol: info.symbol,
        decimals: info.decimals,
    })
}

/// A protobuf ABCI query's answer; None where the query fails or the chain refuses it.
async fn abci_proto<R: Message + Default>(
    rpc: &dyn RpcEndpoint,
    path: &str,
    req: &impl Message,
) -> Option<R> {
    let r = rpc.abci_query(path, req.encode_to_vec()).await.ok()?;
    if r.code != 0 {
        return None;
    }
    R::decode(r.value.as_slice()).ok()
}

/// The bank metadata of `denom`; None where the chain has none (or no such query).
async fn denom_metadata(rpc: &dyn RpcEndpoint, denom: &str) -> Option<NativeCoin> {
    let req = QueryDenomMetadataRequest {
        denom: denom.to_string(),
    };
    let m = abci_proto::<QueryDenomMetadataResponse>(rpc, PATH_DENOM_METADATA, &req)
        .await?
        .metadata?;
    let exponent = m
        .denom_units
        .iter()
        .find(|u| u.denom == m.display)?
        .exponent;
    let symbol = if m.symbol.is_empty() {
        m.display.to_ascii_uppercase()
    } else {
        m.symbol
    };
    Some(NativeCoin {
        denom: denom.to_string(),
        name: if m.name.is_empty() {
            symbol.clone()
        } else {
            m.name
        },
        display: m.display,
        symbol,
        decimals: u8::try_from(exponent).ok()?,
    })
}

/// The chain's bond denom; None where it has no x/staking (the devnet).
async fn bond_denom(rpc: &dyn RpcEndpoint) -> Option<String> {
    let d = abci_proto::<QueryParamsResponse>(rpc, PATH_STAKING_PARAMS, &QueryParamsRequest {})
        .await?
        .params?
        .bond_denom;
    (!d.is_empty()).then_some(d)
}

/// The facts of `d`'s chain, from the deployment, the chain and `o`; notes say what was derived.
pub async fn gather(
    rpc: &dyn RpcEndpoint,
    d: &Deployment,
    o: &WalletOptions,
) -> Result<(ChainFacts, Vec<String>), WalletError> {
    let mut notes = Vec::new();
    if d.chain_id.is_empty() {
        return Err(missing("chain_id"));
    }
    if d.deployer.is_empty() {
        return Err(missing("deployer"));
    }
    for (field, addr) in [
        ("contracts.btt", &d.contracts.btt),
        ("contracts.btk", &d.contracts.btk),
    ] {
        if addr.is_empty() {
            return Err(missing(field));
        }
    }
    let prefix = bithive_wallet_files::address_prefix("deployer", &d.deployer)?;

    let (fee_denom, gas_price) = match (&o.fee_denom, o.gas_price, &d.fees) {
        (denom, Some(p), fees) => {
            let denom = denom
                .clone()
                .or_else(|| fees.as_ref().map(|f| f.denom.clone()))
                .ok_or_else(|| {
                    WalletError::Deployment(
                        "it records no fee denom (written before #21): pass --fee-denom".into(),
                    )
                })?;
            (
                denom,
                GasPriceStep {
                    low: p,
                    average: p,
                    high: p * HIGH_GAS_PRICE_FACTOR,
                },
            )
        }
        (Some(denom), None, Some(f)) if *denom != f.denom => {
            return Err(WalletError::Deployment(format!(
                "it records gas prices in {}, not {denom}: pass --gas-price with --fee-denom",
                f.denom
            )))
        }
        (_, None, Some(f)) => {
            let num = |v: &cosmwasm_std::Decimal| v.to_string().parse::<f64>().unwrap_or(f64::NAN);
            (
                f.denom.clone(),
                GasPriceStep {
                    low: num(&f.gas_price),
                    average: num(&f.gas_price),
                    high: num(&f.max_gas_price),
                },
            )
        }
        (_, None, None) => {
            return Err(WalletError::Deployment(
                "it records no fees (written before #21): pass --fee-denom and --gas-price".into(),
            ))
        }
    };

    // BTT first: the token a patient pays with.
    let mut cw20 = Vec::new();
    for addr in [&d.contracts.btt, &d.contracts.btk] {
        cw20.push(token_info(rpc, addr).await?);
    }

    let mut native = match denom_metadata(rpc, &fee_denom).await {
        Some(n) => {
            notes.push(format!(
                "native coin {fee_denom}: from the chain's bank metadata"
            ));
            n
        }
        None => match NativeCoin::from_si_denom(&fee_denom) {
            Some(n) => {
                notes.push(format!(
                    "native coin {fee_denom}: no bank metadata on the chain; {} with {} decimals \
                     from the denom's SI prefix",
                    n.symbol, n.decimals
                ));
                n
            }
            None => {
                let (Some(symbol), Some(decimals)) = (&o.native_symbol, o.native_decimals) else {
                    return Err(WalletError::Facts(format!(
                        "the chain has no bank metadata for {fee_denom} and its decimals can not \
                         be told from its name: pass --native-symbol and --native-decimals"
                    )));
                };
                NativeCoin {
                    denom: fee_denom.clone(),
                    display: symbol.to_ascii_lowercase(),
                    symbol: symbol.clone(),
                    name: symbol.clone(),
                    decimals,
                }
            }
        },
    };
    if let Some(s) = &o.native_symbol {
        native.symbol = s.clone();
        native.name = s.clone();
        native.display = s.to_ascii_lowercase();
    }
    if let Some(dec) = o.native_decimals {
        native.decimals = dec;
    }

    let staking_denom = bond_denom(rpc).await;
    if staking_denom.is_none() {
        notes.push("no x/staking on the chain: no stake currency, no staking section".into());
    }

    let rest = match o.rest.clone().or_else(|| {
        // Only when the files go to the same RPC URL as the recorded ones.
        d.endpoints
            .as_ref()
            .filter(|e| e.rpc == o.rpc)
            .map(|e| e.rest.clone())
    }) {
        Some(r) => r,
        None => {
            let r = bithive_wallet_files::default_rest(&o.rpc)?;
            notes.push(format!(
                "rest {r}: the RPC host on port {} (the devnet's and the Cosmos SDK's default \
                 REST port); pass --rest for any other",
                bithive_wallet_files::DEFAULT_REST_PORT
            ));
            r
        }
    };
    let facts = ChainFacts {
        pretty_name: o
            .chain_name
            .clone()
            .unwrap_or_else(|| bithive_wallet_files::pretty_name(&d.chain_id)),
        registry_name: o
            .registry_name
            .clone()
            .unwrap_or_else(|| bithive_wallet_files::registry_name(&d.chain_id)),
        network_type: o
            .network_type
            .unwrap_or_else(|| bithive_wallet_files::network_type(&d.chain_id)),
        chain_id: d.chain_id.clone(),
        rpc: o.rpc.clone(),
        rest,
        bech32_prefix: prefix,
        native,
        gas_price,
        staking_denom,
        cw20,
    };
    Ok((facts, notes))
}

/// Gathers the facts, builds and checks the three files and writes them into `dir`.
pub async fn write(
    rpc: &dyn RpcEndpoint,
    d: &Deployment,
    o: &WalletOptions,
    dir: &Path,
) -> Result<Written, WalletError> {
    let (facts, notes) = gather(rpc, d, o).await?;
    let files = WalletFiles::build(&facts)?;
    let paths = files.write(dir)?;
    Ok(Written {
        endpoints: crate::deploy::PublicEndpoints {
            rpc: facts.rpc.clone(),
            rest: facts.rest.clone(),
        },
        files,
        paths,
        notes,
    })
}

/// The directory of a deployment file (`.` for a bare file name).
pub fn dir_of(deployment: &Path) -> PathBuf {
    match deployment.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
