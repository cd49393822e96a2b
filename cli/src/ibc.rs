//! `bithive ibc`: what an operator needs to relay a deployment's IBC traffic with Hermes or the
//! Go relayer, rly (#25, #48).
//!
//! `bithive ibc files` reads two deployments, asks each chain (over CometBFT RPC, the chains'
//! own `ibc.core` queries) which open channels join the deployments' ports (ibc-go's
//! `transfer`, each deployment's cw20-ics20 `wasm.<address>` and attestation port), checks each
//! channel from both ends, and writes:
//! - `hermes.toml`: a Hermes config whose packet filters allow exactly those channels (none yet:
//!   a config for `hermes create`, relaying nothing; write it again once the channels exist);
//! - `rly/chains/<chain id>.json` and `rly/paths/<path>.json`: rly's chain files (with a poll
//!   shorter than the chain's measured block interval) and one path per connection, whose
//!   filter allows exactly its channels (none yet: a path for `rly tx link`);
//! - `_IBC/<chain_1>-<chain_2>.json`: the chain-registry IBC file of the connection with most
//!   channels, and `_IBC/<chain_1>-<chain_2>.<connection>.json` for any other.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bithive_chain_client::cosmrs::proto::prost::Message;
use bithive_chain_client::{ChainError, RpcEndpoint};
use bithive_ibc_files::hermes::{HermesConfig, HermesOptions};
use bithive_ibc_files::registry::IbcData;
use bithive_ibc_files::rly::{ChainFile, PathFile, RlyOptions};
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
    /// Ports besides the deployment's whose channels to the other side's ports are relayed
    /// (`--a-port`, `--b-port`).
    pub extra_ports: &'a [String],
}

impl Side<'_> {
    fn chain(&self) -> &str {
        &self.deployment.chain_id
    }

    /// `transfer`, the deployment's IBC-enabled contracts' ports and the extra ones named.
    pub fn ports(&self) -> BTreeSet<String> {
        let c = &self.deployment.contracts;
        let mut ports = BTreeSet::from([bithive_interface::ics20::TRANSFER_PORT.to_string()]);
        for addr in [&c.ics20, &c.attestation, &c.ics721] {
            if !addr.is_empty() {
                ports.insert(format!("wasm.{addr}"));
            }
        }
        ports.extend(self.extra_ports.iter().cloned());
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
/// and one link per connection that carries any (the one with most channels first; none until
/// a connection carries one).
#[derive(Debug)]
pub struct Discovered {
    pub channels: Vec<Channel>,
    pub links: Vec<Link>,
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
    // Each connection is a link of its own (a registry file, an rly path); the one carrying most
    // channels comes first (ties: the lowest id) and is the preferred one.
    let channels: Vec<Channel> = by_conn.values().flatten().cloned().collect();
    let mut order: Vec<(&String, &Vec<Channel>)> = by_conn.iter().collect();
    order.sort_by(|x, y| y.1.len().cmp(&x.1.len()).then_with(|| x.0.cmp(y.0)));
    let links: Vec<Link> = order
        .into_iter()
        .map(|(conn, chans)| {
            let f = &conns[conn];
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
        })
        .collect();
    if links.len() > 1 {
        notes.push(format!(
            "channels on {} connections: one registry file and one rly path each; {} on {} is \
             the preferred one",
            links.len(),
            links[0].a.connection_id,
            a.chain()
        ));
    }
    Ok(Discovered {
        channels,
        links,
        notes,
    })
}

/// Which relayers' files to write, with their options.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub hermes: Option<HermesOptions>,
    /// rly's options for chain `a` and chain `b`.
    pub rly: Option<[RlyOptions; 2]>,
}

/// What `write` wrote.
#[derive(Debug)]
pub struct Written {
    pub discovered: Discovered,
    pub paths: Vec<PathBuf>,
    /// The rly paths written, by name, for the commands to print.
    pub rly_paths: Vec<String>,
}

/// The mean time between blocks seen over `over` (None: no block in that time), read from the
/// chain's height before and after.
pub async fn block_interval(side: &Side<'_>, over: Duration) -> Result<Option<Duration>, IbcError> {
    let height = || async {
        side.rpc
            .latest_height()
            .await
            .map_err(|source| IbcError::Chain {
                chain: side.chain().into(),
                what: "latest height".into(),
                source,
            })
    };
    let (h1, t1) = (height().await?, Instant::now());
    tokio::time::sleep(over).await;
    let (h2, t2) = (height().await?, Instant::now());
    Ok((h2 > h1).then(|| (t2 - t1) / u32::try_from(h2 - h1).unwrap_or(u32::MAX)))
}

/// The rly path's name for the `i`-th link: `<a>-<b>` for the preferred one, with the
/// connection's id on `a` for the others.
pub fn rly_path_name(a: &Side<'_>, b: &Side<'_>, link: Option<&Link>, i: usize) -> String {
    match link {
        Some(l) if i > 0 => format!("{}-{}-{}", a.chain_name, b.chain_name, l.a.connection_id),
        _ => format!("{}-{}", a.chain_name, b.chain_name),
    }
}

/// Discovers, then writes into `out` the files of the chosen relayers (`hermes.toml`;
/// `rly/chains/<chain id>.json` and `rly/paths/<path>.json`) and one registry file per
/// connection that carries channels (`_IBC/`).
pub async fn write(
    a: &Side<'_>,
    b: &Side<'_>,
    outputs: &Outputs,
    out: &Path,
) -> Result<Written, IbcError> {
    let discovered = discover(a, b).await?;
    let mut paths = Vec::new();
    let mut rly_paths = Vec::new();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IbcError::Io { path, source }
    };
    let put = |path: PathBuf, text: String, paths: &mut Vec<PathBuf>| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
        paths.push(path);
        Ok::<(), IbcError>(())
    };
    if let Some(opts) = &outputs.hermes {
        let hermes = HermesConfig::new(&a.endpoint, &b.endpoint, &discovered.channels, opts)?;
        let mut text = format!(
            "# Hermes config for {} <-> {}, written by `bithive ibc files`.\n# Packet filters allow \
             exactly the deployments' open channels ({}); write it again after creating channels.\n",
            a.chain(),
            b.chain(),
            discovered.channels.len()
        );
        text.push_str(&hermes.to_toml()?);
        put(out.join("hermes.toml"), text, &mut paths)?;
    }
    if let Some([ra, rb]) = &outputs.rly {
        for (side, opts) in [(a, ra), (b, rb)] {
            let f = ChainFile::new(&side.endpoint, opts)?;
            let path = out.join("rly/chains").join(f.file_name());
            put(path, f.to_json()? + "\n", &mut paths)?;
        }
        // One path per connection; before any, one unlinked path for `rly tx link`.
        let path_files = if discovered.links.is_empty() {
            vec![(
                rly_path_name(a, b, None, 0),
                PathFile::unlinked(&a.endpoint, &b.endpoint)?,
            )]
        } else {
            discovered
                .links
                .iter()
                .enumerate()
                .map(|(i, link)| {
                    Ok((
                        rly_path_name(a, b, Some(link), i),
                        PathFile::for_link(link)?,
                    ))
                })
                .collect::<Result<Vec<_>, IbcError>>()?
        };
        for (name, p) in path_files {
            put(
                out.join("rly/paths").join(format!("{name}.json")),
                p.to_json()? + "\n",
                &mut paths,
            )?;
            rly_paths.push(name);
        }
    }
    for (i, link) in discovered.links.iter().enumerate() {
        let data = IbcData::with_preference(link, i == 0)?;
        let name = if i == 0 {
            data.file_name()
        } else {
            data.connection_file_name()
        };
        put(
            out.join("_IBC").join(name),
            data.to_json()? + "\n",
            &mut paths,
        )?;
    }
    Ok(Written {
        discovered,
        paths,
        rly_paths,
    })
}
