//! Command-line front of the relayer, shared by `bithive-relayer` and `bithive relayer|keys`:
//! the clap definitions live here so both binaries parse the same flags.
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
    /// Print a shell completion script to stdout
    Completions(CompletionsArgs),
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
