//! One machine's BitHive: keys, the devnet, every contract deployed and wired, a registered
//! node, and the relayer's config. The demo and the end-to-end tests (crash, outage) stand on
//! it, so they exercise the same code paths.

mod chain;

pub use chain::*;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use bithive_interface::attestation::{Accepted, QueryMsg as AttestationQuery};
use bithive_interface::payfi_escrow::{
    CreateJobMsg, ExecuteMsg as EscrowMsg, Job, JobStatus, QueryMsg as EscrowQuery,
};
use bithive_interface::staking::{ReceiveMsg as StakingReceive, Tier};
use bithive_interface::token::ExecuteMsg as TokenMsg;
use bithive_signed_attestation::AttestationKind;
use cosmwasm_std::{to_json_binary, Binary, Timestamp, Uint128};

use crate::deploy::{deploy, DaoMember, DaoParams, DeployConfig, Deployment};

pub const DAY: u64 = 86_400;
pub const PREFIX: &str = "bithive";
pub const DENOM: &str = "ubhive";

#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct DemoError {
    pub step: String,
    pub message: String,
}

pub fn fail(step: &str) -> impl Fn(&dyn std::fmt::Display) -> DemoError + '_ {
    move |e| DemoError {
        step: step.to_string(),
        message: e.to_string(),
    }
}

/// Writes a serializer's output to `path`; a failure of either reports `step`.
pub fn write_serialized<C: AsRef<[u8]>, E: std::fmt::Display>(
    path: &Path,
    contents: Result<C, E>,
    step: &str,
) -> Result<(), DemoError> {
    let contents = ctx!(contents, step)?;
    ctx!(std::fs::write(path, contents), step)
}

#[macro_export]
#[doc(hidden)]
macro_rules! ctx {
    ($e:expr, $step:expr) => {
        $e.map_err(|e| $crate::demo::platform::fail($step)(&e))
    };
}
pub use crate::ctx;

/// Where a platform lives and what it runs.
#[derive(Clone, Debug)]
pub struct PlatformOptions {
    /// Run directory (devnet block log, keyring, relayer database, deployment.json). Emptied
    /// first.
    pub home: PathBuf,
    pub artifacts: PathBuf,
    /// offchain/inference engine config (models and ONNX Runtime).
    pub inference_config: PathBuf,
    pub block_time_ms: u64,
    /// The devnet's chain id (None: the devnet default); two platforms on one machine need two.
    /// With `external`, the external chain's id (required there).
    pub chain_id: Option<String>,
    /// Run on a chain already running (wasmd, say) instead of starting the devnet.
    pub external: Option<ExternalChain>,
}

/// A running chain the platform deploys to instead of the devnet. Time there is real: the
/// deployment's dispute and challenge windows and its rewards epoch are seconds long
/// ([`ExternalChain::deploy_config`]), and the story waits them out on the chain's clock.
#[derive(Clone, Debug)]
pub struct ExternalChain {
    /// CometBFT RPC URL.
    pub rpc: String,
    /// REST (LCD) URL written into the wallet files; without it none are written.
    pub rest: Option<String>,
    /// A funded account's mnemonic: it pays each fresh key of the run [`FUND_EACH`].
    pub funder_mnemonic_file: PathBuf,
    /// Bech32 address prefix.
    pub prefix: String,
    /// Fee and payment denom.
    pub denom: String,
    /// Gas price in `denom`.
    pub gas_price: f64,
    /// Seconds a reported job and a work report stay disputable.
    pub window_seconds: u64,
    /// The rewards epoch in seconds.
    pub epoch_seconds: u64,
}

impl ExternalChain {
    /// The deployment for real time: windows and the rewards epoch in seconds, and emission
    /// counted from a day before `now` (an announced launch), so its first crank mints a day's
    /// BTK and the app pool has something to pay.
    fn deploy_config(&self, artifacts: &Path, now: u64) -> DeployConfig {
        DeployConfig {
            artifacts: artifacts.to_path_buf(),
            emission_genesis: Some(now.saturating_sub(DAY)),
            job_dispute_seconds: self.window_seconds,
            work_challenge_seconds: self.window_seconds,
            rewards_epoch_seconds: self.epoch_seconds,
            ..DeployConfig::default()
        }
    }
}

/// What the funder pays each fresh key on an external chain (10,000 of the fee token, six
/// decimals): every job price, fee and bond the story pays, with room to spare.
pub const FUND_EACH: u128 = 10_000_000_000;

/// A running platform. The node account owns the node and is paid; the operator key signs
/// attestations and is the relayer's account (two keys, so the node's own txs never race the
/// relayer's). Three attestor accounts (their own operator keys) can join the attestor set, so
/// the node's compute work is attested by others. A research institute publishes models and a
/// researcher buys data access (the AIM story). Key names in the keyring: deployer, node,
/// operator, patient, institute, researcher, attestor-1..3.
pub struct Platform {
    pub opts: PlatformOptions,
    devnet: Option<DevnetHandle>,
    devnet_config: DevnetConfig,
    pub url: String,
    pub chain_id: String,
    pub gov: ChainClient,
    pub node: ChainClient,
    pub patient: ChainClient,
    /// Publishes models in the registry and is paid per job on them.
    pub institute: ChainClient,
    /// Reads a record under the patient's grant and pays for privacy-preserving queries.
    pub researcher: ChainClient,
    pub operator_key: OperatorKey,
    /// Attestor accounts, each its own operator key (not registered until they join).
    pub attestors: Vec<(ChainClient, OperatorKey)>,
    /// The DAO's members (keys member-1..3): they propose and vote every governance step.
    pub members: Vec<ChainClient>,
    /// The DAO that governs the deployment.
    pub dao: crate::gov::Dao,
    /// The proposals the story passed: (id, title).
    pub proposals: std::sync::Mutex<Vec<(u64, String)>>,
    pub deployment: Deployment,
}

impl Platform {
    /// Keys, devnet, deployment (written to `deployment.json`), node registration.
    pub async fn start(
        opts: PlatformOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Self, DemoError> {
        let home = &opts.home;
        // Only a directory this tool made (it holds the marker) or an empty one is cleared.
        const MARKER: &str = ".bithive-platform-home";
        if home.exists() {
            let empty = ctx!(std::fs::read_dir(home), "home directory")?
                .next()
                .is_none();
            if !empty && !home.join(MARKER).exists() {
                return Err(fail("home directory")(&format!(
                    "{} is not empty and was not made by bithive; refusing to clear it",
                    home.display()
                )));
            }
            ctx!(std::fs::remove_dir_all(home), "clearing the home directory")?;
        }
        ctx!(std::fs::create_dir_all(home), "creating the home directory")?;
        ctx!(std::fs::write(home.join(MARKER), b""), "home directory")?;

        // Keys: fresh mnemonics in the keyring (mode 0600); never printed.
        let (prefix, denom, gas_price) = match &opts.external {
            Some(x) => (x.prefix.clone(), x.denom.clone(), x.gas_price),
            None => (PREFIX.to_string(), DENOM.to_string(), 0.025),
        };
        let keyring = bithive_relayer::keyring::Keyring::new(home.join("keyring.json"));
        let mut keys = Vec::new();
        for name in [
            "deployer",
            "node",
            "operator",
            "patient",
            "institute",
            "researcher",
            "attestor-1",
            "attestor-2",
            "attestor-3",
            "member-1",
            "member-2",
            "member-3",
        ] {
            let m = new_mnemonic()?;
            ctx!(keyring.add(name, &m, &prefix), "keyring")?;
            keys.push(ctx!(keyring.get(name, &prefix), "keyring")?);
        }
        let funded: Vec<String> = keys.iter().map(|k| k.address().to_string()).collect();

        let defaults = DevnetConfig::default();
        let mut devnet_config = DevnetConfig {
            chain_id: opts.chain_id.clone().unwrap_or(defaults.chain_id.clone()),
            block_time_ms: opts.block_time_ms,
            rpc_listen: ([127, 0, 0, 1], 0).into(),
            home: Some(home.join("devnet")),
            genesis_accounts: funded
                .iter()
                .map(|address| GenesisAccount {
                    address: address.clone(),
                    coins: format!("1000000000000{DENOM}"),
                })
                .collect(),
            ..defaults
        };
        let (devnet, url, chain_id, rest) = match &opts.external {
            None => {
                let devnet = ctx!(Devnet::start(devnet_config.clone()).await, "devnet start")?;
                // A restart listens where the clients already point.
                devnet_config.rpc_listen = devnet.rpc_addr();
                devnet_config.rest_listen = Some(devnet.rest_addr());
                let url = devnet.rpc_url();
                let rest = Some(devnet.rest_url());
                progress(&format!("devnet {} at {url}", devnet_config.chain_id));
                (Some(devnet), url, devnet_config.chain_id.clone(), rest)
            }
            Some(x) => {
                let chain_id = opts.chain_id.clone().ok_or_else(|| {
                    fail("external chain")(&"the chain id is required with an external chain")
                })?;
                fund_from(x, &chain_id, &funded, progress).await?;
                (None, x.rpc.clone(), chain_id, x.rest.clone())
            }
        };
        let member_keys = keys.split_off(9);
        let attestor_keys = keys.split_off(6);
        let [deployer_key, node_key, operator_key, patient_key, institute_key, researcher_key]: [OperatorKey; 6] =
            ctx!(keys.try_into().map_err(|_| "six keys"), "keys")?;
        let client = |k: OperatorKey| client_paying(&url, &chain_id, k, &denom, gas_price);
        let gov = client(deployer_key)?;
        let node = client(node_key)?;
        let patient = client(patient_key)?;
        let institute = client(institute_key)?;
        let researcher = client(researcher_key)?;
        let attestors = attestor_keys
            .into_iter()
            .map(|k| Ok((client(k.clone())?, k)))
            .collect::<Result<Vec<_>, DemoError>>()?;
        // The DAO's members (ADR 009): every governance step of the story is their proposal.
        let dao_params = DaoParams {
            name: "BitHive demo DAO".into(),
            members: member_keys
                .iter()
                .map(|k| DaoMember {
                    addr: k.address().to_string(),
                    weight: 1,
                })
                .collect(),
            voting_period_seconds: DAY,
            ..DaoParams::default()
        };
        let members = member_keys
            .into_iter()
            .map(client)
            .collect::<Result<Vec<_>, DemoError>>()?;

        let mut deploy_cfg = match &opts.external {
            Some(x) => x.deploy_config(
                &opts.artifacts,
                ctx!(gov.rpc().latest_block_time().await, "block time")?,
            ),
            None => DeployConfig {
                artifacts: opts.artifacts.clone(),
                ..DeployConfig::default()
            },
        };
        // The DAO governs and holds the treasury (slashes, fees, the foundation's vesting); the
        // deployer keeps the operations share, which funds the story's pledges.
        deploy_cfg.dao = Some(dao_params);
        deploy_cfg.operations = Some(gov.address().to_string());
        let deployment = deploy(&gov, &deploy_cfg, &mut |s: &str| {
            progress(&format!("deploy: {s}"))
        })
        .await
        .map_err(|e| fail("deploy")(&e))?;
        let dao = ctx!(crate::gov::Dao::of(&gov, &deployment).await, "the DAO")?;
        progress(&format!(
            "DAO {} governs every contract ({} members, a proposal passes with more than half of them); the deployer keeps none of it",
            dao.core,
            members.len()
        ));
        write_serialized(
            &home.join("deployment.json"),
            serde_json::to_string_pretty(&deployment),
            "deployment.json",
        )?;
        // Keplr and chain-registry files beside it (#21), from the chain's own answers.
        if let Some(rest) = rest {
            let wallet_opts = crate::wallet::WalletOptions {
                rpc: url.clone(),
                rest: Some(rest),
                network_type: devnet
                    .is_some()
                    .then_some(bithive_wallet_files::registry::NetworkType::Devnet),
                ..Default::default()
            };
            let written = ctx!(
                crate::wallet::write(gov.rpc().as_ref(), &deployment, &wallet_opts, home).await,
                "wallet files"
            )?;
            progress(&format!(
                "wallet files: {} ({} cw20 currencies; REST {})",
                written
                    .paths
                    .iter()
                    .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
                written.files.assetlist.assets.len().saturating_sub(1),
                written.files.keplr.rest
            ));
        }

        let p = Platform {
            opts,
            devnet,
            devnet_config,
            url,
            chain_id,
            gov,
            node,
            patient,
            institute,
            researcher,
            operator_key,
            attestors,
            members,
            dao,
            proposals: std::sync::Mutex::new(Vec::new()),
            deployment,
        };
        // The node registers with its operator key, which signs for the node account (proof of
        // possession); governance records its compliance.
        p.register_node(&p.node, &p.operator_key).await?;
        progress(&format!(
            "node {} registered (operator {})",
            p.node.address(),
            p.operator_key.address()
        ));
        Ok(p)
    }

    /// `node` registers as a node with `operator` as its operator key (which then signs its
    /// attestations); governance records its compliance.
    pub async fn register_node(
        &self,
        node: &ChainClient,
        operator: &OperatorKey,
    ) -> Result<(), DemoError> {
        self.register_nodes(&[(node, operator)]).await
    }

    /// Each node registers with its operator key; then one proposal records their compliance.
    pub async fn register_nodes(
        &self,
        nodes: &[(&ChainClient, &OperatorKey)],
    ) -> Result<(), DemoError> {
        let staking = &self.deployment.contracts.staking;
        for (node, operator) in nodes {
            ctx!(
                bithive_relayer::registration::register(staking, node, operator, 4, Tier::T1).await,
                "register node"
            )?;
        }
        let calls = nodes
            .iter()
            .map(|(node, _)| {
                let msg = bithive_relayer::registration::compliance_msg(node.address());
                Ok((
                    staking.clone(),
                    ctx!(serde_json::to_value(msg), "compliance")?,
                ))
            })
            .collect::<Result<Vec<_>, DemoError>>()?;
        let title = if nodes.len() == 1 {
            "record a new node's compliance".to_string()
        } else {
            format!("record {} new nodes' compliance", nodes.len())
        };
        self.govern(&title, calls).await
    }

    /// The story's governance in a line: each proposal's title, and the first one's life as the
    /// chain records it (proposer, tally, status).
    pub async fn governance_summary(&self) -> Result<String, DemoError> {
        let passed = self
            .proposals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some((first, _)) = passed.first() else {
            return Ok("no proposal".into());
        };
        let p = ctx!(self.dao.proposal(&self.gov, *first).await, "proposal")?;
        let proposer = self
            .members
            .iter()
            .position(|m| m.address() == p.proposal.proposer)
            .map(|i| format!("member-{}", i + 1))
            .unwrap_or_else(|| p.proposal.proposer.clone());
        Ok(format!(
            "{} proposals of the DAO's members, each passed and executed by the DAO ({}); #{} proposed by {proposer}, yes {} / no {} of {} weight, {}; the deployer holds no governance power",
            passed.len(),
            passed
                .iter()
                .map(|(id, t)| format!("#{id} {t}"))
                .collect::<Vec<_>>()
                .join(", "),
            p.id,
            p.proposal.votes.yes,
            p.proposal.votes.no,
            p.proposal.total_power,
            crate::gov::status_words(&p.proposal.status)
        ))
    }

    /// A governance step as the DAO takes it: a member proposes `calls` (contract, message),
    /// two of the three members vote yes, the last executes, and the DAO sends the messages.
    pub async fn govern(
        &self,
        title: &str,
        calls: Vec<(String, serde_json::Value)>,
    ) -> Result<(), DemoError> {
        let msgs = calls
            .into_iter()
            .map(|(contract, msg)| {
                Ok(cosmwasm_std::WasmMsg::Execute {
                    contract_addr: contract,
                    msg: ctx!(cosmwasm_std::to_json_binary(&msg), "proposal message")?,
                    funds: vec![],
                }
                .into())
            })
            .collect::<Result<Vec<_>, DemoError>>()?;
        let majority = self.members.len() / 2 + 1;
        let voters: Vec<&ChainClient> = self.members.iter().take(majority).collect();
        let id = ctx!(self.dao.pass(&voters, title, msgs).await, title)?;
        self.proposals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, title.to_string()));
        Ok(())
    }

    /// The treasury (deployer) grants `node` `amount` BTK, which it bonds in staking as its pledge.
    pub async fn pledge(&self, node: &ChainClient, amount: u128) -> Result<(), DemoError> {
        let c = &self.deployment.contracts;
        exec(
            &self.gov,
            &c.btk,
            &TokenMsg::Transfer {
                recipient: node.address().to_string(),
                amount: Uint128::new(amount),
            },
            "pledge grant",
        )
        .await?;
        let bond = ctx!(to_json_binary(&StakingReceive::Bond {}), "bond hook")?;
        exec(
            node,
            &c.btk,
            &TokenMsg::Send {
                contract: c.staking.clone(),
                amount: Uint128::new(amount),
                msg: bond,
            },
            "pledge",
        )
        .await?;
        Ok(())
    }

    pub fn devnet(&self) -> Result<&DevnetHandle, DemoError> {
        self.devnet
            .as_ref()
            .ok_or_else(|| fail("devnet")(&"stopped"))
    }

    /// Stops the devnet (its block log stays on disk).
    pub async fn stop_devnet(&mut self) {
        if let Some(d) = self.devnet.take() {
            d.shutdown().await;
        }
    }

    /// Restarts the devnet from its block log on the same address.
    pub async fn restart_devnet(&mut self) -> Result<(), DemoError> {
        self.stop_devnet().await;
        let d = ctx!(
            Devnet::start(self.devnet_config.clone()).await,
            "devnet restart"
        )?;
        self.devnet = Some(d);
        Ok(())
    }

    /// Whether this platform runs on a chain it did not start (real time, no devnet).
    pub fn is_external(&self) -> bool {
        self.opts.external.is_some()
    }

    /// Lets `seconds` pass on the chain's clock: the devnet's clock is moved; on an external
    /// chain this waits until its blocks are that much later (printing nothing; a minute's
    /// window is the longest the story waits).
    pub async fn pass_time(&self, seconds: u64) -> Result<(), DemoError> {
        if let Some(devnet) = &self.devnet {
            ctx!(devnet.advance_time(seconds).await, "advance time")?;
            return Ok(());
        }
        let rpc = self.gov.rpc();
        let target = ctx!(rpc.latest_block_time().await, "block time")?.saturating_add(seconds);
        let deadline = Instant::now() + Duration::from_secs(seconds.saturating_mul(2) + 60);
        while ctx!(rpc.latest_block_time().await, "block time")? < target {
            if Instant::now() > deadline {
                return Err(fail("waiting for the chain's clock")(&format!(
                    "its blocks did not move {seconds} s on within {} s",
                    seconds * 2 + 60
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(())
    }

    /// The chain's fee and payment denom (what every client of the platform pays in).
    pub fn denom(&self) -> &str {
        &self.gov.gas().fee_denom
    }

    /// `addr`'s balance of the chain's fee denom.
    pub async fn balance(&self, addr: &str) -> Result<u128, DemoError> {
        native_balance_of(&self.gov, addr, self.denom()).await
    }

    pub async fn relayer_config(&self) -> Result<bithive_relayer::config::Config, DemoError> {
        let mut cfg = relayer_config(
            &self.opts.home,
            &self.opts.inference_config,
            &self.url,
            &self.gov,
            &self.deployment,
            self.node.address(),
        )?;
        let chain = &mut cfg.chains[0];
        if self.is_external() {
            // A long-lived chain: follow it from now (before any job), not from its first block.
            let height = ctx!(self.gov.rpc().latest_height().await, "latest height")?;
            chain.start_height = Some(height);
        }
        Ok(cfg)
    }

    /// The patient pays `price` for an inference job on `DEMO_ROW` for the platform's node (its
    /// own id `job_id`; the escrow's id is [`Platform::job_id`]); returns the commit height.
    pub async fn create_inference_job(&self, job_id: &str, price: u128) -> Result<u64, DemoError> {
        self.create_inference_job_for(job_id, price, self.node.address())
            .await
    }

    /// The same for the job bound to `node` (the only node the escrow pays for it).
    pub async fn create_inference_job_for(
        &self,
        job_id: &str,
        price: u128,
        node: &str,
    ) -> Result<u64, DemoError> {
        let now = ctx!(self.patient.rpc().latest_block_time().await, "block time")?;
        let create = EscrowMsg::CreateJob(CreateJobMsg {
            job_id: job_id.to_string(),
            expires_at: Timestamp::from_seconds(now + DAY),
            model: "bc_logreg".into(),
            input: Binary::from(DEMO_ROW.as_bytes()),
            node: Some(node.to_string()),
        });
        let msg = ctx!(
            self.patient.execute_msg_with_funds(
                &self.deployment.contracts.payfi_escrow,
                &create,
                &[(price, self.denom())]
            ),
            "create job"
        )?;
        let created = ctx!(self.patient.submit(vec![msg], "").await, "create job")?;
        Ok(created.height)
    }

    /// The escrow's id of the patient's job `client_id` (ids are scoped to the payer).
    pub fn job_id(&self, client_id: &str) -> String {
        bithive_interface::payfi_escrow::job_id(self.patient.address(), client_id)
    }

    /// The accepted inference attestation of the patient's job `client_id`, or `None`.
    pub async fn accepted(&self, client_id: &str) -> Result<Option<Accepted>, DemoError> {
        let job_id = self.job_id(client_id);
        let c = &self.deployment.contracts;
        let q = AttestationQuery::Attestation {
            job_id: job_id.to_string(),
            kind: AttestationKind::Inference,
            contract: Some(c.payfi_escrow.clone()),
            chain_id: Some(self.chain_id.clone()),
        };
        query(&self.gov, &c.attestation, &q, "attestation query").await
    }

    /// The escrow's record of the patient's job `client_id`.
    pub async fn job(&self, client_id: &str) -> Result<Job, DemoError> {
        self.job_by_id(&self.job_id(client_id)).await
    }

    /// The escrow's record of job `job_id` (the escrow's id, of any payer).
    pub async fn job_by_id(&self, job_id: &str) -> Result<Job, DemoError> {
        query(
            &self.gov,
            &self.deployment.contracts.payfi_escrow,
            &EscrowQuery::Job {
                job_id: job_id.to_string(),
            },
            "job query",
        )
        .await
    }

    /// Waits (polling) until the patient's job `client_id` is attested and the escrow holds it
    /// as reported by the node (or paid it, without a dispute window); returns the accepted
    /// attestation record.
    pub async fn wait_reported(
        &self,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Accepted, DemoError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(accepted) = self.accepted(client_id).await? {
                let job = self.job(client_id).await?;
                let me = self.node.address();
                let reported = match &job.status {
                    JobStatus::Reported { node, .. } | JobStatus::Paid { node } => {
                        node.as_str() == me
                    }
                    _ => false,
                };
                if !reported {
                    return Err(fail("escrow report")(&format!(
                        "job {} status {:?}",
                        job.job_id, job.status
                    )));
                }
                return Ok(accepted);
            }
            if Instant::now() > deadline {
                return Err(fail("inference attestation")(&format!(
                    "job {} not attested within {} s",
                    self.job_id(client_id),
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Lets the dispute window of a reported job (of any payer: `job_id` is the escrow's id)
    /// pass on the chain's clock and finalizes it (anyone may); the escrow then pays the node.
    /// Returns the seconds the clock moved.
    pub async fn finalize_job(&self, job_id: &str) -> Result<u64, DemoError> {
        let c = &self.deployment.contracts;
        let job = self.job_by_id(job_id).await?;
        let JobStatus::Reported {
            disputable_until, ..
        } = job.status
        else {
            // Paid at the report (no dispute window): nothing to finalize.
            return Ok(0);
        };
        let now = ctx!(self.gov.rpc().latest_block_time().await, "block time")?;
        let wait = disputable_until.seconds().saturating_sub(now) + 1;
        self.pass_time(wait).await?;
        exec(
            &self.gov,
            &c.payfi_escrow,
            &EscrowMsg::FinalizeJob {
                job_id: job_id.to_string(),
            },
            "finalize job",
        )
        .await?;
        Ok(wait)
    }

    pub async fn shutdown(mut self) {
        self.stop_devnet().await;
    }
}

/// The funder of `x` pays each of `addresses` [`FUND_EACH`] in one tx.
async fn fund_from(
    x: &ExternalChain,
    chain_id: &str,
    addresses: &[String],
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let mnemonic = ctx!(
        std::fs::read_to_string(&x.funder_mnemonic_file),
        &format!("funder mnemonic {}", x.funder_mnemonic_file.display())
    )?;
    let key = ctx!(
        OperatorKey::from_mnemonic(mnemonic.trim(), &x.prefix),
        "funder mnemonic"
    )?;
    let funder = client_paying(&x.rpc, chain_id, key, &x.denom, x.gas_price)?;
    let msgs = addresses
        .iter()
        .map(|a| {
            ctx!(
                funder.send_msg(a, &[(FUND_EACH, x.denom.as_str())]),
                "funding"
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let done = ctx!(funder.submit(msgs, "").await, "funding the run's keys")?;
    progress(&format!(
        "chain {chain_id} at {}: {} paid {} {} to each of {} fresh keys at height {}",
        x.rpc,
        funder.address(),
        FUND_EACH,
        x.denom,
        addresses.len(),
        done.height
    ));
    Ok(())
}
