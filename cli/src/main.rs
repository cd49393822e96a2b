//! `bithive`: devnet, deploy, relayer, keys and the end-to-end demo (flags in
//! `bithive_cli::cli`).
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bithive_chain_client::{ChainClient, CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint};
use bithive_cli::cli::{
    BlindingArgs, BlindingCommand, ChainInfoArgs, Cli, Command, DemoArgs, DeployArgs,
    DevnetCommand, IbcCommand, IbcFilesArgs, IbcRelayer, RelayerCommand, WebArgs,
};
use bithive_cli::key_authority::KeyAuthorityCommand;
use bithive_cli::{blinding, demo, deploy, ibc, rewards, wallet, webapp_server};
use bithive_ibc_files::rly::RlyOptions;
use clap::{CommandFactory, Parser};

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(args) => run_demo(&args),
        Command::Devnet(DevnetCommand::Start(args)) => {
            init_logs();
            let config = args.to_config()?;
            tokio::runtime::Runtime::new()?
                .block_on(bithive_devnet::cli::run_until_signal(config))?;
            Ok(())
        }
        Command::Deploy(args) => run_deploy(&args),
        Command::ChainInfo(args) => run_chain_info(&args),
        Command::Gov(cmd) => {
            init_logs();
            bithive_cli::gov::run(&cmd)
        }
        Command::Model(cmd) => {
            init_logs();
            bithive_cli::model::run(&cmd)
        }
        Command::Asset(cmd) => {
            init_logs();
            bithive_cli::asset::run(&cmd)
        }
        Command::Dp(cmd) => {
            init_logs();
            bithive_cli::dp::run(&cmd)
        }
        Command::Escrow(cmd) => {
            init_logs();
            bithive_cli::escrow::run(&cmd)
        }
        Command::Chat(cmd) => {
            init_logs();
            bithive_cli::chat::run(&cmd)
        }
        Command::Vault(cmd) => {
            init_logs();
            bithive_cli::vault::run(&cmd)
        }
        Command::Relayer(RelayerCommand::Start(args)) => Ok(bithive_relayer::cli::start(&args)?),
        Command::Relayer(RelayerCommand::Evaluate(args)) => {
            Ok(bithive_relayer::cli::evaluate(&args)?)
        }
        Command::Relayer(RelayerCommand::SubmitEvaluation(args)) => {
            Ok(bithive_relayer::cli::submit_evaluation(&args)?)
        }
        Command::Relayer(RelayerCommand::Benchmark(args)) => {
            Ok(bithive_relayer::cli::benchmark(&args)?)
        }
        Command::Relayer(RelayerCommand::Claim(args)) => Ok(bithive_relayer::cli::claim(&args)?),
        Command::Relayer(RelayerCommand::Availability(args)) => {
            Ok(bithive_relayer::cli::availability(&args)?)
        }
        Command::Relayer(RelayerCommand::SignWork(args)) => {
            Ok(bithive_relayer::cli::sign_work(&args)?)
        }
        Command::Relayer(RelayerCommand::SubmitWork(args)) => {
            Ok(bithive_relayer::cli::submit_work(&args)?)
        }
        Command::Keys(cmd) => Ok(bithive_relayer::cli::keys(&cmd)?),
        Command::Ibc(IbcCommand::Files(args)) => run_ibc_files(&args),
        Command::Ibc(IbcCommand::Denom { path, base }) => {
            println!("{}", bithive_ibc_files::ibc_denom(&path, &base));
            Ok(())
        }
        Command::Web(args) => run_web(&args),
        Command::Rewards(cmd) => rewards::run(&cmd),
        Command::Blinding(BlindingCommand::Serve(args)) => run_blinding(&args),
        Command::KeyAuthority(KeyAuthorityCommand::Publish(args)) => {
            bithive_cli::key_authority::publish(&args)
        }
        Command::KeyAuthority(KeyAuthorityCommand::UserKeys(args)) => {
            bithive_cli::key_authority::user_keys(&args)
        }
        Command::Blinding(BlindingCommand::Admit(args)) => blinding::admit(&args),
        Command::Completions(c) => {
            c.write(&mut Cli::command(), "bithive", &mut std::io::stdout());
            Ok(())
        }
    }
}

fn init_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(bithive_cli::log_sink::Writer)
        .init();
}

fn run_demo(args: &DemoArgs) -> anyhow::Result<()> {
    init_logs();
    let opts = args.options();
    let rt = tokio::runtime::Runtime::new()?;
    let mut step = 0;
    let report = rt.block_on(demo::run_then(
        &opts,
        args.keep_running(),
        &mut |line: &str| {
            step += 1;
            println!("[{step:>2}] {line}");
        },
    ))?;
    println!("\nBitHive demo: done ({})\n", opts.home.display());
    print!("{}", report.table());
    Ok(())
}

fn run_web(args: &WebArgs) -> anyhow::Result<()> {
    init_logs();
    let config = args.config()?;
    tokio::runtime::Runtime::new()?.block_on(webapp_server::serve(
        &config,
        |addr| {
            // Scripts and tests read this line for the bound address (port 0 picks one).
            println!("web: http://{addr}/ (rpc {} at /rpc)", config.rpc);
        },
        webapp_server::shutdown_signal(),
    ))
}

fn run_blinding(args: &BlindingArgs) -> anyhow::Result<()> {
    init_logs();
    let config = args.config();
    let service = Arc::new(blinding::load_service(&args.secret_file, args.init)?);
    tokio::runtime::Runtime::new()?.block_on(blinding::serve(
        &config,
        service,
        |addr| {
            // Scripts and tests read this line for the bound address (port 0 picks one).
            println!("blinding: http://{addr}");
        },
        webapp_server::shutdown_signal(),
    ))?;
    Ok(())
}

fn run_deploy(args: &DeployArgs) -> anyhow::Result<()> {
    init_logs();
    let keyring = bithive_relayer::keyring::Keyring::new(&args.keys.keyring);
    let key = keyring.get(&args.key, &args.keys.prefix)?;
    let mut config = match &args.config {
        Some(p) => deploy::DeployConfig::from_toml(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )?,
        None => deploy::DeployConfig::default(),
    };
    if let Some(p) = &args.dao {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        config.dao = Some(
            deploy::DaoParams::from_toml(&text)
                .with_context(|| format!("DAO file {}", p.display()))?,
        );
    }
    // A member address the chain would refuse is found here, not after every code is stored.
    if let Some(dao) = &config.dao {
        let prefix = &args.keys.prefix;
        for m in &dao.members {
            let id: bithive_chain_client::cosmrs::AccountId = m
                .addr
                .parse()
                .map_err(|e| anyhow::anyhow!("DAO member {}: not an address: {e}", m.addr))?;
            anyhow::ensure!(
                id.prefix() == prefix,
                "DAO member {} is not an address of this chain (prefix {prefix})",
                m.addr
            );
        }
    }
    if config.dao.is_none() {
        eprintln!(
            "warning: no DAO (--dao FILE or [dao] in the config): the deployer key {} keeps \
             every governance power and the wasm admin of every contract",
            args.key
        );
    }
    let gas = GasConfig {
        gas_price: args.gas_price,
        gas_adjustment: 1.4,
        max_gas_price: args.gas_price * 4.0,
        fee_denom: args.fee_denom.clone(),
        // A code proposal keeps the code in x/gov's state: ~50-70 M gas for the largest artifact.
        max_gas: if args.via_gov {
            300_000_000
        } else {
            60_000_000
        },
    };
    let endpoint = HttpEndpoint::new(&args.rpc, CompatVersion::V038, Duration::from_secs(20))?;
    let client = ChainClient::new(
        Arc::new(endpoint),
        &args.chain_id,
        key,
        gas,
        ConfirmConfig::default(),
    )?;
    let out = &args.out;
    let rt = tokio::runtime::Runtime::new()?;
    let via_gov = args.via_gov.then(|| deploy::ViaGov {
        deposit: args.gov_deposit,
        denom: args.fee_denom.clone(),
        timeout: Duration::from_secs(args.gov_timeout),
    });
    let d = rt.block_on(deploy::deploy_with(
        &client,
        &config,
        via_gov.as_ref(),
        &mut |s: &str| println!("{s}"),
    ))?;
    std::fs::write(out, serde_json::to_string_pretty(&d)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("deployment written to {}", out.display());
    if !d.contracts.dao.is_empty() {
        println!(
            "governed by the DAO {}: the deployer keeps no governance power",
            d.contracts.dao
        );
    }
    // The deployment stands either way: a wallet file problem is a warning with the fix.
    let opts = args.wallet.options(&args.rpc);
    match rt.block_on(wallet::write(
        client.rpc().as_ref(),
        &d,
        &opts,
        &wallet::dir_of(out),
    )) {
        Ok(w) => {
            print_written(&w);
            record_endpoints(out, d, &w)?;
        }
        Err(e) => eprintln!(
            "warning: wallet files not written: {e}\n  the deployment is complete; write them \
             with `bithive chain-info --deployment {} --rpc URL`",
            out.display()
        ),
    }
    Ok(())
}

/// Records in the deployment at `path` the public endpoints the wallet files `w` give, if they
/// changed (a later `chain-info` keeps them).
fn record_endpoints(
    path: &std::path::Path,
    mut d: deploy::Deployment,
    w: &wallet::Written,
) -> anyhow::Result<()> {
    if d.endpoints.as_ref() == Some(&w.endpoints) {
        return Ok(());
    }
    d.endpoints = Some(w.endpoints.clone());
    std::fs::write(path, serde_json::to_string_pretty(&d)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "{}: public RPC {} and REST {} recorded",
        path.display(),
        w.endpoints.rpc,
        w.endpoints.rest
    );
    Ok(())
}

fn run_chain_info(args: &ChainInfoArgs) -> anyhow::Result<()> {
    init_logs();
    let path = &args.deployment;
    let d = read_deployment(path)?;
    let recorded = d.endpoints.clone();
    let rpc = args.query_rpc(recorded.as_ref()).with_context(|| {
        format!(
            "no --rpc URL, and {} records no public RPC (written before, or its wallet files \
             were never written)",
            path.display()
        )
    })?;
    let endpoint = HttpEndpoint::new(&rpc, CompatVersion::V038, Duration::from_secs(20))?;
    let rt = tokio::runtime::Runtime::new()?;
    let w = rt
        .block_on(wallet::write(
            &endpoint,
            &d,
            &args.options(&rpc, recorded.as_ref()),
            &args.out_dir(),
        ))
        .with_context(|| format!("wallet files for {}", path.display()))?;
    print_written(&w);
    record_endpoints(path, d, &w)
}

/// A `deployment.json` written by `bithive deploy`.
fn read_deployment(path: &std::path::Path) -> anyhow::Result<deploy::Deployment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The relayer's gas price on a deployment's chain: `flag`'s `<amount><denom>` if given, else
/// the fees the deployment records. A deployment that records none (written before #21) is
/// refused rather than guessed at: a wrong denom or price only shows as the relayer's failing
/// transactions.
fn relayer_gas_price(
    d: &deploy::Deployment,
    flag: &str,
    given: Option<&str>,
) -> anyhow::Result<(String, f64)> {
    let (amount, denom) = match (given, &d.fees) {
        (Some(p), _) => {
            let split = p
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .filter(|&i| i > 0)
                .with_context(|| format!("{flag} {p:?}: expected <amount><denom>, e.g. 0.025ubhive"))?;
            let denom = &p.as_bytes()[split..];
            // Issue #43: `1e309ubhive` was read as 1 of a denom "e309ubhive". An amount is plain
            // decimals; a denom that starts like an exponent is refused rather than guessed at.
            anyhow::ensure!(
                !(denom.len() >= 2
                    && denom[0].eq_ignore_ascii_case(&b'e')
                    && (denom[1].is_ascii_digit() || b"+-".contains(&denom[1]))),
                "{flag} {p:?}: write the amount in plain decimals (no exponent), then the denom"
            );
            (p[..split].to_string(), p[split..].to_string())
        }
        (None, Some(f)) => (f.gas_price.to_string(), f.denom.clone()),
        (None, None) => anyhow::bail!(
            "the deployment of {} records no fees (written before #21): pass {flag} <amount><denom>",
            d.chain_id
        ),
    };
    let price: f64 = amount
        .parse()
        .ok()
        .filter(|p: &f64| p.is_finite() && *p >= 0.0)
        .with_context(|| format!("gas price {amount:?} of {} is not a number", d.chain_id))?;
    Ok((denom, price))
}

fn run_ibc_files(args: &IbcFilesArgs) -> anyhow::Result<()> {
    init_logs();
    let hermes = args.relayer.contains(&IbcRelayer::Hermes);
    let rly = args.relayer.contains(&IbcRelayer::Rly);
    let grpc = |url: &Option<String>, flag: &str| -> anyhow::Result<String> {
        match url {
            Some(u) => Ok(u.clone()),
            None if hermes => anyhow::bail!(
                "{flag} is needed for Hermes, which queries each chain over gRPC (rly does not: \
                 `--relayer rly` writes rly's files alone)"
            ),
            None => Ok(String::new()),
        }
    };
    let (grpc_a, grpc_b) = (
        grpc(&args.a_grpc, "--a-grpc")?,
        grpc(&args.b_grpc, "--b-grpc")?,
    );
    let (da, db) = (
        read_deployment(&args.a_deployment)?,
        read_deployment(&args.b_deployment)?,
    );
    let ea = HttpEndpoint::new(&args.a_rpc, CompatVersion::V038, Duration::from_secs(20))?;
    let eb = HttpEndpoint::new(&args.b_rpc, CompatVersion::V038, Duration::from_secs(20))?;
    let side = |d: &'_ deploy::Deployment,
                rpc: &str,
                grpc: &str,
                name: &Option<String>,
                (flag, price): (&str, &Option<String>)| {
        let prefix = bithive_wallet_files::address_prefix("deployer", &d.deployer)
            .with_context(|| format!("deployment of {}", d.chain_id))?;
        let (denom, price) = relayer_gas_price(d, flag, price.as_deref())?;
        let endpoint = bithive_ibc_files::ChainEndpoint {
            chain_id: d.chain_id.clone(),
            rpc: rpc.to_string(),
            grpc: grpc.to_string(),
            account_prefix: prefix,
            key_name: args.key_name.clone(),
            gas_denom: denom,
            gas_price: price,
        };
        // Before any network I/O: what the files would be written from.
        endpoint.validate()?;
        anyhow::Ok(endpoint).map(|endpoint| {
            (
                endpoint,
                name.clone()
                    .unwrap_or_else(|| bithive_wallet_files::registry_name(&d.chain_id)),
            )
        })
    };
    let (end_a, name_a) = side(
        &da,
        &args.a_rpc,
        &grpc_a,
        &args.a_name,
        ("--a-gas-price", &args.a_gas_price),
    )?;
    let (end_b, name_b) = side(
        &db,
        &args.b_rpc,
        &grpc_b,
        &args.b_name,
        ("--b-gas-price", &args.b_gas_price),
    )?;
    let a = ibc::Side {
        deployment: &da,
        rpc: &ea,
        endpoint: end_a,
        chain_name: name_a,
        extra_ports: &args.a_ports,
    };
    let b = ibc::Side {
        deployment: &db,
        rpc: &eb,
        endpoint: end_b,
        chain_name: name_b,
        extra_ports: &args.b_ports,
    };
    let rt = tokio::runtime::Runtime::new()?;
    if hermes {
        // Hermes does not start without its gRPC endpoints; say so now rather than there.
        for (side, url) in [(&a, &grpc_a), (&b, &grpc_b)] {
            if let Err(e) = reachable(url) {
                println!(
                    "note: {} gRPC {url} is not reachable from here ({e}): Hermes needs it",
                    side.deployment.chain_id
                );
            }
        }
    }
    let rly_opts = if rly {
        let loop_for = |side: &ibc::Side<'_>| -> anyhow::Result<RlyOptions> {
            let min_loop_duration = match args.rly_min_loop_ms {
                Some(ms) => Duration::from_millis(ms),
                None => {
                    println!(
                        "measuring {}'s block interval for rly's poll (3 s)...",
                        side.deployment.chain_id
                    );
                    match rt.block_on(ibc::block_interval(side, Duration::from_secs(3)))? {
                        Some(i) => {
                            let l = bithive_ibc_files::rly::min_loop_for(i);
                            println!(
                                "{}: a block every {} ms: rly polls every {} ms",
                                side.deployment.chain_id,
                                i.as_millis(),
                                l.as_millis()
                            );
                            l
                        }
                        None => bithive_ibc_files::rly::DEFAULT_MIN_LOOP,
                    }
                }
            };
            Ok(RlyOptions {
                min_loop_duration,
                ..Default::default()
            })
        };
        Some([loop_for(&a)?, loop_for(&b)?])
    } else {
        None
    };
    let outputs = ibc::Outputs {
        hermes: hermes.then(|| bithive_ibc_files::hermes::HermesOptions {
            telemetry: args.telemetry.map(|t| (t.ip().to_string(), t.port())),
            key_store_folder: args.key_store.as_ref().map(|p| p.display().to_string()),
            ..Default::default()
        }),
        rly: rly_opts,
    };
    let w = rt.block_on(ibc::write(&a, &b, &outputs, &args.out))?;
    for n in &w.discovered.notes {
        println!("note: {n}");
    }
    for c in &w.discovered.channels {
        println!(
            "channel {}/{} on {} <-> {}/{} on {} ({})",
            c.a.port_id,
            c.a.channel_id,
            da.chain_id,
            c.b.port_id,
            c.b.channel_id,
            db.chain_id,
            c.version
        );
    }
    if w.discovered.channels.is_empty() {
        println!(
            "no open channels between the deployments yet: the relayer files relay nothing; \
             create them (`hermes create channel`, or `rly tx link`), then run this again"
        );
    }
    for p in &w.paths {
        println!("wrote {}", p.display());
    }
    if rly {
        let out = args.out.display();
        println!("rly, with its home initialised (`rly config init`) and a key on each chain:");
        for d in [&da, &db] {
            let id = &d.chain_id;
            println!("  rly chains add --file {out}/rly/chains/{id}.json {id}");
        }
        for name in &w.rly_paths {
            println!(
                "  rly paths add {} {} {name} --file {out}/rly/paths/{name}.json",
                da.chain_id, db.chain_id
            );
        }
        println!(
            "  (keys: rly keys restore <chain id> {} \"<mnemonic>\"; a path written before its \
             channels existed: rly paths delete <name> first)",
            args.key_name
        );
    }
    Ok(())
}

/// Whether a TCP connection to the URL's host and port opens within 3 s.
fn reachable(url: &str) -> anyhow::Result<()> {
    let u = url::Url::parse(url)?;
    let host = u.host_str().context("no host")?;
    let port = u.port_or_known_default().context("no port")?;
    let addrs: Vec<_> = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?.collect();
    let mut last = anyhow::anyhow!("{host} resolves to no address");
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.into(),
        }
    }
    Err(last)
}

fn print_written(w: &wallet::Written) {
    for n in &w.notes {
        println!("note: {n}");
    }
    for p in &w.paths {
        println!("wrote {}", p.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(fees: Option<deploy::DeployFees>) -> deploy::Deployment {
        deploy::Deployment {
            chain_id: "bithive-a-1".into(),
            fees,
            ..Default::default()
        }
    }

    #[test]
    fn relayer_gas_price_comes_from_the_deployment_or_the_flag() {
        let recorded = deployment(Some(deploy::DeployFees {
            denom: "ubhive".into(),
            gas_price: "0.03".parse().unwrap(),
            max_gas_price: "0.1".parse().unwrap(),
        }));
        assert_eq!(
            relayer_gas_price(&recorded, "--a-gas-price", None).unwrap(),
            ("ubhive".to_string(), 0.03)
        );
        assert_eq!(
            relayer_gas_price(&recorded, "--a-gas-price", Some("0.5ustake")).unwrap(),
            ("ustake".to_string(), 0.5)
        );
    }

    #[test]
    fn a_deployment_without_fees_is_refused_unless_a_price_is_given() {
        let old = deployment(None);
        let err = relayer_gas_price(&old, "--b-gas-price", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("records no fees"), "{err}");
        assert!(err.contains("--b-gas-price"), "{err}");
        assert_eq!(
            relayer_gas_price(&old, "--b-gas-price", Some("0.025ubhive")).unwrap(),
            ("ubhive".to_string(), 0.025)
        );
        for bad in [
            "ubhive",
            "0.025",
            "",
            "1.2.3ubhive",
            "-1ubhive",
            "1e309ubhive",
            "2E-3ubhive",
        ] {
            assert!(
                relayer_gas_price(&old, "--b-gas-price", Some(bad)).is_err(),
                "{bad:?} accepted"
            );
        }
    }
}
