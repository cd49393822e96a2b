//! Properties (proptest, mock dependencies for speed):
//! - nothing is accepted twice: over random submission sequences, the contract accepts exactly
//!   what a model allows ((job, kind) once, (signer, nonce) once, conflicts never accepted);
//! - decoding fuzzer: random bytes as messages, packets and acknowledgements give typed errors
//!   or error acks, never a panic; random attestations never panic the verifier.

use std::collections::HashSet;

use bithive_attestation::contract::{execute, instantiate, query};
use bithive_attestation::ibc::{
    ibc_channel_connect, ibc_channel_open, ibc_packet_ack, ibc_packet_receive,
};
use bithive_attestation::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};
use bithive_attestation::state::Accepted;
use bithive_attestation::state::IBC_VERSION;
use bithive_signed_attestation::signing::{public_key, sign, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33, Signature64};
use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, mock_ibc_channel_connect_ack,
    mock_ibc_channel_open_try, mock_ibc_packet_ack, mock_ibc_packet_recv, MockApi, MockQuerier,
    MockStorage,
};
use cosmwasm_std::{
    from_json, to_json_binary, Binary, ContractResult, Env, IbcAcknowledgement, IbcOrder,
    OwnedDeps, StdAck, SystemResult, WasmQuery,
};
use proptest::prelude::*;

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const NODES: u8 = 3;

fn secret(i: u8) -> [u8; 32] {
    [i + 1; 32]
}

fn key(i: u8) -> PubKey33 {
    public_key(&signing_key(&secret(i)).unwrap())
}

fn setup() -> (Deps, Env) {
    let mut deps = mock_dependencies();
    let api = deps.api;
    let nodes: Vec<(PubKey33, String)> = (0..NODES)
        .map(|i| (key(i), api.addr_make(&format!("node{i}")).to_string()))
        .collect();
    deps.querier.update_wasm(move |q| match q {
        WasmQuery::Raw { key, .. } => {
            let v = nodes
                .iter()
                .find(|(k, _)| key.as_slice().ends_with(k.as_bytes()))
                .map(|(_, n)| to_json_binary(n).unwrap())
                .unwrap_or_default();
            SystemResult::Ok(ContractResult::Ok(v))
        }
        // The escrow's answer for any job: an inference job (not a research request).
        WasmQuery::Smart { .. } => {
            let job = bithive_interface::payfi_escrow::Job {
                job_id: "job".into(),
                model: "bc_logreg".into(),
                input: Binary::default(),
                input_hash: String::new(),
                payer: api.addr_make("payer"),
                asset: bithive_interface::payfi_escrow::AssetInfo::Native("ubhive".into()),
                amount: 1u128.into(),
                fee_bps: 0,
                expires_at: cosmwasm_std::Timestamp::from_seconds(4_000_000_000),
                status: bithive_interface::payfi_escrow::JobStatus::Open,
                node: None,
            };
            SystemResult::Ok(ContractResult::Ok(to_json_binary(&job).unwrap()))
        }
        _ => SystemResult::Ok(ContractResult::Err("unsupported".into())),
    });
    let e = mock_env();
    let gov = deps.api.addr_make("gov");
    let msg = InstantiateMsg {
        governance: gov.to_string(),
        staking: deps.api.addr_make("staking").to_string(),
        // Inference dispatches to the escrow (as a message: mock deps do not run it).
        escrow: Some(deps.api.addr_make("escrow").to_string()),
        rewards: Some(deps.api.addr_make("rewards").to_string()),
        asset_nft: None,
        model_registry: None,
        quorum_threshold: 2,
        quorum_kinds: vec![],
        max_age_seconds: 3_600,
        max_future_seconds: 60,
        ibc_timeout_seconds: 600,
        // cosmwasm-std's mock channels lead here.
        peers: vec![bithive_attestation::msg::PeerEndpoint {
            connection_id: "connection-2".into(),
            port_id: "their_port".into(),
        }],
    };
    instantiate(deps.as_mut(), e.clone(), message_info(&gov, &[]), msg).unwrap();
    (deps, e)
}

/// A single signer's attestation: an inference result (a single node may attest the job it
/// served) or a record-only matching result; `result` is free to differ (conflicts).
fn att(e: &Env, signer: u8, job: u8, kind: AttestationKind, nonce: u64, result: u8) -> Attestation {
    let contract = match kind {
        AttestationKind::Inference => MockApi::default().addr_make("escrow").to_string(),
        _ => e.contract.address.to_string(),
    };
    Attestation {
        chain_id: e.block.chain_id.clone(),
        contract,
        job_id: format!("job-{job}"),
        kind,
        result_hash: Hash32([result; 32]),
        commitments: vec![],
        issued_at: e.block.time.seconds(),
        nonce,
        signer: key(signer),
    }
}

fn accepted(deps: &Deps, e: &Env, job: u8, kind: AttestationKind) -> Option<Accepted> {
    from_json(
        query(
            deps.as_ref(),
            e.clone(),
            QueryMsg::Attestation {
                job_id: format!("job-{job}"),
                kind,
                contract: None,
                chain_id: None,
            },
        )
        .unwrap(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn nothing_is_accepted_twice(
        ops in proptest::collection::vec((0..NODES, 0u8..4, any::<bool>(), 0u64..4, 0u8..2), 1..24)
    ) {
        let (mut deps, e) = setup();
        let relayer = deps.api.addr_make("relayer");
        // Model: (job, kind) -> (signer, result), and for a record-only matching attestation
        // (its own key space, per signer: issue #43) (job, kind, signer); used (signer, nonce).
        type Space = (u8, bool, Option<u8>);
        let mut jobs: Vec<(Space, (u8, u8))> = Vec::new();
        let mut nonces: HashSet<(u8, u64)> = HashSet::new();
        let mut accepts = 0usize;
        for (signer, job, matching, nonce, result) in ops {
            let kind = if matching { AttestationKind::Matching } else { AttestationKind::Inference };
            let a = att(&e, signer, job, kind, nonce, result);
            let signed = sign(a.clone(), &signing_key(&secret(signer)).unwrap()).unwrap();
            let r = execute(
                deps.as_mut(),
                e.clone(),
                message_info(&relayer, &[]),
                ExecuteMsg::Submit {
                    attestation: a.clone(),
                    signature: signed.signature,
                    payload: None,
                },
            );
            let space = (job, matching, matching.then_some(signer));
            let prev = jobs.iter().find(|(k, _)| *k == space).map(|(_, v)| *v);
            match prev {
                Some((s, res)) => {
                    if s == signer && res != result {
                        // Conflict: forwarded as evidence, not accepted.
                        let r = r.unwrap();
                        prop_assert!(r.attributes.iter().any(|x| x.value == "conflict"));
                    } else {
                        prop_assert!(r.is_err());
                    }
                }
                None if nonces.contains(&(signer, nonce)) => prop_assert!(r.is_err()),
                None => {
                    let r = r.unwrap();
                    prop_assert!(r.attributes.iter().any(|x| x.value == "accept"));
                    jobs.push((space, (signer, result)));
                    nonces.insert((signer, nonce));
                    accepts += 1;
                }
            }
            // The record of (job, kind) is always the first accepted one; a record-only
            // matching attestation never takes it.
            let rec = accepted(&deps, &e, job, kind);
            let model = jobs
                .iter()
                .find(|(k, _)| !matching && *k == (job, false, None))
                .map(|(_, v)| *v);
            prop_assert_eq!(rec.as_ref().map(|r| (r.attestation.signer, r.attestation.result_hash)),
                model.map(|(s, res)| (key(s), Hash32([res; 32]))));
        }
        prop_assert_eq!(accepts, jobs.len());
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (mut deps, e) = setup();
        let open = mock_ibc_channel_open_try("channel-0", IbcOrder::Unordered, IBC_VERSION);
        ibc_channel_open(deps.as_mut(), e.clone(), open).unwrap();
        let conn = mock_ibc_channel_connect_ack("channel-0", IbcOrder::Unordered, IBC_VERSION);
        ibc_channel_connect(deps.as_mut(), e.clone(), conn).unwrap();
        // Routed, so packet data reaches the decoder.
        let gov = deps.api.addr_make("gov");
        let route = ExecuteMsg::SetRoute { chain_id: "chain-a".into(), channel_id: Some("channel-0".into()) };
        execute(deps.as_mut(), e.clone(), message_info(&gov, &[]), route).unwrap();
        let anyone = deps.api.addr_make("anyone");
        // As an execute message: a decoding error, or a message handled without panic.
        if let Ok(msg) = from_json::<ExecuteMsg>(&bytes) {
            let _ = execute(deps.as_mut(), e.clone(), message_info(&anyone, &[]), msg);
        }
        // As packet data: an error acknowledgement, never a failure of receive.
        let mut recv = mock_ibc_packet_recv("channel-0", &"x").unwrap();
        recv.packet.data = Binary::from(bytes.clone());
        let r = ibc_packet_receive(deps.as_mut(), e.clone(), recv).unwrap();
        prop_assert!(matches!(from_json::<StdAck>(r.acknowledgement.unwrap()).unwrap(), StdAck::Error(_)));
        // As an acknowledgement of an unknown packet: a typed error.
        let mut ack = mock_ibc_packet_ack("channel-0", &"x", IbcAcknowledgement::new(bytes.clone())).unwrap();
        ack.original_packet.data = Binary::from(bytes);
        prop_assert!(ibc_packet_ack(deps.as_mut(), e, ack).is_err());
    }

    #[test]
    fn random_attestations_are_refused_without_panic(
        chain in "[a-z0-9-]{0,70}",
        job in ".{0,140}",
        commitments in 0usize..20,
        issued_delta in -5_000i64..5_000,
        nonce in any::<u64>(),
        signer in proptest::collection::vec(any::<u8>(), 33),
        sig in proptest::collection::vec(any::<u8>(), 64),
    ) {
        let (mut deps, e) = setup();
        let a = Attestation {
            chain_id: chain,
            contract: e.contract.address.to_string(),
            job_id: job,
            kind: AttestationKind::Matching,
            result_hash: Hash32([1; 32]),
            commitments: vec![Hash32([2; 32]); commitments],
            issued_at: (e.block.time.seconds() as i64 + issued_delta) as u64,
            nonce,
            signer: PubKey33::from_slice(&signer).unwrap(),
        };
        let anyone = deps.api.addr_make("anyone");
        let r = execute(
            deps.as_mut(),
            e,
            message_info(&anyone, &[]),
            ExecuteMsg::Submit { attestation: a, signature: Signature64::from_slice(&sig).unwrap(), payload: None },
        );
        // A random signature by a random key is never accepted.
        prop_assert!(r.is_err());
    }
}
