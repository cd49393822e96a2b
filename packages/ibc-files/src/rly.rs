//! The Go relayer's files (`rly`, cosmos/relayer v2.6): a chain file per chain for
//! `rly chains add --file`, and a path file per connection for `rly paths add --file`, whose
//! channel filter allows exactly the link's channels.
//!
//! What rly reads, from its v2.6.0 source (`relayer/chains/cosmos/provider.go`,
//! `relayer/path.go`):
//! - only `rpc-addr`: rly has no gRPC client (its queries are ABCI queries over CometBFT RPC);
//! - `min-loop-duration` in nanoseconds: a chain counts as "in sync" only when at most one block
//!   appeared between two of its polls, and nothing is relayed (handshakes and `tx flush` wait
//!   until they time out) before both chains are; with blocks faster than the default 1 s poll
//!   it never is, so the poll has to be shorter than a block;
//! - the path's filter names channel ids of the path's `src` chain only (ports play no part).

use std::time::Duration;

use serde::Serialize;

use crate::{invalid, ChainEndpoint, Error, Link};

/// What the caller chooses beside the chains' facts.
#[derive(Clone, Debug)]
pub struct RlyOptions {
    /// How often rly polls each chain for new blocks: below the chain's block interval
    /// (see the module's docs). `bithive ibc files` measures the interval.
    pub min_loop_duration: Duration,
    /// Simulated gas times this is what a transaction asks for.
    pub gas_adjustment: f64,
}

impl Default for RlyOptions {
    fn default() -> Self {
        RlyOptions {
            min_loop_duration: DEFAULT_MIN_LOOP,
            gas_adjustment: 1.5,
        }
    }
}

/// rly's own default poll.
pub const DEFAULT_MIN_LOOP: Duration = Duration::from_secs(1);
/// Never poll more often than this: a public node's rate limits.
pub const FASTEST_LOOP: Duration = Duration::from_millis(50);

/// The poll for a chain whose blocks come every `block_interval`: a third of it, so that two
/// polls nearly always see at most one new block, between [`FASTEST_LOOP`] and rly's default.
pub fn min_loop_for(block_interval: Duration) -> Duration {
    (block_interval / 3).clamp(FASTEST_LOOP, DEFAULT_MIN_LOOP)
}

/// `{"type": "cosmos", "value": {...}}`, what `rly chains add --file` reads.
#[derive(Clone, Debug, Serialize)]
pub struct ChainFile {
    #[serde(rename = "type")]
    pub chain_type: &'static str,
    pub value: CosmosChain,
}

/// rly's `CosmosProviderConfig` (the fields this file sets; rly fills the rest with zeroes).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CosmosChain {
    pub key: String,
    pub chain_id: String,
    pub rpc_addr: String,
    pub account_prefix: String,
    pub keyring_backend: &'static str,
    pub gas_adjustment: f64,
    pub gas_prices: String,
    pub debug: bool,
    /// A Go duration string.
    pub timeout: &'static str,
    pub output_format: &'static str,
    pub sign_mode: &'static str,
    pub broadcast_mode: &'static str,
    /// Nanoseconds: Go's `time.Duration` (an int64) in JSON.
    pub min_loop_duration: i64,
    pub extra_codecs: Vec<String>,
    pub extension_options: Vec<serde_json::Value>,
}

impl ChainFile {
    pub fn new(e: &ChainEndpoint, opts: &RlyOptions) -> Result<Self, Error> {
        e.validate()?;
        if !(opts.gas_adjustment.is_finite() && opts.gas_adjustment > 0.0) {
            return Err(invalid(
                "rly gas adjustment",
                format!("{}: a number above 0", opts.gas_adjustment),
            ));
        }
        Ok(ChainFile {
            chain_type: "cosmos",
            value: CosmosChain {
                key: e.key_name.clone(),
                chain_id: e.chain_id.clone(),
                rpc_addr: e.rpc.clone(),
                account_prefix: e.account_prefix.clone(),
                keyring_backend: "test",
                gas_adjustment: opts.gas_adjustment,
                gas_prices: format!("{}{}", e.gas_price, e.gas_denom),
                debug: false,
                timeout: "10s",
                output_format: "json",
                sign_mode: "direct",
                broadcast_mode: "batch",
                min_loop_duration: i64::try_from(opts.min_loop_duration.as_nanos())
                    .unwrap_or(i64::MAX),
                extra_codecs: Vec::new(),
                extension_options: Vec::new(),
            },
        })
    }

    /// The name `rly keys restore` and `rly chains` take: the chain id, as the file's name.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.value.chain_id)
    }

    pub fn to_json(&self) -> Result<String, Error> {
        to_json("rly chain file", self)
    }
}

/// What `rly paths add SRC DST NAME --file` reads.
#[derive(Clone, Debug, Serialize)]
pub struct PathFile {
    pub src: PathEnd,
    pub dst: PathEnd,
    #[serde(rename = "src-channel-filter")]
    pub filter: ChannelFilter,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PathEnd {
    pub chain_id: String,
    /// Absent until a client exists (`rly tx link` creates it and writes it into rly's config).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ChannelFilter {
    /// Always `allowlist`: rly relays the listed channels and nothing else.
    pub rule: &'static str,
    /// Channel ids on the path's `src` chain.
    pub channel_list: Vec<String>,
}

impl PathFile {
    /// The path for `link`, its filter allowing exactly the link's channels.
    pub fn for_link(link: &Link) -> Result<Self, Error> {
        link.validate()?;
        let end = |e: &crate::LinkEnd| PathEnd {
            chain_id: e.chain_id.clone(),
            client_id: Some(e.client_id.clone()),
            connection_id: Some(e.connection_id.clone()),
        };
        Ok(PathFile {
            src: end(&link.a),
            dst: end(&link.b),
            filter: ChannelFilter {
                rule: "allowlist",
                channel_list: link
                    .channels
                    .iter()
                    .map(|c| c.a.channel_id.clone())
                    .collect(),
            },
        })
    }

    /// A path between two chains that have no connection yet, for `rly tx link`: it relays
    /// nothing until the channels exist and the files are written again.
    pub fn unlinked(a: &ChainEndpoint, b: &ChainEndpoint) -> Result<Self, Error> {
        a.validate()?;
        b.validate()?;
        if a.chain_id == b.chain_id {
            return Err(invalid(
                "rly path",
                format!("both ends are chain {}", a.chain_id),
            ));
        }
        let end = |e: &ChainEndpoint| PathEnd {
            chain_id: e.chain_id.clone(),
            client_id: None,
            connection_id: None,
        };
        Ok(PathFile {
            src: end(a),
            dst: end(b),
            filter: ChannelFilter {
                rule: "allowlist",
                channel_list: Vec::new(),
            },
        })
    }

    pub fn to_json(&self) -> Result<String, Error> {
        to_json("rly path file", self)
    }
}

fn to_json<T: Serialize>(what: &'static str, v: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(v).map_err(|e| Error::Serialize {
        what,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(chain_id: &str, prefix: &str) -> ChainEndpoint {
        ChainEndpoint {
            chain_id: chain_id.into(),
            rpc: "http://127.0.0.1:26657".into(),
            grpc: String::new(),
            account_prefix: prefix.into(),
            key_name: "relayer".into(),
            gas_denom: "ubhive".into(),
            gas_price: 0.025,
        }
    }

    #[test]
    fn the_poll_is_a_third_of_a_block_within_bounds() {
        assert_eq!(
            min_loop_for(Duration::from_millis(300)),
            Duration::from_millis(100)
        );
        assert_eq!(min_loop_for(Duration::from_millis(60)), FASTEST_LOOP);
        assert_eq!(min_loop_for(Duration::from_secs(6)), DEFAULT_MIN_LOOP);
    }

    #[test]
    fn a_chain_file_has_what_rly_requires_and_no_grpc() {
        let opts = RlyOptions {
            min_loop_duration: Duration::from_millis(100),
            ..Default::default()
        };
        let f = ChainFile::new(&endpoint("bithive-a-1", "bithive"), &opts).unwrap();
        let v: serde_json::Value = serde_json::from_str(&f.to_json().unwrap()).unwrap();
        assert_eq!(v["type"], "cosmos");
        let c = &v["value"];
        assert_eq!(c["chain-id"], "bithive-a-1");
        assert_eq!(c["rpc-addr"], "http://127.0.0.1:26657");
        assert_eq!(c["gas-prices"], "0.025ubhive");
        assert_eq!(c["keyring-backend"], "test");
        assert_eq!(c["timeout"], "10s");
        // Go's time.Duration: an integer of nanoseconds (a string is refused by rly).
        assert_eq!(c["min-loop-duration"], 100_000_000i64);
        assert!(c.get("grpc-addr").is_none());
        assert_eq!(f.file_name(), "bithive-a-1.json");
    }

    #[test]
    fn bad_endpoints_and_adjustments_are_refused() {
        let mut e = endpoint("bithive-a-1", "bithive");
        e.rpc = "file:///etc/passwd".into();
        assert!(ChainFile::new(&e, &RlyOptions::default()).is_err());
        let e = endpoint("bithive-a-1", "bithive");
        for adj in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let o = RlyOptions {
                gas_adjustment: adj,
                ..Default::default()
            };
            assert!(ChainFile::new(&e, &o).is_err(), "{adj}");
        }
    }

    #[test]
    fn a_path_allows_exactly_the_links_channels_on_its_src_chain() {
        let mut link = crate::tests::link();
        link.channels[0].b.channel_id = "channel-7".into();
        let p = PathFile::for_link(&link).unwrap();
        let v: serde_json::Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
        assert_eq!(v["src"]["chain-id"], "bithive-a-1");
        assert_eq!(v["src"]["connection-id"], "connection-0");
        assert_eq!(v["dst"]["client-id"], "07-tendermint-0");
        assert_eq!(v["src-channel-filter"]["rule"], "allowlist");
        assert_eq!(
            v["src-channel-filter"]["channel-list"],
            serde_json::json!(["channel-0"])
        );
        let u = PathFile::unlinked(
            &endpoint("bithive-a-1", "bithive"),
            &endpoint("wasm-b-2", "wasm"),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&u.to_json().unwrap()).unwrap();
        assert!(v["src"].get("client-id").is_none());
        assert_eq!(
            v["src-channel-filter"]["channel-list"],
            serde_json::json!([])
        );
        assert!(PathFile::unlinked(
            &endpoint("bithive-a-1", "bithive"),
            &endpoint("bithive-a-1", "bithive")
        )
        .is_err());
    }
}
