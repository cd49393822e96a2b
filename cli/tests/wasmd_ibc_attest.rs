//! The attestation contract's cross-chain path on two wasmd chains over a channel Hermes opened
//! (#25): a job paid on B is attested on A by an operator key registered on both chains; A's
//! attestation contract forwards it over its route to B; Hermes relays the packet; B's contract
//! checks it against B's own registry and reports it to B's escrow for the node B holds for that
//! key; the acknowledgement comes back and A marks the packet delivered. Nothing is reported
//! twice: the same attestation submitted again is refused on A.
//!
//! Run by `scripts/test.d/ibc.sh` after it opened the attestation channel, pinned both peers and
//! restarted Hermes with the config that relays it. Environment: `IBC_A_ENV`, `IBC_B_ENV` (each
//! chain's wasmd-net.env), `IBC_A_DEPLOYMENT`, `IBC_B_DEPLOYMENT` (deployment.json), and
//! `ATT_CHANNEL_A`, `ATT_CHANNEL_B` (the attestation channel's id on each chain).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_cli::deploy::Deployment;
use bithive_cli::platform::{
    client, exec, new_mnemonic, query, random_nonce, register_node_on, DEMO_ROW,
};
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

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs two wasmd chains joined by Hermes (scripts/test.d/ibc.sh)"]
async fn a_job_paid_on_b_is_attested_on_a_and_reported_on_b_over_a_hermes_channel() {
    let a = Chain::open("IBC_A_ENV", "IBC_A_DEPLOYMENT");
    let b = Chain::open("IBC_B_ENV", "IBC_B_DEPLOYMENT");
    let (ch_a, ch_b) = (var("ATT_CHANNEL_A"), var("ATT_CHANNEL_B"));

    // One operator key, registered on both chains, each time by that chain's node account (the
    // same mnemonic, each chain's prefix); a patient on B.
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
    register_node_on(&a.gov, a.id(), &a.d.contracts, &node_a, &operator)
        .await
        .unwrap();
    register_node_on(&b.gov, b.id(), &b.d.contracts, &node_b, &operator)
        .await
        .unwrap();

    // Routes: A forwards B's attestations over its attestation channel; B accepts packets on its
    // end of it.
    for (c, other, ch) in [(&a, b.id(), &ch_a), (&b, a.id(), &ch_b)] {
        exec(
            &c.gov,
            &c.d.contracts.attestation,
            &AttestationMsg::SetRoute {
                chain_id: other.into(),
                channel_id: Some(ch.clone()),
            },
            "route",
        )
        .await
        .unwrap();
    }

    // The patient pays on B for a job bound to B's node of that operator.
    let now = b.gov.rpc().latest_block_time().await.unwrap();
    let create = EscrowMsg::CreateJob(CreateJobMsg {
        job_id: "x-wasmd-1".into(),
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
    let id = job_id(patient.address(), "x-wasmd-1");

    // The operator attests it on A.
    let secret: [u8; 32] = operator.k256().to_bytes().into();
    let key = signing::signing_key(&secret).unwrap();
    let att = Attestation {
        chain_id: b.id().into(),
        contract: b.d.contracts.payfi_escrow.clone(),
        job_id: id.clone(),
        kind: AttestationKind::Inference,
        result_hash: Hash32(Sha256::digest(id.as_bytes()).into()),
        commitments: vec![],
        issued_at: a.gov.rpc().latest_block_time().await.unwrap(),
        nonce: random_nonce().unwrap(),
        signer: signing::public_key(&key),
    };
    let signed = signing::sign(att, &key).unwrap();
    let submit = AttestationMsg::Submit {
        attestation: signed.attestation.clone(),
        signature: signed.signature,
        payload: None,
    };
    let started = Instant::now();
    let h_a = exec(&node_a, &a.d.contracts.attestation, &submit, "attest on A")
        .await
        .unwrap();

    // Hermes relays the packet to B, whose escrow records the report for B's node.
    loop {
        let job = b.job(&id).await;
        match &job.status {
            JobStatus::Reported { node, .. } | JobStatus::Paid { node } => {
                assert_eq!(node.as_str(), node_b.address(), "reported for another node");
                break;
            }
            s => assert!(
                started.elapsed() < Duration::from_secs(120),
                "job {id} not reported on B within 120 s: {s:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let to_b = started.elapsed();
    // The acknowledgement comes back: A marks its outgoing packet delivered.
    loop {
        let o: Option<Outgoing> = query(
            &a.gov,
            &a.d.contracts.attestation,
            &AttestationQuery::Packet { id: 1 },
            "packet",
        )
        .await
        .unwrap();
        let status = o.expect("A recorded no outgoing packet 1").status;
        if status == PacketStatus::Delivered {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "packet 1 not acknowledged within 180 s: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!(
        "attestation submitted on {} at height {h_a}; reported on {} after {:.1} s; \
         acknowledged on A after {:.1} s",
        a.id(),
        b.id(),
        to_b.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    // The same attestation again: refused on A (replay), so B is never told twice.
    let again = node_a
        .execute_msg(&a.d.contracts.attestation, &submit)
        .unwrap();
    assert!(
        node_a.submit(vec![again], "").await.is_err(),
        "a replayed attestation was accepted on A"
    );
}
