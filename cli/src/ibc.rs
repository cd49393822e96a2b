//! `bithive ibc`: what an operator needs to relay a deployment's IBC traffic with Hermes (#25).
//!
//! `bithive ibc files` reads two deployments, asks each chain (over CometBFT RPC, the chains'
//! own `ibc.core` queries) which open channels join the deployments' ports (ibc-go's
//! `transfer`, each deployment's cw20-ics20 `wasm.<address>` and attestation port), checks each
//! channel from both ends, and writes:
//! - `hermes.toml`: a Hermes config whose packet filters allow exactly those channels (none yet:
//!   a config for `hermes create`, relaying nothing; write it again once the channels exist);
//! - `_IBC/<chain_1>-<chain_2>.json`: the chain-registry IBC file, once a connection has channels.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bithive_chain_client::cosmrs::proto::prost::Message;
use bithive_chain_client::{ChainError, RpcEndpoint};
use bithive_ibc_files::hermes::{HermesConfig, HermesOptions};
use bithive_ibc_files::registry::IbcData;
use bithive_ibc_files::{ChainEndpoint, Channel, ChannelEnd, Link, LinkEnd, Ordering};
use ibc_proto::cosmos::base::query::v1beta1::PageRequest;
use ibc_proto::ibc::core::channel::v1::{
    IdentifiedChannel, QueryChannelRequest, QueryChannelResponse, QueryChannelsRequest,
    QueryChannelsResponse,
};
use ibc_proto::ibc::core::client::v1::{QueryClientStateRequest, QueryClientStateResponse};
use ibc_proto::ibc::core::connection::v1::{QueryConnectionRequest, QueryConnectionResponse};
use ibc_proto::ibc::lightclients::tendermint::v1::ClientState as TmClientState;

use crate::deploy::Deployment;

pub const PATH_CHANNELS: &str = "/ibc.core.channel.v1.Query/Channels";
pub const PATH_CHANNEL: &str = "/ibc.core.channel.v1.Query/Channel";
pub const PATH_CONNECTION: &str = "/ibc.core.connection.v1.Query/Connection";
pub const PATH_CLIENT_STATE: &str = "/ibc.core.client.v1.Query/ClientState";
const TM_CLIENT_STATE: &str = "/ibc.lightclients.tendermint.v1.ClientState";
/// ibc-go's `State_STATE_OPEN`.
const STATE_OPEN: i32 = 3;
/// At most this many channels are read from a chain (pages of 200).
const MAX_CHANNELS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum IbcError {
    #[error("{chain}: {what}: {source}")]
    Chain {
        chain: String,
        what: String,
        #[source]
        source: ChainError,
    },
    #[error("{chain}: {what}: {message}")]
    Answer {
        chain: String,
        what: String,
        message: String,
    },
    #[error(transparent)]
    Files(#[from] bithive_ibc_files::Error),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One chain's side: its deployment, how the relayer reaches it, its registry name.
pub struct Side<'a> {
    pub deployment: &'a Deployment,
    pub rpc: &'a dyn RpcEndpoint,
    pub endpoint: ChainEndpoint,
    pub chain_name: String,
}

impl Side<'_> {
    fn chain(&self) -> &str {
        &self.deployment.chain_id
    }

    /// `transfer` and the deployment's IBC-enabled contracts' ports.
    pub fn ports(&self) -> BTreeSet<String> {
        let c = &self.deployment.contracts;
        let mut ports = BTreeSet::from([bithive_interface::ics20::TRANSFER_PORT.to_string()]);
        for addr in [&c.ics20, &c.attestation] {
            if !addr.is_empty() {
                ports.insert(format!("wasm.{addr}"));
            }
        }
        ports
    }

    async fn query<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        what: &str,
        req: Req,
    ) -> Result<Resp, IbcError> {
        let r = self
            .rpc
            .abci_query(path, req.encode_to_vec())
            .await
            .map_err(|source| IbcError::Chain {
                chain: self.chain().into(),
                what: what.into(),
                source,
            })?;
        if r.code != 0 {
            return Err(self.answer(what, format!("code {}: {}", r.code, r.log)));
        }
        Resp::decode(r.value.as_slice()).map_err(|e| self.answer(what, e.to_string()))
    }

    fn answer(&self, what: &str, message: String) -> IbcError {
        IbcError::Answer {
            chain: self.chain().into(),
            what: what.into(),
            message,
        }
    }

    async fn channels(&self) -> Result<Vec<IdentifiedChannel>, IbcError> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let page: QueryChannelsResponse = self
                .query(
                    PATH_CHANNELS,
                    "channels",
                    QueryChannelsRequest {
                        pagination: Some(PageRequest {
                            key: key.clone(),
                            limit: 200,
                            ..Default::default()
                        }),
                    },
                )
                .await?;
            out.extend(page.channels);
            key = page.pagination.map(|p| p.next_key).unwrap_or_default();
            if key.is_empty() {
                return Ok(out);
            }
            if out.len() >= MAX_CHANNELS {
                return Err(self.answer("channels", format!("more than {MAX_CHANNELS}")));
            }
        }
    }

    /// The connection's client, the counterparty's connection and client, and the chain id the
    /// client tracks.
    async fn connection(&self, id: &str) -> Result<ConnectionFacts, IbcError> {
        let what = format!("connection {id}");
        let c: QueryConnectionResponse = self
            .query(
                PATH_CONNECTION,
                &what,
                QueryConnectionRequest {
                    connection_id: id.into(),
                },
            )
            .await?;
        let c = c
            .connection
            .ok_or_else(|| self.answer(&what, "not found".into()))?;
        let cp = c
            .counterparty
            .ok_or_else(|| self.answer(&what, "no counterparty".into()))?;
        let cs: QueryClientStateResponse = self
            .query(
                PATH_CLIENT_STATE,
                &format!("client {}", c.client_id),
                QueryClientStateRequest {
                    client_id: c.client_id.clone(),
                },
            )
            .await?;
        let any = cs
            .client_state
            .ok_or_else(|| self.answer(&what, "client has no state".into()))?;
        let tracked = if any.type_url == TM_CLIENT_STATE {
            TmClientState::decode(any.value.as_slice())
                .map_err(|e| self.answer(&what, format!("client state: {e}")))?
                .chain_id
        } else {
            // Not a Tendermint light client (e.g. a solo machine): not a link to a chain.
            String::new()
        };
        Ok(ConnectionFacts {
            client_id: c.client_id,
            counterparty_connection: cp.connection_id,
            counterparty_client: cp.client_id,
            tracked_chain: tracked,
        })
    }

    async fn channel(
        &self,
        port: &str,
        channel: &str,
    ) -> Result<Option<IdentifiedChannel>, IbcError> {
        let r: QueryChannelResponse = self
            .query(
                PATH_CHANNEL,
                &format!("channel {port}/{channel}"),
                QueryChannelRequest {
                    port_id: port.into(),
                    channel_id: channel.into(),
                },
            )
            .await?;
        Ok(r.channel.map(|c| IdentifiedChannel {
            state: c.state,
            ordering: c.ordering,
            counterparty: c.counterparty,
            connection_hops: c.connection_hops,
            version: c.version,
            port_id: port.into(),
            channel_id: channel.into(),
            upgrade_sequence: c.upgrade_sequence,
        }))
    }
}

struct ConnectionFacts {
    client_id: String,
    counterparty_connection: String,
    counterparty_client: String,
    tracked_chain: String,
}

/// What discovery found: the channels between the two deployments (checked from both ends),
/// and the link (None until a connection carries one).
#[derive(Debug)]
pub struct Discovered {
    pub channels: Vec<Channel>,
    pub link: Option<Link>,
    pub notes: Vec<String>,
}

/// The open channels joining `a`'s ports to `b`'s over a connection whose light client tracks
/// `b`'s chain, each confirmed open on `b` with `a` as its counterparty.
pub async fn discover(a: &Side<'_>, b: &Side<'_>) -> Result<Discovered, IbcError> {
    let (ports_a, ports_b) = (a.ports(), b.ports());
    let mut notes = Vec::new();
    let mut conns: BTreeMap<String, ConnectionFacts> = BTreeMap::new();
    let mut by_conn: BTreeMap<String, Vec<Channel>> = BTreeMap::new();
    for ch in a.channels().await? {
        let Some(cp) = &ch.counterparty else { continue };
        if ch.state != STATE_OPEN
            || !ports_a.contains(&ch.port_id)
            || !ports_b.contains(&cp.port_id)
        {
            continue;
        }
        let Some(conn) = ch.connection_hops.first() else {
            continue;
        };
        if !conns.contains_key(conn) {
            let facts = a.connection(conn).await?;
            conns.insert(conn.clone(), facts);
        }
        let facts = &conns[conn];
        if facts.tracked_chain != b.chain() {
            continue;
        }
        // The other end must agree: open, pointing back at this channel.
        let there = b.channel(&cp.port_id, &cp.channel_id).await?;
        let agrees = there.as_ref().is_some_and(|t| {
            t.state == STATE_OPEN
                && t.counterparty
                    .as_ref()
                    .is_some_and(|c| c.port_id == ch.port_id && c.channel_id == ch.channel_id)
                && t.connection_hops.first() == Some(&facts.counterparty_connection)
        });
        if !agrees {
            notes.push(format!(
                "{}/{} on {}: its counterparty {}/{} on {} is not open towards it; left out",
                ch.port_id,
                ch.channel_id,
                a.chain(),
                cp.port_id,
                cp.channel_id,
                b.chain()
            ));
            continue;
        }
        let ordering = match ch.ordering {
            2 => Ordering::Ordered,
            _ => Ordering::Unordered,
        };
        by_conn.entry(conn.clone()).or_default().push(Channel {
            a: ChannelEnd {
                port_id: ch.port_id.clone(),
                channel_id: ch.channel_id.clone(),
            },
            b: ChannelEnd {
                port_id: cp.port_id.clone(),
                channel_id: cp.channel_id.clone(),
            },
            ordering,
            version: ch.version.clone(),
        });
    }
    // Hermes relays every connection's channels; the registry file describes one connection:
    // the one carrying most of them (ties: the lowest id).
    let channels: Vec<Channel> = by_conn.values().flatten().cloned().collect();
    let best = by_conn
        .iter()
        .max_by(|x, y| x.1.len().cmp(&y.1.len()).then_with(|| y.0.cmp(x.0)));
    let link = best.map(|(conn, chans)| {
        let f = &conns[conn];
        if by_conn.len() > 1 {
            notes.push(format!(
                "channels on {} connections; the registry file describes {conn}",
                by_conn.len()
            ));
        }
        Link {
            a: LinkEnd {
                chain_id: a.chain().into(),
                chain_name: a.chain_name.clone(),
                client_id: f.client_id.clone(),
                connection_id: conn.clone(),
            },
            b: LinkEnd {
                chain_id: b.chain().into(),
                chain_name: b.chain_name.clone(),
                client_id: f.counterparty_client.clone(),
                connection_id: f.counterparty_connection.clone(),
            },
            channels: chans.clone(),
        }
    });
    Ok(Discovered {
        channels,
        link,
        notes,
    })
}

/// What `write` wrote.
#[derive(Debug)]
pub struct Written {
    pub discovered: Discovered,
    pub paths: Vec<PathBuf>,
}

/// Discovers, then writes `hermes.toml` (always) and the registry file (when there is a link)
/// into `out`.
pub async fn write(
    a: &Side<'_>,
    b: &Side<'_>,
    opts: &HermesOptions,
    out: &Path,
) -> Result<Written, IbcError> {
    let discovered = discover(a, b).await?;
    let hermes = HermesConfig::new(&a.endpoint, &b.endpoint, &discovered.channels, opts)?;
    let mut text = format!(
        "# Hermes config for {} <-> {}, written by `bithive ibc files`.\n# Packet filters allow exactly \
         the deployments' open channels ({}); write it again after creating channels.\n",
        a.chain(),
        b.chain(),
        discovered.channels.len()
    );
    text.push_str(&hermes.to_toml()?);
    let mut paths = Vec::new();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IbcError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let hermes_path = out.join("hermes.toml");
    std::fs::write(&hermes_path, text).map_err(io(&hermes_path))?;
    paths.push(hermes_path);
    if let Some(link) = &discovered.link {
        let data = IbcData::new(link)?;
        let dir = out.join("_IBC");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(data.file_name());
        std::fs::write(&path, data.to_json()? + "\n").map_err(io(&path))?;
        paths.push(path);
    }
    Ok(Written { discovered, paths })
}
