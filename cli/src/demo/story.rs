//! The demo's story (the module doc of [`crate::demo`]), one function per step.

use std::time::Duration;

use bithive_chain_client::ChainClient;
use bithive_interface::emission::{
    ExecuteMsg as EmissionMsg, QueryMsg as EmissionQuery, StatusResponse,
};
use bithive_interface::rewards::{
    Config as RewardsConfig, ExecuteMsg as RewardsMsg, PendingWork, QueryMsg as RewardsQuery,
};
use bithive_interface::staking::{
    AttestorSetResponse, Config as StakingConfig, ExecuteMsg as StakingMsg, PledgeStatusResponse,
    QueryMsg as StakingQuery,
};
use bithive_interface::vesting::{
    ExecuteMsg as VestingMsg, QueryMsg as VestingQuery, SchedulesResponse,
};
use cosmwasm_std::Uint128;

use super::DemoReport;
pub use crate::demo::platform::DemoError;
use crate::demo::platform::{bhive, btk, ctx, cw20_balance, exec, fail, query, Platform, DAY};
use crate::demo::research::Enrolled;
use crate::model_keys::ModelKeys;

/// The patient's payment for one inference job (5 BHIVE).
const JOB_PRICE: u128 = 5_000_000;

/// The story of the module doc, step by step; each step checks its result on chain.
pub(super) async fn story(
    p: &Platform,
    enrolled: Enrolled,
    model_keys: &ModelKeys,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let node_before = inference_job(p, report, progress).await?;
    research_and_settle(p, enrolled, node_before, report, progress).await?;
    emission_and_treasury(p, report, progress).await?;
    pledges(p, report, progress).await?;
    // AIM (#23) begins here: the node's compute work is the job it serves on the model the
    // attestors measured (ADR 007), so the model and its paid job come before the work report.
    let store = crate::demo::aim::content_store(p)?;
    let mut aim = crate::demo::aim::AimReport::default();
    let model_job =
        crate::demo::aim::publish_and_order(p, &store, model_keys, &mut aim, progress).await?;
    crate::demo::aim::settle(p, model_job, &mut aim, progress).await?;
    let signers = attest_compute_work(p, progress).await?;
    claim_compute_reward(p, signers, report, progress).await?;
    aim_story(p, model_keys, &store, aim, report, progress).await
}

/// Step 2: a patient pays for an inference job; the relayer attests and the escrow holds the
/// payment for the dispute window. Returns the node's balance before the payment.
async fn inference_job(
    p: &Platform,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<u128, DemoError> {
    let (_gov, node) = (&p.gov, &p.node);
    let _c = &p.deployment.contracts;
    let node_before = p.balance(node.address()).await?;
    let created = p
        .create_inference_job("demo-inference-1", JOB_PRICE)
        .await?;
    progress(&format!(
        "patient paid {} for job demo-inference-1 (model bc_logreg) at height {created}",
        bhive(JOB_PRICE)
    ));
    let accepted = p
        .wait_reported("demo-inference-1", Duration::from_secs(120))
        .await?;
    let attested_height = accepted.height;
    report.attestation_latency_blocks = attested_height.saturating_sub(created);
    // The patient may dispute the result for the escrow's window; the payment waits.
    progress(&format!(
        "relayer attested the result at height {attested_height}; the escrow holds the payment for its dispute window"
    ));
    report.row(
        "inference job",
        format!("paid {} by the patient", bhive(JOB_PRICE)),
    );
    report.row(
        "event -> attestation",
        format!(
            "{} blocks (job at {}, attestation at {attested_height})",
            report.attestation_latency_blocks, created
        ),
    );

    Ok(node_before)
}

/// Step 3: a research request, matched double-blind and delivered to exactly its recipients;
/// then both jobs' dispute windows pass and the escrow pays the node.
async fn research_and_settle(
    p: &Platform,
    enrolled: Enrolled,
    node_before: u128,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let (_gov, node) = (&p.gov, &p.node);
    let _c = &p.deployment.contracts;
    // A research request, matched double-blind and delivered to exactly its recipients.
    let mut r = crate::demo::research::research_request(p, enrolled, progress).await?;

    // The jobs' dispute windows pass undisputed (the devnet's clock moves, or a real chain's
    // seconds-long windows are waited out; the relayer's work is done): anyone finalizes, the escrow pays the node. The node account pays no gas here
    // (the operator key posts), so it gains exactly each price less the escrow fee.
    p.finalize_job(&p.job_id("demo-inference-1")).await?;
    let gained = p.balance(node.address()).await?.saturating_sub(node_before);
    let fee = crate::demo::platform::expect_paid("escrow payment", gained, JOB_PRICE, 50)?;
    r.node_paid = crate::demo::research::finalize_and_check(p, &r).await?;
    progress("dispute windows passed undisputed; the escrow paid the node for both jobs");
    report.row(
        "escrow to node",
        format!("{} (escrow fee {})", bhive(gained), bhive(fee)),
    );
    report.row(
        "research request",
        format!(
            "{} of {} users matched double-blind; {} B ciphertext; node paid {}",
            r.recipients,
            r.users,
            r.ciphertext_bytes,
            bhive(r.node_paid)
        ),
    );
    report.row(
        "BitChat delivery",
        format!(
            "{} recipients decrypted; {} outsider refused; commitment {}.. at height {}",
            r.decrypted,
            r.outsiders_refused,
            &r.commitment[..12],
            r.attested_height
        ),
    );

    Ok(())
}

/// Step 4: emission mints and the treasury is paid: by vesting two months on (devnet), or as the
/// app pool's first developer (a real chain, real time).
async fn emission_and_treasury(
    p: &Platform,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let gov = &p.gov;
    let c = &p.deployment.contracts;
    if p.is_external() {
        // Real time: emission counts from a day before the deployment (an announced launch), so
        // its first crank mints a day's BTK; the foundation's share goes into vesting, locked a
        // month. The treasury is the app pool's first developer: its claim pays 20 % at once
        // (what funds the pledges below) and vests the rest.
        let developer = RewardsMsg::SetDeveloper {
            developer: gov.address().to_string(),
            weight: Uint128::one(),
        };
        p.govern(
            "add the first app-pool developer",
            vec![(
                c.rewards.clone(),
                ctx!(serde_json::to_value(developer), "proposal")?,
            )],
        )
        .await?;
        distribute(gov, &c.emission).await?;
        let minted = emission_minted(gov, &c.emission).await?;
        let before = cw20_balance(gov, &c.btk, gov.address()).await?;
        exec(gov, &c.rewards, &RewardsMsg::ClaimApp {}, "app pool claim").await?;
        let paid = cw20_balance(gov, &c.btk, gov.address())
            .await?
            .saturating_sub(before);
        progress(&format!(
            "emission minted {} (a day, real time); the treasury claimed its app-pool share: {} at once, the rest into vesting",
            btk(minted),
            btk(paid)
        ));
        report.row("emission, first day", btk(minted));
        report.row(
            "app pool claim",
            format!(
                "{} to the treasury at once (20 %), the rest vesting",
                btk(paid)
            ),
        );
    } else {
        // Two months on: emission has minted every day, and the foundation's share has passed
        // its one-month lock: vesting releases part of it to the treasury.
        for days in [1, 31, 31] {
            p.pass_time(days * DAY).await?;
            distribute(gov, &c.emission).await?;
        }
        let released = claim_treasury_vesting(gov, &c.vesting, &c.btk).await?;
        let minted = emission_minted(gov, &c.emission).await?;
        progress(&format!(
            "day 63: emission minted {} in all; vesting released {} to the treasury",
            btk(minted),
            btk(released)
        ));
        report.row("emission, day 63", btk(minted));
        report.row(
            "vesting released",
            format!(
                "{} (foundation + operations, after the lock)",
                btk(released)
            ),
        );
    }

    Ok(())
}

/// Step 5: the treasury pledges for the node and bonds three attestors; staking picks the
/// attestor set from bonded nodes.
async fn pledges(
    p: &Platform,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let (gov, node) = (&p.gov, &p.node);
    let c = &p.deployment.contracts;
    // Mining needs a pledge: the treasury grants the node its pledge (100 BTK per T) and three
    // attestors the minimum bond; staking picks the attestor set from bonded nodes only.
    let status: PledgeStatusResponse = query(
        gov,
        &c.staking,
        &StakingQuery::PledgeStatus {
            node: node.address().to_string(),
        },
        "pledge status",
    )
    .await?;
    p.pledge(node, status.required.u128()).await?;
    let staking: StakingConfig =
        query(gov, &c.staking, &StakingQuery::Config {}, "staking config").await?;
    let joining: Vec<(&ChainClient, &bithive_chain_client::OperatorKey)> =
        p.attestors.iter().map(|(c, k)| (c, k)).collect();
    p.register_nodes(&joining).await?;
    for (client, _) in &p.attestors {
        p.pledge(client, staking.min_bond.u128()).await?;
    }
    exec(
        gov,
        &c.staking,
        &StakingMsg::AdvanceAttestorSet { limit: 200 },
        "attestor set",
    )
    .await?;
    let set: AttestorSetResponse = query(
        gov,
        &c.staking,
        &StakingQuery::AttestorSet {},
        "attestor set",
    )
    .await?;
    progress(&format!(
        "node pledged {}; {} attestors bonded {} each; attestor set of {}",
        btk(status.required.u128()),
        p.attestors.len(),
        btk(staking.min_bond.u128()),
        set.members.len()
    ));
    report.row(
        "pledges",
        format!(
            "node {} (4 T), {} attestors {} each; attestor set of {}",
            btk(status.required.u128()),
            p.attestors.len(),
            btk(staking.min_bond.u128()),
            set.members.len()
        ),
    );

    Ok(())
}

/// Step 5: the attestors attest the node's compute work as a quorum; the report waits out its
/// challenge window and is finalized. Returns how many attestors signed.
async fn attest_compute_work(
    p: &Platform,
    progress: &mut dyn FnMut(&str),
) -> Result<usize, DemoError> {
    let (gov, node) = (&p.gov, &p.node);
    let c = &p.deployment.contracts;
    let mut measured = measure_availability(p, progress).await?;
    // The attestors close the epoch by themselves, as `relayer start` with `[attestor]` does:
    // each publishes its signed tallies on its endpoint, then signs every measured node's
    // report from all members' tallies (the median share, never a node's own), then submits
    // the statement a quorum signed (the first submission counts, the others are refused as
    // repeats). The units and task counts are not in it: rewards takes them from the jobs the
    // escrow paid the node (the model job above).
    let end = measured.probers[0].epoch_start(measured.epoch + 1);
    let mut submitted = Vec::new();
    for at in [end, end + REPORT_SETTLE, end + 2 * REPORT_SETTLE] {
        let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
        p.pass_time(at.saturating_sub(now)).await?;
        let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
        for ((reporter, prober), (client, _)) in measured
            .reporters
            .iter_mut()
            .zip(&measured.probers)
            .zip(&p.attestors)
        {
            submitted.extend(ctx!(
                reporter.step(client, prober, now).await,
                "close the epoch"
            )?);
        }
    }
    for s in &measured.servers {
        s.abort();
    }
    let job = bithive_relayer::work_report::work_job_id(node.address(), measured.epoch);
    let report = submitted
        .iter()
        .find(|s| s.job_id == job && s.result.is_ok())
        .ok_or_else(|| {
            fail("compute work")(&format!(
                "no attestor submitted {job}: {:?}",
                submitted
                    .iter()
                    .map(|s| format!("{} {:?}", s.job_id, s.result))
                    .collect::<Vec<_>>()
            ))
        })?;
    let signers = report.signers;
    let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
    let served: bithive_interface::rewards::ServedWork = query(
        gov,
        &c.rewards,
        &RewardsQuery::Served {
            node: node.address().to_string(),
        },
        "served work",
    )
    .await?;
    progress(&format!(
        "{signers} attestors attested what they measured of the node; rewards counts the {} work units of the {} paid job(s) the escrow told it of (Tsuccessful/Ttotal {}/{})",
        served.units,
        served.paid,
        served.paid,
        served.total()
    ));

    // The report waits out its challenge window (any attestor may dispute it), then anyone
    // finalizes it and it counts.
    let held: Vec<PendingWork> = query(
        gov,
        &c.rewards,
        &RewardsQuery::PendingWorks {
            start_after: None,
            limit: None,
        },
        "pending work",
    )
    .await?;
    let work = held
        .iter()
        .find(|w| w.node.as_str() == node.address())
        .ok_or_else(|| fail("compute work")(&"the report is not held for its challenge window"))?;
    let wait = work.challenge_ends.saturating_sub(now) + 1;
    p.pass_time(wait).await?;
    exec(
        gov,
        &c.rewards,
        &RewardsMsg::FinalizeWork { id: work.id },
        "finalize work",
    )
    .await?;
    progress(&format!(
        "work report {} finalized after its {wait} s challenge window",
        work.id
    ));

    Ok(signers)
}

/// What the attestors measured of one rewards epoch.
struct MeasuredEpoch {
    epoch: u64,
    probers: Vec<bithive_relayer::attestor::Prober>,
    reporters: Vec<bithive_relayer::reporter::Reporter>,
    /// The node's probe endpoint and each attestor's exchange endpoint.
    servers: Vec<tokio::task::JoinHandle<()>>,
}

/// Seconds between the steps of the attestors' epoch close in the demo (`report_delay_seconds`).
const REPORT_SETTLE: u64 = 5;

/// Serves `responder` on a loopback port and registers its URL in staking as `account`'s
/// endpoint.
async fn serve_endpoint(
    account: &ChainClient,
    staking: &str,
    responder: bithive_relayer::attestor::ProbeResponder,
) -> Result<(String, tokio::task::JoinHandle<()>), DemoError> {
    let listener = ctx!(
        tokio::net::TcpListener::bind("127.0.0.1:0").await,
        "endpoint"
    )?;
    let url = format!(
        "http://{}",
        ctx!(listener.local_addr(), "endpoint address")?
    );
    let responder = std::sync::Arc::new(responder);
    let server = tokio::spawn(bithive_bitchat::endpoint::serve_async(
        listener,
        Default::default(),
        move |path: String| responder.clone().answer(path),
    ));
    exec(
        account,
        staking,
        &StakingMsg::SetEndpoint {
            endpoint: Some(url.clone()),
        },
        "set endpoint",
    )
    .await?;
    Ok((url, server))
}

/// Probes per node per epoch in the demo (a real attestor's default is 24).
const DEMO_PROBES: u32 = 8;
/// Benchmark challenges per node per epoch in the demo (a real attestor's default is 2), and
/// inputs of the published workload in each.
const DEMO_BENCHES: u32 = 2;
const DEMO_BENCH_INPUTS: u32 = 16;

/// The node answers probes on a loopback endpoint it registers in staking; each attestor probes
/// it through one whole rewards epoch of the chain's clock (its own unpredictable times), and
/// signs its tallies. Nothing here states a share: it is what the probes found.
async fn measure_availability(
    p: &Platform,
    progress: &mut dyn FnMut(&str),
) -> Result<MeasuredEpoch, DemoError> {
    use bithive_relayer::attestor::{self, BenchService, Bencher, ProbeResponder, Prober};
    let (gov, node) = (&p.gov, &p.node);
    let c = &p.deployment.contracts;
    // The published benchmark workload on the demo's engine runtime: the node runs it for the
    // attestors' challenges, and each attestor re-runs a sample of every answer.
    let engine = crate::demo::aim::models::inference_config(p)?;
    let runtime = ctx!(
        bithive_inference::runtime::Runtime::load(&engine.runtime),
        "inference runtime"
    )?;
    let workload: std::sync::Arc<dyn bithive_relayer::benchmark::WorkloadRunner> =
        std::sync::Arc::new(ctx!(
            bithive_inference::workload::Workload::load(&runtime),
            "benchmark workload"
        )?);
    let bench = BenchService::new(workload.clone());
    bench.set_attestors(
        &p.chain_id,
        ctx!(
            attestor::attestor_keys(gov, &c.staking).await,
            "attestor set"
        )?,
    );
    let responder = ProbeResponder::new(vec![(
        p.chain_id.clone(),
        c.staking.clone(),
        node.address().to_string(),
        p.operator_key.k256().clone(),
    )])
    .with_benchmarks(bench);
    let (url, server) = serve_endpoint(node, &c.staking, responder).await?;
    let mut servers = vec![server];
    let rewards: RewardsConfig =
        query(gov, &c.rewards, &RewardsQuery::Config {}, "rewards config").await?;
    let stratum = rewards.epoch_seconds / u64::from(DEMO_PROBES);
    let mut probers = Vec::new();
    let mut reporters = Vec::new();
    for (client, key) in &p.attestors {
        // Each attestor publishes its tallies and statements for the others on its endpoint.
        let published = bithive_relayer::reporter::Published::new();
        let (_, server) = serve_endpoint(
            client,
            &c.staking,
            ProbeResponder::new(vec![]).with_published(published.clone()),
        )
        .await?;
        servers.push(server);
        reporters.push(bithive_relayer::reporter::Reporter::new(
            bithive_relayer::reporter::ReporterConfig {
                staking: c.staking.clone(),
                rewards: c.rewards.clone(),
                attestation: c.attestation.clone(),
                settle: REPORT_SETTLE,
                timeout: Duration::from_secs(5),
            },
            key.k256().clone(),
            published,
            ctx!(bithive_relayer::Store::open_in_memory(), "report store")?,
        ));
        let store = ctx!(bithive_relayer::Store::open_in_memory(), "probe store")?;
        probers.push(ctx!(
            Prober::for_attestor(
                key.k256(),
                &p.chain_id,
                &c.staking,
                (rewards.genesis, rewards.epoch_seconds),
                DEMO_PROBES,
                Duration::from_secs(5),
                Duration::from_secs(stratum.max(1) * 2),
                store,
            )
            .and_then(|prober| prober.with_benchmarks(
                Bencher {
                    runner: workload.clone(),
                    per_epoch: DEMO_BENCHES,
                    inputs: DEMO_BENCH_INPUTS,
                    timeout: Duration::from_secs(30),
                },
                key.k256(),
            )),
            "probe schedule"
        )?);
    }
    // The next whole epoch, stratum by stratum on the chain's clock.
    let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
    let epoch = epoch_of(now, &rewards) + 1;
    let start = rewards.genesis + epoch * rewards.epoch_seconds;
    p.pass_time(start.saturating_sub(now)).await?;
    let targets = ctx!(attestor::targets(gov, &c.staking).await, "probe targets")?;
    for k in 1..=u64::from(DEMO_PROBES) {
        let until = if k == u64::from(DEMO_PROBES) {
            start + rewards.epoch_seconds - 1
        } else {
            start + k * stratum - 1
        };
        let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
        p.pass_time(until.saturating_sub(now)).await?;
        let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
        for prober in probers.iter_mut() {
            ctx!(prober.round(&targets, now).await, "probe round")?;
        }
    }
    let mut seen = Vec::new();
    let mut benched = Vec::new();
    for prober in &probers {
        let tallies = ctx!(prober.tallies(epoch), "tallies")?;
        if let Some((_, t)) = tallies.iter().find(|(n, _)| n == node.address()) {
            seen.push(format!("{}/{}", t.answered, t.probed));
        }
        let benches = ctx!(prober.benchmarks(epoch), "benchmarks")?;
        if let Some(b) = benches.get(node.address()) {
            benched.push(format!(
                "{} TFLOPS at {} W ({:?})",
                b.pcompute, b.penergy, b.energy
            ));
        }
    }
    progress(&format!(
        "{} attestors probed the node at {url} through rewards epoch {epoch}, each at its own unpredictable times: answered {}; benchmarked it on the published workload (their clocks, a sample re-run): {}",
        probers.len(),
        seen.join(", "),
        if benched.is_empty() { "none passed".to_string() } else { benched.join(", ") }
    ));
    Ok(MeasuredEpoch {
        epoch,
        probers,
        reporters,
        servers,
    })
}

/// Step 5: the epoch closes and the node claims its compute reward into vesting; an early
/// claim of it is refused.
async fn claim_compute_reward(
    p: &Platform,
    signers: usize,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let (gov, node) = (&p.gov, &p.node);
    let c = &p.deployment.contracts;
    // The epoch closes (a day on the devnet, seconds on a real chain): its pool is shared by
    // its work, and the node claims.
    let rewards: RewardsConfig =
        query(gov, &c.rewards, &RewardsQuery::Config {}, "rewards config").await?;
    let now = ctx!(gov.rpc().latest_block_time().await, "block time")?;
    let epoch_ends = rewards
        .genesis
        .saturating_add((epoch_of(now, &rewards) + 1).saturating_mul(rewards.epoch_seconds));
    p.pass_time(epoch_ends.saturating_sub(now) + 1).await?;
    distribute(gov, &c.emission).await?;
    let pool = cw20_balance(gov, &c.btk, &c.rewards).await?;
    // As `bithive relayer claim` does: what is claimable first, then the claim.
    let claimed = ctx!(
        bithive_relayer::claim::claim_compute(node, &c.rewards).await,
        "claim compute"
    )?
    .ok_or_else(|| fail("claim compute")(&"nothing claimable after the epoch closed"))?;
    if claimed.amount.is_zero() {
        return Err(fail("claim compute")(&"the claim paid nothing"));
    }
    let node_vesting: SchedulesResponse = query(
        node,
        &c.vesting,
        &VestingQuery::SchedulesByBeneficiary {
            beneficiary: node.address().to_string(),
            start_after: None,
            limit: Some(10),
        },
        "node vesting",
    )
    .await?;
    let reward: u128 = node_vesting.schedules.iter().map(|s| s.amount.u128()).sum();
    if reward == 0 {
        return Err(fail("compute reward")(&"no vesting schedule for the node"));
    }
    if claimed.vesting.u128() != reward {
        return Err(fail("compute reward")(&format!(
            "the claim put {} into vesting, the node's schedules hold {reward}",
            claimed.vesting
        )));
    }
    // Nothing is released early: the locked part vests 1/180 a day, so claiming it now is
    // refused.
    let ids = node_vesting.schedules.iter().map(|s| s.id).collect();
    let early = exec(node, &c.vesting, &VestingMsg::Claim { ids }, "early claim").await;
    match early {
        Err(e) if e.message.contains("nothing to claim") => {}
        Err(e) => return Err(fail("early vesting claim")(&e)),
        Ok(h) => {
            return Err(fail("early vesting claim")(&format!(
                "the node claimed its reward before any of it vested (height {h})"
            )))
        }
    }
    progress(&format!(
        "node claimed its compute reward: {} into vesting; claiming it now is refused (nothing vested yet)",
        btk(reward)
    ));

    report.row(
        "node compute reward",
        format!(
            "{} of a {} pool (full rate: pledged; attested by {signers} others); \
             into vesting, an early claim refused",
            btk(reward),
            btk(pool)
        ),
    );

    Ok(())
}

/// Step 6: the rest of the AIM story (re-keying, records, consent, private statistics); the
/// model and its paid job ran before the compute work (`story`).
async fn aim_story(
    p: &Platform,
    model_keys: &ModelKeys,
    store: &bithive_content_store::LocalStore,
    mut aim: crate::demo::aim::AimReport,
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    // Imaging runs while every attestor is still allowed to open the models (before re-keying).
    let imaging = crate::demo::aim::imaging(p, store, model_keys, progress).await?;
    crate::demo::aim::rekey_on_set_change(p, store, model_keys, &mut aim, progress).await?;
    crate::demo::aim::records_and_queries(p, store, &mut aim, progress).await?;
    report.row(
        "model registry",
        format!(
            "{} v1 (model {}) sealed to {} bonded nodes, run from memory, paid its owner {} for a job (node {}, {} served work units); {} job(s) served, mean Tscore {}; held-out accuracy {} and run cost {} units attested by {} attestors (the owner's own grade refused); re-keyed to {} when one left (refused the new file); unregistered model refused; a sealed file of another hash: not run",
            crate::demo::aim::MODEL,
            aim.model_id,
            aim.sealed_to,
            crate::demo::aim::btt(aim.owner_paid),
            crate::demo::aim::btt(aim.node_paid),
            aim.served_units,
            aim.jobs_served,
            aim.mean_tscore.map_or("-".into(), |t| t.to_string()),
            aim.accuracy.map_or("-".into(), |a| a.to_string()),
            aim.run_cost.map_or("-".into(), |u| u.to_string()),
            aim.evaluators,
            aim.rekeyed_to
        ),
    );
    report.row(
        "imaging",
        match imaging {
            crate::demo::aim::ImagingOutcome::Absent(hint) => format!("not run: {hint}"),
            crate::demo::aim::ImagingOutcome::Ran(i) => format!(
                "{} (model {}) sealed and published; balanced accuracy {} on {} held-out X-rays attested by {} attestors; {}; a knee radiograph refused ({}); a replayed sealed input refused",
                crate::demo::aim::imaging::IMAGING_MODEL,
                i.model_id,
                i.accuracy,
                i.samples,
                i.evaluators,
                i.answered
                    .iter()
                    .map(|(what, label, p, t, _)| format!("{what} sealed to the nodes: {label} {p}, Tscore {t}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                i.knee_refused
                    .split_once("out of its domain: ")
                    .map_or(i.knee_refused.as_str(), |(_, why)| why)
            ),
        },
    );
    report.row(
        "data vault",
        format!(
            "{} encrypted records minted; a grant read then revoked (access refused after)",
            aim.records
        ),
    );
    report.row(
        "private query",
        format!(
            "count {} at epsilon {} spent; the next query refused past the budget",
            aim.answer, aim.spent_epsilon
        ),
    );
    Ok(())
}

/// Claims every treasury vesting schedule past its lock; returns the BTK released.
async fn claim_treasury_vesting(
    gov: &ChainClient,
    vesting: &str,
    btk_token: &str,
) -> Result<u128, DemoError> {
    let treasury = gov.address().to_string();
    let schedules: SchedulesResponse = query(
        gov,
        vesting,
        &VestingQuery::SchedulesByBeneficiary {
            beneficiary: treasury.clone(),
            start_after: None,
            limit: Some(30),
        },
        "treasury vesting",
    )
    .await?;
    // Only schedules past their lock: claiming one with nothing vested is an error.
    let mut ids = Vec::new();
    for s in schedules.schedules {
        let v: Uint128 = query(
            gov,
            vesting,
            &VestingQuery::Claimable { id: s.id },
            "claimable",
        )
        .await?;
        if !v.is_zero() {
            ids.push(s.id);
        }
    }
    let before = cw20_balance(gov, btk_token, &treasury).await?;
    exec(gov, vesting, &VestingMsg::Claim { ids }, "vesting claim").await?;
    let released = cw20_balance(gov, btk_token, &treasury)
        .await?
        .saturating_sub(before);
    if released == 0 {
        return Err(fail("vesting")(&"nothing released after the lock"));
    }
    Ok(released)
}

/// Default paths relative to the workspace root (`bithive demo` run from the repository).
/// Anyone may crank emission; the demo's governance does.
async fn distribute(gov: &ChainClient, emission: &str) -> Result<u64, DemoError> {
    exec(
        gov,
        emission,
        &EmissionMsg::Distribute {},
        "emission distribute",
    )
    .await
}

/// The rewards epoch collecting at `now`.
fn epoch_of(now: u64, c: &RewardsConfig) -> u64 {
    now.saturating_sub(c.genesis) / c.epoch_seconds.max(1)
}

/// Everything emission has minted so far.
async fn emission_minted(c: &ChainClient, emission: &str) -> Result<u128, DemoError> {
    let status: StatusResponse =
        query(c, emission, &EmissionQuery::Status {}, "emission status").await?;
    Ok(status.minted.u128())
}
