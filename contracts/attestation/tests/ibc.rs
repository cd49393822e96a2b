//! IBC with cosmwasm-std's mock_ibc_* helpers (cw-multi-test has no IBC): handshake checks, a
//! forwarded attestation from chain A received and dispatched on chain B, error acks, timeouts
//! and retries with nothing lost.

mod shared;

use bithive_attestation::contract::{execute, instantiate, query, reply, REPLY_RECEIVE};
use bithive_attestation::ibc::{
    ibc_channel_close, ibc_channel_connect, ibc_channel_open, ibc_packet_ack, ibc_packet_receive,
    ibc_packet_timeout,
};
use bithive_attestation::msg::{
    AttestationPacket, ChannelsResponse, ExecuteMsg, InstantiateMsg, PacketsResponse, PeerEndpoint,
    QueryMsg,
};
use bithive_attestation::state::{Outgoing, PacketStatus, IBC_VERSION};
use bithive_attestation::ContractError;
use bithive_signed_attestation::signing::{public_key, sign, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, PubKey33};
use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, mock_ibc_channel_close_init,
    mock_ibc_channel_connect_ack, mock_ibc_channel_open_init, mock_ibc_channel_open_try,
    mock_ibc_packet_ack, mock_ibc_packet_recv, mock_ibc_packet_timeout, MockApi, MockQuerier,
    MockStorage,
};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, ContractResult, CosmosMsg, Env, IbcAcknowledgement,
    IbcMsg, IbcOrder, IbcReceiveResponse, OwnedDeps, Reply, Response, StdAck, SubMsgResult,
    SystemResult, Timestamp, Uint128, WasmMsg, WasmQuery,
};

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const CHAIN_A: &str = "chain-a";
const CHAIN_B: &str = "chain-b";

/// The packets the contract still waits on an ack or timeout for.
fn pending_packets(deps: cosmwasm_std::Deps, env: Env) -> PacketsResponse {
    let msg = QueryMsg::PendingPackets {
        start_after: None,
        limit: None,
    };
    from_json(query(deps, env, msg).unwrap()).unwrap()
}

fn secret(i: u8) -> [u8; 32] {
    [i + 1; 32]
}

fn key(i: u8) -> PubKey33 {
    public_key(&signing_key(&secret(i)).unwrap())
}

fn env(chain: &str) -> Env {
    let mut e = mock_env();
    e.block.chain_id = chain.into();
    e
}

/// The chain receives `packet` over `channel`.
fn receive(
    deps: &mut Deps,
    e: &Env,
    channel: &str,
    packet: &AttestationPacket,
) -> IbcReceiveResponse {
    let recv = mock_ibc_packet_recv(channel, packet).unwrap();
    ibc_packet_receive(deps.as_mut(), e.clone(), recv).unwrap()
}

/// `msg` executed by `sender`, with no funds.
fn execute_by(
    deps: &mut Deps,
    e: &Env,
    sender: &Addr,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    execute(deps.as_mut(), e.clone(), message_info(sender, &[]), msg)
}

/// `msg` executed by the contract itself (how a received packet is processed).
fn execute_as_self(deps: &mut Deps, e: &Env, msg: ExecuteMsg) -> Result<Response, ContractError> {
    execute_by(deps, e, &e.contract.address.clone(), msg)
}

/// The chain gets `ack` for its `packet` on channel-0.
fn acknowledge(deps: &mut Deps, e: &Env, packet: &AttestationPacket, ack: impl Into<Binary>) {
    let ack = mock_ibc_packet_ack("channel-0", packet, IbcAcknowledgement::new(ack)).unwrap();
    ibc_packet_ack(deps.as_mut(), e.clone(), ack).unwrap();
}

/// A `Submit` of `att` signed by operator key `signer`.
fn signed_submit(att: Attestation, signer: u8, payload: Option<Binary>) -> ExecuteMsg {
    let signed = sign(att.clone(), &signing_key(&secret(signer)).unwrap()).unwrap();
    ExecuteMsg::Submit {
        attestation: att,
        signature: signed.signature,
        payload,
    }
}

/// Chains A and B, connected on channel-0 (A) and channel-7 (B), A routed to B.
fn connected_chains() -> (Deps, Env, Deps, Env) {
    let (mut a_deps, a_env) = chain(CHAIN_A);
    let (mut b_deps, b_env) = chain(CHAIN_B);
    connect(&mut a_deps, &a_env, "channel-0");
    connect(&mut b_deps, &b_env, "channel-7");
    route(&mut a_deps, &a_env, CHAIN_B, "channel-0");
    (a_deps, a_env, b_deps, b_env)
}

/// A chain whose staking contract knows node 0 (operator key 0) and nothing else.
fn chain(chain_id: &str) -> (Deps, Env) {
    let mut deps = mock_dependencies();
    let api = deps.api;
    let node0 = api.addr_make("node0").to_string();
    let k0 = key(0);
    deps.querier.update_wasm(move |q| match q {
        WasmQuery::Raw { key, .. } => {
            let v = if key.as_slice().ends_with(k0.as_bytes()) {
                Some(to_json_binary(&node0).unwrap())
            } else {
                None
            };
            SystemResult::Ok(ContractResult::Ok(v.unwrap_or_default()))
        }
        WasmQuery::Smart { msg, .. } => {
            let v: serde_json::Value = from_json(msg).unwrap();
            if v.get("job").is_some() {
                // The escrow's answer: an inference job.
                let job = bithive_interface::payfi_escrow::Job {
                    job_id: v["job"]["job_id"].as_str().unwrap_or_default().into(),
                    model: "bc_logreg".into(),
                    input: Binary::default(),
                    input_hash: String::new(),
                    payer: Addr::unchecked("payer"),
                    asset: bithive_cw_common::funds::AssetInfo::Native("ustake".into()),
                    amount: Uint128::new(1),
                    fee_bps: 0,
                    expires_at: Timestamp::from_seconds(u64::MAX / 2_000_000_000),
                    status: bithive_interface::payfi_escrow::JobStatus::Open,
                    node: None,
                };
                return SystemResult::Ok(ContractResult::Ok(to_json_binary(&job).unwrap()));
            }
            let out = if v.get("pledge_status").is_some() {
                serde_json::json!({"registered": true, "bonded": "1", "required": "1", "full_rate": true})
            } else {
                serde_json::json!({"epoch": 0, "members": [{"node": node0, "vscore": "1"}],
                    "current_epoch": 0, "scanning": null})
            };
            SystemResult::Ok(ContractResult::Ok(to_json_binary(&out).unwrap()))
        }
        _ => SystemResult::Ok(ContractResult::Err("unsupported".into())),
    });
    let e = env(chain_id);
    let gov = deps.api.addr_make("gov");
    let msg = InstantiateMsg {
        governance: gov.to_string(),
        staking: deps.api.addr_make("staking").to_string(),
        escrow: Some(deps.api.addr_make("escrow").to_string()),
        rewards: None,
        asset_nft: None,
        model_registry: None,
        quorum_threshold: 1,
        quorum_kinds: vec![],
        max_age_seconds: 3_600,
        max_future_seconds: 60,
        ibc_timeout_seconds: 600,
        peers: vec![peer()],
    };
    instantiate(deps.as_mut(), e.clone(), message_info(&gov, &[]), msg).unwrap();
    (deps, e)
}

/// The peer every mock channel leads to (cosmwasm-std's mock channels).
fn peer() -> PeerEndpoint {
    PeerEndpoint {
        connection_id: "connection-2".into(),
        port_id: "their_port".into(),
    }
}

/// Governance routes `chain` over `channel` (needed to send to it, and to receive on it).
fn route(deps: &mut Deps, e: &Env, chain: &str, channel: &str) {
    let g = gov(deps);
    let msg = ExecuteMsg::SetRoute {
        chain_id: chain.into(),
        channel_id: Some(channel.into()),
    };
    execute(deps.as_mut(), e.clone(), message_info(&g, &[]), msg).unwrap();
}

fn connect(deps: &mut Deps, e: &Env, channel: &str) {
    let open = mock_ibc_channel_open_try(channel, IbcOrder::Unordered, IBC_VERSION);
    let r = ibc_channel_open(deps.as_mut(), e.clone(), open).unwrap();
    assert_eq!(r.unwrap().version, IBC_VERSION);
    let conn = mock_ibc_channel_connect_ack(channel, IbcOrder::Unordered, IBC_VERSION);
    ibc_channel_connect(deps.as_mut(), e.clone(), conn).unwrap();
}

fn gov(deps: &Deps) -> cosmwasm_std::Addr {
    deps.api.addr_make("gov")
}

/// Chain B's inference job, attested by node 0 on chain A.
fn remote_attestation(b_escrow: &str, job: &str, nonce: u64, now: u64) -> Attestation {
    let target = (CHAIN_B, b_escrow);
    shared::job_attestation(target, AttestationKind::Inference, job, key(0), nonce, now)
}

/// Chain A with channel-0 connected to its pinned peer and routing chain B's attestations over
/// it, and the account that relays them.
fn routed_chain_a() -> (Deps, Env, Addr) {
    let (mut deps, e) = chain(CHAIN_A);
    connect(&mut deps, &e, "channel-0");
    route(&mut deps, &e, CHAIN_B, "channel-0");
    let anyone = deps.api.addr_make("anyone");
    (deps, e, anyone)
}

/// `anyone` relays node 0's attestation of chain B's escrow job `job`: chain A forwards it.
fn submit_remote(
    deps: &mut Deps,
    e: &Env,
    anyone: &Addr,
    job: &str,
    nonce: u64,
) -> Result<Response, ContractError> {
    let att = remote_attestation("cosmwasm1escrowb", job, nonce, e.block.time.seconds());
    execute_by(deps, e, anyone, signed_submit(att, 0, None))
}

fn sent_packet(res: &cosmwasm_std::Response) -> AttestationPacket {
    for m in &res.messages {
        if let CosmosMsg::Ibc(IbcMsg::SendPacket { data, .. }) = &m.msg {
            return from_json(data).unwrap();
        }
    }
    panic!("no packet sent: {res:?}");
}

fn outgoing(deps: &Deps, e: &Env, id: u64) -> Outgoing {
    from_json::<Option<Outgoing>>(query(deps.as_ref(), e.clone(), QueryMsg::Packet { id }).unwrap())
        .unwrap()
        .unwrap()
}

#[test]
fn handshake_checks_order_version_and_peer() {
    let (mut deps, e) = chain(CHAIN_A);
    let ordered = mock_ibc_channel_open_init("channel-0", IbcOrder::Ordered, IBC_VERSION);
    assert_eq!(
        ibc_channel_open(deps.as_mut(), e.clone(), ordered).unwrap_err(),
        ContractError::BadOrder
    );
    let wrong = mock_ibc_channel_open_init("channel-0", IbcOrder::Unordered, "ics20-1");
    assert!(matches!(
        ibc_channel_open(deps.as_mut(), e.clone(), wrong).unwrap_err(),
        ContractError::BadVersion { .. }
    ));
    let wrong_try = mock_ibc_channel_open_try("channel-0", IbcOrder::Unordered, "v2");
    assert!(matches!(
        ibc_channel_open(deps.as_mut(), e.clone(), wrong_try).unwrap_err(),
        ContractError::BadVersion { .. }
    ));
    // Another port on the pinned connection, or the pinned port over another connection
    // (another light client, so possibly another chain), cannot open a channel.
    let mut other = mock_ibc_channel_open_init("channel-0", IbcOrder::Unordered, IBC_VERSION);
    if let cosmwasm_std::IbcChannelOpenMsg::OpenInit { channel } = &mut other {
        channel.counterparty_endpoint.port_id = "wasm.mallory".into();
    }
    assert_eq!(
        ibc_channel_open(deps.as_mut(), e.clone(), other).unwrap_err(),
        ContractError::BadCounterparty("connection-2/wasm.mallory".into())
    );
    let mut elsewhere = mock_ibc_channel_open_try("channel-0", IbcOrder::Unordered, IBC_VERSION);
    if let cosmwasm_std::IbcChannelOpenMsg::OpenTry { channel, .. } = &mut elsewhere {
        channel.connection_id = "connection-66".into();
    }
    assert_eq!(
        ibc_channel_open(deps.as_mut(), e.clone(), elsewhere).unwrap_err(),
        ContractError::BadCounterparty("connection-66/their_port".into())
    );
    connect(&mut deps, &e, "channel-0");
    let ch: ChannelsResponse = from_json(
        query(
            deps.as_ref(),
            e.clone(),
            QueryMsg::Channels {
                start_after: None,
                limit: None,
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(ch.channels.len(), 1);
    assert!(ch.channels[0].open);
    let close = mock_ibc_channel_close_init("channel-0", IbcOrder::Unordered, IBC_VERSION);
    ibc_channel_close(deps.as_mut(), e.clone(), close).unwrap();
    let ch: ChannelsResponse = from_json(
        query(
            deps.as_ref(),
            e,
            QueryMsg::Channels {
                start_after: None,
                limit: None,
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert!(!ch.channels[0].open);
}

#[test]
fn forwarded_attestation_is_verified_and_dispatched_on_the_peer() {
    let (mut a_deps, a_env, mut b_deps, b_env) = connected_chains();
    let b_escrow = b_deps.api.addr_make("escrow").to_string();
    let now = a_env.block.time.seconds();
    let att = remote_attestation(&b_escrow, "job-x", 1, now);
    let relayer = a_deps.api.addr_make("relayer");
    let submit = signed_submit(att, 0, None);
    let res = execute_by(&mut a_deps, &a_env, &relayer, submit.clone()).unwrap();
    let packet = sent_packet(&res);
    assert_eq!(packet.id, 1);
    // Accepted on A (replay-protected there too), pending until acknowledged.
    assert!(matches!(
        execute_by(&mut a_deps, &a_env, &relayer, submit).unwrap_err(),
        ContractError::AlreadyAttested { .. }
    ));
    let pending = pending_packets(a_deps.as_ref(), a_env.clone());
    assert_eq!(pending.packets.len(), 1);

    // B receives over the channel its governance routed to A: a self-call processes it
    // atomically.
    route(&mut b_deps, &b_env, CHAIN_A, "channel-7");
    let r = receive(&mut b_deps, &b_env, "channel-7", &packet);
    assert_eq!(
        from_json::<StdAck>(r.acknowledgement.clone().unwrap()).unwrap(),
        StdAck::success(b"\x01")
    );
    let sub = &r.messages[0];
    assert_eq!(sub.id, REPLY_RECEIVE);
    let CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr, msg, ..
    }) = &sub.msg
    else {
        panic!("not a self-call");
    };
    assert_eq!(contract_addr, b_env.contract.address.as_str());
    let process: ExecuteMsg = from_json(msg).unwrap();
    // Only the contract itself may process.
    assert_eq!(
        execute_by(&mut b_deps, &b_env, &relayer, process.clone()).unwrap_err(),
        ContractError::Unauthorized
    );
    let done = execute_as_self(&mut b_deps, &b_env, process.clone()).unwrap();
    // Dispatched to B's escrow: ReportJob for the node B's own registry holds for the key.
    let CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr, msg, ..
    }) = &done.messages[0].msg
    else {
        panic!("no dispatch");
    };
    assert_eq!(contract_addr, &b_escrow);
    let v: serde_json::Value = from_json(msg).unwrap();
    assert_eq!(v["report_job"]["job_id"], "job-x");
    assert_eq!(
        v["report_job"]["node"],
        b_deps.api.addr_make("node0").as_str()
    );
    // A second delivery is refused on B's own replay rule; the failed self-call becomes an
    // error ack through reply.
    let again = execute_as_self(&mut b_deps, &b_env, process).unwrap_err();
    assert!(matches!(again, ContractError::AlreadyAttested { .. }));
    #[allow(deprecated)]
    let rep = Reply {
        id: REPLY_RECEIVE,
        payload: Binary::default(),
        gas_used: 0,
        result: SubMsgResult::Err(again.to_string()),
    };
    let rr = reply(b_deps.as_mut(), b_env.clone(), rep).unwrap();
    let ack: StdAck = from_json(rr.data.unwrap()).unwrap();
    assert!(matches!(ack, StdAck::Error(ref e) if e.contains("already attested")));

    // B's own rules: a packet for another chain, a tampered attestation, an unknown channel.
    let mut wrong_chain = packet.clone();
    wrong_chain.attestation.chain_id = CHAIN_A.into();
    let pp = ExecuteMsg::ProcessPacket {
        channel_id: "channel-7".into(),
        packet: wrong_chain,
    };
    assert_eq!(
        execute_as_self(&mut b_deps, &b_env, pp).unwrap_err(),
        ContractError::WrongChain(CHAIN_A.into())
    );
    let mut tampered = packet.clone();
    tampered.attestation.job_id = "job-y".into();
    let pp = ExecuteMsg::ProcessPacket {
        channel_id: "channel-7".into(),
        packet: tampered,
    };
    assert_eq!(
        execute_as_self(&mut b_deps, &b_env, pp).unwrap_err(),
        ContractError::BadSignature
    );
    let r = receive(&mut b_deps, &b_env, "channel-9", &packet);
    assert!(r.messages.is_empty());
    assert!(matches!(
        from_json::<StdAck>(r.acknowledgement.unwrap()).unwrap(),
        StdAck::Error(_)
    ));

    // Back on A: success ack delivers it; nothing pending.
    acknowledge(&mut a_deps, &a_env, &packet, StdAck::success(b"\x01"));
    assert_eq!(outgoing(&a_deps, &a_env, 1).status, PacketStatus::Delivered);
    assert_eq!(
        execute_by(
            &mut a_deps,
            &a_env,
            &relayer,
            ExecuteMsg::RetryPacket { id: 1 }
        )
        .unwrap_err(),
        ContractError::NotRetryable(1)
    );
}

#[test]
fn error_acks_and_timeouts_keep_the_packet_retryable() {
    let (mut deps, e) = chain(CHAIN_A);
    connect(&mut deps, &e, "channel-0");
    let g = gov(&deps);
    let route = ExecuteMsg::SetRoute {
        chain_id: CHAIN_B.into(),
        channel_id: Some("channel-0".into()),
    };
    execute(deps.as_mut(), e.clone(), message_info(&g, &[]), route).unwrap();
    let att = remote_attestation("cosmwasm1escrowb", "job-t", 4, e.block.time.seconds());
    let anyone = deps.api.addr_make("anyone");
    let res = execute_by(&mut deps, &e, &anyone, signed_submit(att, 0, None)).unwrap();
    let packet = sent_packet(&res);
    let retry =
        |deps: &mut Deps| execute_by(deps, &e, &anyone, ExecuteMsg::RetryPacket { id: packet.id });
    // In flight: nothing to retry.
    assert_eq!(
        retry(&mut deps).unwrap_err(),
        ContractError::NotRetryable(1)
    );
    // Error ack: refused with the reason, still pending, retryable.
    acknowledge(&mut deps, &e, &packet, StdAck::error("job expired"));
    assert_eq!(
        outgoing(&deps, &e, 1).status,
        PacketStatus::Refused {
            error: "job expired".into()
        }
    );
    let r = retry(&mut deps).unwrap();
    assert_eq!(sent_packet(&r), packet);
    assert_eq!(outgoing(&deps, &e, 1).attempts, 2);
    // Timeout: same.
    let t = mock_ibc_packet_timeout("channel-0", &packet).unwrap();
    ibc_packet_timeout(deps.as_mut(), e.clone(), t).unwrap();
    assert_eq!(outgoing(&deps, &e, 1).status, PacketStatus::TimedOut);
    // An undecodable ack counts as refused (never lost).
    retry(&mut deps).unwrap();
    acknowledge(&mut deps, &e, &packet, b"??".to_vec());
    assert!(matches!(
        outgoing(&deps, &e, 1).status,
        PacketStatus::Refused { .. }
    ));
    // The channel closes: a retry waits for a new route (the record stays pending).
    let close = mock_ibc_channel_close_init("channel-0", IbcOrder::Unordered, IBC_VERSION);
    ibc_channel_close(deps.as_mut(), e.clone(), close).unwrap();
    assert_eq!(
        retry(&mut deps).unwrap_err(),
        ContractError::ChannelClosed("channel-0".into())
    );
    connect(&mut deps, &e, "channel-1");
    let route = ExecuteMsg::SetRoute {
        chain_id: CHAIN_B.into(),
        channel_id: Some("channel-1".into()),
    };
    execute(deps.as_mut(), e.clone(), message_info(&g, &[]), route).unwrap();
    let r = retry(&mut deps).unwrap();
    assert!(matches!(
        &r.messages[0].msg,
        CosmosMsg::Ibc(IbcMsg::SendPacket { channel_id, .. }) if channel_id == "channel-1"
    ));
    let pending = pending_packets(deps.as_ref(), e.clone());
    assert_eq!(pending.packets.len(), 1);
    assert_eq!(pending.packets[0].attempts, 4);
    // Acks of unknown packets are typed errors.
    let mut stray = packet.clone();
    stray.id = 99;
    let ack = mock_ibc_packet_ack(
        "channel-1",
        &stray,
        IbcAcknowledgement::new(StdAck::success(b"")),
    )
    .unwrap();
    assert_eq!(
        ibc_packet_ack(deps.as_mut(), e, ack).unwrap_err(),
        ContractError::UnknownPacket(99)
    );
}

/// A hostile counterparty: whatever it puts in a packet, chain B pays nothing unless B's own
/// registry and rules accept it, and only over a channel B's governance pinned and routed.
mod hostile_counterparty {
    use super::*;
    use bithive_attestation::msg::{KeySignature, PacketProof};
    use bithive_signed_attestation::QUORUM_SIGNER;
    use cosmwasm_std::HexBinary;

    /// Chain B connected on channel-7 and routed to A; returns B and its escrow.
    fn chain_b() -> (Deps, Env, String) {
        let (mut deps, e) = chain(CHAIN_B);
        connect(&mut deps, &e, "channel-7");
        route(&mut deps, &e, CHAIN_A, "channel-7");
        let escrow = deps.api.addr_make("escrow").to_string();
        (deps, e, escrow)
    }

    /// Chain B (see `chain_b`) and an attestation of `job` for its escrow, claimed by `signer`.
    fn chain_b_attested(job: &str, nonce: u64, signer: PubKey33) -> (Deps, Env, Attestation) {
        let (deps, e, escrow) = chain_b();
        let mut att = remote_attestation(&escrow, job, nonce, e.block.time.seconds());
        att.signer = signer;
        (deps, e, att)
    }

    fn process(deps: &mut Deps, e: &Env, packet: AttestationPacket) -> Result<(), ContractError> {
        let msg = ExecuteMsg::ProcessPacket {
            channel_id: "channel-7".into(),
            packet,
        };
        execute_as_self(deps, e, msg).map(|_| ())
    }

    fn single(att: Attestation, signer: u8) -> AttestationPacket {
        let signed = sign(att, &signing_key(&secret(signer)).unwrap()).unwrap();
        AttestationPacket {
            id: 1,
            attestation: signed.attestation,
            proof: PacketProof::Single {
                signature: signed.signature,
            },
            payload: None,
        }
    }

    #[test]
    fn a_key_not_registered_here_is_refused() {
        let (mut deps, e, att) = chain_b_attested("job-m", 1, key(5));
        assert_eq!(
            process(&mut deps, &e, single(att, 5)).unwrap_err(),
            ContractError::UnknownOperator
        );
    }

    #[test]
    fn a_quorum_of_strangers_is_refused() {
        let (mut deps, e, att) = chain_b_attested("job-q", 2, QUORUM_SIGNER);
        // Valid signatures over the quorum body, by keys B has never seen.
        let signatures = [5u8, 6]
            .iter()
            .map(|i| {
                let (key, signature) = bithive_signed_attestation::signing::sign_as_quorum_member(
                    &att,
                    &signing_key(&secret(*i)).unwrap(),
                )
                .unwrap();
                KeySignature { key, signature }
            })
            .collect();
        let packet = AttestationPacket {
            id: 2,
            attestation: att,
            proof: PacketProof::Secp256k1 { signatures },
            payload: None,
        };
        assert_eq!(
            process(&mut deps, &e, packet).unwrap_err(),
            ContractError::UnknownOperator
        );
    }

    #[test]
    fn a_bls_proof_is_checked_against_keys_registered_here() {
        let (mut deps, e, att) = chain_b_attested("job-b", 3, QUORUM_SIGNER);
        // Whatever aggregate the sender made, the signers are looked up here.
        let bls = |id: u64, signer: &str| AttestationPacket {
            id,
            attestation: att.clone(),
            proof: PacketProof::Bls {
                signers: vec![signer.to_string()],
                signature: HexBinary::from(vec![0xc0; 96]),
            },
            payload: None,
        };
        let mallory = deps.api.addr_make("mallory").to_string();
        assert_eq!(
            process(&mut deps, &e, bls(3, &mallory)).unwrap_err(),
            ContractError::NotAttestor(mallory)
        );
        // A member of B's set without a BLS key registered on B.
        let node0 = deps.api.addr_make("node0").to_string();
        assert_eq!(
            process(&mut deps, &e, bls(4, &node0)).unwrap_err(),
            ContractError::NoBlsKey(node0)
        );
    }

    #[test]
    fn packets_only_on_a_routed_channel_of_a_pinned_peer() {
        let (mut deps, e) = chain(CHAIN_B);
        connect(&mut deps, &e, "channel-7");
        let escrow = deps.api.addr_make("escrow").to_string();
        let packet = single(
            remote_attestation(&escrow, "job-r", 1, e.block.time.seconds()),
            0,
        );
        // Open, pinned, but no chain is routed over it: error ack, nothing dispatched.
        let r = receive(&mut deps, &e, "channel-7", &packet);
        assert!(r.messages.is_empty());
        assert!(
            matches!(from_json::<StdAck>(r.acknowledgement.unwrap()).unwrap(), StdAck::Error(ref m) if m.contains("not the route"))
        );
        assert_eq!(
            process(&mut deps, &e, packet.clone()).unwrap_err(),
            ContractError::UnroutedChannel("channel-7".into())
        );
        // Routed: accepted.
        route(&mut deps, &e, CHAIN_A, "channel-7");
        let r = receive(&mut deps, &e, "channel-7", &packet);
        assert_eq!(r.messages.len(), 1);
        // One channel leads to one chain.
        let g = gov(&deps);
        let twice = ExecuteMsg::SetRoute {
            chain_id: "chain-c".into(),
            channel_id: Some("channel-7".into()),
        };
        assert_eq!(
            execute(deps.as_mut(), e.clone(), message_info(&g, &[]), twice).unwrap_err(),
            ContractError::ChannelRouted {
                channel: "channel-7".into(),
                chain: CHAIN_A.into()
            }
        );
        // Only governance pins peers; unpinning stops the channel at once.
        let unpin = ExecuteMsg::UpdatePeers {
            add: vec![],
            remove: vec![peer()],
        };
        let stranger = deps.api.addr_make("stranger");
        assert_eq!(
            execute_by(&mut deps, &e, &stranger, unpin.clone()).unwrap_err(),
            ContractError::Unauthorized
        );
        execute(deps.as_mut(), e.clone(), message_info(&g, &[]), unpin).unwrap();
        let r = receive(&mut deps, &e, "channel-7", &packet);
        assert!(r.messages.is_empty());
        assert_eq!(
            process(&mut deps, &e, packet).unwrap_err(),
            ContractError::BadCounterparty("connection-2/their_port".into())
        );
        // Bad peers are typed errors and change nothing.
        let bad = ExecuteMsg::UpdatePeers {
            add: vec![PeerEndpoint {
                connection_id: String::new(),
                port_id: "p".into(),
            }],
            remove: vec![],
        };
        assert!(matches!(
            execute(deps.as_mut(), e.clone(), message_info(&g, &[]), bad).unwrap_err(),
            ContractError::InvalidConfig(_)
        ));
    }

    #[test]
    fn migrating_from_a_port_only_config_pins_no_peer() {
        use bithive_attestation::contract::migrate;
        use bithive_attestation::msg::MigrateMsg;
        use bithive_attestation::state::{Config, ConfigV1, CONFIG};
        let (mut deps, e) = chain(CHAIN_B);
        let now: Config = CONFIG.load(&deps.storage).unwrap();
        let old = ConfigV1 {
            governance: now.governance,
            staking: now.staking,
            escrow: now.escrow,
            rewards: now.rewards,
            asset_nft: now.asset_nft,
            quorum_threshold: now.quorum_threshold,
            quorum_kinds: now.quorum_kinds,
            max_age_seconds: now.max_age_seconds,
            max_future_seconds: now.max_future_seconds,
            ibc_timeout_seconds: now.ibc_timeout_seconds,
            peer_port: Some("wasm.peer".into()),
        };
        cw_storage_plus::Item::<ConfigV1>::new("config")
            .save(&mut deps.storage, &old)
            .unwrap();
        cw2::set_contract_version(&mut deps.storage, "crates.io:bithive-attestation", "0.0.1")
            .unwrap();
        migrate(deps.as_mut(), e, MigrateMsg {}).unwrap();
        let migrated: Config = CONFIG.load(&deps.storage).unwrap();
        assert!(migrated.peers.is_empty());
    }
}

/// Issue #20 review: forwarding and retries go only over a still-pinned peer. Once governance
/// unpins the peer behind a route, a new forward and a retry of a refused packet are both
/// refused (`BadCounterparty`) and nothing is sent; pinned again, the retry goes out.
#[test]
fn unpinned_peers_get_no_forward_and_no_retry() {
    let (mut deps, e, anyone) = routed_chain_a();
    let submit =
        |deps: &mut Deps, job: &str, nonce: u64| submit_remote(deps, &e, &anyone, job, nonce);
    let packet = sent_packet(&submit(&mut deps, "job-p", 1).unwrap());
    acknowledge(&mut deps, &e, &packet, StdAck::error("job expired"));
    let g = gov(&deps);
    let peers =
        |add: Vec<PeerEndpoint>, remove: Vec<PeerEndpoint>| ExecuteMsg::UpdatePeers { add, remove };
    execute_by(&mut deps, &e, &g, peers(vec![], vec![peer()])).unwrap();
    let unpinned =
        ContractError::BadCounterparty(format!("{}/{}", peer().connection_id, peer().port_id));
    assert_eq!(submit(&mut deps, "job-q", 2).unwrap_err(), unpinned);
    let retry = ExecuteMsg::RetryPacket { id: packet.id };
    assert_eq!(
        execute_by(&mut deps, &e, &anyone, retry.clone()).unwrap_err(),
        unpinned
    );
    assert!(matches!(
        outgoing(&deps, &e, packet.id).status,
        PacketStatus::Refused { .. }
    ));
    execute_by(&mut deps, &e, &g, peers(vec![peer()], vec![])).unwrap();
    let r = execute(deps.as_mut(), e.clone(), message_info(&anyone, &[]), retry).unwrap();
    assert_eq!(sent_packet(&r), packet);
}

/// Issue #20 over IBC: a node's word on its own compute work is refused on the packet path as on
/// the local one. Chain A does not forward it; and a hostile chain A that sends such a packet
/// anyway (the receiver trusts nothing in it but the proof) gets an error ack on B, and B's
/// rewards contract is never called.
#[test]
fn self_attested_work_is_refused_on_both_ends_of_a_channel() {
    use bithive_interface::attestation::{PacketProof, WorkPayload};
    use bithive_signed_attestation::payload_hash;

    let (mut a_deps, a_env, mut b_deps, b_env) = connected_chains();
    route(&mut b_deps, &b_env, CHAIN_A, "channel-7");
    let b_rewards = b_deps.api.addr_make("rewards").to_string();
    // B's governance names its rewards contract (the compute-work consumer).
    let g = gov(&b_deps);
    let set_rewards = ExecuteMsg::UpdateConfig {
        escrow: None,
        rewards: Some(b_rewards.clone()),
        asset_nft: None,
        model_registry: None,
        quorum_threshold: None,
        quorum_kinds: None,
        max_age_seconds: None,
        max_future_seconds: None,
        ibc_timeout_seconds: None,
    };
    execute_by(&mut b_deps, &b_env, &g, set_rewards).unwrap();
    // Node 0 (operator key 0) vouches for its own measurements (the payload names no other node).
    let payload = to_json_binary(&WorkPayload {
        node: None,
        measured: shared::measured(),
    })
    .unwrap();
    let att = Attestation {
        chain_id: CHAIN_B.into(),
        contract: b_rewards.clone(),
        job_id: "work-epoch-1".into(),
        kind: AttestationKind::ComputeWork,
        result_hash: payload_hash(AttestationKind::ComputeWork, payload.as_slice()),
        commitments: vec![],
        issued_at: a_env.block.time.seconds(),
        nonce: 1,
        signer: key(0),
    };
    let signed = sign(att.clone(), &signing_key(&secret(0)).unwrap()).unwrap();
    let relayer = a_deps.api.addr_make("relayer");
    let submit = ExecuteMsg::Submit {
        attestation: att.clone(),
        signature: signed.signature,
        payload: Some(payload.clone()),
    };
    // Refused on A: compute work always needs a quorum (issue #43), self-attestation aside.
    assert_eq!(
        execute_by(&mut a_deps, &a_env, &relayer, submit).unwrap_err(),
        ContractError::QuorumRequired("compute_work")
    );

    // The hostile sender's packet, with a valid signature by node 0.
    let packet = AttestationPacket {
        id: 1,
        attestation: att,
        proof: PacketProof::Single {
            signature: signed.signature,
        },
        payload: Some(payload),
    };
    let r = receive(&mut b_deps, &b_env, "channel-7", &packet);
    let CosmosMsg::Wasm(WasmMsg::Execute { msg, .. }) = &r.messages[0].msg else {
        panic!("not a self-call");
    };
    let process: ExecuteMsg = from_json(msg).unwrap();
    // And on B, whatever the sender chain accepted.
    assert_eq!(
        execute_as_self(&mut b_deps, &b_env, process).unwrap_err(),
        ContractError::QuorumRequired("compute_work")
    );
}

/// Chain A's record of `job` (an inference job of B's escrow), if any.
fn record_on_a(deps: &Deps, e: &Env, job: &str) -> Option<bithive_attestation::state::Accepted> {
    from_json(
        query(
            deps.as_ref(),
            e.clone(),
            QueryMsg::Attestation {
                job_id: job.into(),
                kind: AttestationKind::Inference,
                contract: Some("cosmwasm1escrowb".into()),
                chain_id: Some(CHAIN_B.into()),
            },
        )
        .unwrap(),
    )
    .unwrap()
}

/// Issue #43: a forwarded attestation kept its record on the sending chain after the receiving
/// chain refused it, so A went on showing the job as attested and a corrected attestation of the
/// job was refused on A ("already attested"): the job could never be paid. An error ack now
/// releases A's record (set aside with the packet, which stays retryable); a retry delivered
/// while the job's key is free brings it back, and a newer record of the job is never replaced.
#[test]
fn a_refused_forward_releases_the_record_on_the_sending_chain() {
    let (mut deps, e, anyone) = routed_chain_a();
    let submit =
        |deps: &mut Deps, job: &str, nonce: u64| submit_remote(deps, &e, &anyone, job, nonce);
    let first = sent_packet(&submit(&mut deps, "job-r", 4).unwrap());
    assert_eq!(record_on_a(&deps, &e, "job-r").unwrap().forwarded, Some(1));

    // B refuses: A's record is released, the packet is kept (refused, retryable).
    let ack = mock_ibc_packet_ack(
        "channel-0",
        &first,
        IbcAcknowledgement::new(StdAck::error("job not open")),
    )
    .unwrap();
    let r = ibc_packet_ack(deps.as_mut(), e.clone(), ack).unwrap();
    assert!(r
        .attributes
        .iter()
        .any(|a| a.key == "outcome" && a.value == "refused: job not open (record released)"));
    assert_eq!(record_on_a(&deps, &e, "job-r"), None);
    assert!(matches!(
        outgoing(&deps, &e, 1).status,
        PacketStatus::Refused { .. }
    ));

    // A corrected attestation of the job (a new nonce) is accepted and forwarded; the old nonce
    // stays spent.
    assert!(submit(&mut deps, "job-r", 4).is_err(), "a replayed nonce");
    let second = sent_packet(&submit(&mut deps, "job-r", 5).unwrap());
    assert_eq!(second.id, 2);
    assert_eq!(record_on_a(&deps, &e, "job-r").unwrap().forwarded, Some(2));

    // The first packet retried and delivered: the newer record stands.
    execute_by(&mut deps, &e, &anyone, ExecuteMsg::RetryPacket { id: 1 }).unwrap();
    acknowledge(&mut deps, &e, &first, StdAck::success(b"\x01"));
    assert_eq!(outgoing(&deps, &e, 1).status, PacketStatus::Delivered);
    assert_eq!(record_on_a(&deps, &e, "job-r").unwrap().forwarded, Some(2));

    // The second refused, retried and delivered with the key free: its record comes back.
    acknowledge(&mut deps, &e, &second, StdAck::error("already attested"));
    assert_eq!(record_on_a(&deps, &e, "job-r"), None);
    execute_by(&mut deps, &e, &anyone, ExecuteMsg::RetryPacket { id: 2 }).unwrap();
    acknowledge(&mut deps, &e, &second, StdAck::success(b"\x01"));
    assert_eq!(record_on_a(&deps, &e, "job-r").unwrap().forwarded, Some(2));
    // A timeout releases nothing (the packet never reached B's rules).
    let third = sent_packet(&submit(&mut deps, "job-s", 6).unwrap());
    let t = mock_ibc_packet_timeout("channel-0", &third).unwrap();
    ibc_packet_timeout(deps.as_mut(), e.clone(), t).unwrap();
    assert!(record_on_a(&deps, &e, "job-s").is_some());
}
