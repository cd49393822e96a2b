//! A Hermes config (`config.toml`, the Hermes 1.10 layout) for two chains and the channels
//! between them:
//! clients refreshed, packets relayed and cleared on start, connection and channel handshakes
//! left to explicit `hermes create` commands, and on each chain a packet filter that allows
//! exactly the link's channels (an empty link relays nothing: create the channels, then write
//! the config again).

use serde::Serialize;

use crate::{invalid, validate_channels, ChainEndpoint, Channel, ChannelEnd, Error};

/// What the caller chooses beside the chains' facts.
#[derive(Clone, Debug)]
pub struct HermesOptions {
    pub log_level: String,
    /// Prometheus telemetry (`host`, `port`); None: off.
    pub telemetry: Option<(String, u16)>,
    /// Blocks between Hermes's pending-packet sweeps (0: only on start).
    pub clear_interval: u64,
    /// Hermes's own keyring directory for both chains; None: `~/.hermes/keys`.
    pub key_store_folder: Option<String>,
}

impl Default for HermesOptions {
    fn default() -> Self {
        HermesOptions {
            log_level: "info".into(),
            telemetry: None,
            clear_interval: 100,
            key_store_folder: None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct HermesConfig {
    pub global: Global,
    pub mode: Mode,
    pub rest: Service,
    pub telemetry: Service,
    pub chains: Vec<ChainConfig>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Global {
    pub log_level: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Mode {
    pub clients: Clients,
    pub connections: Enabled,
    pub channels: Enabled,
    pub packets: Packets,
}

#[derive(Clone, Debug, Serialize)]
pub struct Clients {
    pub enabled: bool,
    pub refresh: bool,
    pub misbehaviour: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Packets {
    pub enabled: bool,
    pub clear_interval: u64,
    pub clear_on_start: bool,
    pub tx_confirmation: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChainConfig {
    pub id: String,
    #[serde(rename = "type")]
    pub chain_type: String,
    pub rpc_addr: String,
    pub grpc_addr: String,
    pub event_source: EventSource,
    pub rpc_timeout: String,
    pub trusted_node: bool,
    pub account_prefix: String,
    pub key_name: String,
    pub key_store_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_store_folder: Option<String>,
    pub store_prefix: String,
    pub default_gas: u64,
    pub max_gas: u64,
    pub gas_price: GasPrice,
    pub gas_multiplier: f64,
    pub max_msg_num: u32,
    pub max_tx_size: u64,
    pub clock_drift: String,
    pub max_block_time: String,
    pub memo_prefix: String,
    pub address_type: AddressType,
    pub packet_filter: PacketFilter,
}

/// Pull mode: Hermes reads every block's results. Its push mode subscribes to `message.module`
/// = `ibc_channel` (and client, connection) only, so a packet a CosmWasm contract sends (the
/// cw20-ics20 and attestation ports; `message.module` = `wasm`) is never seen until a periodic
/// clear, and not at all by an idle worker.
#[derive(Clone, Debug, Serialize)]
pub struct EventSource {
    pub mode: String,
    pub interval: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct GasPrice {
    pub price: f64,
    pub denom: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AddressType {
    pub derivation: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PacketFilter {
    pub policy: String,
    /// `[port, channel]` pairs.
    pub list: Vec<[String; 2]>,
}

impl HermesConfig {
    /// The config for chains `a` and `b` relaying exactly `channels` (each `a` end on chain
    /// `a`); no channels: a config for `hermes create` that relays nothing yet.
    pub fn new(
        a: &ChainEndpoint,
        b: &ChainEndpoint,
        channels: &[Channel],
        opts: &HermesOptions,
    ) -> Result<Self, Error> {
        if a.chain_id == b.chain_id || a.chain_id.is_empty() {
            return Err(invalid(
                "hermes config",
                format!(
                    "two different chains needed, got {:?} and {:?}",
                    a.chain_id, b.chain_id
                ),
            ));
        }
        validate_channels(&a.chain_id, &b.chain_id, channels)?;
        let ends_a: Vec<&ChannelEnd> = channels.iter().map(|c| &c.a).collect();
        let ends_b: Vec<&ChannelEnd> = channels.iter().map(|c| &c.b).collect();
        let (telemetry_on, t_host, t_port) = match &opts.telemetry {
            Some((h, p)) => (true, h.clone(), *p),
            None => (false, "127.0.0.1".to_string(), 3001),
        };
        Ok(HermesConfig {
            global: Global {
                log_level: opts.log_level.clone(),
            },
            mode: Mode {
                clients: Clients {
                    enabled: true,
                    refresh: true,
                    misbehaviour: true,
                },
                connections: Enabled { enabled: false },
                channels: Enabled { enabled: false },
                packets: Packets {
                    enabled: true,
                    clear_interval: opts.clear_interval,
                    clear_on_start: true,
                    tx_confirmation: true,
                },
            },
            rest: Service {
                enabled: false,
                host: "127.0.0.1".into(),
                port: 3000,
            },
            telemetry: Service {
                enabled: telemetry_on,
                host: t_host,
                port: t_port,
            },
            chains: vec![chain(a, &ends_a, opts)?, chain(b, &ends_b, opts)?],
        })
    }

    pub fn to_toml(&self) -> Result<String, Error> {
        toml::to_string(self).map_err(|e| Error::Serialize {
            what: "hermes config",
            message: e.to_string(),
        })
    }
}

fn chain(
    e: &ChainEndpoint,
    ends: &[&ChannelEnd],
    opts: &HermesOptions,
) -> Result<ChainConfig, Error> {
    e.validate()?;
    if e.grpc.is_empty() {
        return Err(invalid(
            format!("{} grpc", e.chain_id),
            "Hermes queries each chain over gRPC: its URL is needed",
        ));
    }
    Ok(ChainConfig {
        id: e.chain_id.clone(),
        chain_type: "CosmosSdk".into(),
        rpc_addr: e.rpc.clone(),
        grpc_addr: e.grpc.clone(),
        event_source: EventSource {
            mode: "pull".into(),
            interval: "500ms".into(),
        },
        rpc_timeout: "10s".into(),
        trusted_node: false,
        account_prefix: e.account_prefix.clone(),
        key_name: e.key_name.clone(),
        key_store_type: "Test".into(),
        key_store_folder: opts.key_store_folder.clone(),
        store_prefix: "ibc".into(),
        default_gas: 300_000,
        // wasmd's CosmWasm packet handlers (cw20-ics20 receive, attestation dispatch) need more
        // than a transfer module packet; the cap stays far below a block's gas limit.
        max_gas: 6_000_000,
        gas_price: GasPrice {
            price: e.gas_price,
            denom: e.gas_denom.clone(),
        },
        gas_multiplier: 1.3,
        max_msg_num: 30,
        max_tx_size: 180_000,
        clock_drift: "5s".into(),
        max_block_time: "30s".into(),
        memo_prefix: "relayed by hermes for bithive".into(),
        address_type: AddressType {
            derivation: "cosmos".into(),
        },
        packet_filter: PacketFilter {
            policy: "allow".into(),
            list: ends
                .iter()
                .map(|c| [c.port_id.clone(), c.channel_id.clone()])
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(chain_id: &str, prefix: &str) -> ChainEndpoint {
        ChainEndpoint {
            chain_id: chain_id.into(),
            rpc: "http://127.0.0.1:26657".into(),
            grpc: "http://127.0.0.1:9090".into(),
            account_prefix: prefix.into(),
            key_name: "relayer".into(),
            gas_denom: "ubhive".into(),
            gas_price: 0.025,
        }
    }

    #[test]
    fn filters_allow_exactly_the_links_channels_on_each_side() {
        let mut link = crate::tests::link();
        link.channels[0].b.channel_id = "channel-7".into();
        let cfg = HermesConfig::new(
            &endpoint("bithive-a-1", "bithive"),
            &endpoint("wasm-b-2", "wasm"),
            &link.channels,
            &HermesOptions::default(),
        )
        .unwrap();
        assert_eq!(
            cfg.chains[0].packet_filter.list,
            vec![["transfer".to_string(), "channel-0".into()]]
        );
        assert_eq!(
            cfg.chains[1].packet_filter.list,
            vec![["transfer".to_string(), "channel-7".into()]]
        );
        assert_eq!(cfg.chains[0].event_source.mode, "pull");
        let text = cfg.to_toml().unwrap();
        let back: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(back["chains"][1]["id"].as_str(), Some("wasm-b-2"));
        assert_eq!(back["chains"][1]["type"].as_str(), Some("CosmosSdk"));
        assert_eq!(
            back["chains"][0]["packet_filter"]["policy"].as_str(),
            Some("allow")
        );
    }

    #[test]
    fn two_chains_valid_urls_and_no_channels_relays_nothing() {
        let link = crate::tests::link();
        let a = endpoint("bithive-a-1", "bithive");
        let o = HermesOptions::default();
        assert!(HermesConfig::new(&a, &a.clone(), &link.channels, &o).is_err());
        let mut bad = endpoint("wasm-b-2", "wasm");
        bad.rpc = "ftp://x".into();
        assert!(HermesConfig::new(&a, &bad, &link.channels, &o).is_err());
        let mut bad = endpoint("wasm-b-2", "wasm");
        bad.gas_price = f64::NAN;
        assert!(HermesConfig::new(&a, &bad, &link.channels, &o).is_err());
        // Issue #43: a chain id from deployment.json with a newline (an injected `[[chains]]`
        // entry in the config), a gRPC URL of another scheme, a denom that is no denom.
        for edit in [
            |e: &mut ChainEndpoint| e.chain_id = "wasm-b-2\n[[chains]]\nid = \"evil\"".into(),
            |e: &mut ChainEndpoint| e.chain_id = "x".repeat(51),
            |e: &mut ChainEndpoint| e.grpc = "file:///etc/passwd".into(),
            |e: &mut ChainEndpoint| e.grpc = "javascript:alert(1)".into(),
            |e: &mut ChainEndpoint| e.gas_denom = "1bad".into(),
            |e: &mut ChainEndpoint| e.gas_denom = "u b".into(),
            |e: &mut ChainEndpoint| e.key_name = "relayer\nx".into(),
            |e: &mut ChainEndpoint| e.account_prefix = "Wasm".into(),
        ] {
            let mut bad = endpoint("wasm-b-2", "wasm");
            edit(&mut bad);
            assert!(
                HermesConfig::new(&a, &bad, &link.channels, &o).is_err(),
                "{bad:?}"
            );
        }
        let mut no_grpc = endpoint("wasm-b-2", "wasm");
        no_grpc.grpc = String::new();
        let err = HermesConfig::new(&a, &no_grpc, &link.channels, &o).unwrap_err();
        assert!(err.to_string().contains("gRPC"), "{err}");
        let empty = HermesConfig::new(&a, &endpoint("wasm-b-2", "wasm"), &[], &o).unwrap();
        assert!(empty.chains.iter().all(|c| c.packet_filter.list.is_empty()));
        assert_eq!(empty.chains[0].packet_filter.policy, "allow");
    }
}
