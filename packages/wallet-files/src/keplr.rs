//! Keplr's `ChainInfo`, the argument of `window.keplr.experimentalSuggestChain`: field names and
//! shapes as `@keplr-wallet/types` (`chain-info.ts`, `currency.ts`) declares them, and
//! [`ChainInfo::validate`] applying the rules of Keplr's `@keplr-wallet/chain-validator`
//! (`schema.ts`), which Keplr runs on every suggested chain.
use serde::{Deserialize, Serialize};

use crate::{invalid, Error};

/// The features Keplr knows (`SupportedChainFeatures` in `chain-validator/src/feature.ts`); a
/// suggested chain naming another is refused.
pub const SUPPORTED_FEATURES: &[&str] = &[
    "stargate",
    "cosmwasm",
    "wasmd_0.24+",
    "secretwasm",
    "ibc-transfer",
    "no-legacy-stdTx",
    "ibc-go",
    "eth-address-gen",
    "eth-key-sign",
    "query:/cosmos/bank/v1beta1/spendable_balances",
    "axelar-evm-bridge",
    "osmosis-txfees",
    "terra-classic-fee",
    "ibc-go-v7-hot-fix",
    "ibc-pfm",
    "authz-msg-revoke-fixed",
    "osmosis-base-fee-beta",
    "feemarket",
    "force-enable-evm-ledger",
];

/// Keplr's limit on `chainId` and `chainName` (Cosmos chain ids).
pub const MAX_NAME_LEN: usize = 30;

/// Keplr's limit on `coinDecimals`.
pub const MAX_DECIMALS: u8 = 18;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainInfo {
    /// CometBFT RPC (Keplr broadcasts and reads blocks here).
    pub rpc: String,
    /// Cosmos SDK REST (gRPC gateway): balances, accounts, simulation, cw20 smart queries.
    pub rest: String,
    pub chain_id: String,
    /// The name Keplr shows.
    pub chain_name: String,
    /// The staking coin; optional in current Keplr. A chain without x/staking leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stake_currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_url_for_staking: Option<String>,
    pub bip44: Bip44,
    pub bech32_config: Bech32Config,
    /// Every coin and token Keplr shows balances of: native coins and cw20 tokens.
    pub currencies: Vec<AppCurrency>,
    /// Coins fees may be paid in, with their gas price steps.
    pub fee_currencies: Vec<FeeCurrency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_symbol_image_url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bip44 {
    /// SLIP-44 coin type of the key derivation path (118: Cosmos).
    pub coin_type: u32,
}

/// The six bech32 prefixes of a Cosmos SDK chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bech32Config {
    pub bech32_prefix_acc_addr: String,
    pub bech32_prefix_acc_pub: String,
    pub bech32_prefix_val_addr: String,
    pub bech32_prefix_val_pub: String,
    pub bech32_prefix_cons_addr: String,
    pub bech32_prefix_cons_pub: String,
}

impl Bech32Config {
    /// The SDK's derivation from the account prefix (`sdk.Bech32PrefixAccPub` etc.).
    pub fn from_account_prefix(p: &str) -> Self {
        Bech32Config {
            bech32_prefix_acc_addr: p.to_string(),
            bech32_prefix_acc_pub: format!("{p}pub"),
            bech32_prefix_val_addr: format!("{p}valoper"),
            bech32_prefix_val_pub: format!("{p}valoperpub"),
            bech32_prefix_cons_addr: format!("{p}valcons"),
            bech32_prefix_cons_pub: format!("{p}valconspub"),
        }
    }
}

/// A native coin (Keplr's `Currency`; `type` must be absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Currency {
    /// What Keplr shows, e.g. `BHIVE`.
    pub coin_denom: String,
    /// The on-chain base denom, e.g. `ubhive`.
    pub coin_minimal_denom: String,
    /// 10^decimals base units make one `coin_denom`.
    pub coin_decimals: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_gecko_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_image_url: Option<String>,
}

/// The only `type` a cw20 currency has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cw20Type {
    #[serde(rename = "cw20")]
    Cw20,
}

/// A cw20 token (Keplr's `CW20Currency`): `coinMinimalDenom` is
/// `cw20:<contract address>:<name>`, the form Keplr itself gives a cw20 it adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cw20Currency {
    #[serde(rename = "type")]
    pub kind: Cw20Type,
    pub contract_address: String,
    pub coin_denom: String,
    pub coin_minimal_denom: String,
    pub coin_decimals: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_gecko_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_image_url: Option<String>,
}

/// An entry of `currencies`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AppCurrency {
    Cw20(Cw20Currency),
    Native(Currency),
}

impl AppCurrency {
    pub fn minimal_denom(&self) -> &str {
        match self {
            AppCurrency::Cw20(c) => &c.coin_minimal_denom,
            AppCurrency::Native(c) => &c.coin_minimal_denom,
        }
    }
}

/// Keplr's `gasPriceStep`: prices per unit of gas, in the fee coin's base denom.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasPriceStep {
    pub low: f64,
    pub average: f64,
    pub high: f64,
}

/// A native fee coin with its gas price steps (Keplr's `FeeCurrency`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeeCurrency {
    pub coin_denom: String,
    pub coin_minimal_denom: String,
    pub coin_decimals: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_gecko_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_price_step: Option<GasPriceStep>,
}

fn non_empty(field: &str, v: &str) -> Result<(), Error> {
    if v.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    Ok(())
}

/// Keplr's `Joi.string().uri()` plus its "no query string" rule; Keplr fetches these, so only
/// http(s). No credentials (`user:token@`): the files are published to every wallet and the
/// registry, and errors never repeat them.
pub(crate) fn check_endpoint(field: &str, v: &str) -> Result<(), Error> {
    let shown = if v.contains('@') { "the URL" } else { v };
    let u =
        url::Url::parse(v).map_err(|e| invalid(field, format!("{shown:?} is not a URL: {e}")))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(invalid(
            field,
            "the URL carries credentials (user:password@); wallet files are public: give the \
             endpoint wallets may use",
        ));
    }
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(invalid(field, format!("{v:?} is not an http(s) URL")));
    }
    if v.contains('?') {
        return Err(invalid(
            field,
            format!("{v:?} must not have a query string"),
        ));
    }
    Ok(())
}

fn check_coin(field: &str, denom: &str, minimal: &str, decimals: u8) -> Result<(), Error> {
    non_empty(&format!("{field}.coinDenom"), denom)?;
    non_empty(&format!("{field}.coinMinimalDenom"), minimal)?;
    if decimals > MAX_DECIMALS {
        return Err(invalid(
            &format!("{field}.coinDecimals"),
            format!("{decimals} is over Keplr's maximum {MAX_DECIMALS}"),
        ));
    }
    Ok(())
}

fn check_optionals(
    field: &str,
    gecko: &Option<String>,
    image: &Option<String>,
) -> Result<(), Error> {
    if let Some(g) = gecko {
        non_empty(&format!("{field}.coinGeckoId"), g)?;
    }
    if let Some(i) = image {
        url::Url::parse(i).map_err(|e| invalid(&format!("{field}.coinImageUrl"), e.to_string()))?;
    }
    Ok(())
}

/// Keplr's rules for what every coin type has: denoms, decimals, gecko id and image URL.
trait CoinFields {
    fn check_fields(&self, field: &str) -> Result<(), Error>;
}

macro_rules! coin_fields {
    ($($coin:ty),*) => {$(
        impl CoinFields for $coin {
            fn check_fields(&self, field: &str) -> Result<(), Error> {
                check_coin(field, &self.coin_denom, &self.coin_minimal_denom, self.coin_decimals)?;
                check_optionals(field, &self.coin_gecko_id, &self.coin_image_url)
            }
        }
    )*};
}

coin_fields!(Currency, Cw20Currency, FeeCurrency);

impl ChainInfo {
    /// Keplr's chain-validator rules (`ChainInfoSchema`), so Keplr takes the file as written and
    /// rewrites nothing: every required field present and non-empty, URLs without query
    /// strings, chain id and name at most 30 characters, decimals at most 18, no duplicate
    /// denoms, cw20 minimal denoms in the canonical `cw20:<address>:` form, gas price steps
    /// ordered, known unique features, the stake currency among the currencies. Two further
    /// checks Keplr's registry makes: fee currencies are among the currencies, and every cw20
    /// contract address is a bech32 address with the chain's account prefix.
    pub fn validate(&self) -> Result<(), Error> {
        check_endpoint("rpc", &self.rpc)?;
        check_endpoint("rest", &self.rest)?;
        for (field, v) in [("chainId", &self.chain_id), ("chainName", &self.chain_name)] {
            non_empty(field, v)?;
            if v.chars().count() > MAX_NAME_LEN {
                return Err(invalid(
                    field,
                    format!("{v:?} is longer than Keplr's {MAX_NAME_LEN} characters"),
                ));
            }
        }
        for (field, url) in [
            ("walletUrl", &self.wallet_url),
            ("walletUrlForStaking", &self.wallet_url_for_staking),
            ("chainSymbolImageUrl", &self.chain_symbol_image_url),
        ] {
            if let Some(u) = url {
                url::Url::parse(u).map_err(|e| invalid(field, e.to_string()))?;
            }
        }
        let b = &self.bech32_config;
        for (field, v) in [
            ("bech32PrefixAccAddr", &b.bech32_prefix_acc_addr),
            ("bech32PrefixAccPub", &b.bech32_prefix_acc_pub),
            ("bech32PrefixValAddr", &b.bech32_prefix_val_addr),
            ("bech32PrefixValPub", &b.bech32_prefix_val_pub),
            ("bech32PrefixConsAddr", &b.bech32_prefix_cons_addr),
            ("bech32PrefixConsPub", &b.bech32_prefix_cons_pub),
        ] {
            non_empty(&format!("bech32Config.{field}"), v)?;
        }

        if self.currencies.is_empty() {
            return Err(invalid("currencies", "at least one is required"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.currencies.iter().enumerate() {
            let field = format!("currencies[{i}]");
            match c {
                AppCurrency::Native(c) => {
                    c.check_fields(&field)?;
                }
                AppCurrency::Cw20(c) => {
                    c.check_fields(&field)?;
                    non_empty(&format!("{field}.contractAddress"), &c.contract_address)?;
                    let prefix = format!("cw20:{}:", c.contract_address);
                    if !c.coin_minimal_denom.starts_with(&prefix) {
                        return Err(invalid(
                            &format!("{field}.coinMinimalDenom"),
                            format!("{:?} must start with {prefix:?}", c.coin_minimal_denom),
                        ));
                    }
                    crate::check_address(
                        &format!("{field}.contractAddress"),
                        &c.contract_address,
                        &b.bech32_prefix_acc_addr,
                    )?;
                }
            }
            if !seen.insert(c.minimal_denom()) {
                return Err(invalid(
                    &field,
                    format!("{} is duplicated", c.minimal_denom()),
                ));
            }
        }

        if self.fee_currencies.is_empty() {
            return Err(invalid("feeCurrencies", "at least one is required"));
        }
        let mut fees = std::collections::BTreeSet::new();
        for (i, c) in self.fee_currencies.iter().enumerate() {
            let field = format!("feeCurrencies[{i}]");
            c.check_fields(&field)?;
            if !fees.insert(c.coin_minimal_denom.as_str()) {
                return Err(invalid(
                    &field,
                    format!("{} is duplicated", c.coin_minimal_denom),
                ));
            }
            if let Some(s) = &c.gas_price_step {
                s.check(&format!("{field}.gasPriceStep"))?;
            }
            if !c.coin_minimal_denom.starts_with("ibc/")
                && !seen.contains(c.coin_minimal_denom.as_str())
            {
                return Err(invalid(
                    &field,
                    format!(
                        "fee currency {} is not among the currencies",
                        c.coin_minimal_denom
                    ),
                ));
            }
        }

        let mut features = std::collections::BTreeSet::new();
        for f in &self.features {
            if !SUPPORTED_FEATURES.contains(&f.as_str()) {
                return Err(invalid("features", format!("Keplr does not know {f:?}")));
            }
            if !features.insert(f.as_str()) {
                return Err(invalid("features", format!("{f:?} is duplicated")));
            }
        }
        if features.contains("cosmwasm") && features.contains("secretwasm") {
            return Err(invalid(
                "features",
                "cosmwasm and secretwasm are not compatible",
            ));
        }

        if let Some(s) = &self.stake_currency {
            s.check_fields("stakeCurrency")?;
            if !seen.contains(s.coin_minimal_denom.as_str()) {
                return Err(invalid(
                    "stakeCurrency",
                    format!("{} is not among the currencies", s.coin_minimal_denom),
                ));
            }
        }
        Ok(())
    }
}

impl GasPriceStep {
    /// Keplr's rule (low <= average <= high) and prices a wallet can multiply by gas: finite,
    /// not negative.
    pub fn check(&self, field: &str) -> Result<(), Error> {
        for (name, v) in [
            ("low", self.low),
            ("average", self.average),
            ("high", self.high),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(invalid(
                    &format!("{field}.{name}"),
                    format!("{v} is not a gas price"),
                ));
            }
        }
        if self.low > self.average {
            return Err(invalid(field, "low can not be greater than average"));
        }
        if self.average > self.high {
            return Err(invalid(field, "average can not be greater than high"));
        }
        Ok(())
    }
}
