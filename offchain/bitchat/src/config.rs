//! Daemon configuration: TOML file with `BITCHAT_*` environment overrides.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::endpoint::EndpointLimits;
use crate::error::BitChatError;
use crate::registry::PeerRecord;

#[derive(Debug, Clone, Deserialize)]
pub struct PeerEntry {
    /// Compressed secp256k1 account key, hex.
    pub account_pubkey: String,
    /// X25519 Noise static key, hex.
    pub noise_pubkey: String,
    pub addr: Option<SocketAddr>,
}

impl PeerEntry {
    pub fn record(&self) -> Result<PeerRecord, BitChatError> {
        let bad = |what: &str| BitChatError::Config(format!("bad {what} in peer entry"));
        Ok(PeerRecord {
            account_pubkey: hex::decode(&self.account_pubkey)
                .map_err(|_| bad("account_pubkey"))?
                .try_into()
                .map_err(|_| bad("account_pubkey"))?,
            noise_pubkey: hex::decode(&self.noise_pubkey)
                .map_err(|_| bad("noise_pubkey"))?
                .try_into()
                .map_err(|_| bad("noise_pubkey"))?,
            addr: self.addr,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DaemonConfig {
    pub listen: SocketAddr,
    #[serde(default = "default_cc")]
    pub congestion: String,
    pub data_dir: PathBuf,
    /// File holding the 32-byte account secret as hex (never logged).
    pub account_secret_file: PathBuf,
    #[serde(default)]
    pub relay: bool,
    #[serde(default)]
    pub relays: Vec<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
    /// Connection cap and read/write deadlines of the `/metrics` listener.
    #[serde(default)]
    pub metrics_limits: EndpointLimits,
    #[serde(default)]
    pub peers: Vec<PeerEntry>,
}

fn default_cc() -> String {
    "bitchat".to_string()
}

impl DaemonConfig {
    pub fn from_toml(text: &str) -> Result<Self, BitChatError> {
        toml::from_str(text).map_err(|e| BitChatError::Config(e.to_string()))
    }

    /// Apply `BITCHAT_LISTEN`, `BITCHAT_CONGESTION`, `BITCHAT_DATA_DIR`,
    /// `BITCHAT_METRICS_LISTEN`, `BITCHAT_RELAY`, `BITCHAT_ACCOUNT_SECRET_FILE`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), BitChatError> {
        let parse_addr = |v: String| {
            v.parse::<SocketAddr>()
                .map_err(|e| BitChatError::Config(format!("{v}: {e}")))
        };
        if let Some(v) = get("BITCHAT_LISTEN") {
            self.listen = parse_addr(v)?;
        }
        if let Some(v) = get("BITCHAT_CONGESTION") {
            self.congestion = v;
        }
        if let Some(v) = get("BITCHAT_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("BITCHAT_METRICS_LISTEN") {
            self.metrics_listen = Some(parse_addr(v)?);
        }
        if let Some(v) = get("BITCHAT_RELAY") {
            self.relay = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("BITCHAT_ACCOUNT_SECRET_FILE") {
            self.account_secret_file = v.into();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_env_overrides() {
        let text = r#"
            listen = "127.0.0.1:7400"
            data_dir = "/tmp/bc"
            account_secret_file = "/tmp/secret"
            relay = true
            [[peers]]
            account_pubkey = "02aa"
            noise_pubkey = "bb"
        "#;
        let mut c = DaemonConfig::from_toml(text).unwrap();
        assert_eq!(c.congestion, "bitchat");
        assert!(c.peers[0].record().is_err(), "short keys are refused");
        c.apply_env(|k| match k {
            "BITCHAT_LISTEN" => Some("127.0.0.1:9000".into()),
            "BITCHAT_CONGESTION" => Some("cubic".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.congestion, "cubic");
        assert!(c
            .apply_env(|k| (k == "BITCHAT_LISTEN").then(|| "nope".into()))
            .is_err());
    }
}
