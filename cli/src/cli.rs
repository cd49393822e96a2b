//! The `bithive` command line (clap). The relayer, keys and devnet flags are the libraries' own
//! (`bithive_relayer::cli`, `bithive_devnet::cli`), so `bithive relayer start` and
//! `bithive-relayer start` parse the same definition.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bithive_devnet::cli::DevnetArgs;
use bithive_relayer::cli::{
    CompletionsArgs, EvaluateArgs, KeyringArgs, KeysCommand, StartArgs, SubmitEvaluationArgs,
};
use clap::{Args, Parser, Subcommand};

use bithive_wallet_files::registry::NetworkType;

use crate::demo::platform::ExternalChain;
use crate::demo::{default_options, DemoOptions};
use crate::deploy::PublicEndpoints;
use crate::wallet::WalletOptions;

/// The `bithive` command.
#[derive(Debug, Parser)]
#[command(name = "bithive", version, propagate_version = true)]
#[command(
    about = "BitHive: local devnet, deployment of every contract, relayer, keys and the \
                   end-to-end demo"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole platform on one machine: devnet, deploy, relayer and the story
    Demo(DemoArgs),
    /// The embedded local chain
    #[command(subcommand)]
    Devnet(DevnetCommand),
    /// Store every artifact, instantiate and wire all contracts; writes deployment.json and,
    /// beside it, the wallet and chain-registry files (as `chain-info`)
    Deploy(DeployArgs),
    /// The DAO that governs a deployment: propose typed actions, list, show, vote, execute
    #[command(subcommand)]
    Gov(crate::gov::GovCommand),
    /// The model registry: list and show models; publish, re-key and deprecate yours
    #[command(subcommand)]
    Model(crate::model::ModelCommand),
    /// PayFi: coded milestone escrows (create, release, dispute, resolve, refund) and payment
    /// channels (open, voucher, redeem, close)
    #[command(subcommand)]
    Escrow(crate::escrow::EscrowCommand),
    /// Healthcare assets: mint, show, value; fractionalize, share transfers, revenue, claim,
    /// buyout, redeem
    #[command(subcommand)]
    Asset(crate::asset::AssetCommand),
    /// Differential-privacy datasets: create, join (a record's owner), query at an epsilon and
    /// read the noisy answer
    #[command(subcommand)]
    Dp(crate::dp::DpCommand),
    /// Your records in the data vault: put (encrypted here), list, get, grant, revoke, log
    #[command(subcommand)]
    Vault(crate::vault::VaultCommand),
    /// BitChat for people: contacts by card, 1:1 and group conversations (MLS), relays for
    /// people who are away; everything on disk sealed with your key
    #[command(subcommand)]
    Chat(crate::chat::ChatCommand),
    /// Write a deployment's Keplr ChainInfo (keplr-chain-info.json) and chain-registry
    /// chain.json and assetlist.json
    ChainInfo(ChainInfoArgs),
    /// The relayer daemon
    #[command(subcommand)]
    Relayer(RelayerCommand),
    /// Operator keys in the keyring file
    #[command(subcommand)]
    Keys(KeysCommand),
    /// IBC between two deployments: relayer files (Hermes, rly) and chain-registry IBC files
    #[command(subcommand)]
    Ibc(IbcCommand),
    /// Serve the web app (web/dist) with deployment.json, forwarding /rpc to the chain; with a
    /// content store (--store-dir or --ipfs-api) it also keeps the sealed files of the records
    /// patients add in the page (My records)
    Web(WebArgs),
    /// Rewards tools: a verifier's signed patient activity claim
    #[command(subcommand)]
    Rewards(crate::rewards::RewardsCommand),
    /// The blinding service: the OPRF that user and researcher clients blind their matching
    /// tokens with
    #[command(subcommand)]
    Blinding(BlindingCommand),
    /// The DGKBE key authority: publishes the broadcast encryption parameters and writes
    /// enrolled users' keys, from its own seed file
    #[command(subcommand)]
    KeyAuthority(crate::key_authority::KeyAuthorityCommand),
    /// Print a shell completion script to stdout
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Run the devnet until ctrl-c or SIGTERM; prints the RPC URL once listening
    Start(DevnetArgs),
}

#[derive(Debug, Subcommand)]
pub enum IbcCommand {
    /// Find the open channels between two deployments (ibc-go `transfer`, cw20-ics20 and
    /// attestation ports), checked from both ends, and write the relayers' files (hermes.toml;
    /// rly's chain and path files), each allowing exactly those channels, and the chain-registry
    /// _IBC/<chain_1>-<chain_2>.json, one per connection
    Files(Box<IbcFilesArgs>),
    /// Print the denom ibc-go mints for BASE arriving over PATH (port/channel[/port/channel..])
    Denom {
        /// The trace, e.g. transfer/channel-0
        path: String,
        /// The base denom, e.g. uatom or cw20:<contract>
        base: String,
    },
}

/// A relayer `bithive ibc files` writes files for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IbcRelayer {
    /// Hermes (informalsystems/hermes): hermes.toml
    Hermes,
    /// The Go relayer (cosmos/relayer v2): rly/chains/*.json and rly/paths/*.json
    Rly,
}

/// `bithive ibc files`.
#[derive(Clone, Debug, Args)]
pub struct IbcFilesArgs {
    /// First chain's deployment.json
    #[arg(long, value_name = "FILE")]
    pub a_deployment: PathBuf,
    /// First chain's CometBFT RPC URL
    #[arg(long, value_name = "URL")]
    pub a_rpc: String,
    /// First chain's gRPC URL: Hermes's (rly queries over RPC only)
    #[arg(long, value_name = "URL")]
    pub a_grpc: Option<String>,
    /// First chain's registry name [default: from its chain id]
    #[arg(long, value_name = "NAME")]
    pub a_name: Option<String>,
    /// First chain's gas price for the relayer, as `<amount><denom>` (e.g. `0.025ubhive`) [default:
    /// the fees its deployment.json records; required when it records none]
    #[arg(long, value_name = "PRICE")]
    pub a_gas_price: Option<String>,
    /// Another port on the first chain whose channels to the deployments' ports are relayed too
    /// (e.g. `wasm.<address>` of a cw-ics721 contract talking to the other chain's ics721); repeat
    /// for more
    #[arg(long = "a-port", value_name = "PORT", value_parser = port_id)]
    pub a_ports: Vec<String>,
    /// Second chain's deployment.json
    #[arg(long, value_name = "FILE")]
    pub b_deployment: PathBuf,
    /// Second chain's CometBFT RPC URL
    #[arg(long, value_name = "URL")]
    pub b_rpc: String,
    /// Second chain's gRPC URL: Hermes's (rly queries over RPC only)
    #[arg(long, value_name = "URL")]
    pub b_grpc: Option<String>,
    /// Second chain's registry name [default: from its chain id]
    #[arg(long, value_name = "NAME")]
    pub b_name: Option<String>,
    /// Second chain's gas price for the relayer, as `<amount><denom>` [default: from its
    /// deployment.json; required when it records none]
    #[arg(long, value_name = "PRICE")]
    pub b_gas_price: Option<String>,
    /// Another port on the second chain to relay (as `--a-port`); repeat for more
    #[arg(long = "b-port", value_name = "PORT", value_parser = port_id)]
    pub b_ports: Vec<String>,
    /// The relayers whose files to write (repeat, or separate with commas)
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["hermes", "rly"])]
    pub relayer: Vec<IbcRelayer>,
    /// How often rly polls each chain, in milliseconds [default: a third of the chain's block
    /// interval, measured over 3 s, between 50 and 1000: rly relays nothing while a chain makes
    /// more than one block between two polls]
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub rly_min_loop_ms: Option<u64>,
    /// The relayer's key name in its keyring, on both chains
    #[arg(long, value_name = "NAME", default_value = "relayer")]
    pub key_name: String,
    /// Hermes's keyring directory [default: Hermes's, ~/.hermes/keys]
    #[arg(long, value_name = "DIR")]
    pub key_store: Option<PathBuf>,
    /// Serve Hermes's Prometheus telemetry on this address
    #[arg(long, value_name = "ADDR")]
    pub telemetry: Option<SocketAddr>,
    /// Directory for hermes.toml and _IBC/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum RelayerCommand {
    /// Run the relayer until SIGTERM or ctrl-c (JSON logs, filter from RUST_LOG)
    Start(StartArgs),
    /// As an attestor: score a registered model on a held-out set and write this node's share of
    /// the quorum `evaluation` attestation that sets the model's accuracy in the registry
    Evaluate(EvaluateArgs),
    /// Submit a quorum evaluation from the attestors' shares (files written by `evaluate`)
    SubmitEvaluation(SubmitEvaluationArgs),
    /// Run the published benchmark workload on this machine, as the attestors' challenges do:
    /// Pcompute in TFLOPS beside a one-thread CPU reference in the same run, and the energy
    /// meter's reading where there is one
    Benchmark(bithive_relayer::cli::BenchmarkArgs),
    /// As a node: claim the compute rewards the node earned (paid now and into vesting)
    Claim(bithive_relayer::cli::ClaimArgs),
    /// As an attestor: what this relayer measured of each node in a rewards epoch (its probes
    /// answered / sent, its best benchmark: Pcompute and Penergy; see `[attestor]`)
    Availability(bithive_relayer::cli::AvailabilityArgs),
    /// As an attestor: from every attestor's tally share of an epoch (`availability
    /// --share-out`), sign this attestor's share of each node's quorum `compute_work` report
    SignWork(bithive_relayer::cli::SignWorkArgs),
    /// Submit each node's quorum `compute_work` report from the attestors' `sign-work` files
    SubmitWork(bithive_relayer::cli::SubmitWorkArgs),
}

/// `bithive demo` (defaults relative to the current directory, the repository root).
#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// Run directory (devnet block log, keyring, relayer database); emptied first
    #[arg(
        long,
        value_name = "DIR",
        default_value_os_t = default_options(Path::new(".")).home,
        env = "BITHIVE_DEMO_HOME",
        hide_env_values = true
    )]
    pub home: PathBuf,
    /// Directory of the contract artifacts (*.wasm)
    #[arg(long, value_name = "DIR", default_value_os_t = default_options(Path::new(".")).artifacts)]
    pub artifacts: PathBuf,
    /// Inference engine configuration (models and ONNX Runtime)
    #[arg(
        long,
        value_name = "FILE",
        default_value_os_t = default_options(Path::new(".")).inference_config
    )]
    pub inference_config: PathBuf,
    /// Devnet block interval in milliseconds
    #[arg(long, value_name = "N", default_value_t = default_options(Path::new(".")).block_time_ms)]
    pub block_time_ms: u64,
    /// After the story, keep the devnet and relayer up and serve the web app until ctrl-c
    #[arg(long)]
    pub keep_running: bool,
    /// Run the story on a chain that is already running (CometBFT RPC URL) instead of the
    /// devnet; needs --chain-id and --funder-mnemonic-file
    #[arg(long, value_name = "URL", requires_all = ["chain_id", "funder_mnemonic_file"])]
    pub rpc: Option<String>,
    /// With --rpc: the chain's id
    #[arg(long, value_name = "ID", requires = "rpc")]
    pub chain_id: Option<String>,
    /// With --rpc: the chain's REST (LCD) URL, written into the wallet files
    #[arg(long, value_name = "URL", requires = "rpc")]
    pub rest: Option<String>,
    /// With --rpc: mnemonic of a funded account; it pays each fresh key of the run 10,000 of the
    /// fee token
    #[arg(long, value_name = "FILE", requires = "rpc")]
    pub funder_mnemonic_file: Option<PathBuf>,
    /// With --rpc: bech32 address prefix
    #[arg(long, value_name = "PREFIX", default_value = "bithive")]
    pub prefix: String,
    /// With --rpc: fee and payment denom
    #[arg(long, value_name = "DENOM", default_value = "ubhive")]
    pub denom: String,
    /// With --rpc: gas price in the fee denom
    #[arg(long, value_name = "PRICE", default_value_t = 0.025)]
    pub gas_price: f64,
    /// With --rpc: seconds a reported job and a work report stay disputable
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub window_seconds: u64,
    /// With --rpc: the rewards epoch in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub epoch_seconds: u64,
    /// Address of the web app with --keep-running
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub web_listen: SocketAddr,
    /// The built web app (scripts/build-webapp.sh) served with --keep-running
    #[arg(long, value_name = "DIR", default_value = "web/dist")]
    pub web_dist: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum BlindingCommand {
    /// Serve the OPRF over HTTP (POST /v1/oprf, GET /health, GET /metrics) until ctrl-c or
    /// SIGTERM; prints the URL once listening
    Serve(BlindingArgs),
    /// Admit chain accounts to the blinding service, or deny them (edits the admissions file;
    /// a running service picks the change up on its next call)
    Admit(AdmitArgs),
}

/// `bithive blinding admit`.
#[derive(Clone, Debug, Args)]
pub struct AdmitArgs {
    /// The service's admissions file (created when missing)
    #[arg(long, value_name = "FILE", default_value = "blinding-admissions.json")]
    pub admissions: PathBuf,
    /// Enrolled users: each may blind its own profile's points per epoch
    #[arg(long = "user", value_name = "ADDRESS")]
    pub users: Vec<String>,
    /// Researchers (vouched for by their institute): each may blind a few requests per epoch
    #[arg(long = "researcher", value_name = "ADDRESS")]
    pub researchers: Vec<String>,
    /// Accounts that may never call, even if admitted: the matching node's operator
    #[arg(long = "deny", value_name = "ADDRESS")]
    pub deny: Vec<String>,
}

/// `bithive blinding serve`.
#[derive(Clone, Debug, Args)]
pub struct BlindingArgs {
    /// The service's secret key file (mode 0600); every enrolled tag depends on this key
    #[arg(
        long,
        value_name = "FILE",
        env = "BITHIVE_BLINDING_SECRET_FILE",
        default_value = "blinding-secret.json"
    )]
    pub secret_file: PathBuf,
    /// Create the secret file with a fresh key when it does not exist
    #[arg(long)]
    pub init: bool,
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Points each client address may have blinded per second, on average
    #[arg(long, value_name = "N", default_value_t = crate::blinding::BlindingConfig::default().points_per_sec)]
    pub points_per_second: f64,
    /// Points each client address may have blinded at once (at least 256, one full call)
    #[arg(long, value_name = "N", default_value_t = crate::blinding::BlindingConfig::default().burst)]
    pub burst: f64,
    /// Calls evaluated at the same time over all clients (more get 503)
    #[arg(long, value_name = "N", default_value_t = crate::blinding::BlindingConfig::default().max_in_flight)]
    pub max_in_flight: usize,
    /// The one web origin allowed to call it from a page [default: any]
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Option<String>,
    /// The chain whose accounts call it (signed into every call)
    #[arg(long, value_name = "ID", env = "BITHIVE_CHAIN_ID")]
    pub chain_id: String,
    /// The chain's bech32 account prefix
    #[arg(long, value_name = "PREFIX", default_value = "bithive")]
    pub prefix: String,
    /// Who may call: written by `bithive blinding admit`, re-read when it changes
    #[arg(long, value_name = "FILE", default_value = "blinding-admissions.json")]
    pub admissions: PathBuf,
    /// Every account's use this epoch (kept across restarts)
    #[arg(long, value_name = "FILE", default_value = "blinding-ledger.json")]
    pub ledger: PathBuf,
    /// Points an enrolled user may have blinded while the service key lasts, never renewed (its
    /// profile's tokens, with room)
    #[arg(long, value_name = "N", default_value_t = bithive_matching::admission::Quotas::default().user_points)]
    pub user_points: u64,
    /// Points a researcher may have blinded per epoch
    #[arg(long, value_name = "N", default_value_t = bithive_matching::admission::Quotas::default().researcher_points)]
    pub researcher_points: u64,
    /// Length of a quota's epoch in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = bithive_matching::admission::Quotas::default().epoch_secs)]
    pub epoch_secs: u64,
}

impl BlindingArgs {
    pub fn config(&self) -> crate::blinding::BlindingConfig {
        crate::blinding::BlindingConfig {
            listen: self.listen,
            points_per_sec: self.points_per_second,
            burst: self.burst,
            max_in_flight: self.max_in_flight,
            allow_origin: self.allow_origin.clone(),
            connections: crate::blinding::BlindingConfig::default().connections,
            policy: bithive_matching::admission::Policy {
                chain_id: self.chain_id.clone(),
                prefix: self.prefix.clone(),
                quotas: bithive_matching::admission::Quotas {
                    user_points: self.user_points,
                    researcher_points: self.researcher_points,
                    epoch_secs: self.epoch_secs,
                },
            },
            admissions: self.admissions.clone(),
            ledger: self.ledger.clone(),
        }
    }
}

/// `bithive web`: the app, its deployment and the chain's RPC on one origin.
#[derive(Clone, Debug, Args)]
pub struct WebArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// CometBFT RPC URL of the chain (forwarded at /rpc)
    #[arg(
        long,
        value_name = "URL",
        env = "BITHIVE_RPC_URL",
        hide_env_values = true
    )]
    pub rpc: String,
    /// deployment.json written by `bithive deploy`
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    pub deployment: PathBuf,
    /// The built app (scripts/build-webapp.sh)
    #[arg(long, value_name = "DIR", default_value = "web/dist")]
    pub dist: PathBuf,
    /// PEM certificates to trust for an https RPC URL besides the public roots (a node behind
    /// a private CA)
    #[arg(long, value_name = "FILE")]
    pub rpc_ca: Option<PathBuf>,
    /// A research service descriptor (research.json: blinding service URL, matching node,
    /// vocabulary), served to the researcher screen; without it the screen only follows jobs
    #[arg(long, value_name = "FILE")]
    pub research: Option<PathBuf>,
    /// The model key authority's public files (params.bin, encryption-key.bin, roster.json):
    /// with a content store and --relayer-http, patients send images sealed in the page to the
    /// nodes (`/sealing.json`, `POST /v1/inputs`, `/v1/explanations/..`)
    #[arg(long, value_name = "DIR", requires_all = ["relayer_http"])]
    pub sealing_keys: Option<PathBuf>,
    /// The relayer's HTTP server (its metrics_addr), where explanations are fetched
    #[arg(long, value_name = "URL", requires = "sealing_keys")]
    pub relayer_http: Option<String>,
    /// Largest image a patient may send, in bytes (the nodes' max_image_bytes)
    #[arg(long, value_name = "BYTES", default_value_t = bithive_inference::config::InputLimits::default().max_image_bytes as u64)]
    pub max_image_bytes: u64,
    #[command(flatten)]
    pub store: crate::store_args::StoreArgs,
    /// A funded key in the keyring that gives new accounts their first fees
    /// (`POST /v1/faucet/<address>`, once per account): for a devnet or a testnet only
    #[arg(long, value_name = "NAME")]
    pub faucet_key: Option<String>,
    /// What one faucet grant sends, in base units of the deployment's fee coin
    #[arg(
        long,
        value_name = "BASE_UNITS",
        default_value_t = 1_000_000,
        requires = "faucet_key"
    )]
    pub faucet_amount: u128,
    /// Faucet grants in any hour, at most: what an attacker with many new addresses can take
    #[arg(long, value_name = "N", default_value_t = 60, requires = "faucet_key")]
    pub faucet_per_hour: usize,
    /// Where the faucet remembers the accounts it served (so a restart serves none twice)
    #[arg(
        long,
        value_name = "FILE",
        default_value = "faucet-served.txt",
        requires = "faucet_key"
    )]
    pub faucet_served: PathBuf,
    #[command(flatten)]
    pub keys: bithive_relayer::cli::KeyringArgs,
}

impl WebArgs {
    pub fn config(&self) -> anyhow::Result<crate::webapp_server::WebConfig> {
        let imaging = match (&self.sealing_keys, &self.relayer_http) {
            (Some(keys), Some(relayer)) => Some(crate::webapp_server::ImagingConfig {
                sealing_keys: keys.clone(),
                store: self.store.open()?,
                relayer: relayer.clone(),
                max_input_bytes: self.max_image_bytes,
            }),
            _ => None,
        };
        // A content store given: the patient's records screen stores sealed files in it.
        let records = (self.store.store_dir.is_some() || self.store.ipfs_api.is_some())
            .then(|| self.store.open())
            .transpose()?
            .map(|store| crate::webapp_server::RecordsConfig { store });
        let faucet = match &self.faucet_key {
            None => None,
            Some(name) => {
                if self.rpc_ca.is_some() {
                    anyhow::bail!(
                        "--faucet-key with --rpc-ca: the faucet's chain client trusts the public roots \
                         only; run the faucet against an RPC with a public certificate or plain http"
                    );
                }
                let chain = crate::chain_args::ChainArgs {
                    deployment: self.deployment.clone(),
                    rpc: self.rpc.clone(),
                    key: Some(name.clone()),
                    keys: self.keys.clone(),
                    json: false,
                };
                let d = chain.deployment()?;
                let client = chain.client(&d, false, "the faucet's funded key")?;
                Some(crate::webapp_server::FaucetConfig {
                    client: std::sync::Arc::new(client),
                    amount: self.faucet_amount,
                    per_hour: self.faucet_per_hour,
                    served_file: self.faucet_served.clone(),
                })
            }
        };
        Ok(crate::webapp_server::WebConfig {
            listen: self.listen,
            dist: self.dist.clone(),
            deployment: self.deployment.clone(),
            rpc: self.rpc.clone(),
            rpc_ca: self.rpc_ca.clone(),
            research: self.research.clone(),
            rpc_timeout: crate::webapp_server::UPSTREAM_TIMEOUT,
            imaging,
            records,
            faucet,
        })
    }
}

impl DemoArgs {
    /// What `--keep-running` keeps up after the story (None without the flag).
    pub fn keep_running(&self) -> Option<crate::demo::KeepRunning> {
        self.keep_running.then(|| crate::demo::KeepRunning {
            listen: self.web_listen,
            dist: self.web_dist.clone(),
        })
    }

    pub fn options(&self) -> DemoOptions {
        DemoOptions {
            home: self.home.clone(),
            artifacts: self.artifacts.clone(),
            inference_config: self.inference_config.clone(),
            block_time_ms: self.block_time_ms,
            chain_id: self.chain_id.clone(),
            external: self.rpc.as_ref().map(|rpc| ExternalChain {
                rpc: rpc.clone(),
                rest: self.rest.clone(),
                // clap requires it with --rpc.
                funder_mnemonic_file: self.funder_mnemonic_file.clone().unwrap_or_default(),
                prefix: self.prefix.clone(),
                denom: self.denom.clone(),
                gas_price: self.gas_price,
                window_seconds: self.window_seconds,
                epoch_seconds: self.epoch_seconds,
            }),
        }
    }
}

/// `bithive deploy`: the chain, the deployer key and the fees.
#[derive(Clone, Debug, Args)]
pub struct DeployArgs {
    /// CometBFT RPC URL of the chain
    #[arg(
        long,
        value_name = "URL",
        env = "BITHIVE_RPC_URL",
        hide_env_values = true
    )]
    pub rpc: String,
    /// Chain id
    #[arg(
        long,
        value_name = "ID",
        env = "BITHIVE_CHAIN_ID",
        hide_env_values = true
    )]
    pub chain_id: String,
    /// Name of the deployer key in the keyring
    #[arg(long, value_name = "NAME", env = "BITHIVE_KEY", hide_env_values = true)]
    pub key: String,
    #[command(flatten)]
    pub keys: KeyringArgs,
    /// Deploy plan (TOML) [default: the built-in plan]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The DAO that governs the deployment (TOML: name, members = [{addr, weight}],
    /// pass_percent, voting_period_seconds); replaces the config's [dao]. Without a DAO the
    /// deployer key keeps every governance power
    #[arg(long, value_name = "FILE")]
    pub dao: Option<PathBuf>,
    /// Store the codes through x/gov proposals (chains where code upload is restricted:
    /// wasmd's code_upload_access Nobody): the deployer pays each deposit, the validators vote,
    /// and the deployment goes on once every proposal passed. Codes the chain already holds
    /// (same checksum) are reused, so a rerun picks up where a timeout left it
    #[arg(long)]
    pub via_gov: bool,
    /// Deposit of each code proposal, in base units of the fee denom [default: the chain's
    /// min_deposit]
    #[arg(long, value_name = "AMOUNT", requires = "via_gov")]
    pub gov_deposit: Option<u128>,
    /// How long to wait for the validators to pass the code proposals
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        requires = "via_gov"
    )]
    pub gov_timeout: u64,
    /// Where the deployment (addresses, code ids) is written
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    pub out: PathBuf,
    /// Gas price in the fee denom (the maximum is 4x)
    #[arg(long, value_name = "PRICE", default_value_t = 0.025)]
    pub gas_price: f64,
    /// Fee denom
    #[arg(long, value_name = "DENOM", default_value = "ubhive")]
    pub fee_denom: String,
    #[command(flatten)]
    pub wallet: WalletArgs,
}

/// `bithive chain-info`: the files wallets and the chain registry read, for a deployment.
#[derive(Clone, Debug, Args)]
pub struct ChainInfoArgs {
    /// deployment.json written by `bithive deploy`
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    pub deployment: PathBuf,
    /// CometBFT RPC URL the token contracts are queried at [default: the public RPC the
    /// deployment records]
    #[arg(
        long,
        value_name = "URL",
        env = "BITHIVE_RPC_URL",
        hide_env_values = true
    )]
    pub rpc: Option<String>,
    /// Directory the three files are written to [default: the deployment file's directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Fee denom [default: the one deployment.json records]
    #[arg(long, value_name = "DENOM")]
    pub fee_denom: Option<String>,
    /// Gas price in the fee denom; the high step is 4x [default: deployment.json's]
    #[arg(long, value_name = "PRICE")]
    pub gas_price: Option<f64>,
    #[command(flatten)]
    pub wallet: WalletArgs,
}

/// What the wallet files say that the chain does not tell.
#[derive(Clone, Debug, Default, Args)]
pub struct WalletArgs {
    /// RPC URL written into the files, for wallets [default: the one deployment.json records
    /// (chain-info), else --rpc; never one with credentials]
    #[arg(long, value_name = "URL")]
    pub public_rpc: Option<String>,
    /// REST (API server) URL wallets use [default: the one deployment.json records with the
    /// same public RPC (chain-info), else the public RPC URL's host on port 1317, the devnet's
    /// and the Cosmos SDK's default REST port]
    #[arg(long, value_name = "URL")]
    pub rest: Option<String>,
    /// Chain name Keplr shows, at most 30 characters [default: "BitHive <chain id>"]
    #[arg(long, value_name = "NAME")]
    pub chain_name: Option<String>,
    /// The chain registry's name (directory) for the chain, lower-case letters and digits
    /// [default: the chain id without its revision and punctuation]
    #[arg(long, value_name = "NAME")]
    pub registry_name: Option<String>,
    /// mainnet, testnet or devnet [default: devnet when the chain id says devnet, else testnet]
    #[arg(long, value_name = "TYPE")]
    pub network_type: Option<NetworkType>,
    /// Ticker of the native coin when the chain has no bank metadata for it [default: from
    /// the denom, ubhive -> BHIVE]
    #[arg(long, value_name = "SYMBOL")]
    pub native_symbol: Option<String>,
    /// Decimals of the native coin when the chain has no bank metadata for it [default: from
    /// the denom's SI prefix: u 6, m 3, n 9, a 18]
    #[arg(long, value_name = "N")]
    pub native_decimals: Option<u8>,
}

impl WalletArgs {
    pub fn options(&self, rpc: &str) -> WalletOptions {
        WalletOptions {
            rpc: self.public_rpc.clone().unwrap_or_else(|| rpc.to_string()),
            rest: self.rest.clone(),
            chain_name: self.chain_name.clone(),
            registry_name: self.registry_name.clone(),
            network_type: self.network_type,
            native_symbol: self.native_symbol.clone(),
            native_decimals: self.native_decimals,
            fee_denom: None,
            gas_price: None,
        }
    }
}

impl ChainInfoArgs {
    /// The URL queried: --rpc, else the public RPC `recorded` in the deployment.
    pub fn query_rpc(&self, recorded: Option<&PublicEndpoints>) -> Option<String> {
        self.rpc.clone().or_else(|| recorded.map(|e| e.rpc.clone()))
    }

    /// The files' options; the public RPC is --public-rpc, else the one `recorded` in the
    /// deployment, else `rpc` (the URL queried).
    pub fn options(&self, rpc: &str, recorded: Option<&PublicEndpoints>) -> WalletOptions {
        let public = self
            .wallet
            .public_rpc
            .clone()
            .or_else(|| recorded.map(|e| e.rpc.clone()))
            .unwrap_or_else(|| rpc.to_string());
        WalletOptions {
            fee_denom: self.fee_denom.clone(),
            gas_price: self.gas_price,
            ..self.wallet.options(&public)
        }
    }

    pub fn out_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| crate::wallet::dir_of(&self.deployment))
    }
}

/// An IBC port id as ICS-24 allows it: 2 to 128 of `a-z A-Z 0-9 . _ + - # [ ] < >`.
fn port_id(s: &str) -> Result<String, String> {
    let ok = (2..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-#[]<>".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a port id: 2 to 128 of a-z A-Z 0-9 . _ + - # [ ] < >"
        ))
    }
}
