//! Devnet configuration: TOML file with `BITHIVE_DEVNET_*` environment overrides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::DevnetError;

/// One genesis account: an address and its starting balances (`"1000ubhive,5ibc/ABC"`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisAccount {
    pub address: String,
    pub coins: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevnetConfig {
    pub chain_id: String,
    /// Fee and staking denom.
    pub denom: String,
    pub bech32_prefix: String,
    /// Minimum gas price in `denom` per unit of gas, as a decimal (`"0.025"`).
    pub min_gas_price: String,
    /// Block interval in milliseconds; 0 produces blocks only on demand.
    pub block_time_ms: u64,
    /// JSON-RPC listen address (loopback; port 0 picks a free port).
    pub rpc_listen: SocketAddr,
    /// Directory of the block log. None keeps the chain in memory only.
    pub home: Option<PathBuf>,
    pub genesis_accounts: Vec<GenesisAccount>,
    /// A quota on the block log's size in bytes: an append that would grow it past this fails as
    /// on a full disk, and the chain halts (see README, "Durability"). None: no quota.
    pub block_log_max_bytes: Option<u64>,
    /// Most requests in one JSON-RPC batch (CometBFT's `max_request_batch_size`).
    pub max_batch_requests: usize,
    /// Largest JSON-RPC answer (a batch's in total), in bytes: past it, an error instead.
    pub max_response_bytes: usize,
    /// Most event subscriptions one websocket connection holds (CometBFT's
    /// `max_subscriptions_per_client`).
    pub max_subscriptions_per_client: usize,
    /// Most open RPC connections (websockets included; CometBFT's `max_open_connections`); one
    /// more is answered 503 and closed.
    pub max_connections: usize,
    /// A request's headers and body must arrive within this many ms of its first byte (of the
    /// connection's opening for the first request). 0: no limit.
    pub rpc_header_timeout_ms: u64,
    /// A connection with no request in progress (keep-alive, a stalled answer, a websocket that
    /// answers no ping) is closed after this many ms. 0: no limit.
    pub rpc_idle_timeout_ms: u64,
    /// SDK gas of one smart contract query (wasmd's `smart_query_gas_limit`).
    pub smart_query_gas_limit: u64,
    /// Cosmos SDK REST (gRPC-gateway JSON) listen address. None: the RPC's host, port 1317 (the
    /// SDK's), or a free port when the RPC's port is 0 (tests start devnets side by side).
    pub rest_listen: Option<SocketAddr>,
    /// Origins a browser page may call the RPC and REST servers from (CORS): `*` for any, or
    /// exact origins (`http://localhost:5173`). Empty: no CORS headers, same-origin only.
    pub cors_allowed_origins: Vec<String>,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        DevnetConfig {
            chain_id: "bithive-devnet-1".into(),
            denom: "ubhive".into(),
            bech32_prefix: "bithive".into(),
            min_gas_price: "0.025".into(),
            block_time_ms: 1000,
            rpc_listen: SocketAddr::from(([127, 0, 0, 1], 26657)),
            home: None,
            genesis_accounts: Vec::new(),
            block_log_max_bytes: None,
            max_batch_requests: 10,
            max_response_bytes: 16 << 20,
            max_subscriptions_per_client: 5,
            max_connections: 900,
            rpc_header_timeout_ms: 10_000,
            rpc_idle_timeout_ms: 30_000,
            smart_query_gas_limit: 3_000_000,
            rest_listen: None,
            // A devnet is local and for development: any page may call it.
            cors_allowed_origins: vec!["*".into()],
        }
    }
}

impl DevnetConfig {
    /// Reads a TOML file (missing keys take defaults), then applies environment overrides.
    pub fn from_file(path: &Path) -> Result<Self, DevnetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DevnetError::Config(format!("{}: {e}", path.display())))?;
        let mut config: DevnetConfig =
            toml::from_str(&text).map_err(|e| DevnetError::Config(e.to_string()))?;
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    /// Overrides from `BITHIVE_DEVNET_{CHAIN_ID,DENOM,PREFIX,MIN_GAS_PRICE,BLOCK_TIME_MS,RPC_LISTEN,HOME,
    /// BLOCK_LOG_MAX_BYTES,MAX_BATCH_REQUESTS,MAX_RESPONSE_BYTES,MAX_SUBSCRIPTIONS_PER_CLIENT,
    /// MAX_CONNECTIONS,RPC_HEADER_TIMEOUT_MS,RPC_IDLE_TIMEOUT_MS,SMART_QUERY_GAS_LIMIT,REST_LISTEN,
    /// CORS_ALLOWED_ORIGINS}` (origins comma-separated).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), DevnetError> {
        /// Parses variable `BITHIVE_DEVNET_<name>` into `field` when it is set.
        fn parsed<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            name: &str,
            field: &mut T,
        ) -> Result<(), DevnetError>
        where
            T::Err: std::fmt::Display,
        {
            let key = format!("BITHIVE_DEVNET_{name}");
            if let Some(v) = get(&key) {
                *field = v
                    .parse()
                    .map_err(|e| DevnetError::Config(format!("{key}: {e}")))?;
            }
            Ok(())
        }
        parsed(&get, "CHAIN_ID", &mut self.chain_id)?;
        parsed(&get, "DENOM", &mut self.denom)?;
        parsed(&get, "PREFIX", &mut self.bech32_prefix)?;
        parsed(&get, "MIN_GAS_PRICE", &mut self.min_gas_price)?;
        parsed(&get, "BLOCK_TIME_MS", &mut self.block_time_ms)?;
        parsed(&get, "RPC_LISTEN", &mut self.rpc_listen)?;
        parsed(&get, "MAX_BATCH_REQUESTS", &mut self.max_batch_requests)?;
        parsed(&get, "MAX_RESPONSE_BYTES", &mut self.max_response_bytes)?;
        parsed(
            &get,
            "MAX_SUBSCRIPTIONS_PER_CLIENT",
            &mut self.max_subscriptions_per_client,
        )?;
        parsed(&get, "MAX_CONNECTIONS", &mut self.max_connections)?;
        parsed(
            &get,
            "RPC_HEADER_TIMEOUT_MS",
            &mut self.rpc_header_timeout_ms,
        )?;
        parsed(&get, "RPC_IDLE_TIMEOUT_MS", &mut self.rpc_idle_timeout_ms)?;
        parsed(
            &get,
            "SMART_QUERY_GAS_LIMIT",
            &mut self.smart_query_gas_limit,
        )?;
        if let Some(v) = get("BITHIVE_DEVNET_REST_LISTEN") {
            let addr = v
                .parse()
                .map_err(|e| DevnetError::Config(format!("BITHIVE_DEVNET_REST_LISTEN: {e}")))?;
            self.rest_listen = Some(addr);
        }
        if let Some(v) = get("BITHIVE_DEVNET_CORS_ALLOWED_ORIGINS") {
            self.cors_allowed_origins = split_origins(&v);
        }
        if let Some(v) = get("BITHIVE_DEVNET_HOME") {
            self.home = Some(PathBuf::from(v));
        }
        if get("BITHIVE_DEVNET_BLOCK_LOG_MAX_BYTES").is_some() {
            let mut quota = 0u64;
            parsed(&get, "BLOCK_LOG_MAX_BYTES", &mut quota)?;
            self.block_log_max_bytes = Some(quota);
        }
        Ok(())
    }

    /// Where the REST server listens (see [`DevnetConfig::rest_listen`]).
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_listen.unwrap_or_else(|| {
            let port = if self.rpc_listen.port() == 0 { 0 } else { 1317 };
            SocketAddr::new(self.rpc_listen.ip(), port)
        })
    }

    pub fn block_interval(&self) -> Option<Duration> {
        (self.block_time_ms > 0).then(|| Duration::from_millis(self.block_time_ms))
    }

    /// The RPC server's connection limits.
    pub fn rpc_limits(&self) -> crate::server::Limits {
        let ms = |v: u64| (v > 0).then(|| Duration::from_millis(v));
        crate::server::Limits {
            max_connections: self.max_connections,
            // A devnet's clients (relayers, the demo, tests) share the loopback address.
            max_per_address: None,
            header_timeout: ms(self.rpc_header_timeout_ms),
            idle_timeout: ms(self.rpc_idle_timeout_ms),
        }
    }

    /// The minimum gas price as an exact fraction (numerator, denominator).
    pub fn gas_price(&self) -> Result<(u128, u128), DevnetError> {
        parse_decimal(&self.min_gas_price).ok_or_else(|| {
            DevnetError::Config(format!("bad min_gas_price {:?}", self.min_gas_price))
        })
    }
}

/// `"http://a, http://b"` -> the origins, blanks dropped.
pub fn split_origins(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

/// "0.025" -> (25, 1000). At most 18 decimals.
pub(crate) fn parse_decimal(s: &str) -> Option<(u128, u128)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 18 || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let digits = |p: &str| p.is_empty() || p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    let den = 10u128.checked_pow(frac.len() as u32)?;
    let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_v: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    Some((int.checked_mul(den)?.checked_add(frac_v)?, den))
}

/// "1000ubhive,5ibc/ABC" -> [(1000, "ubhive"), (5, "ibc/ABC")].
pub fn parse_coins(s: &str) -> Result<Vec<(u128, String)>, DevnetError> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| DevnetError::Config(format!("coin without denom: {part:?}")))?;
        let (amount, denom) = part.split_at(split);
        let amount = amount
            .parse::<u128>()
            .map_err(|e| DevnetError::Config(format!("coin {part:?}: {e}")))?;
        out.push((amount, denom.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_coins_parse() {
        assert_eq!(parse_decimal("0.025"), Some((25, 1000)));
        assert_eq!(parse_decimal("1"), Some((1, 1)));
        assert_eq!(parse_decimal("x"), None);
        assert_eq!(parse_decimal("."), None);
        let coins = parse_coins("1000ubhive, 5ibc/27394FB0").unwrap();
        assert_eq!(
            coins,
            vec![(1000, "ubhive".into()), (5, "ibc/27394FB0".into())]
        );
        assert!(parse_coins("ubhive").is_err());
    }

    #[test]
    fn toml_with_env_overrides() {
        let mut c: DevnetConfig = toml::from_str(
            "chain_id = \"x-1\"\nblock_time_ms = 0\n[[genesis_accounts]]\naddress = \"bithive1abc\"\ncoins = \"5ubhive\"\n",
        )
        .unwrap();
        assert_eq!(c.chain_id, "x-1");
        assert_eq!(c.block_interval(), None);
        c.apply_env(|k| (k == "BITHIVE_DEVNET_CHAIN_ID").then(|| "y-2".to_string()))
            .unwrap();
        assert_eq!(c.chain_id, "y-2");
        assert_eq!(c.genesis_accounts.len(), 1);
        assert!(c
            .apply_env(|k| (k == "BITHIVE_DEVNET_BLOCK_TIME_MS").then(|| "abc".to_string()))
            .is_err());
        c.apply_env(|k| match k {
            "BITHIVE_DEVNET_REST_LISTEN" => Some("127.0.0.1:2317".to_string()),
            "BITHIVE_DEVNET_CORS_ALLOWED_ORIGINS" => Some(" http://x , ".to_string()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            c.rest_addr(),
            "127.0.0.1:2317".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(c.cors_allowed_origins, vec!["http://x".to_string()]);
        assert!(c
            .apply_env(|k| (k == "BITHIVE_DEVNET_REST_LISTEN").then(|| "x".to_string()))
            .is_err());
        let t: DevnetConfig =
            toml::from_str("rest_listen = \"127.0.0.1:9\"\ncors_allowed_origins = []\n").unwrap();
        assert_eq!(t.rest_addr().port(), 9);
        assert!(t.cors_allowed_origins.is_empty());
    }
}
