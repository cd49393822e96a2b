//! The files wallets and the Cosmos chain registry read, for one BitHive deployment on any chain
//! (the devnet, wasmd, a chain team's chain): a Keplr `ChainInfo` for
//! `window.keplr.experimentalSuggestChain`, and the chain registry's `chain.json` and
//! `assetlist.json`. [`WalletFiles::build`] turns the chain's facts ([`ChainFacts`]: endpoints,
//! prefix, native coin, gas prices, the cw20 tokens' `TokenInfo`) into the three typed files and
//! checks them against Keplr's rules before anything is written.
//!
//! The BitHive CLI gathers the facts from `deployment.json` and the chain (`bithive chain-info`,
//! and `bithive deploy` and the demo after deploying).
use std::path::{Path, PathBuf};

pub mod keplr;
pub mod registry;

use keplr::{AppCurrency, Bech32Config, Bip44, ChainInfo, Currency, Cw20Currency, Cw20Type};
use registry::{Asset, AssetList, Chain, DenomUnit, NetworkType, TypeAsset};

/// File names written by [`WalletFiles::write`].
pub const KEPLR_FILE: &str = "keplr-chain-info.json";
pub const CHAIN_FILE: &str = "chain.json";
pub const ASSETLIST_FILE: &str = "assetlist.json";

/// Cosmos' SLIP-44 coin type: the derivation path `m/44'/118'/0'/0/0` every BitHive key uses.
pub const COSMOS_COIN_TYPE: u32 = 118;

/// Keplr features of every BitHive chain.
pub const FEATURES: &[&str] = &["cosmwasm", "wasmd_0.24+"];

/// The Cosmos SDK's default REST (API server) port, which the devnet serves too.
pub const DEFAULT_REST_PORT: u16 = 1317;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("encoding {what}: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The chain's native coin (fees, and staking where the chain stakes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeCoin {
    /// Base denom on chain, e.g. `ubhive`.
    pub denom: String,
    /// Display unit, e.g. `bhive`.
    pub display: String,
    /// Ticker, e.g. `BHIVE`.
    pub symbol: String,
    pub name: String,
    /// Exponent of the display unit.
    pub decimals: u8,
}

impl NativeCoin {
    /// The SDK's SI-prefix convention for a denom without bank metadata: `u` micro (6), `m`
    /// milli (3), `n` nano (9), `a` atto (18); display unit the rest (`ubhive` -> `bhive`,
    /// `BHIVE`). None when the denom has no such prefix: the decimals are then unknown.
    pub fn from_si_denom(denom: &str) -> Option<NativeCoin> {
        let mut chars = denom.chars();
        let decimals = match chars.next()? {
            'u' => 6,
            'm' => 3,
            'n' => 9,
            'a' => 18,
            _ => return None,
        };
        let display = chars.as_str();
        if display.len() < 2 || !display.chars().all(|c| c.is_ascii_lowercase()) {
            return None;
        }
        let symbol = display.to_ascii_uppercase();
        Some(NativeCoin {
            denom: denom.to_string(),
            display: display.to_string(),
            name: symbol.clone(),
            symbol,
            decimals,
        })
    }
}

/// A cw20 token as its contract's `TokenInfo` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cw20Token {
    pub address: String,
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
}

/// Everything the three files say, gathered from the deployment and the chain.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainFacts {
    pub chain_id: String,
    /// Shown by Keplr (`chainName`, at most 30 characters) and the registry (`pretty_name`).
    pub pretty_name: String,
    /// The registry's directory name (`chain_name`): lower-case letters and digits.
    pub registry_name: String,
    pub network_type: NetworkType,
    pub rpc: String,
    pub rest: String,
    /// Account address prefix (`bithive`, `wasm`); the other five derive from it.
    pub bech32_prefix: String,
    pub native: NativeCoin,
    /// Gas prices of the native coin.
    pub gas_price: keplr::GasPriceStep,
    /// The bond denom where the chain has x/staking (it must be the native coin); None on the
    /// devnet.
    pub staking_denom: Option<String>,
    /// BTT and BTK (any cw20 of the deployment).
    pub cw20: Vec<Cw20Token>,
}

/// The three files, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct WalletFiles {
    pub keplr: ChainInfo,
    pub chain: Chain,
    pub assetlist: AssetList,
}

/// `chain_id` without its revision suffix and punctuation, lower case: the registry's name for
/// the chain (`bithive-devnet-1` -> `bithivedevnet`).
pub fn registry_name(chain_id: &str) -> String {
    let base = match chain_id.rsplit_once('-') {
        Some((head, rev)) if !head.is_empty() && rev.chars().all(|c| c.is_ascii_digit()) => head,
        _ => chain_id,
    };
    base.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Keplr's name for the chain: `BitHive <chain id>` where it fits Keplr's 30 characters, else
/// the chain id.
pub fn pretty_name(chain_id: &str) -> String {
    let name = format!("BitHive {chain_id}");
    if name.chars().count() <= keplr::MAX_NAME_LEN {
        name
    } else {
        chain_id.to_string()
    }
}

/// `devnet` for a chain id naming a devnet, else `testnet` (a mainnet says so explicitly).
pub fn network_type(chain_id: &str) -> NetworkType {
    if chain_id.contains("devnet") {
        NetworkType::Devnet
    } else {
        NetworkType::Testnet
    }
}

/// The REST URL beside an RPC URL: same scheme and host, port 1317 (the SDK's API server and
/// the devnet's default), no path.
pub fn default_rest(rpc: &str) -> Result<String, Error> {
    keplr::check_endpoint("rpc", rpc)?;
    let mut u = url::Url::parse(rpc).map_err(|e| invalid("rpc", e.to_string()))?;
    u.set_port(Some(DEFAULT_REST_PORT))
        .map_err(|()| invalid("rpc", format!("{rpc:?} can not take a port")))?;
    u.set_path("");
    Ok(u.as_str().trim_end_matches('/').to_string())
}

/// The human-readable part of a bech32 address.
pub fn address_prefix(field: &str, address: &str) -> Result<String, Error> {
    let (hrp, data) = bech32::decode(address)
        .map_err(|e| invalid(field, format!("{address:?} is not a bech32 address: {e}")))?;
    if data.is_empty() {
        return Err(invalid(field, format!("{address:?} has no address bytes")));
    }
    Ok(hrp.as_str().to_ascii_lowercase())
}

pub(crate) fn check_address(field: &str, address: &str, prefix: &str) -> Result<(), Error> {
    let hrp = address_prefix(field, address)?;
    if hrp != prefix {
        return Err(invalid(
            field,
            format!("{address} has prefix {hrp:?}, the chain's is {prefix:?}"),
        ));
    }
    Ok(())
}

fn check_symbol(field: &str, s: &str) -> Result<(), Error> {
    // The registry's symbol pattern, whole: no spaces or punctuation a wallet would mangle.
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(invalid(
            field,
            format!("{s:?} is not a symbol (letters, digits, '.', '_', '-')"),
        ));
    }
    Ok(())
}

fn check_name(field: &str, s: &str, max: usize) -> Result<(), Error> {
    if s.trim().is_empty() || s.chars().count() > max {
        return Err(invalid(
            field,
            format!("{s:?} must be 1 to {max} characters"),
        ));
    }
    Ok(())
}

/// Base and display units; one unit when the display unit is the base (0 decimals).
fn denom_units(base: &str, display: &str, decimals: u8) -> (Vec<DenomUnit>, String) {
    let mut units = vec![DenomUnit {
        denom: base.to_string(),
        exponent: 0,
    }];
    if decimals == 0 || display == base {
        return (units, base.to_string());
    }
    units.push(DenomUnit {
        denom: display.to_string(),
        exponent: decimals,
    });
    (units, display.to_string())
}

impl ChainFacts {
    /// What Keplr and the registry would refuse, named by field, before anything is built.
    pub fn check(&self) -> Result<(), Error> {
        check_name("chain_id", &self.chain_id, keplr::MAX_NAME_LEN)?;
        check_name("pretty_name", &self.pretty_name, keplr::MAX_NAME_LEN)?;
        if self.registry_name.is_empty()
            || !self
                .registry_name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(invalid(
                "registry_name",
                format!(
                    "{:?}: the registry names chains with lower-case letters and digits only",
                    self.registry_name
                ),
            ));
        }
        keplr::check_endpoint("rpc", &self.rpc)?;
        keplr::check_endpoint("rest", &self.rest)?;
        let p = &self.bech32_prefix;
        if p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(invalid(
                "bech32_prefix",
                format!("{p:?} is not a bech32 prefix (lower-case letters and digits)"),
            ));
        }
        let n = &self.native;
        if n.denom.is_empty() {
            return Err(invalid("native.denom", "must not be empty"));
        }
        check_symbol("native.symbol", &n.symbol)?;
        check_name("native.name", &n.name, 60)?;
        if n.display.is_empty() {
            return Err(invalid("native.display", "must not be empty"));
        }
        if n.decimals > keplr::MAX_DECIMALS {
            return Err(invalid(
                "native.decimals",
                format!("{} is over {}", n.decimals, keplr::MAX_DECIMALS),
            ));
        }
        self.gas_price.check("gas_price")?;
        if let Some(s) = &self.staking_denom {
            if *s != n.denom {
                return Err(invalid(
                    "staking_denom",
                    format!(
                        "{s:?} is not the native coin {:?}: a separate staking coin is not supported",
                        n.denom
                    ),
                ));
            }
        }
        let mut symbols = std::collections::BTreeSet::from([n.symbol.to_ascii_lowercase()]);
        for (i, t) in self.cw20.iter().enumerate() {
            let field = format!("cw20[{i}]");
            check_address(&format!("{field}.address"), &t.address, p)?;
            check_symbol(&format!("{field}.symbol"), &t.symbol)?;
            check_name(&format!("{field}.name"), &t.name, 60)?;
            if t.decimals > keplr::MAX_DECIMALS {
                return Err(invalid(
                    &format!("{field}.decimals"),
                    format!("{} is over {}", t.decimals, keplr::MAX_DECIMALS),
                ));
            }
            // Display units are the lower-cased symbols: two tokens may not share one.
            if !symbols.insert(t.symbol.to_ascii_lowercase()) {
                return Err(invalid(
                    &format!("{field}.symbol"),
                    format!("{} is used twice", t.symbol),
                ));
            }
        }
        Ok(())
    }
}

impl WalletFiles {
    /// The three files for `f`; Err names the first fact Keplr or the registry would refuse.
    pub fn build(f: &ChainFacts) -> Result<WalletFiles, Error> {
        f.check()?;
        let n = &f.native;
        let native = Currency {
            coin_denom: n.symbol.clone(),
            coin_minimal_denom: n.denom.clone(),
            coin_decimals: n.decimals,
            coin_gecko_id: None,
            coin_image_url: None,
        };
        let mut currencies = vec![AppCurrency::Native(native.clone())];
        for t in &f.cw20 {
            currencies.push(AppCurrency::Cw20(Cw20Currency {
                kind: Cw20Type::Cw20,
                contract_address: t.address.clone(),
                coin_denom: t.symbol.clone(),
                // Keplr's own form for a cw20 it adds: `cw20:<address>:<token name>`.
                coin_minimal_denom: format!("cw20:{}:{}", t.address, t.name),
                coin_decimals: t.decimals,
                coin_gecko_id: None,
                coin_image_url: None,
            }));
        }
        let staked = f.staking_denom.is_some();
        let keplr = ChainInfo {
            rpc: f.rpc.clone(),
            rest: f.rest.clone(),
            chain_id: f.chain_id.clone(),
            chain_name: f.pretty_name.clone(),
            stake_currency: staked.then(|| native.clone()),
            wallet_url: None,
            wallet_url_for_staking: None,
            bip44: Bip44 {
                coin_type: COSMOS_COIN_TYPE,
            },
            bech32_config: Bech32Config::from_account_prefix(&f.bech32_prefix),
            currencies,
            fee_currencies: vec![keplr::FeeCurrency {
                coin_denom: native.coin_denom.clone(),
                coin_minimal_denom: native.coin_minimal_denom.clone(),
                coin_decimals: native.coin_decimals,
                coin_gecko_id: None,
                coin_image_url: None,
                gas_price_step: Some(f.gas_price),
            }],
            // CosmWasm contracts (cw20 balances, contract messages); `wasmd_0.24+` makes Keplr
            // query cw20s at /cosmwasm/wasm/v1/... (wasmd >= 0.24 and the devnet) instead of the
            // legacy /wasm/v1/... path, without depending on its REST probe.
            features: FEATURES.iter().map(|f| f.to_string()).collect(),
            chain_symbol_image_url: None,
        };
        keplr.validate()?;

        let chain = Chain {
            schema: registry::CHAIN_SCHEMA.to_string(),
            chain_name: f.registry_name.clone(),
            status: registry::Status::Live,
            network_type: f.network_type,
            pretty_name: f.pretty_name.clone(),
            chain_type: "cosmos".to_string(),
            chain_id: f.chain_id.clone(),
            bech32_prefix: f.bech32_prefix.clone(),
            key_algos: vec!["secp256k1".to_string()],
            slip44: COSMOS_COIN_TYPE,
            fees: registry::Fees {
                fee_tokens: vec![registry::FeeToken {
                    denom: n.denom.clone(),
                    fixed_min_gas_price: None,
                    low_gas_price: f.gas_price.low,
                    average_gas_price: f.gas_price.average,
                    high_gas_price: f.gas_price.high,
                }],
            },
            staking: f.staking_denom.as_ref().map(|d| registry::Staking {
                staking_tokens: vec![registry::StakingToken { denom: d.clone() }],
            }),
            codebase: Some(registry::Codebase {
                cosmwasm: Some(registry::Cosmwasm { enabled: true }),
            }),
            apis: Some(registry::Apis {
                rpc: vec![registry::Endpoint {
                    address: f.rpc.clone(),
                    provider: None,
                }],
                rest: vec![registry::Endpoint {
                    address: f.rest.clone(),
                    provider: None,
                }],
            }),
            description: None,
        };

        let (units, display) = denom_units(&n.denom, &n.display, n.decimals);
        let mut assets = vec![Asset {
            description: Some(format!("The native coin of {}: fees", f.chain_id)),
            denom_units: units,
            type_asset: TypeAsset::SdkCoin,
            address: None,
            base: n.denom.clone(),
            name: n.name.clone(),
            display,
            symbol: n.symbol.clone(),
        }];
        for t in &f.cw20 {
            let base = format!("cw20:{}", t.address);
            let (units, display) = denom_units(&base, &t.symbol.to_ascii_lowercase(), t.decimals);
            assets.push(Asset {
                description: Some(format!("{}: a cw20 token of BitHive", t.name)),
                denom_units: units,
                type_asset: TypeAsset::Cw20,
                address: Some(t.address.clone()),
                base,
                name: t.name.clone(),
                display,
                symbol: t.symbol.clone(),
            });
        }
        let assetlist = AssetList {
            schema: registry::ASSETLIST_SCHEMA.to_string(),
            chain_name: f.registry_name.clone(),
            assets,
        };
        Ok(WalletFiles {
            keplr,
            chain,
            assetlist,
        })
    }

    /// Writes `keplr-chain-info.json`, `chain.json` and `assetlist.json` into `dir` (created if
    /// missing); returns their paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let files = [
            (KEPLR_FILE, json("Keplr ChainInfo", &self.keplr)?),
            (CHAIN_FILE, json("chain.json", &self.chain)?),
            (ASSETLIST_FILE, json("assetlist.json", &self.assetlist)?),
        ];
        let mut out = Vec::new();
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            out.push(path);
        }
        Ok(out)
    }
}

fn json<T: serde::Serialize>(what: &'static str, v: &T) -> Result<String, Error> {
    let mut s = serde_json::to_string_pretty(v).map_err(|source| Error::Json { what, source })?;
    s.push('\n');
    Ok(s)
}
