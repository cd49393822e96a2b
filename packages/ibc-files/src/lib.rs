//! The files an IBC operator needs for a BitHive deployment's channels, built from facts the
//! caller queried from the chains (this crate does no I/O):
//! - [`hermes::HermesConfig`]: a Hermes relayer config for two chains, whose packet filters allow
//!   exactly the deployment's channels;
//! - [`rly::ChainFile`] and [`rly::PathFile`]: the Go relayer's chain and path files, its
//!   channel filter allowing exactly the deployment's channels;
//! - [`registry::IbcData`]: the Cosmos chain-registry `_IBC/<a>-<b>.json` file.
//!
//! A [`Link`] is what both are made from: two chains, the client and connection each holds for
//! the other, and the channels between them.

pub mod hermes;
pub mod registry;
pub mod rly;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
    #[error("serialising {what}: {message}")]
    Serialize { what: &'static str, message: String },
}

fn invalid(what: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Invalid {
        what: what.into(),
        message: message.into(),
    }
}

/// How to reach a chain and pay for a relayer's transactions on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainEndpoint {
    pub chain_id: String,
    /// CometBFT RPC, `http(s)://host:port`.
    pub rpc: String,
    /// Cosmos SDK gRPC, `http(s)://host:port`: Hermes's; empty where only rly is configured
    /// (rly queries over CometBFT RPC).
    pub grpc: String,
    pub account_prefix: String,
    /// The relayer's key in its keyring (`hermes keys add --key-name`).
    pub key_name: String,
    pub gas_denom: String,
    pub gas_price: f64,
}

impl ChainEndpoint {
    /// What a relayer's config may be written from (issue #43: a chain id or key name with a
    /// newline wrote its own entries into `hermes.toml`): a chain id of 1 to 50 of
    /// `A-Z a-z 0-9 . _ -` (CometBFT's bound), `http(s)` RPC and gRPC URLs, a Cosmos SDK denom
    /// (`[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`), a finite price >= 0, a lowercase bech32 prefix, a
    /// key name of printable ASCII without spaces.
    pub fn validate(&self) -> Result<(), Error> {
        let id = &self.chain_id;
        let id_ok = (1..=50).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !id_ok {
            return Err(invalid(
                "chain id",
                format!("{id:?}: 1 to 50 of A-Z a-z 0-9 . _ -"),
            ));
        }
        for (what, u) in [("rpc", &self.rpc), ("grpc", &self.grpc)] {
            if what == "grpc" && u.is_empty() {
                continue;
            }
            // The URL parser drops tabs and newlines; the raw string is what gets written.
            if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(
                    format!("{id} {what}"),
                    format!("{u:?}: no spaces or control characters"),
                ));
            }
            let url = url::Url::parse(u)
                .map_err(|err| invalid(format!("{id} {what}"), format!("{u:?}: {err}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(invalid(
                    format!("{id} {what}"),
                    format!("{u:?}: an http or https URL with a host"),
                ));
            }
        }
        let d = self.gas_denom.as_bytes();
        let denom_ok = (3..=128).contains(&d.len())
            && d[0].is_ascii_alphabetic()
            && d.iter()
                .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(b));
        if !denom_ok {
            return Err(invalid(
                format!("{id} gas denom"),
                format!("{:?}: [a-zA-Z][a-zA-Z0-9/:._-]{{2,127}}", self.gas_denom),
            ));
        }
        if !(self.gas_price.is_finite() && self.gas_price >= 0.0) {
            return Err(invalid(
                format!("{id} gas price"),
                self.gas_price.to_string(),
            ));
        }
        let p = &self.account_prefix;
        if !(1..=83).contains(&p.len())
            || !p
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(invalid(
                format!("{id} account prefix"),
                format!("{p:?}: a lowercase bech32 prefix"),
            ));
        }
        let k = &self.key_name;
        if k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                format!("{id} key name"),
                format!("{k:?}: 1 to 64 printable characters, no spaces"),
            ));
        }
        Ok(())
    }
}

/// One end of a channel.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChannelEnd {
    pub port_id: String,
    pub channel_id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ordering {
    Ordered,
    Unordered,
}

/// A channel between the two chains of a [`Link`]: `a` on `Link::a`, `b` on `Link::b`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub a: ChannelEnd,
    pub b: ChannelEnd,
    pub ordering: Ordering,
    pub version: String,
}

/// A chain's side of a link: its id, its registry name, and its light client of the other
/// chain with the connection built on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkEnd {
    pub chain_id: String,
    pub chain_name: String,
    pub client_id: String,
    pub connection_id: String,
}

/// Two chains joined by one connection, and the channels on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub a: LinkEnd,
    pub b: LinkEnd,
    pub channels: Vec<Channel>,
}

impl Link {
    /// Identifiers are ICS-24 identifiers (the checks ibc-go makes), channels distinct, the two
    /// chains different.
    pub fn validate(&self) -> Result<(), Error> {
        if self.a.chain_id == self.b.chain_id {
            return Err(invalid(
                "link",
                format!("both ends are chain {}", self.a.chain_id),
            ));
        }
        for end in [&self.a, &self.b] {
            identifier(
                &format!("{} client_id", end.chain_id),
                &end.client_id,
                9,
                64,
            )?;
            identifier(
                &format!("{} connection_id", end.chain_id),
                &end.connection_id,
                10,
                64,
            )?;
            // A chain name names the `_IBC/<a>-<b>.json` file: chain-registry's `[a-z0-9]+`,
            // never a path (issue #43).
            let name_ok = !end.chain_name.is_empty()
                && end
                    .chain_name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if end.chain_id.is_empty() || !name_ok {
                return Err(invalid(
                    "link",
                    format!(
                        "chain id {:?} empty, or chain name {:?} not [a-z0-9]+",
                        end.chain_id, end.chain_name
                    ),
                ));
            }
        }
        validate_channels(&self.a.chain_id, &self.b.chain_id, &self.channels)
    }
}

/// Each channel end an ICS-24 port and channel identifier, none listed twice.
pub fn validate_channels(chain_a: &str, chain_b: &str, channels: &[Channel]) -> Result<(), Error> {
    let mut seen = std::collections::BTreeSet::new();
    for c in channels {
        for (end, chain) in [(&c.a, chain_a), (&c.b, chain_b)] {
            let what = format!("{chain} channel {}/{}", end.port_id, end.channel_id);
            identifier(&what, &end.port_id, 2, 128)?;
            identifier(&what, &end.channel_id, 8, 64)?;
            if !seen.insert((chain.to_string(), end.clone())) {
                return Err(invalid(what, "listed twice"));
            }
        }
        if c.version.is_empty() {
            return Err(invalid("channel version", "empty"));
        }
    }
    Ok(())
}

/// ICS-24: `[a-zA-Z0-9.\_+\-#\[\]<>]`, with the length bounds of the identifier kind.
fn identifier(what: &str, id: &str, min: usize, max: usize) -> Result<(), Error> {
    if id.len() < min || id.len() > max {
        return Err(invalid(
            what,
            format!("identifier {id:?} must be {min} to {max} characters"),
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "._+-#[]<>".contains(c);
    if let Some(c) = id.chars().find(|&c| !ok(c)) {
        return Err(invalid(
            what,
            format!("identifier {id:?} has the character {c:?}, outside ICS-24's set"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn link() -> Link {
        Link {
            a: LinkEnd {
                chain_id: "bithive-a-1".into(),
                chain_name: "bithivea".into(),
                client_id: "07-tendermint-0".into(),
                connection_id: "connection-0".into(),
            },
            b: LinkEnd {
                chain_id: "wasm-b-2".into(),
                chain_name: "wasmb".into(),
                client_id: "07-tendermint-0".into(),
                connection_id: "connection-0".into(),
            },
            channels: vec![Channel {
                a: ChannelEnd {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                },
                b: ChannelEnd {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                },
                ordering: Ordering::Unordered,
                version: "ics20-1".into(),
            }],
        }
    }

    #[test]
    fn a_valid_link_passes() {
        link().validate().unwrap();
    }

    #[test]
    fn bad_identifiers_and_duplicates_are_refused() {
        let mut l = link();
        l.b.chain_id = l.a.chain_id.clone();
        assert!(l.validate().is_err());
        let mut l = link();
        l.a.connection_id = "connection 0".into();
        assert!(l.validate().unwrap_err().to_string().contains("ICS-24"));
        let mut l = link();
        l.channels[0].b.port_id = "x".into();
        assert!(l.validate().is_err());
        let mut l = link();
        l.channels.push(l.channels[0].clone());
        assert!(l.validate().unwrap_err().to_string().contains("twice"));
    }
}

/// The denom ibc-go's transfer module mints for `base` arriving over `path`
/// (`port/channel[/port/channel...]`): `ibc/` and the upper-case hex SHA-256 of `path/base`.
pub fn ibc_denom(path: &str, base: &str) -> String {
    use sha2::{Digest, Sha256};
    let full = format!("{path}/{base}");
    let hash = Sha256::digest(full.as_bytes());
    let mut s = String::with_capacity(4 + 64);
    s.push_str("ibc/");
    for b in hash {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// `cw20:<contract>`: the ICS-20 denom cw20-ics20 sends a cw20 token under.
pub fn cw20_denom(contract: &str) -> String {
    format!("cw20:{contract}")
}

#[cfg(test)]
mod denom_tests {
    #[test]
    fn ibc_gos_vector() {
        // ibc-go's own example (docs/apps/transfer and the issue): transfer/channel-0/uatom.
        assert_eq!(
            super::ibc_denom("transfer/channel-0", "uatom"),
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        );
    }
}
