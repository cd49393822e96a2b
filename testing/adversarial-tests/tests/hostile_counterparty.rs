//! A hostile IBC counterparty against the committed attestation artifact in cosmwasm-vm: it
//! opens channels from ports nobody pinned, and sends attestation packets signed by keys this
//! chain never registered, over a channel no route names. Every attempt is refused (a failed
//! handshake, or an error acknowledgement), and no balance or contract state moves.

use bithive_adversarial_tests::{operator_secret, Plan, World, BTK};
use bithive_interface::attestation::{
    AttestationPacket, ExecuteMsg as AttestationMsg, KeySignature, PacketProof, PeerEndpoint,
};
use bithive_signed_attestation::signing::{public_key, sign, sign_as_quorum_member, signing_key};
use bithive_signed_attestation::{AttestationKind, QUORUM_SIGNER};
use bithive_vm_host::IbcCall;
// The host's (the VM's) cosmwasm-std for the IBC messages it delivers.
use bithive_vm_host::cosmwasm_std::{
    from_json, Addr, IbcChannel, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcEndpoint, IbcOrder,
    IbcPacket, IbcPacketReceiveMsg, IbcTimeout, StdAck, Timestamp,
};

const VERSION: &str = "bithive-attestation-1";
const CONNECTION: &str = "connection-0";
const PEER_PORT: &str = "wasm.peer";
const GAS: u64 = 500_000_000_000_000;

struct Setup {
    w: World,
    port: String,
}

fn setup() -> Setup {
    let w = World::deploy(Plan::default());
    let port = format!("wasm.{}", w.c.attestation);
    Setup { w, port }
}

impl Setup {
    fn channel(&self, connection: &str, their_port: &str, ours: &str) -> IbcChannel {
        IbcChannel::new(
            IbcEndpoint {
                port_id: self.port.clone(),
                channel_id: ours.into(),
            },
            IbcEndpoint {
                port_id: their_port.into(),
                channel_id: "channel-9".into(),
            },
            IbcOrder::Unordered,
            VERSION,
            connection,
        )
    }

    /// The counterparty's OpenTry then OpenConfirm on this chain.
    fn open(&mut self, connection: &str, their_port: &str) -> Result<String, String> {
        let ours = self.w.chain.ibc_next_channel_id();
        let ch = self.channel(connection, their_port, &ours);
        let attestation = self.w.c.attestation.clone();
        self.w
            .chain
            .ibc_call(
                &attestation,
                &IbcCall::ChannelOpen(IbcChannelOpenMsg::new_try(ch.clone(), VERSION)),
                GAS,
            )
            .map_err(|e| e.to_string())?;
        self.w
            .chain
            .ibc_call(
                &attestation,
                &IbcCall::ChannelConnect(IbcChannelConnectMsg::new_confirm(ch)),
                GAS,
            )
            .map_err(|e| e.to_string())?;
        Ok(ours)
    }

    /// Delivers `packet` on our channel `ours`; returns the acknowledgement.
    fn receive(&mut self, ours: &str, seq: u64, packet: &AttestationPacket) -> StdAck {
        let p = IbcPacket::new(
            serde_json::to_vec(packet).unwrap(),
            IbcEndpoint {
                port_id: PEER_PORT.into(),
                channel_id: "channel-9".into(),
            },
            IbcEndpoint {
                port_id: self.port.clone(),
                channel_id: ours.into(),
            },
            seq,
            IbcTimeout::with_timestamp(Timestamp::from_seconds(self.w.now() + 3_600)),
        );
        let relayer = Addr::unchecked(self.w.addr("relayer"));
        let attestation = self.w.c.attestation.clone();
        let out = self
            .w
            .chain
            .ibc_call(
                &attestation,
                &IbcCall::PacketReceive(IbcPacketReceiveMsg::new(p, relayer)),
                GAS,
            )
            .expect("a receive never fails the relayer's transaction");
        let ack = self
            .w
            .chain
            .ibc_acknowledgement(&self.port, ours, seq)
            .or(out.acknowledgement.map(|b| b.to_vec()))
            .expect("an acknowledgement");
        from_json(&ack).expect("a StdAck")
    }
}

fn assert_error(ack: StdAck, want: &str) {
    match ack {
        StdAck::Error(e) => assert!(e.contains(want), "{e:?} does not say {want:?}"),
        other => panic!("accepted: {other:?}"),
    }
}

#[test]
fn a_hostile_counterparty_opens_nothing_and_injects_nothing() {
    let mut s = setup();
    let payer = s.w.addr("payer");
    let node0 = s.w.node(0);
    let job =
        s.w.create_job(&payer, "ibc-job", Some(node0.clone()), 1_000 * BTK);
    let (deployer, attestation) = (s.w.deployer.clone(), s.w.c.attestation.clone());
    let accounts = [payer.as_str(), node0.as_str()];

    // Nothing is pinned by default: no port on any connection opens a channel.
    let before = s.w.snapshot(&accounts);
    assert!(s.open(CONNECTION, PEER_PORT).is_err());
    s.w.assert_unchanged(&before, &accounts);

    // Governance pins one (connection, port); another port on that connection is still refused.
    let peer = PeerEndpoint {
        connection_id: CONNECTION.into(),
        port_id: PEER_PORT.into(),
    };
    s.w.ok(
        &deployer,
        &attestation,
        &AttestationMsg::UpdatePeers {
            add: vec![peer],
            remove: vec![],
        },
    );
    assert!(s.open(CONNECTION, "wasm.evil").is_err());
    assert!(s.open("connection-7", PEER_PORT).is_err());
    let ours = s
        .open(CONNECTION, PEER_PORT)
        .expect("the pinned peer opens");

    // A packet from the pinned peer, signed by a key this chain never registered, on a channel
    // no route names: refused.
    let stranger = signing_key(&operator_secret(77)).unwrap();
    let mut a = s.w.attestation(
        AttestationKind::Inference,
        &job,
        b"",
        public_key(&stranger),
        1,
    );
    let single = |a: &bithive_signed_attestation::Attestation| AttestationPacket {
        id: 1,
        attestation: a.clone(),
        proof: PacketProof::Single {
            signature: sign(a.clone(), &stranger).unwrap().signature,
        },
        payload: None,
    };
    let before = s.w.snapshot(&accounts);
    assert_error(
        s.receive(&ours, 1, &single(&a)),
        "is not the route of any chain",
    );
    s.w.assert_unchanged(&before, &accounts);

    // Routed: a stranger's key is still nobody here, alone or as a "quorum".
    s.w.ok(
        &deployer,
        &attestation,
        &AttestationMsg::SetRoute {
            chain_id: "peer-chain-1".into(),
            channel_id: Some(ours.clone()),
        },
    );
    let before = s.w.snapshot(&accounts);
    assert_error(
        s.receive(&ours, 2, &single(&a)),
        "no registered node has this operator key",
    );
    a.signer = QUORUM_SIGNER;
    let signatures = [77usize, 78, 79]
        .iter()
        .map(|&i| {
            let (key, signature) =
                sign_as_quorum_member(&a, &signing_key(&operator_secret(i)).unwrap()).unwrap();
            KeySignature { key, signature }
        })
        .collect();
    let quorum = AttestationPacket {
        id: 2,
        attestation: a.clone(),
        proof: PacketProof::Secp256k1 { signatures },
        payload: None,
    };
    assert_error(
        s.receive(&ours, 3, &quorum),
        "no registered node has this operator key",
    );
    s.w.assert_unchanged(&before, &accounts);
    // The job is still open and its deposit still held.
    assert_eq!(s.w.bank(&s.w.c.payfi_escrow.clone()), 1_000 * BTK);
    let j = s.w.job(&job);
    assert_eq!(j.node.map(|n| n.to_string()), Some(node0));
}
