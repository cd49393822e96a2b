//! The attestation contract's cross-chain path on two wasmd chains over a channel a relayer
//! opened (Hermes or rly, #25, #48): a job paid on B is attested on A by an operator key
//! registered on both chains; A's attestation contract forwards it over its route to B; the
//! relayer relays the packet; B's contract checks it against B's own registry and reports it to
//! B's escrow for the node B holds for that key; the acknowledgement comes back and A marks the
//! packet delivered. Nothing is reported twice: the same attestation submitted again is refused
//! on A.
//!
//! The second test sends an attestation while the relayer is down (SIGKILLed by the script): the
//! packet waits in flight on A, B hears nothing, and after the restart it is delivered once and
//! acknowledged.
//!
//! Run by `scripts/test.d/ibc.sh` after it opened the attestation channel, pinned both peers and
//! restarted the relayer with the config that relays it. Environment: `IBC_A_ENV`, `IBC_B_ENV` (each
//! chain's wasmd-net.env), `IBC_A_DEPLOYMENT`, `IBC_B_DEPLOYMENT` (deployment.json), and
//! `ATT_CHANNEL_A`, `ATT_CHANNEL_B` (the attestation channel's id on each chain); the second test
//! also `RELAYER_DOWN_MARKER`, a file it creates once its packet is in flight, when the script
//! restarts the relayer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_cli::demo::platform::{
    client, exec, new_mnemonic, query, random_nonce, register_node_on, DEMO_ROW,
};
use bithive_cli::deploy::Deployment;
use bithive_interface::attestation::{
    ExecuteMsg as AttestationMsg, Outgoing, PacketStatus, QueryMsg as AttestationQuery,
};
use bithive_interface::payfi_escrow::{
    job_id, CreateJobMsg, ExecuteMsg as EscrowMsg, Job, JobStatus, QueryMsg as EscrowQuery,
};
use bithive_signed_attestation::{signing, Attestation, AttestationKind, Hash32};
use cosmwasm_std::{Binary, Timestamp};
use sha2::{Digest, Sha256};

mod common;

const PRICE: u128 = 2_000_000;

fn var(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set (scripts/test.d/ibc.sh sets it)"))
}

fn env_file(name: &str) -> BTreeMap<String, String> {
    common::wasmd_env_file(&var(name))
}

fn deployment(name: &str) -> Deployment {
    let path = var(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// One chain: its facts, its deployment and its governance (the deployer).
struct Chain {
    env: BTreeMap<String, String>,
    d: Deployment,
    gov: ChainClient,
}

impl Chain {
    fn open(env: &str, deployment_var: &str) -> Chain {
        let env = env_file(env);
        let m = std::fs::read_to_string(&env["WASMD_DEPLOYER_MNEMONIC_FILE"]).unwrap();
        let key = OperatorKey::from_mnemonic(m.trim(), &env["WASMD_PREFIX"]).unwrap();
        let gov = client(&env["WASMD_RPC"], &env["WASMD_CHAIN_ID"], key).unwrap();
        Chain {
            d: deployment(deployment_var),
            env,
            gov,
        }
    }

    fn id(&self) -> &str {
        &self.env["WASMD_CHAIN_ID"]
    }

    fn client(&self, mnemonic: &str) -> ChainClient {
        let key = OperatorKey::from_mnemonic(mnemonic, &self.env["WASMD_PREFIX"]).unwrap();
        client(&self.env["WASMD_RPC"], self.id(), key).unwrap()
    }

    async fn fund(&self, to: &str) {
        common::bank_send(&self.gov, to, 50_000_000, &self.env["WASMD_DENOM"]).await;
    }

    async fn job(&self, id: &str) -> Job {
        self.gov
            .query_typed(
                &self.d.contracts.payfi_escrow,
                &EscrowQuery::Job { job_id: id.into() },
            )
            .await
            .unwrap()
    }
}

/// A fresh operator key registered on both chains (each time by that chain's account of one
/// node mnemonic), and a job a fresh patient paid on B for B's node of that operator.
struct PaidJob {
    node_a: ChainClient,
    node_b: ChainClient,
    operator: OperatorKey,
    id: String,
}

async fn paid_job(a: &Chain, b: &Chain, client_id: &str) -> PaidJob {
    let (node_m, operator_m, patient_m) = (
        new_mnemonic().unwrap(),
        new_mnemonic().unwrap(),
        new_mnemonic().unwrap(),
    );
    let operator = OperatorKey::from_mnemonic(&operator_m, &a.env["WASMD_PREFIX"]).unwrap();
    let (node_a, node_b, patient) = (a.client(&node_m), b.client(&node_m), b.client(&patient_m));
    a.fund(node_a.address()).await;
    b.fund(node_b.address()).await;
    b.fund(patient.address()).await;
    register_node_on(&a.gov, &a.d.contracts, &node_a, &operator)
        .await
        .unwrap();
    register_node_on(&b.gov, &b.d.contracts, &node_b, &operator)
        .await
        .unwrap();
    let now = b.gov.rpc().latest_block_time().await.unwrap();
    let create = EscrowMsg::CreateJob(CreateJobMsg {
        job_id: client_id.into(),
        expires_at: Timestamp::from_seconds(now + 86_400),
        model: "bc_logreg".into(),
        input: Binary::from(DEMO_ROW.as_bytes()),
        node: Some(node_b.address().to_string()),
    });
    let msg = patient
        .execute_msg_with_funds(
            &b.d.contracts.payfi_escrow,
            &create,
            &[(PRICE, b.env["WASMD_DENOM"].as_str())],
        )
        .unwrap();
    patient.submit(vec![msg], "").await.unwrap();
    let id = job_id(patient.address(), client_id);
    PaidJob {
        node_a,
        node_b,
        operator,
        id,
    }
}

/// The operator's inference attestation of the job, for B, to submit on A.
async fn attestation_on_a(a: &Chain, b: &Chain, job: &PaidJob) -> AttestationMsg {
    let secret: [u8; 32] = job.operator.k256().to_bytes().into();
    let key = signing::signing_key(&secret).unwrap();
    let att = Attestation {
        chain_id: b.id().into(),
        contract: b.d.contracts.payfi_escrow.clone(),
        job_id: job.id.clone(),
        kind: AttestationKind::Inference,
        result_hash: Hash32(Sha256::digest(job.id.as_bytes()).into()),
        commitments: vec![],
        issued_at: a.gov.rpc().latest_block_time().await.unwrap(),
        nonce: random_nonce().unwrap(),
        signer: signing::public_key(&key),
    };
    let signed = signing::sign(att, &key).unwrap();
    AttestationMsg::Submit {
        attestation: signed.attestation.clone(),
        signature: signed.signature,
        payload: None,
    }
}

/// Waits until B's escrow records the job reported (or paid) for B's node.
async fn wait_reported(b: &Chain, job: &PaidJob, started: Instant, within: Duration) {
    loop {
        match &b.job(&job.id).await.status {
            JobStatus::Reported { node, .. } | JobStatus::Paid { node } => {
                assert_eq!(
                    node.as_str(),
                    job.node_b.address(),
                    "reported for another node"
                );
                return;
            }
            s => assert!(
                started.elapsed() < within,
                "job {} not reported on B within {within:?}: {s:?}",
                job.id
            ),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A's outgoing packet carrying job `id`, if A holds one.
async fn outgoing_of(a: &Chain, id: &str) -> Option<Outgoing> {
    for packet in 1..=64u64 {
        let o: Option<Outgoing> = query(
            &a.gov,
            &a.d.contracts.attestation,
            &AttestationQuery::Packet { id: packet },
            "packet",
        )
        .await
        .unwrap();
        match o {
            Some(o) if o.packet.attestation.job_id == id => return Some(o),
            Some(_) => continue,
            None => return None,
        }
    }
    None
}

/// Waits until A marks the packet of job `id` delivered (its acknowledgement came back).
async fn wait_delivered(a: &Chain, id: &str, started: Instant, within: Duration) -> Outgoing {
    loop {
        let o = outgoing_of(a, id)
            .await
            .expect("A recorded no outgoing packet for the job");
        if o.status == PacketStatus::Delivered {
            return o;
        }
        assert!(
            started.elapsed() < within,
            "the packet of {id} not acknowledged within {within:?}: {:?}",
            o.status
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The job's node submits `submit` to A's attestation contract; returns the height it landed at.
async fn submit_on_a(a: &Chain, job: &PaidJob, submit: &AttestationMsg) -> u64 {
    exec(
        &job.node_a,
        &a.d.contracts.attestation,
        submit,
        "attest on A",
    )
    .await
    .unwrap()
}

/// The same attestation again: refused on A (replay), so B is never told twice.
async fn replay_refused(a: &Chain, job: &PaidJob, submit: &AttestationMsg) {
    let again = job
        .node_a
        .execute_msg(&a.d.contracts.attestation, submit)
        .unwrap();
    assert!(
        job.node_a.submit(vec![again], "").await.is_err(),
        "a replayed attestation was accepted on A"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs two wasmd chains joined by a relayer (scripts/test.d/ibc.sh)"]
async fn a_job_paid_on_b_is_attested_on_a_and_reported_on_b_over_a_relayed_channel() {
    let a = Chain::open("IBC_A_ENV", "IBC_A_DEPLOYMENT");
    let b = Chain::open("IBC_B_ENV", "IBC_B_DEPLOYMENT");
    let (ch_a, ch_b) = (var("ATT_CHANNEL_A"), var("ATT_CHANNEL_B"));
    let job = paid_job(&a, &b, "x-wasmd-1").await;

    // Routes: A forwards B's attestations over its attestation channel; B accepts packets on its
    // end of it.
    for (c, other, ch) in [(&a, b.id(), &ch_a), (&b, a.id(), &ch_b)] {
        common::set_route(&c.gov, &c.d.contracts.attestation, other, ch).await;
    }

    // The operator attests it on A; the relayer relays the packet to B, whose escrow records the
    // report for B's node; the acknowledgement comes back and A marks the packet delivered.
    let submit = attestation_on_a(&a, &b, &job).await;
    let started = Instant::now();
    let h_a = submit_on_a(&a, &job, &submit).await;
    wait_reported(&b, &job, started, Duration::from_secs(120)).await;
    let to_b = started.elapsed();
    wait_delivered(&a, &job.id, started, Duration::from_secs(180)).await;
    eprintln!(
        "attestation submitted on {} at height {h_a}; reported on {} after {:.1} s; \
         acknowledged on A after {:.1} s",
        a.id(),
        b.id(),
        to_b.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    replay_refused(&a, &job, &submit).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs two wasmd chains joined by a relayer, which the script kills first (scripts/test.d/ibc.sh)"]
async fn an_attestation_sent_while_the_relayer_is_down_is_delivered_once_after_the_restart() {
    let a = Chain::open("IBC_A_ENV", "IBC_A_DEPLOYMENT");
    let b = Chain::open("IBC_B_ENV", "IBC_B_DEPLOYMENT");
    let marker = var("RELAYER_DOWN_MARKER");
    let job = paid_job(&a, &b, "x-wasmd-down-1").await;
    let submit = attestation_on_a(&a, &b, &job).await;
    submit_on_a(&a, &job, &submit).await;

    // The relayer is down: the packet waits in flight on A and B hears nothing.
    let held = outgoing_of(&a, &job.id)
        .await
        .expect("A forwarded no packet");
    assert_eq!(held.status, PacketStatus::InFlight);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        b.job(&job.id).await.status == JobStatus::Open,
        "B heard of the job while the relayer was down"
    );
    assert_eq!(
        outgoing_of(&a, &job.id).await.unwrap().status,
        PacketStatus::InFlight
    );

    // The script restarts the relayer: the packet is delivered once, reported once, acknowledged.
    std::fs::write(&marker, held.id.to_string()).unwrap();
    let started = Instant::now();
    wait_reported(&b, &job, started, Duration::from_secs(180)).await;
    let done = wait_delivered(&a, &job.id, started, Duration::from_secs(240)).await;
    assert_eq!(done.id, held.id);
    assert_eq!(
        done.attempts, 1,
        "the packet was sent again although it was in flight"
    );
    eprintln!(
        "packet {} held in flight on {} while the relayer was down; after the restart reported on {} \
         and acknowledged in {:.1} s",
        held.id,
        a.id(),
        b.id(),
        started.elapsed().as_secs_f64()
    );
    replay_refused(&a, &job, &submit).await;
}
