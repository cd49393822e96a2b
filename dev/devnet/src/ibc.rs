//! Local simulation of IBC between two devnets: a built-in packet relay between one contract
//! port on each chain, for running the cross-chain attestation path on one machine.
//!
//! What it keeps of IBC: the four-step channel handshake through the contracts' entry points,
//! `send_packet` events as the packet source, per-channel sequences, packet commitments
//! cleared once by an acknowledgement or a timeout, receipts that refuse a second delivery,
//! timeouts judged against the receiving chain's clock and height, and wasmd's semantics for
//! the contract calls (atomic, events, acks overridden by reply data). Every step is a system
//! transaction in a block of the chain it runs on (see [`crate::app::IbcTx`]), so each chain's
//! block log replays it and a restart loses nothing.
//!
//! What it leaves out: light clients, connections and proofs. The relay reads both chains'
//! state directly and is trusted. Real chains use a real IBC relayer (Hermes, rly) between
//! wasmd nodes; the contracts are the same.
//!
//! The relay holds no state of its own: on every pass it derives the work from the chains
//! (packets sent, commitments still open, receipts and their acks), so it can stop and start
//! at any time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bithive_vm_host::cosmwasm_std::{
    Addr, Binary, IbcAcknowledgement, IbcChannel, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcEndpoint, IbcOrder, IbcPacket, IbcPacketAckMsg, IbcPacketReceiveMsg, IbcPacketTimeoutMsg,
    IbcTimeout, IbcTimeoutBlock, Timestamp,
};
use bithive_vm_host::IbcCall;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::abci::ExecTxResult;
use crate::app::IbcTx;
use crate::error::DevnetError;
use crate::node::Node;

/// The connection id both ends report (there are no light clients to connect).
pub const CONNECTION_ID: &str = "connection-0";
/// Deliveries of one packet that may fail before the relay gives it up (logged).
const MAX_ATTEMPTS: u32 = 3;

/// One side of a link: a chain and the contract whose port (`wasm.<address>`) it relays.
#[derive(Clone)]
pub struct IbcEnd {
    pub node: Arc<Node>,
    pub contract: String,
}

impl IbcEnd {
    pub fn new(node: Arc<Node>, contract: impl Into<String>) -> Self {
        IbcEnd {
            node,
            contract: contract.into(),
        }
    }

    pub fn port(&self) -> String {
        format!("wasm.{}", self.contract)
    }

    /// This end of a channel: its port and `channel_id` (empty while the other end opens it).
    fn endpoint(&self, channel_id: String) -> IbcEndpoint {
        IbcEndpoint {
            port_id: self.port(),
            channel_id,
        }
    }

    fn chain_id(&self) -> String {
        self.node.config().chain_id.clone()
    }

    /// Runs a system transaction in a block of its own chain and returns its result.
    fn run(&self, call: IbcCall) -> Result<ExecTxResult, DevnetError> {
        self.run_batch(vec![call])?
            .pop()
            .ok_or_else(|| DevnetError::Ibc("relayed message missing from its block".into()))
    }

    /// Runs system transactions, one per call, in one new block of its own chain (unless
    /// another producer cuts a block in between) and returns their results in order.
    fn run_batch(&self, calls: Vec<IbcCall>) -> Result<Vec<ExecTxResult>, DevnetError> {
        let hashes: Vec<[u8; 32]> = {
            let mut app = self.node.app();
            calls
                .into_iter()
                .map(|call| {
                    app.submit_ibc(&IbcTx {
                        contract: self.contract.clone(),
                        call,
                    })
                })
                .collect()
        };
        self.node.produce_block()?;
        let app = self.node.app();
        hashes
            .iter()
            .map(|hash| {
                app.tx_location(hash)
                    .and_then(|(h, i)| app.block(h)?.results.get(i as usize).cloned())
                    .ok_or_else(|| {
                        DevnetError::Ibc("relayed message missing from its block".into())
                    })
            })
            .collect()
    }

    fn run_ok(&self, call: IbcCall, step: &str) -> Result<ExecTxResult, DevnetError> {
        let r = self.run(call)?;
        if r.is_ok() {
            Ok(r)
        } else {
            Err(DevnetError::Ibc(format!(
                "{step} on {}: {}",
                self.chain_id(),
                r.log
            )))
        }
    }
}

/// Which way a packet travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Dir {
    AtoB,
    BtoA,
}

/// What a pass has done with one packet so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Still open (possibly advanced, e.g. received, and waiting for the other chain).
    Open,
    /// Acknowledged, timed out, or already finished by someone else.
    Done,
    /// A message refused: counts as a failed attempt.
    Failed,
}

/// A packet's next message.
#[derive(Debug)]
enum Step {
    Receive,
    Ack(Vec<u8>),
    Timeout,
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Receive => "receive",
            Step::Ack(_) => "acknowledgement",
            Step::Timeout => "timeout",
        }
    }
}

/// What one relay pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    pub received: usize,
    pub acknowledged: usize,
    pub timed_out: usize,
    pub failed: usize,
}

impl RelayStats {
    pub fn is_idle(&self) -> bool {
        *self == RelayStats::default()
    }
}

/// An open channel between two ends, and the relay that serves it.
pub struct IbcLink {
    a: IbcEnd,
    b: IbcEnd,
    channel_a: String,
    channel_b: String,
    /// Per direction, the last height scanned for `send_packet` events.
    scanned: HashMap<Dir, u64>,
    /// Packets seen and not yet acknowledged or timed out, with failed attempts.
    pending: Vec<(Dir, IbcPacket, u32)>,
    relayer: Addr,
}

impl IbcLink {
    /// Opens a new unordered channel of `version` between the two ports (OpenInit on `a`,
    /// OpenTry on `b`, OpenAck on `a`, OpenConfirm on `b`); the contracts may refuse at any
    /// step, which is returned as the error.
    pub fn open(a: IbcEnd, b: IbcEnd, version: &str) -> Result<Self, DevnetError> {
        let channel_a = a.node.app().chain().ibc_next_channel_id();
        let end_a = a.endpoint(channel_a.clone());
        let half = IbcChannel::new(
            end_a.clone(),
            b.endpoint(String::new()),
            IbcOrder::Unordered,
            version,
            CONNECTION_ID,
        );
        a.run_ok(
            IbcCall::ChannelOpen(IbcChannelOpenMsg::new_init(half)),
            "channel open init",
        )?;
        let channel_b = b.node.app().chain().ibc_next_channel_id();
        let end_b = b.endpoint(channel_b.clone());
        let on_b = IbcChannel::new(
            end_b.clone(),
            end_a.clone(),
            IbcOrder::Unordered,
            version,
            CONNECTION_ID,
        );
        b.run_ok(
            IbcCall::ChannelOpen(IbcChannelOpenMsg::new_try(on_b.clone(), version)),
            "channel open try",
        )?;
        let on_a = IbcChannel::new(end_a, end_b, IbcOrder::Unordered, version, CONNECTION_ID);
        a.run_ok(
            IbcCall::ChannelConnect(IbcChannelConnectMsg::new_ack(on_a, version)),
            "channel open ack",
        )?;
        b.run_ok(
            IbcCall::ChannelConnect(IbcChannelConnectMsg::new_confirm(on_b)),
            "channel open confirm",
        )?;
        tracing::info!(
            a = %a.chain_id(), %channel_a, b = %b.chain_id(), %channel_b,
            "ibc channel open (local simulation)"
        );
        Ok(Self::existing(a, b, channel_a, channel_b))
    }

    /// A relay for a channel opened earlier (e.g. before a restart).
    pub fn existing(a: IbcEnd, b: IbcEnd, channel_a: String, channel_b: String) -> Self {
        IbcLink {
            a,
            b,
            channel_a,
            channel_b,
            scanned: HashMap::new(),
            pending: Vec::new(),
            relayer: Addr::unchecked("bithive-devnet-relay"),
        }
    }

    /// The channel ids on `a` and on `b`.
    pub fn channels(&self) -> (&str, &str) {
        (&self.channel_a, &self.channel_b)
    }

    fn ends(&self, dir: Dir) -> (&IbcEnd, &str, &IbcEnd, &str) {
        match dir {
            Dir::AtoB => (&self.a, &self.channel_a, &self.b, &self.channel_b),
            Dir::BtoA => (&self.b, &self.channel_b, &self.a, &self.channel_a),
        }
    }

    /// Collects `send_packet` events of both channels from the blocks not scanned yet.
    fn discover(&mut self) {
        for dir in [Dir::AtoB, Dir::BtoA] {
            let (src, src_channel, dst, dst_channel) = self.ends(dir);
            let port = src.port();
            let from = self.scanned.get(&dir).copied().unwrap_or(0);
            let mut found = Vec::new();
            let app = src.node.app();
            let height = app.height();
            for h in from + 1..=height {
                let Some(block) = app.block(h) else { continue };
                for event in block.results.iter().flat_map(|r| &r.events) {
                    if event.kind != "send_packet"
                        || event.attr("packet_src_port") != Some(port.as_str())
                        || event.attr("packet_src_channel") != Some(src_channel)
                    {
                        continue;
                    }
                    match packet_of(event, src_channel, dst, dst_channel, &port) {
                        Some(p) => found.push(p),
                        None => tracing::warn!(height = h, "malformed send_packet event skipped"),
                    }
                }
            }
            drop(app);
            self.scanned.insert(dir, height);
            self.pending.extend(found.into_iter().map(|p| (dir, p, 0)));
        }
    }

    /// One pass, at most one block per chain: first `b`'s block (packets from `a` received,
    /// packets from `b` acknowledged or timed out), then `a`'s block (the acks `b` just wrote
    /// delivered, timeouts, packets from `b` received). A packet from `a` finishes in one pass;
    /// one from `b` gets its ack in the next pass's block on `b`. Each message is its own
    /// system transaction, so each succeeds or fails alone.
    pub fn relay_pending(&mut self) -> Result<RelayStats, DevnetError> {
        self.discover();
        let mut stats = RelayStats::default();
        let items = std::mem::take(&mut self.pending);
        let mut outcome = vec![Outcome::Open; items.len()];
        for side in [Dir::AtoB, Dir::BtoA] {
            // `AtoB` names the block on `b` (where packets from `a` arrive), `BtoA` the one on `a`.
            let chain = match side {
                Dir::AtoB => &self.b,
                Dir::BtoA => &self.a,
            };
            let mut batch = Vec::new();
            for (i, (dir, packet, _)) in items.iter().enumerate() {
                if outcome[i] != Outcome::Open {
                    continue;
                }
                match self.next_step(*dir, packet) {
                    None => outcome[i] = Outcome::Done,
                    Some((on, step)) if on == side => batch.push((i, step)),
                    Some(_) => {}
                }
            }
            if batch.is_empty() {
                continue;
            }
            let calls: Vec<IbcCall> = batch
                .iter()
                .map(|(i, step)| self.call(step, &items[*i].1))
                .collect();
            let results = chain.run_batch(calls)?;
            for ((i, step), r) in batch.into_iter().zip(results) {
                let seq = items[i].1.sequence;
                if !r.is_ok() {
                    // A receive past the timeout fails; the next pass times the packet out.
                    tracing::warn!(seq, log = %r.log, "{} refused", step.name());
                    outcome[i] = Outcome::Failed;
                    continue;
                }
                match step {
                    Step::Receive => stats.received += 1,
                    Step::Ack(_) => {
                        stats.acknowledged += 1;
                        outcome[i] = Outcome::Done;
                    }
                    Step::Timeout => {
                        stats.timed_out += 1;
                        outcome[i] = Outcome::Done;
                    }
                }
            }
        }
        for ((dir, packet, attempts), outcome) in items.into_iter().zip(outcome) {
            match outcome {
                Outcome::Done => {}
                Outcome::Open => self.pending.push((dir, packet, attempts)),
                Outcome::Failed if attempts + 1 >= MAX_ATTEMPTS => {
                    stats.failed += 1;
                    tracing::error!(seq = packet.sequence, channel = %packet.src.channel_id,
                        "packet given up after {MAX_ATTEMPTS} failed deliveries");
                }
                Outcome::Failed => self.pending.push((dir, packet, attempts + 1)),
            }
        }
        Ok(stats)
    }

    /// The next message a packet needs and the chain it runs on (named by the direction whose
    /// destination it is); `None` when the packet is finished.
    fn next_step(&self, dir: Dir, packet: &IbcPacket) -> Option<(Dir, Step)> {
        let (src, _, dst, _) = self.ends(dir);
        let seq = packet.sequence;
        let open = src.node.app().chain().ibc_packet_pending(
            &packet.src.port_id,
            &packet.src.channel_id,
            seq,
        );
        if !open {
            return None;
        }
        let on_src = match dir {
            Dir::AtoB => Dir::BtoA,
            Dir::BtoA => Dir::AtoB,
        };
        let ack = dst.node.app().chain().ibc_acknowledgement(
            &packet.dest.port_id,
            &packet.dest.channel_id,
            seq,
        );
        Some(match ack {
            Some(ack) => (on_src, Step::Ack(ack)),
            None if timed_out(packet, &dst.node) => (on_src, Step::Timeout),
            None => (dir, Step::Receive),
        })
    }

    fn call(&self, step: &Step, packet: &IbcPacket) -> IbcCall {
        let (packet, relayer) = (packet.clone(), self.relayer.clone());
        match step {
            Step::Receive => IbcCall::PacketReceive(IbcPacketReceiveMsg::new(packet, relayer)),
            Step::Ack(ack) => IbcCall::PacketAck(IbcPacketAckMsg::new(
                IbcAcknowledgement::new(Binary::from(ack.clone())),
                packet,
                relayer,
            )),
            Step::Timeout => IbcCall::PacketTimeout(IbcPacketTimeoutMsg::new(packet, relayer)),
        }
    }

    /// Relays on a timer until stopped. The relay is stateless, so after `stop` a new
    /// [`IbcLink::existing`] over the same channels picks up where this one left.
    pub fn spawn(self, every: Duration) -> RelayHandle {
        let (stop, mut stopped) = watch::channel(false);
        let link = Arc::new(Mutex::new(self));
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.wait_for(|s| *s) => return,
                }
                let l = link.clone();
                let pass = tokio::task::spawn_blocking(move || {
                    l.lock().unwrap_or_else(|e| e.into_inner()).relay_pending()
                })
                .await;
                match pass {
                    Ok(Ok(s)) if !s.is_idle() => tracing::debug!(?s, "ibc relay pass"),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "ibc relay pass failed"),
                    Err(e) => tracing::error!(error = %e, "ibc relay pass aborted"),
                }
            }
        });
        RelayHandle { stop, task }
    }
}

/// A running relay.
pub struct RelayHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RelayHandle {
    /// Stops after the pass in progress.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Whether the receiving chain's last block is at or past the packet's timeout.
fn timed_out(packet: &IbcPacket, dst: &Node) -> bool {
    let app = dst.app();
    let Some(last) = app.blocks().last() else {
        return false;
    };
    let by_time = packet
        .timeout
        .timestamp()
        .is_some_and(|t| last.time_ns >= t.nanos());
    let by_height = packet
        .timeout
        .block()
        .is_some_and(|b| b.height > 0 && last.height >= b.height);
    by_time || by_height
}

/// The packet a `send_packet` event describes (attributes as ibc-go names them).
fn packet_of(
    event: &crate::abci::AbciEvent,
    src_channel: &str,
    dst: &IbcEnd,
    dst_channel: &str,
    src_port: &str,
) -> Option<IbcPacket> {
    let sequence = event.attr("packet_sequence")?.parse().ok()?;
    let data = hex::decode(event.attr("packet_data_hex")?).ok()?;
    let ts: u64 = event.attr("packet_timeout_timestamp")?.parse().ok()?;
    let height: u64 = event
        .attr("packet_timeout_height")?
        .split_once('-')?
        .1
        .parse()
        .ok()?;
    let block = IbcTimeoutBlock {
        revision: 0,
        height,
    };
    let timeout = match (ts > 0, height > 0) {
        (true, true) => IbcTimeout::with_both(block, Timestamp::from_nanos(ts)),
        (true, false) => IbcTimeout::with_timestamp(Timestamp::from_nanos(ts)),
        (false, true) => IbcTimeout::with_block(block),
        (false, false) => return None,
    };
    Some(IbcPacket::new(
        data,
        IbcEndpoint {
            port_id: src_port.to_string(),
            channel_id: src_channel.to_string(),
        },
        IbcEndpoint {
            port_id: dst.port(),
            channel_id: dst_channel.to_string(),
        },
        sequence,
        timeout,
    ))
}
