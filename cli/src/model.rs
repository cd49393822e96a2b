//! `bithive model`: the model registry as institutes use it and anyone browses it. `list` and
//! `show` read the catalogue; `publish` seals a model (its manifest and ONNX, hash checked) to
//! the nodes allowed to run it now (the model key authority's roster, filtered by staking:
//! registered, compliant, bonded, never slashed), stores the sealed file in the nodes' content
//! store and publishes its content id; `rekey` seals the same model again to today's allowed set
//! (a node that left can no longer open what is stored from then on); `deprecate` retires a
//! version. Nothing is signed before the plain words of what will be sent are printed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use bithive_chain_client::ChainClient;
use bithive_content_store::model::ModelFiles;
use bithive_content_store::{ContentStore, NodeStore};
use bithive_deploy_plan::Deployment;
use bithive_inference::manifest::Manifest;
use bithive_interface::model_registry::{
    ExecuteMsg as RegistryMsg, Model, ModelRef, ModelResponse, ModelsResponse, PublishMsg,
    QueryMsg as RegistryQuery,
};
use clap::{Args, Subcommand};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::chain_args::ChainArgs;
use crate::model_keys::SealingKeys;
use crate::words::{say, units_of, Units};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Every registered model (or one owner's), oldest first
    List(ListArgs),
    /// One model: NAME (its latest version), NAME@VERSION or #ID
    Show(ShowArgs),
    /// Seal a model to the nodes allowed to run it, store it and publish it in the registry
    Publish(PublishArgs),
    /// Seal a published model again to the nodes allowed to run it now, store it and point the
    /// registry at it (the owner only)
    Rekey(RekeyArgs),
    /// Jobs may no longer name this version: irreversible (the owner only)
    Deprecate(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Only this owner's models
    #[arg(long, value_name = "ADDRESS")]
    pub owner: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// NAME (its latest version), NAME@VERSION or #ID
    pub model: String,
}

/// Where the sealed file goes and whom it is sealed to.
#[derive(Debug, Args)]
pub struct SealingArgs {
    /// The model key authority's public files: params.bin, encryption-key.bin, roster.json
    #[arg(long, value_name = "DIR")]
    pub model_keys: PathBuf,
    /// The nodes' content store, where they fetch sealed models from
    #[command(flatten)]
    pub store: crate::store_args::StoreArgs,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The model's manifest (the engine's TOML; its ONNX file beside it must hash to the
    /// manifest's sha256)
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// Registry version (default: one past the name's latest, 1 for a new name)
    #[arg(long, value_name = "N")]
    pub model_version: Option<u32>,
    /// Price of one run in the registry's price asset, in whole units (e.g. 0.1 BTT)
    #[arg(long)]
    pub price: String,
    /// The model's licence, e.g. an SPDX id
    #[arg(long)]
    pub licence: String,
    #[command(flatten)]
    pub sealing: SealingArgs,
    /// Print what would be published and to which nodes; seal, store and sign nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// NAME (its latest version), NAME@VERSION or #ID
    pub model: String,
    /// The model's manifest, as published (its ONNX must hash to the registered sha256)
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    #[command(flatten)]
    pub sealing: SealingArgs,
}

/// A model's manifest and ONNX from `manifest`, the ONNX checked against the manifest's
/// sha256.
pub fn read_model_files(manifest: &Path) -> anyhow::Result<(Manifest, ModelFiles)> {
    let (m, onnx_path) =
        Manifest::load(manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let onnx =
        std::fs::read(&onnx_path).with_context(|| format!("reading {}", onnx_path.display()))?;
    let sha256 = hex::encode(Sha256::digest(&onnx));
    if sha256 != m.sha256 {
        bail!(
            "{} hashes to {sha256}, its manifest says {}",
            onnx_path.display(),
            m.sha256
        );
    }
    Ok((
        m,
        ModelFiles {
            manifest: text,
            onnx: onnx.into(),
        },
    ))
}

/// The registry's words for a manifest's input: the shape of one item and what it is.
pub fn input_spec(m: &Manifest) -> String {
    let dims: Vec<String> = m
        .input_shape
        .iter()
        .enumerate()
        .map(|(i, d)| if i == 0 { "1".into() } else { d.to_string() })
        .collect();
    let what = if m.image.is_some() {
        "image"
    } else {
        "tabular row"
    };
    format!("float32[{}] {what}", dims.join(","))
}

/// The registry's words for a manifest's output.
pub fn output_spec(m: &Manifest) -> String {
    format!("label in {:?} with probabilities", m.labels)
}

/// The model `reference` names: `#ID`, `NAME@VERSION` or `NAME` (its latest version).
pub async fn find(
    client: &ChainClient,
    d: &Deployment,
    reference: &str,
) -> anyhow::Result<ModelResponse> {
    let registry = &d.contracts.model_registry;
    let found: Option<ModelResponse> = if let Some(id) = reference.strip_prefix('#') {
        let id: u64 = id
            .parse()
            .with_context(|| format!("{reference}: #ID is a number"))?;
        match client
            .query_typed(registry, &RegistryQuery::Model { model_id: id })
            .await
        {
            Ok(r) => Some(r),
            Err(bithive_chain_client::ChainError::Query { log, .. })
                if log.contains("not found") =>
            {
                None
            }
            Err(e) => return Err(e).context("the registry"),
        }
    } else {
        if ModelRef::parse(reference).is_none() {
            bail!("{reference}: NAME, NAME@VERSION or #ID");
        }
        client
            .query_typed(
                registry,
                &RegistryQuery::Resolve {
                    model: reference.into(),
                },
            )
            .await
            .with_context(|| format!("the registry, resolving {reference}"))?
    };
    found.ok_or_else(|| anyhow::anyhow!("no model {reference} in the registry"))
}

/// Every model (or `owner`'s), page by page.
async fn all(
    client: &ChainClient,
    d: &Deployment,
    owner: Option<&str>,
) -> anyhow::Result<Vec<ModelResponse>> {
    let mut out: Vec<ModelResponse> = Vec::new();
    loop {
        let start_after = out.last().map(|m| m.model.id);
        let q = match owner {
            Some(o) => RegistryQuery::ModelsByOwner {
                owner: o.into(),
                start_after,
                limit: Some(30),
            },
            None => RegistryQuery::Models {
                start_after,
                limit: Some(30),
            },
        };
        let page: ModelsResponse = client
            .query_typed(&d.contracts.model_registry, &q)
            .await
            .context("the registry's models")?;
        let n = page.models.len();
        out.extend(page.models);
        if n < 30 {
            return Ok(out);
        }
    }
}

/// A model's standing, in one word, and what it means for the jobs that name it.
pub fn standing(m: &Model) -> (&'static str, &'static str) {
    if m.deprecated {
        ("deprecated", "jobs may not name it")
    } else if m.superseded_by.is_some() {
        (
            "superseded",
            "jobs naming only the name get the newer version",
        )
    } else {
        ("current", "")
    }
}

/// One model in plain words.
pub fn describe(r: &ModelResponse, price: &Units) -> String {
    let m = &r.model;
    let (word, meaning) = standing(m);
    let mut s = format!("{}@{} (#{})", m.name, m.version, m.id);
    if !meaning.is_empty() {
        s += &format!(": {word}, {meaning}");
    }
    s += "\n";
    s += &format!("  owner      {}\n", m.owner);
    s += &format!("  specialty  {}\n", m.specialty);
    s += &format!("  input      {}\n", m.input_spec);
    s += &format!("  output     {}\n", m.output_spec);
    s += &format!("  price      {} a run, to the owner\n", price.show(m.price));
    s += &format!("  licence    {}\n", m.licence);
    s += &format!(
        "  accuracy   {}\n",
        match (&m.accuracy, &m.evaluation) {
            (Some(a), Some(e)) => format!("{a} (attested evaluation {e})"),
            (Some(a), None) => a.to_string(),
            _ => "not evaluated yet".into(),
        }
    );
    s += &format!(
        "  run cost   {}\n",
        m.run_cost.map_or(
            "not measured yet (its jobs earn no served units)".into(),
            |c| { format!("{c} work units") }
        )
    );
    s += &format!(
        "  jobs       {} paid{}\n",
        m.jobs_served,
        r.mean_tscore
            .map_or(String::new(), |t| format!(", mean Tscore {t}"))
    );
    s += &format!(
        "  stored     {} ({} B sealed), ONNX sha256 {}\n",
        m.content_id, m.size_bytes, m.onnx_sha256
    );
    s
}

/// Seals `files` of `name` to the nodes allowed now and stores the sealed file: its content id,
/// size and the nodes' accounts.
async fn seal_and_store(
    a: &SealingArgs,
    client: &ChainClient,
    d: &Deployment,
    name: &str,
    files: &ModelFiles,
    json: bool,
) -> anyhow::Result<(String, u64, Vec<String>)> {
    let (keys, store) = sealing(a)?;
    let allowed = keys
        .allowed(client, &d.contracts.staking)
        .await
        .context("staking: the nodes allowed to run the model")?;
    let nodes = keys.nodes_in(&allowed);
    if !json {
        eprintln!(
            "sealing {name} to the {} node(s) allowed to run it now ...",
            nodes.len()
        );
    }
    let sealed = keys
        .seal(name, files, &allowed)
        .map_err(|e| anyhow::anyhow!("sealing {name}: {e}"))?;
    let cid = store
        .put(&sealed)
        .await
        .context("storing the sealed model")?;
    Ok((cid.to_string(), sealed.len() as u64, nodes))
}

/// The authority's public files and the content store, checked before anything is signed.
fn sealing(a: &SealingArgs) -> anyhow::Result<(SealingKeys, NodeStore)> {
    let keys = SealingKeys::load(&a.model_keys)
        .map_err(|e| anyhow::anyhow!("--model-keys {}: {e}", a.model_keys.display()))?;
    let store = a.store.open()?;
    Ok((keys, store))
}

pub fn run(cmd: &ModelCommand) -> anyhow::Result<()> {
    let chain = match cmd {
        ModelCommand::List(a) => &a.chain,
        ModelCommand::Show(a) | ModelCommand::Deprecate(a) => &a.chain,
        ModelCommand::Publish(a) => &a.chain,
        ModelCommand::Rekey(a) => &a.chain,
    };
    let d = chain.deployment()?;
    let read_only = matches!(cmd, ModelCommand::List(_) | ModelCommand::Show(_))
        || matches!(cmd, ModelCommand::Publish(a) if a.dry_run);
    let client = chain.client(&d, read_only, "the model owner's key signs this")?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let registry = d.contracts.model_registry.clone();
        match cmd {
            ModelCommand::List(a) => {
                let models = all(&client, &d, a.owner.as_deref()).await?;
                if chain.json {
                    println!("{}", serde_json::to_string_pretty(&models)?);
                } else if models.is_empty() {
                    println!("no models registered yet");
                } else {
                    let price = units_of(&client, &models[0].price_asset).await?;
                    println!(
                        "{:>4}  {:<28} {:<14} {:>12}  {:<10} {:>6}  status",
                        "id", "model", "specialty", "price", "accuracy", "jobs"
                    );
                    for r in &models {
                        let m = &r.model;
                        println!(
                            "{:>4}  {:<28} {:<14} {:>12}  {:<10} {:>6}  {}",
                            m.id,
                            format!("{}@{}", m.name, m.version),
                            m.specialty,
                            price.show(m.price),
                            m.accuracy.map_or("-".into(), |a| a.to_string()),
                            m.jobs_served,
                            standing(m).0
                        );
                    }
                }
            }
            ModelCommand::Show(a) => {
                let r = find(&client, &d, &a.model).await?;
                let price = units_of(&client, &r.price_asset).await?;
                say(chain.json, serde_json::to_value(&r)?, describe(&r, &price).trim_end());
            }
            ModelCommand::Publish(a) => {
                let (m, files) = read_model_files(&a.manifest)?;
                let latest: Option<ModelResponse> = client
                    .query_typed(
                        &registry,
                        &RegistryQuery::Resolve {
                            model: m.name.clone(),
                        },
                    )
                    .await
                    .context("the registry")?;
                if let Some(l) = &latest {
                    if !a.dry_run && l.model.owner.as_str() != client.address() {
                        bail!(
                            "{} belongs to {}: only its owner publishes its versions",
                            m.name,
                            l.model.owner
                        );
                    }
                }
                let version = match (a.model_version, &latest) {
                    (Some(v), Some(l)) if v <= l.model.version => bail!(
                        "--model-version {v}: {} is at version {} already; a new version must be higher",
                        m.name,
                        l.model.version
                    ),
                    (Some(v), _) => v,
                    (None, Some(l)) => l
                        .model
                        .version
                        .checked_add(1)
                        .context("the latest version is the last one")?,
                    (None, None) => 1,
                };
                // The price in the registry's own price asset; a failed read stops here (a
                // guessed number of decimals would publish a price off by powers of ten).
                let config: bithive_interface::model_registry::Config = client
                    .query_typed(&registry, &RegistryQuery::Config {})
                    .await
                    .context("the registry's config")?;
                let units = units_of(&client, &config.price_asset).await?;
                let price = units.parse(&a.price).context("--price")?;
                let mut msg = PublishMsg {
                    name: m.name.clone(),
                    version,
                    specialty: m.specialty.clone(),
                    input_spec: input_spec(&m),
                    output_spec: output_spec(&m),
                    onnx_sha256: m.sha256.clone(),
                    content_id: String::new(),
                    size_bytes: 0,
                    price,
                    licence: a.licence.clone(),
                };
                let words = format!(
                    "publish {}@{version} ({}; {} -> {}) at {} a run, licence {}",
                    m.name, m.specialty, msg.input_spec, msg.output_spec,
                    units.show(price), a.licence
                );
                if chain.json { eprintln!("{words}") } else { println!("{words}") }
                if a.dry_run {
                    let (keys, _) = sealing(&a.sealing)?;
                    let allowed = keys.allowed(&client, &d.contracts.staking).await?;
                    let nodes = keys.nodes_in(&allowed);
                    let keyed: Vec<String> = keys
                        .entries_in(&allowed)
                        .iter()
                        .map(|(a, i)| format!("{a} (key {i})"))
                        .collect();
                    say(
                        chain.json,
                        json!({ "publish": msg, "sealed_to": nodes, "keys": keys.entries_in(&allowed) }),
                        &format!("dry run: it would be sealed to {} node(s): {}", nodes.len(), keyed.join(", ")),
                    );
                    return Ok(());
                }
                let (cid, size, nodes) =
                    seal_and_store(&a.sealing, &client, &d, &m.name, &files, chain.json).await?;
                msg.content_id = cid;
                msg.size_bytes = size;
                client
                    .execute_batch(&[(registry.clone(), RegistryMsg::Publish(msg))])
                    .await
                    .context("publishing in the registry")?;
                let r = find(&client, &d, &format!("{}@{version}", m.name)).await?;
                say(
                    chain.json,
                    json!({ "model": r, "sealed_to": nodes }),
                    &format!(
                        "published {}@{version} as #{}: sealed to {} node(s), stored as {}",
                        m.name,
                        r.model.id,
                        nodes.len(),
                        r.model.content_id
                    ),
                );
            }
            ModelCommand::Rekey(a) => {
                let r = find(&client, &d, &a.model).await?;
                let (_, files) = read_model_files(&a.manifest)?;
                let sha = hex::encode(Sha256::digest(&files.onnx));
                if sha != r.model.onnx_sha256 {
                    bail!(
                        "{}: its ONNX hashes to {sha}, the registry's {}@{} to {}: re-key the model as published",
                        a.manifest.display(), r.model.name, r.model.version, r.model.onnx_sha256
                    );
                }
                if r.model.owner.as_str() != client.address() {
                    bail!("#{} belongs to {}: only its owner re-keys it", r.model.id, r.model.owner);
                }
                if r.model.deprecated {
                    bail!("#{} is deprecated: nothing to re-key", r.model.id);
                }
                let (cid, size, nodes) =
                    seal_and_store(&a.sealing, &client, &d, &r.model.name, &files, chain.json).await?;
                client
                    .execute_batch(&[(
                        registry.clone(),
                        RegistryMsg::Rekey {
                            model_id: r.model.id,
                            content_id: cid.clone(),
                            size_bytes: size,
                        },
                    )])
                    .await
                    .context("re-keying in the registry")?;
                say(
                    chain.json,
                    json!({ "model_id": r.model.id, "content_id": cid, "sealed_to": nodes }),
                    &format!(
                        "re-keyed {}@{} (#{}): sealed to {} node(s), stored as {cid}; the file it replaced stays readable to whoever could open it",
                        r.model.name, r.model.version, r.model.id, nodes.len()
                    ),
                );
            }
            ModelCommand::Deprecate(a) => {
                let r = find(&client, &d, &a.model).await?;
                if r.model.owner.as_str() != client.address() {
                    bail!("#{} belongs to {}: only its owner deprecates it", r.model.id, r.model.owner);
                }
                if r.model.deprecated {
                    bail!("#{} is already deprecated", r.model.id);
                }
                client
                    .execute_batch(&[(
                        registry.clone(),
                        RegistryMsg::Deprecate {
                            model_id: r.model.id,
                        },
                    )])
                    .await
                    .context("deprecating in the registry")?;
                say(
                    chain.json,
                    json!({ "model_id": r.model.id, "deprecated": true }),
                    &format!(
                        "{}@{} (#{}) is deprecated: new jobs may not name it",
                        r.model.name, r.model.version, r.model.id
                    ),
                );
            }
        }
        Ok(())
    })
}
