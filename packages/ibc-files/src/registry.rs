//! The Cosmos chain-registry IBC file, `_IBC/<chain_1>-<chain_2>.json`
//! (`ibc_data.schema.json`): the two chains in alphabetical order of their registry names, the
//! clients and connection, and each channel with its ordering and version.

use serde::Serialize;

use crate::{Error, Link, Ordering};

pub const SCHEMA_REF: &str = "../ibc_data.schema.json";

#[derive(Clone, Debug, Serialize)]
pub struct IbcData {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub chain_1: ChainInfo,
    pub chain_2: ChainInfo,
    pub channels: Vec<ChannelPair>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChainInfo {
    pub chain_name: String,
    pub chain_id: String,
    pub client_id: String,
    pub connection_id: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChannelPair {
    pub chain_1: ChannelInfo,
    pub chain_2: ChannelInfo,
    pub ordering: Ordering,
    pub version: String,
    pub tags: Tags,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChannelInfo {
    pub channel_id: String,
    pub port_id: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tags {
    pub preferred: bool,
    pub status: &'static str,
}

impl IbcData {
    /// The registry's file for `link`; its channels are listed as ACTIVE (the caller lists only
    /// open ones) and preferred.
    pub fn new(link: &Link) -> Result<Self, Error> {
        Self::with_preference(link, true)
    }

    /// As [`IbcData::new`], the channels tagged `preferred` or not: of two connections between
    /// the same chains, a wallet or bridge UI takes the preferred one's channels.
    pub fn with_preference(link: &Link, preferred: bool) -> Result<Self, Error> {
        link.validate()?;
        let swap = link.a.chain_name > link.b.chain_name;
        let (one, two) = if swap {
            (&link.b, &link.a)
        } else {
            (&link.a, &link.b)
        };
        let info = |e: &crate::LinkEnd| ChainInfo {
            chain_name: e.chain_name.clone(),
            chain_id: e.chain_id.clone(),
            client_id: e.client_id.clone(),
            connection_id: e.connection_id.clone(),
        };
        let end = |e: &crate::ChannelEnd| ChannelInfo {
            channel_id: e.channel_id.clone(),
            port_id: e.port_id.clone(),
        };
        Ok(IbcData {
            schema: SCHEMA_REF.into(),
            chain_1: info(one),
            chain_2: info(two),
            channels: link
                .channels
                .iter()
                .map(|c| {
                    let (x, y) = if swap { (&c.b, &c.a) } else { (&c.a, &c.b) };
                    ChannelPair {
                        chain_1: end(x),
                        chain_2: end(y),
                        ordering: c.ordering,
                        version: c.version.clone(),
                        tags: Tags {
                            preferred,
                            status: "ACTIVE",
                        },
                    }
                })
                .collect(),
        })
    }

    /// `<chain_1>-<chain_2>.json`, the name the registry gives the file in `_IBC/`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.json",
            self.chain_1.chain_name, self.chain_2.chain_name
        )
    }

    /// `<chain_1>-<chain_2>.<chain_1's connection id>.json`: the registry names one file per
    /// pair of chains, so a second connection between them gets its own name beside it.
    pub fn connection_file_name(&self) -> String {
        format!(
            "{}-{}.{}.json",
            self.chain_1.chain_name, self.chain_2.chain_name, self.chain_1.connection_id
        )
    }

    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialize {
            what: "ibc data",
            message: e.to_string(),
        })
    }
}
