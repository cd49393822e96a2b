//! Command-line front of the relayer, shared by `bithive-relayer` and `bithive relayer|keys`:
//! the clap definitions live here so both binaries parse the same flags.
use bithive_deploy_plan::Role;
use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::error::RelayerError;
use crate::keyring::Keyring;

const KEYS_AFTER_HELP: &str = "The mnemonic of key NAME may also come from \
BITHIVE_RELAYER_MNEMONIC_<NAME> (upper case, `-` as `_`); it wins over the keyring \
file. Mnemonics are never taken from arguments and never printed.";

/// The `bithive-relayer` command.
#[derive(Debug, Parser)]
#[command(name = "bithive-relayer", version, propagate_version = true)]
#[command(
    about = "BitHive relayer daemon: pulls chain events, runs jobs through the engines, posts \
             signed attestations"
)]
pub struct RelayerCli {
    #[command(subcommand)]
    pub command: RelayerCommand,
}

#[derive(Debug, Subcommand)]
pub enum RelayerCommand {
    /// Run the relayer until SIGTERM or ctrl-c (JSON logs, filter from RUST_LOG)
    Start(StartArgs),
    /// Operator keys in the keyring file
    #[command(subcommand, after_help = KEYS_AFTER_HELP)]
    Keys(KeysCommand),
    /// As an attestor: score a registered model on a held-out set and write this node's share of
    /// the quorum `evaluation` attestation that sets the model's accuracy in the registry
    #[cfg(feature = "inference")]
    Evaluate(EvaluateArgs),
    /// Submit a quorum evaluation from the attestors' shares (files written by `evaluate`)
    #[cfg(feature = "inference")]
    SubmitEvaluation(SubmitEvaluationArgs),
    /// Run the published benchmark workload on this machine, as the attestors' challenges do:
    /// Pcompute in TFLOPS beside a one-thread CPU reference in the same run, and the energy
    /// meter's reading where there is one
    #[cfg(feature = "inference")]
    Benchmark(BenchmarkArgs),
    /// As a node: claim the compute rewards the node earned (paid now and into vesting)
    Claim(ClaimArgs),
    /// As an attestor: what this relayer measured of each node in a rewards epoch (its probes
    /// answered / sent, its best benchmark: Pcompute and Penergy; see `[attestor]`)
    Availability(AvailabilityArgs),
    /// As an attestor: from every attestor's tally share of an epoch (`availability
    /// --share-out`), sign this attestor's share of each node's quorum `compute_work` report
    SignWork(SignWorkArgs),
    /// Submit each node's quorum `compute_work` report from the attestors' `sign-work` files
    SubmitWork(SubmitWorkArgs),
    /// Print a shell completion script to stdout
    Completions(CompletionsArgs),
}

/// `sign-work`: the attestors' tally shares in, this attestor's statement shares out.
#[derive(Clone, Debug, Args)]
pub struct SignWorkArgs {
    /// Relayer config (its `[attestor]` chain and keyring key sign)
    #[arg(long, env = "BITHIVE_RELAYER_CONFIG", default_value = "relayer.toml")]
    pub config: PathBuf,
    /// The attestors' tally shares of one epoch (this attestor's own among them)
    #[arg(required = true)]
    pub tallies: Vec<PathBuf>,
    /// Where this attestor's statement shares are written (JSON)
    #[arg(long)]
    pub out: PathBuf,
    /// `issued_at` of the reports (default: chain time rounded down to 10 minutes); every
    /// attestor must sign the same
    #[arg(long)]
    pub issued_at: Option<u64>,
}

/// `submit-work`: the attestors' `sign-work` files in, one `submit_quorum` per node.
#[derive(Clone, Debug, Args)]
pub struct SubmitWorkArgs {
    /// Relayer config (`[attestor]` chain; needs contracts.attestation)
    #[arg(long, env = "BITHIVE_RELAYER_CONFIG", default_value = "relayer.toml")]
    pub config: PathBuf,
    /// The attestors' `sign-work` files
    #[arg(required = true)]
    pub shares: Vec<PathBuf>,
}

/// `benchmark`: the published workload on this machine.
#[cfg(feature = "inference")]
#[derive(Clone, Debug, Args)]
pub struct BenchmarkArgs {
    /// Relayer config (its `[inference]` engine's runtime: CPU or CUDA, threads)
    #[arg(long, env = "BITHIVE_RELAYER_CONFIG", default_value = "relayer.toml")]
    pub config: PathBuf,
    /// Inputs of the workload (the attestors' default is 32)
    #[arg(long, default_value_t = crate::benchmark::DEFAULT_INPUTS)]
    pub inputs: u32,
    /// One JSON object instead of plain words
    #[arg(long)]
    pub json: bool,
}

/// `claim`: which node claims.
#[derive(Clone, Debug, Args)]
pub struct ClaimArgs {
    /// Relayer config (the chain's RPC and contracts)
    #[arg(long, env = "BITHIVE_RELAYER_CONFIG", default_value = "relayer.toml")]
    pub config: PathBuf,
    /// The chain (default: the config's only chain)
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<String>,
    /// Keyring name of the node account (default: the chain's `key`; the node account must
    /// send the claim, and it may differ from the relayer's operator key)
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// One JSON object instead of plain words
    #[arg(long)]
    pub json: bool,
}

/// `availability`: the epoch's probe tallies from this relayer's store.
#[derive(Clone, Debug, Args)]
pub struct AvailabilityArgs {
    /// Relayer config (its `db_path` and `[attestor]` are read)
    #[arg(long, env = "BITHIVE_RELAYER_CONFIG", default_value = "relayer.toml")]
    pub config: PathBuf,
    /// Rewards epoch (default: the current one, read from the chain)
    #[arg(long)]
    pub epoch: Option<u64>,
    /// One JSON object instead of a table
    #[arg(long)]
    pub json: bool,
    /// Also write this attestor's signed tallies of the epoch here (for `sign-work`)
    #[arg(long)]
    pub share_out: Option<PathBuf>,
}

/// `evaluate`: which model, on which held-out set.
#[cfg(feature = "inference")]
#[derive(Clone, Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub start: StartArgs,
    /// The chain of the registry (default: the config's only chain)
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<String>,
    /// Registry model id
    #[arg(long, value_name = "ID")]
    pub model_id: u64,
    /// Held-out set (JSON: labels, inputs, y_true), the same file for every attestor
    #[arg(long, value_name = "FILE")]
    pub held_out: PathBuf,
    /// Evaluation round (default: the last accepted round + 1)
    #[arg(long, value_name = "N")]
    pub round: Option<u64>,
    /// Unix seconds the statement is dated (default: the chain's time rounded down to 10
    /// minutes); every attestor of one quorum must sign the same
    #[arg(long, value_name = "SECONDS")]
    pub issued_at: Option<u64>,
    /// Where to write the share (default: stdout)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `submit-evaluation`: the shares to combine.
#[cfg(feature = "inference")]
#[derive(Clone, Debug, Args)]
pub struct SubmitEvaluationArgs {
    #[command(flatten)]
    pub start: StartArgs,
    /// The chain to submit on (default: the config's only chain)
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<String>,
    /// Share files written by `evaluate`, at least the attestation contract's quorum
    #[arg(required = true, value_name = "SHARE")]
    pub shares: Vec<PathBuf>,
}

/// `start`: the relayer configuration.
#[derive(Clone, Debug, Args)]
pub struct StartArgs {
    /// Relayer configuration (TOML; `BITHIVE_RELAYER__A__B=value` overrides key a.b)
    #[arg(
        long,
        value_name = "FILE",
        default_value = "relayer.toml",
        env = "BITHIVE_RELAYER_CONFIG",
        hide_env_values = true
    )]
    pub config: PathBuf,
}

/// Where the keys are and which address prefix to show.
#[derive(Clone, Debug, Args)]
pub struct KeyringArgs {
    /// Keyring file (mode 0600)
    #[arg(
        long,
        value_name = "FILE",
        default_value = "keyring.json",
        env = "BITHIVE_KEYRING",
        hide_env_values = true
    )]
    pub keyring: PathBuf,
    /// Bech32 address prefix
    #[arg(long, value_name = "P", default_value = "bithive")]
    pub prefix: String,
}

#[derive(Clone, Debug, Subcommand)]
pub enum KeysCommand {
    /// Add key NAME from a BIP-39 mnemonic (from --mnemonic-file, else stdin); prints its address
    #[command(after_help = KEYS_AFTER_HELP)]
    Add {
        /// Key name
        name: String,
        /// File holding the mnemonic [default: read from stdin]
        #[arg(
            long,
            value_name = "FILE",
            env = "BITHIVE_MNEMONIC_FILE",
            hide_env_values = true
        )]
        mnemonic_file: Option<PathBuf>,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// List the keys: name and address
    List {
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Show key NAME: name, address, compressed public key (hex)
    #[command(after_help = KEYS_AFTER_HELP)]
    Show {
        /// Key name
        name: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Proof that operator key NAME lets account NODE register it on a staking contract: prints
    /// the key and its signature (hex), what `register_node` (or the web app's operator screen)
    /// takes
    #[command(after_help = KEYS_AFTER_HELP)]
    Pop {
        /// Operator key name
        name: String,
        /// Chain id the registration is for
        #[arg(long, value_name = "ID")]
        chain_id: String,
        /// Staking contract address
        #[arg(long, value_name = "ADDR")]
        staking: String,
        /// The node account that sends `register_node`
        #[arg(long, value_name = "ADDR")]
        node: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
}

/// `completions SHELL`.
#[derive(Clone, Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl CompletionsArgs {
    /// Writes the completion script of `cmd` (named `bin`) for the chosen shell.
    pub fn write(&self, cmd: &mut clap::Command, bin: &str, out: &mut dyn std::io::Write) {
        clap_complete::generate(self.shell, cmd, bin, out);
    }
}

/// Runs a parsed `bithive-relayer` command line.
pub fn run(cli: RelayerCli) -> Result<(), RelayerError> {
    match cli.command {
        RelayerCommand::Start(args) => start(&args),
        RelayerCommand::Keys(cmd) => keys(&cmd),
        #[cfg(feature = "inference")]
        RelayerCommand::Evaluate(args) => evaluate(&args),
        #[cfg(feature = "inference")]
        RelayerCommand::SubmitEvaluation(args) => submit_evaluation(&args),
        #[cfg(feature = "inference")]
        RelayerCommand::Benchmark(args) => benchmark(&args),
        RelayerCommand::Claim(args) => claim(&args),
        RelayerCommand::Availability(args) => availability(&args),
        RelayerCommand::SignWork(args) => sign_work(&args),
        RelayerCommand::SubmitWork(args) => submit_work(&args),
        RelayerCommand::Completions(c) => {
            use clap::CommandFactory;
            c.write(
                &mut RelayerCli::command(),
                "bithive-relayer",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

/// `start --config FILE`: JSON logs, runs until SIGTERM or ctrl-c.
pub fn start(args: &StartArgs) -> Result<(), RelayerError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .json()
        .init();
    let cfg = Config::load(&args.config)?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| RelayerError::Config(format!("tokio runtime: {e}")))?;
    rt.block_on(crate::runtime::run(cfg))
}

/// The configured chain `id`, or the only one.
fn chain_of<'a>(
    cfg: &'a Config,
    id: Option<&str>,
) -> Result<&'a crate::config::ChainConfig, RelayerError> {
    match id {
        Some(id) => cfg
            .chains
            .iter()
            .find(|c| c.chain_id == id)
            .ok_or_else(|| RelayerError::Config(format!("no chain {id} in the config"))),
        None if cfg.chains.len() == 1 => Ok(&cfg.chains[0]),
        None => Err(RelayerError::Config(
            "the config has several chains: name one with --chain-id".into(),
        )),
    }
}

fn block_on<T>(
    f: impl std::future::Future<Output = Result<T, RelayerError>>,
) -> Result<T, RelayerError> {
    tokio::runtime::Runtime::new()
        .map_err(|e| RelayerError::Config(format!("tokio runtime: {e}")))?
        .block_on(f)
}

/// `evaluate`: fetch the registry's record, score the model with this node's engine, sign the
/// statement as a quorum member and write the share. Nothing is sent to the chain.
#[cfg(feature = "inference")]
pub fn evaluate(args: &EvaluateArgs) -> Result<(), RelayerError> {
    use crate::evaluation::{
        default_issued_at, evaluate_registered, read_set, sign_share, statement,
    };
    use bithive_interface::attestation::QueryMsg as AttestationQuery;
    use bithive_interface::model_registry::{ModelResponse, QueryMsg as RegistryQuery};
    let cfg = Config::load(&args.start.config)?;
    let share = block_on(async {
        let c = chain_of(&cfg, args.chain_id.as_deref())?;
        let (client, _) = crate::runtime::chain_client(c, &Keyring::new(&cfg.keyring))?;
        let registry = c.contract(Role::ModelRegistry)?;
        let m: ModelResponse = client
            .query_typed(
                registry,
                &RegistryQuery::Model {
                    model_id: args.model_id,
                },
            )
            .await?;
        let round = match args.round {
            Some(r) => r,
            None => {
                let q = AttestationQuery::EvaluationRound {
                    model_id: args.model_id,
                };
                let last: u64 = client
                    .query_typed(c.contract(Role::Attestation)?, &q)
                    .await?;
                last + 1
            }
        };
        let section = cfg.inference.as_ref().ok_or_else(|| {
            RelayerError::Config("evaluate needs the [inference] section (the engine)".into())
        })?;
        let worker = crate::inference_worker::InferenceWorker::from_config_file(&section.config)?;
        let sealed = section
            .sealed_models
            .as_ref()
            .map(|s| crate::inference_worker::SealedModels::open(s, worker.engine()))
            .transpose()?;
        let set = read_set(&args.held_out)?;
        let e = evaluate_registered(sealed.as_ref(), worker.engine(), &m, &set).await?;
        let issued_at = match args.issued_at {
            Some(t) => t,
            None => default_issued_at(client.rpc().latest_block_time().await?),
        };
        let (attestation, payload) =
            statement(&c.chain_id, registry, args.model_id, round, &e, issued_at)?;
        eprintln!(
            "model {} ({} v{}): balanced accuracy {} on {} held-out inputs (set {}), round {round}, report {}",
            m.model.id,
            m.model.name,
            m.model.version,
            e.balanced_accuracy,
            e.samples(),
            hex::encode(e.dataset_sha256),
            hex::encode(e.report_hash()),
        );
        sign_share(attestation, payload, client.key().k256())
    })?;
    let json = serde_json::to_string_pretty(&share)
        .map_err(|e| RelayerError::Config(format!("share: {e}")))?;
    match &args.out {
        Some(path) => std::fs::write(path, json + "\n")
            .map_err(|e| RelayerError::Config(format!("{}: {e}", path.display()))),
        None => {
            println!("{json}");
            Ok(())
        }
    }
}

/// `submit-evaluation`: combine the shares and submit them as one `submit_quorum`.
#[cfg(feature = "inference")]
pub fn submit_evaluation(args: &SubmitEvaluationArgs) -> Result<(), RelayerError> {
    let cfg = Config::load(&args.start.config)?;
    let shares = args
        .shares
        .iter()
        .map(|p| read_json(p))
        .collect::<Result<Vec<crate::evaluation::EvaluationShare>, _>>()?;
    let msg = crate::evaluation::combine(&shares)?;
    let out = block_on(async {
        let c = chain_of(&cfg, args.chain_id.as_deref())?;
        let (client, _) = crate::runtime::chain_client(c, &Keyring::new(&cfg.keyring))?;
        let any = client.execute_msg(c.contract(Role::Attestation)?, &msg)?;
        Ok(client.submit(vec![any], "").await?)
    })?;
    println!(
        "evaluation of {} signed by {} attestors accepted at height {} (tx {})",
        shares[0].attestation.job_id,
        shares.len(),
        out.height,
        out.hash
    );
    Ok(())
}

/// `keys add|list|show|pop`. Mnemonics are read from a file or stdin, never from arguments, and
/// never printed.
pub fn keys(cmd: &KeysCommand) -> Result<(), RelayerError> {
    match cmd {
        KeysCommand::Add {
            name,
            mnemonic_file,
            keyring,
        } => {
            let mut mnemonic = match mnemonic_file {
                Some(f) => std::fs::read_to_string(f)
                    .map_err(|e| RelayerError::Keyring(format!("reading {}: {e}", f.display())))?,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| RelayerError::Keyring(format!("stdin: {e}")))?;
                    s
                }
            };
            let r = Keyring::new(&keyring.keyring).add(name, &mnemonic, &keyring.prefix);
            zeroize::Zeroize::zeroize(&mut mnemonic);
            println!("{name}\t{}", r?);
        }
        KeysCommand::List { keyring } => {
            let ring = Keyring::new(&keyring.keyring);
            for name in ring.names()? {
                let k = ring.get(&name, &keyring.prefix)?;
                println!("{name}\t{}", k.address());
            }
        }
        KeysCommand::Pop {
            name,
            chain_id,
            staking,
            node,
            keyring,
        } => {
            let k = Keyring::new(&keyring.keyring).get(name, &keyring.prefix)?;
            let sig = bithive_signed_attestation::signing::sign_operator_pop(
                k.k256(),
                chain_id,
                staking,
                node,
            )
            .map_err(|e| RelayerError::Config(format!("proof of possession: {e}")))?;
            println!("operator_key\t{}", hex::encode(k.public_key_compressed()));
            println!("operator_signature\t{}", hex::encode(sig.0));
        }
        KeysCommand::Show { name, keyring } => {
            let k = Keyring::new(&keyring.keyring).get(name, &keyring.prefix)?;
            println!(
                "{name}\t{}\t{}",
                k.address(),
                hex::encode(k.public_key_compressed())
            );
        }
    }
    Ok(())
}

/// The `[attestor]` chain of `config`, its client and a tokio runtime for one command.
fn attestor_chain(
    config: &std::path::Path,
) -> Result<
    (
        Config,
        crate::config::AttestorSection,
        crate::config::ChainConfig,
        std::sync::Arc<bithive_chain_client::ChainClient>,
        tokio::runtime::Runtime,
    ),
    RelayerError,
> {
    let cfg = Config::load(config)?;
    let section = cfg.attestor.clone().ok_or_else(|| {
        RelayerError::Config(format!("{}: no [attestor] section", config.display()))
    })?;
    let chain = cfg.chain(&section.chain_id, "attestor.chain_id")?.clone();
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| RelayerError::Config(format!("tokio runtime: {e}")))?;
    let (client, _) =
        crate::runtime::chain_client(&chain, &crate::keyring::Keyring::new(&cfg.keyring))?;
    Ok((cfg, section, chain, client, rt))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T, RelayerError> {
    let bytes = std::fs::read(path)
        .map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))
}

fn write_json<T: serde::Serialize>(path: &std::path::Path, v: &T) -> Result<(), RelayerError> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))?;
    std::fs::write(path, text).map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))
}

/// `benchmark`: the workload on the configured runtime, then on one CPU thread (the reference),
/// each timed over the same inputs.
#[cfg(feature = "inference")]
pub fn benchmark(args: &BenchmarkArgs) -> Result<(), RelayerError> {
    use bithive_inference::runtime::Runtime;
    use bithive_inference::workload::Workload;
    use bithive_inference::ExecutionProviderKind;
    let n = args.inputs;
    if !(crate::benchmark::SAMPLE as u32..=crate::benchmark::MAX_INPUTS).contains(&n) {
        return Err(RelayerError::Config(format!(
            "--inputs must be {}..={}",
            crate::benchmark::SAMPLE,
            crate::benchmark::MAX_INPUTS
        )));
    }
    let cfg = Config::load(&args.config)?;
    let section = cfg.inference.as_ref().ok_or_else(|| {
        RelayerError::Config(format!(
            "{}: no [inference] section (the engine's runtime runs the workload)",
            args.config.display()
        ))
    })?;
    let engine = bithive_inference::EngineConfig::load(&section.config)
        .map_err(|e| RelayerError::Config(format!("inference: {e}")))?;
    let load = |rc: &bithive_inference::config::RuntimeConfig| {
        let runtime = Runtime::load(rc)
            .map_err(|e| RelayerError::Config(format!("inference runtime: {e}")))?;
        let provider = runtime.provider();
        let w = Workload::load(&runtime)
            .map_err(|e| RelayerError::Config(format!("benchmark workload: {e}")))?;
        Ok::<_, RelayerError>((w, provider))
    };
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| RelayerError::Config(format!("no randomness: {e}")))?;
    let indices: Vec<u32> = (0..n).collect();
    let timed = |w: &Workload, counter: Option<&dyn crate::energy::EnergyCounter>| {
        let (out, elapsed, energy) = crate::energy::metered(counter, || w.run(&seed, &indices));
        let out = out.map_err(|e| RelayerError::Config(e.to_string()))?;
        Ok::<_, RelayerError>((out, elapsed, energy))
    };
    let (node, provider) = load(&engine.runtime)?;
    let counter = crate::energy::counter_for(crate::benchmark::WorkloadRunner::cuda_device(&node));
    if !args.json {
        eprintln!("running {n} inputs of the published workload on {provider} ...");
    }
    // One untimed run first: the session's first run allocates.
    node.run(&seed, &indices[..1])
        .map_err(|e| RelayerError::Config(e.to_string()))?;
    let (out, elapsed, energy) = timed(&node, counter.as_deref())?;
    // What an attestor's check of one answer costs: re-running the sample.
    let sample = crate::benchmark::SAMPLE.min(n as usize);
    let check_started = std::time::Instant::now();
    node.run(&seed, &indices[..sample])
        .map_err(|e| RelayerError::Config(e.to_string()))?;
    let check = check_started.elapsed();
    let reference_rc = bithive_inference::config::RuntimeConfig {
        execution_provider: ExecutionProviderKind::Cpu,
        intra_op_threads: 1,
        inter_op_threads: 1,
        ..engine.runtime.clone()
    };
    if !args.json {
        eprintln!("running the reference: the same inputs on one CPU thread ...");
    }
    let (reference, _) = load(&reference_rc)?;
    reference
        .run(&seed, &indices[..1])
        .map_err(|e| RelayerError::Config(e.to_string()))?;
    let (ref_out, ref_elapsed, _) = timed(&reference, None)?;
    let agree = out
        .iter()
        .zip(&ref_out)
        .all(|(a, b)| bithive_inference::workload::agrees(a, b));
    let macs = node.macs_per_input();
    let pcompute = crate::benchmark::pcompute(macs, n, elapsed);
    let ref_pcompute = crate::benchmark::pcompute(macs, n, ref_elapsed);
    let ratio = ref_elapsed.as_secs_f64() / elapsed.as_secs_f64().max(1e-9);
    let watts = energy.as_ref().and_then(|m| m.watts().ok());
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "inputs": n,
                "macs_per_input": macs,
                "provider": provider.to_string(),
                "elapsed_ms": elapsed.as_secs_f64() * 1e3,
                "pcompute_tflops": pcompute.to_string(),
                "reference_elapsed_ms": ref_elapsed.as_secs_f64() * 1e3,
                "reference_pcompute_tflops": ref_pcompute.to_string(),
                "ratio": ratio,
                "check_inputs": sample,
                "check_ms": check.as_secs_f64() * 1e3,
                "check_over_run": check.as_secs_f64() / elapsed.as_secs_f64().max(1e-9),
                "outputs_agree_with_reference": agree,
                "energy": energy,
                "watts": watts.map(|w| w.to_string()),
            })
        );
    } else {
        println!(
            "Pcompute {pcompute} TFLOPS ({n} inputs x {macs} multiply-accumulates in {:.1} ms \
             on {provider})",
            elapsed.as_secs_f64() * 1e3
        );
        println!(
            "reference (one CPU thread, same run): {ref_pcompute} TFLOPS in {:.1} ms; ratio \
             {ratio:.2}x",
            ref_elapsed.as_secs_f64() * 1e3
        );
        println!(
            "an attestor's check (re-running {sample} of the {n} inputs): {:.1} ms, {:.3} of \
             the run",
            check.as_secs_f64() * 1e3,
            check.as_secs_f64() / elapsed.as_secs_f64().max(1e-9)
        );
        println!(
            "outputs {} the reference's within the workload's tolerance",
            if agree { "agree with" } else { "DISAGREE with" }
        );
        match watts {
            Some(w) => println!(
                "energy: {w} W over the run ({})",
                match energy.map(|m| m.meter) {
                    Some(crate::benchmark::Meter::Nvml) => "NVML, the GPU alone",
                    _ => "RAPL, the CPU packages",
                }
            ),
            None => {
                use bithive_interface::staking::Tier;
                let declared: Vec<String> = [Tier::T1, Tier::T2, Tier::T3, Tier::T4]
                    .into_iter()
                    .map(|t| format!("{t:?} {} W", t.declared_watts()))
                    .collect();
                println!(
                    "energy: no readable meter (NVML for a GPU workload, RAPL for a CPU one); \
                     attestors use the tier's declared figure: {}",
                    declared.join(", ")
                )
            }
        }
        println!(
            "attestors time the same workload on their own clocks, network included: expect a \
             lower figure from them"
        );
    }
    if !agree {
        return Err(RelayerError::Config(
            "this machine's outputs disagree with the CPU reference: attestors would refuse its \
             answers"
                .into(),
        ));
    }
    Ok(())
}

/// `claim`: the node's compute rewards, claimed with the node account's key.
pub fn claim(args: &ClaimArgs) -> Result<(), RelayerError> {
    let cfg = Config::load(&args.config)?;
    let outcome = block_on(async {
        let mut c = chain_of(&cfg, args.chain_id.as_deref())?.clone();
        if let Some(k) = &args.key {
            c.key = k.clone();
        }
        let (client, _) = crate::runtime::chain_client(&c, &Keyring::new(&cfg.keyring))?;
        if let Some(node) = c.node.as_deref().filter(|n| *n != client.address()) {
            return Err(RelayerError::Config(format!(
                "key {} is account {}, not this chain's node {node}: the node account claims \
                 (--key NAME)",
                c.key,
                client.address()
            )));
        }
        let rewards = c.contract(Role::Rewards)?.to_string();
        let before = crate::claim::claimable(&client, &rewards).await?;
        let claimed = crate::claim::claim_compute(&client, &rewards).await?;
        Ok::<_, RelayerError>((client.address().to_string(), before, claimed))
    })?;
    let (node, before, claimed) = outcome;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "node": node,
                "claimable": before.claimable,
                "open_weight": before.open_weight.to_string(),
                "claimed": claimed,
            })
        );
        return Ok(());
    }
    match claimed {
        Some(c) => println!(
            "{node} claimed {} BTK base units: {} paid now, {} into vesting (tx {})",
            c.amount, c.paid_now, c.vesting, c.tx
        ),
        None => println!(
            "{node}: nothing to claim yet (weight in the open epoch: {}; it is paid after the \
             epoch closes)",
            before.open_weight
        ),
    }
    Ok(())
}

/// `availability`: prints each probed node's answered/probed share and best benchmark in the
/// epoch.
pub fn availability(args: &AvailabilityArgs) -> Result<(), RelayerError> {
    let (cfg, section, chain, client, rt) = attestor_chain(&args.config)?;
    let prober = rt.block_on(crate::attestor::prober(
        &section,
        &chain,
        &client,
        &cfg.db_path,
    ))?;
    let epoch = match args.epoch {
        Some(e) => e,
        None => {
            let now = rt
                .block_on(client.rpc().latest_block_time())
                .map_err(RelayerError::from)?;
            prober
                .epoch_of(now)
                .ok_or_else(|| RelayerError::Config("the rewards epochs have not started".into()))?
        }
    };
    let tallies = prober.tallies(epoch)?;
    let benches = prober.benchmarks(epoch)?;
    if let Some(out) = &args.share_out {
        let share = crate::attestor::tally_share(&prober, epoch, client.key().k256())?;
        write_json(out, &share)?;
    }
    if args.json {
        let nodes: Vec<serde_json::Value> = tallies
            .iter()
            .map(|(node, t)| {
                serde_json::json!({
                    "node": node,
                    "answered": t.answered,
                    "probed": t.probed,
                    "availability": t.share().map(|d| d.to_string()),
                    "benchmark": benches.get(node),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "chain_id": section.chain_id, "epoch": epoch, "nodes": nodes })
        );
        return Ok(());
    }
    println!("chain {}  rewards epoch {epoch}", section.chain_id);
    if tallies.is_empty() {
        println!("no node probed yet in this epoch");
    }
    for (node, t) in tallies {
        let share = t.share().map_or("-".to_string(), |d| d.to_string());
        let bench = benches
            .get(&node)
            .map_or("no benchmark passed".to_string(), |b| {
                format!(
                    "Pcompute {} TFLOPS, Penergy {} W ({:?})",
                    b.pcompute, b.penergy, b.energy
                )
            });
        println!(
            "{node}\t{}/{} answered\tavailability {share}\t{bench}",
            t.answered, t.probed
        );
    }
    if let Some(out) = &args.share_out {
        println!("signed tallies written to {}", out.display());
    }
    Ok(())
}

/// `sign-work`: this attestor's share of each measured node's `compute_work` report.
pub fn sign_work(args: &SignWorkArgs) -> Result<(), RelayerError> {
    use bithive_deploy_plan::Role;
    let (_, _, chain, client, rt) = attestor_chain(&args.config)?;
    let tallies = args
        .tallies
        .iter()
        .map(|p| read_json::<crate::work_report::TallyShare>(p))
        .collect::<Result<Vec<_>, _>>()?;
    let issued_at = match args.issued_at {
        Some(t) => t,
        None => crate::quorum::default_issued_at(
            rt.block_on(client.rpc().latest_block_time())
                .map_err(RelayerError::from)?,
        ),
    };
    // The epoch is this attestor's own tallies' (the others' of another epoch are dropped).
    let me = bithive_signed_attestation::PubKey33(client.key().public_key_compressed());
    let epoch = tallies
        .iter()
        .find(|t| t.signature.key == me)
        .map(|t| t.epoch)
        .ok_or_else(|| {
            RelayerError::Attestation(
                "none of the tally shares is this attestor's own (availability --share-out)".into(),
            )
        })?;
    let shares = rt.block_on(crate::attestor::work_shares(
        &client,
        chain.contract(Role::Staking)?,
        chain.contract(Role::Rewards)?,
        chain.contract(Role::Attestation)?,
        epoch,
        &tallies,
        issued_at,
        client.key().k256(),
    ))?;
    write_json(&args.out, &shares)?;
    println!(
        "{} work statement(s) signed for epoch {} -> {}",
        shares.len(),
        epoch,
        args.out.display()
    );
    Ok(())
}

/// `submit-work`: one `submit_quorum` per node; fails if any is refused.
pub fn submit_work(args: &SubmitWorkArgs) -> Result<(), RelayerError> {
    use bithive_deploy_plan::Role;
    let (_, _, chain, client, rt) = attestor_chain(&args.config)?;
    let mut shares = Vec::new();
    for p in &args.shares {
        shares.extend(read_json::<Vec<crate::quorum::QuorumShare>>(p)?);
    }
    let results = rt.block_on(crate::attestor::submit_work(
        &client,
        chain.contract(Role::Attestation)?,
        shares,
    ));
    let mut failed = 0;
    for (job, r) in &results {
        match r {
            Ok(()) => println!("{job}\tsubmitted"),
            Err(e) => {
                failed += 1;
                println!("{job}\trefused: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(RelayerError::Attestation(format!(
            "{failed} of {} work report(s) refused",
            results.len()
        )));
    }
    Ok(())
}
