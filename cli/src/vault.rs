//! `bithive vault`: a person's records in the data vault, as the patient and the people they
//! grant use them. `put` encrypts a file on this machine before it leaves (the owner keeps no
//! key: each record's key is derived from the owner's signature, `record::owner_key_text`),
//! stores it by content id and mints the record; `grant` seals the record's key to the
//! grantee's BitChat key for one purpose until a date; `get` reads a record as its owner or as a
//! grantee (a grantee's read is logged on chain first, the owner's audit trail); `revoke`,
//! `list`, `log`; `identity` prints the key a grantee hands to the owner (its BitChat key), and
//! `reading-key` the key of a grantee who reads in the web app (derived, like the record keys,
//! from the account's signature of the vault's key text, so a browser wallet derives it too), which
//! `reading-key --publish` sets in the vault under the account (ADR 017), so that `grant` finds
//! it by address instead of taking a key from whoever relays it; `get` opens a grant sealed to
//! either key.
//!
//! What revocation can and cannot undo: after `revoke`, the vault refuses the grantee's next
//! access and no longer serves it the wrapped key; a copy of the record or of its key the
//! grantee already took stays readable to it. To cut that off, put the record again (a new key)
//! and burn the old one.

use std::path::PathBuf;

use anyhow::{bail, Context};
use bithive_chain_client::ChainClient;
use bithive_content_store::record::{
    key_header, open_record, owner_key_text, owner_master_key, owner_record_key_of,
    reader_private_key, seal_owner_record,
};
use bithive_content_store::{Cid, ContentStore};
use bithive_deploy_plan::Deployment;
use bithive_interface::data_vault::{
    ExecuteMsg as VaultMsg, GrantResponse, GrantsResponse, Purpose, QueryMsg as VaultQuery,
    ReadingKeyResponse, Record, RecordMsg, RecordType,
};
use clap::{Args, Subcommand, ValueEnum};
use cosmwasm_std::{Binary, HexBinary, Timestamp};
use serde_json::json;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::chain_args::ChainArgs;
use crate::store_args::StoreArgs;
use crate::words::{say, utc};

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Encrypt a file here, store it and mint it as your record
    Put(PutArgs),
    /// Your records (or another account's): type, size, content id
    List(ListArgs),
    /// Read a record, as its owner or as a grantee (a grantee's access is logged first)
    Get(GetArgs),
    /// Give an account access to a record for one purpose until a date
    Grant(GrantArgs),
    /// Take a grant back: the vault refuses the grantee's next access
    Revoke(RevokeArgs),
    /// Who accessed a record, when and for what
    Log(TokenArgs),
    /// The BitChat key others seal record keys to: give it to whoever grants you access
    Identity(IdentityArgs),
    /// Your reading key in this vault: what your web app's My records screen shows, for shares
    /// you read in the page (`get` opens them too); `--publish` sets it in the vault, where
    /// whoever shares with you finds it by your address
    ReadingKey(ReadingKeyArgs),
}

/// A record's kind, as the vault names it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    LabPanel,
    DicomStudy,
    WearableSeries,
    Other,
}

impl From<Kind> for RecordType {
    fn from(k: Kind) -> Self {
        match k {
            Kind::LabPanel => RecordType::LabPanel,
            Kind::DicomStudy => RecordType::DicomStudy,
            Kind::WearableSeries => RecordType::WearableSeries,
            Kind::Other => RecordType::Other,
        }
    }
}

/// Why a grantee may read a record.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Why {
    Treatment,
    Research,
    PublicHealth,
    Education,
}

impl From<Why> for Purpose {
    fn from(w: Why) -> Self {
        match w {
            Why::Treatment => Purpose::Treatment,
            Why::Research => Purpose::Research,
            Why::PublicHealth => Purpose::PublicHealth,
            Why::Education => Purpose::Education,
        }
    }
}

#[derive(Debug, Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The file: a lab report, a DICOM image, a FHIR JSON bundle, ... (at most 64 MiB)
    pub file: PathBuf,
    /// What it is
    #[arg(long = "type", value_enum)]
    pub kind: Kind,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Whose records (default: --key's account)
    #[arg(long, value_name = "ADDRESS")]
    pub owner: Option<String>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The record's token id
    pub token_id: String,
    /// Where to write what it holds (created; never overwritten)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// As a grantee: the purpose of the grant
    #[arg(long, value_enum)]
    pub purpose: Option<Why>,
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    pub token_id: String,
    /// The grantee's account
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// The grantee's key (hex). Default: the reading key the account published in the vault
    /// (`bithive vault reading-key --publish`, or Publish on its My records screen). A key given
    /// here must be that one; if the account published none, add --unpublished-key (for instance
    /// its BitChat key, `bithive vault identity`, which it reads with `bithive vault get`)
    #[arg(long, value_name = "HEX")]
    pub to_key: Option<String>,
    /// Seal to --to-key although the account published no reading key. Nothing on chain binds
    /// that key to the account: use it only for a key you had from the grantee in person
    #[arg(long, requires = "to_key")]
    pub unpublished_key: bool,
    #[arg(long, value_enum)]
    pub purpose: Why,
    /// Days until the grant expires
    #[arg(long, default_value_t = 30)]
    pub days: u64,
}

#[derive(Debug, Args)]
pub struct ReadingKeyArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Set it in the vault under your account (a transaction), so that owners find it by your
    /// address
    #[arg(long, conflicts_with = "withdraw")]
    pub publish: bool,
    /// Remove your published key from the vault (shares already sealed to it stay readable)
    #[arg(long)]
    pub withdraw: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    pub token_id: String,
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    #[arg(long, value_enum)]
    pub purpose: Why,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    pub token_id: String,
}

#[derive(Debug, Args)]
pub struct IdentityArgs {
    #[command(flatten)]
    pub keys: bithive_relayer::cli::KeyringArgs,
    /// Name of your key in the keyring
    #[arg(long, value_name = "NAME", env = "BITHIVE_KEY", hide_env_values = true)]
    pub key: String,
}

/// Largest file `put` takes.
const MAX_FILE: u64 = 64 << 20;

/// The account's BitChat identity (its Noise key derived from the account key).
fn identity(client: &ChainClient) -> anyhow::Result<bithive_bitchat::NodeIdentity> {
    let secret: Zeroizing<[u8; 32]> = Zeroizing::new(client.key().k256().to_bytes().into());
    bithive_bitchat::NodeIdentity::from_secret(&secret).context("BitChat identity")
}

/// The owner's master record key: the hash of its ADR-36 signature of `owner_key_text`, as a
/// browser wallet's `signArbitrary` makes it.
fn master_key(client: &ChainClient, d: &Deployment) -> Zeroizing<[u8; 32]> {
    owner_master_key(key_text_signature(client, d).as_slice())
}

/// The account's signature of the vault's key text, as a browser wallet's `signArbitrary` makes
/// it (ADR-36, deterministic): the record keys and the reading key both come from it.
fn key_text_signature(client: &ChainClient, d: &Deployment) -> Zeroizing<Vec<u8>> {
    use k256::ecdsa::signature::Signer;
    let text = owner_key_text(&d.chain_id, &d.contracts.data_vault);
    let bytes = bithive_matching::admission::adr36_sign_bytes(client.address(), text.as_bytes());
    let sig: k256::ecdsa::Signature = client.key().k256().sign(&bytes);
    Zeroizing::new(sig.to_bytes().to_vec())
}

/// The account's reading key (private): grants sealed to its public half open in the web app.
fn reading_key(client: &ChainClient, d: &Deployment) -> Zeroizing<[u8; 32]> {
    reader_private_key(key_text_signature(client, d).as_slice())
}

async fn record(client: &ChainClient, d: &Deployment, token_id: &str) -> anyhow::Result<Record> {
    let r: cw721::msg::NftInfoResponse<Record> = client
        .query_typed(
            &d.contracts.data_vault,
            &VaultQuery::NftInfo {
                token_id: token_id.into(),
            },
        )
        .await
        .with_context(|| format!("no record {token_id} in the vault"))?;
    Ok(r.extension)
}

async fn owner_of(client: &ChainClient, d: &Deployment, token_id: &str) -> anyhow::Result<String> {
    let o: cw721::msg::OwnerOfResponse = client
        .query_typed(
            &d.contracts.data_vault,
            &VaultQuery::OwnerOf {
                token_id: token_id.into(),
                include_expired: None,
            },
        )
        .await
        .with_context(|| format!("no record {token_id} in the vault"))?;
    Ok(o.owner)
}

/// The key of record `token_id`, which the signer owns and put with `put`, sealed to account
/// `to`'s BitChat key `to_key` (hex, from `bithive vault identity` on its side; `flag` names
/// the option it came from) and bound to this vault, record and account.
pub(crate) async fn wrap_record_key(
    client: &ChainClient,
    d: &Deployment,
    store: &StoreArgs,
    token_id: &str,
    to: &str,
    to_key: &str,
    flag: &str,
) -> anyhow::Result<Vec<u8>> {
    let owner = owner_of(client, d, token_id).await?;
    if owner != client.address() {
        bail!("record {token_id} is {owner}'s: only its owner shares it");
    }
    let mut key_to = [0u8; 32];
    hex::decode_to_slice(to_key.trim(), &mut key_to).with_context(|| {
        format!("{flag}: 32 bytes of hex, from `bithive vault identity` on the other side")
    })?;
    let r = record(client, d, token_id).await?;
    let sealed = fetch(&store.open()?, &r).await?;
    let key = owner_record_key_of(&sealed, &master_key(client, d))?;
    open_record(&sealed, &key)
        .context("this record was not put with your key (`bithive vault put`)")?;
    let header = key_header(&d.contracts.data_vault, token_id, to);
    Ok(identity(client)?.seal_to(&key_to, &header, key.as_slice())?)
}

/// The reading key `account` published in the vault, if any.
async fn published_key(
    client: &ChainClient,
    vault: &str,
    account: &str,
) -> anyhow::Result<Option<[u8; 32]>> {
    let r: ReadingKeyResponse = client
        .query_typed(
            vault,
            &VaultQuery::ReadingKey {
                account: account.into(),
            },
        )
        .await
        .with_context(|| format!("{account}'s reading key in the vault"))?;
    r.reading_key
        .map(|k| {
            <[u8; 32]>::try_from(k.public_key.as_slice()).map_err(|_| {
                anyhow::anyhow!("the vault holds a reading key of {account} that is not 32 bytes")
            })
        })
        .transpose()
}

/// The key a grant is sealed to (hex): the grantee's published reading key; a `--to-key` only
/// if it is that key, or, with `--unpublished-key`, if the grantee published none (ADR 017).
async fn grantee_key(client: &ChainClient, vault: &str, a: &GrantArgs) -> anyhow::Result<String> {
    let published = published_key(client, vault, &a.to).await?;
    let given = match &a.to_key {
        None => None,
        Some(k) => {
            let mut key = [0u8; 32];
            hex::decode_to_slice(k.trim(), &mut key)
                .context("--to-key: 32 bytes of hex (64 characters)")?;
            Some(key)
        }
    };
    match (given, published) {
        (None, Some(p)) => Ok(hex::encode(p)),
        (None, None) => bail!(
            "{} has published no reading key in this vault: ask them to press Publish on their My records screen or run `bithive vault reading-key --publish`. Nothing was signed.",
            a.to
        ),
        (Some(g), Some(p)) if g == p => Ok(hex::encode(p)),
        (Some(_), Some(p)) => bail!(
            "--to-key is not the reading key {} published in the vault ({}): whoever gave it to you may have swapped it. Leave --to-key out to seal to the published one. Nothing was signed.",
            a.to,
            hex::encode(p)
        ),
        (Some(_), None) if !a.unpublished_key => bail!(
            "{} has published no reading key, so nothing binds --to-key to that account: ask them to publish theirs (`bithive vault reading-key --publish`), or add --unpublished-key if you had this key from them in person. Nothing was signed.",
            a.to
        ),
        (Some(g), None) => Ok(hex::encode(g)),
    }
}

/// The sealed bytes of `r` from the store, checked against the sha256 the vault holds.
async fn fetch(store: &impl ContentStore, r: &Record) -> anyhow::Result<Vec<u8>> {
    let cid: Cid = r
        .content_id
        .parse()
        .map_err(|e| anyhow::anyhow!("the record's content id {}: {e}", r.content_id))?;
    let sealed = store
        .get(&cid)
        .await
        .with_context(|| format!("fetching {} from the store", r.content_id))?;
    if Sha256::digest(&sealed).as_slice() != r.ciphertext_sha256.as_slice() {
        bail!("the stored file is not the one the vault records (sha256 differs)");
    }
    Ok(sealed)
}

fn write_new(path: &PathBuf, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

pub fn run(cmd: &VaultCommand) -> anyhow::Result<()> {
    if let VaultCommand::Identity(a) = cmd {
        let key =
            bithive_relayer::keyring::Keyring::new(&a.keys.keyring).get(&a.key, &a.keys.prefix)?;
        let secret: Zeroizing<[u8; 32]> = Zeroizing::new(key.k256().to_bytes().into());
        let id = bithive_bitchat::NodeIdentity::from_secret(&secret)?;
        println!("{}", hex::encode(id.noise_public()));
        return Ok(());
    }
    let chain = match cmd {
        VaultCommand::Put(a) => &a.chain,
        VaultCommand::List(a) => &a.chain,
        VaultCommand::Get(a) => &a.chain,
        VaultCommand::Grant(a) => &a.chain,
        VaultCommand::Revoke(a) => &a.chain,
        VaultCommand::Log(a) => &a.chain,
        VaultCommand::Identity(_) => unreachable!("handled above"),
        VaultCommand::ReadingKey(a) => &a.chain,
    };
    let d = chain.deployment()?;
    let read_only = matches!(cmd, VaultCommand::Log(_))
        || matches!(cmd, VaultCommand::List(a) if a.owner.is_some());
    let who = match cmd {
        VaultCommand::List(_) => "whose records: yours (your key) or --owner ADDRESS's",
        _ => "your key signs this",
    };
    let client = chain.client(&d, read_only, who)?;
    let vault = d.contracts.data_vault.clone();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        match cmd {
            VaultCommand::ReadingKey(a) => {
                let public = bithive_bitchat::e2e::public_key(reading_key(&client, &d).as_ref())?;
                let mut published = published_key(&client, &vault, client.address()).await?;
                let mut done = None;
                if a.publish && published.as_ref() != Some(&public) {
                    client
                        .execute_batch(&[(
                            vault.clone(),
                            VaultMsg::SetReadingKey { public_key: HexBinary::from(public.as_slice()) },
                        )])
                        .await
                        .context("publishing your reading key")?;
                    published = Some(public);
                    done = Some("published in the vault: whoever shares a record with you finds it by your address");
                } else if a.withdraw && published.is_some() {
                    client
                        .execute_batch(&[(vault.clone(), VaultMsg::RemoveReadingKey {})])
                        .await
                        .context("withdrawing your reading key")?;
                    published = None;
                    done = Some("withdrawn from the vault: owners can no longer look it up (shares already sealed to it stay readable)");
                }
                let state = match (&published, done) {
                    (_, Some(done)) => done,
                    (Some(p), None) if *p == public => "published in the vault",
                    (Some(_), None) => "not the key your account published in the vault (an older one): run with --publish to replace it",
                    (None, None) => "not published: run with --publish so that whoever shares with you finds it by your address",
                };
                say(
                    chain.json,
                    json!({
                        "reading_key": hex::encode(public),
                        "account": client.address(),
                        "published": published.as_ref() == Some(&public),
                        "published_key": published.map(hex::encode),
                    }),
                    &format!("{}\n{state}", hex::encode(public)),
                );
            }
            VaultCommand::Put(a) => {
                let size = std::fs::metadata(&a.file)
                    .with_context(|| format!("reading {}", a.file.display()))?
                    .len();
                if size > MAX_FILE {
                    bail!("{} is {size} bytes: at most {MAX_FILE}", a.file.display());
                }
                let plain = Zeroizing::new(
                    std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?,
                );
                let store = a.store.open()?;
                let master = master_key(&client, &d);
                let (sealed, _) = seal_owner_record(&plain, &master).context("encrypting the file")?;
                let cid = store.put(&sealed).await.context("storing the encrypted file")?;
                let out = client
                    .execute_batch(&[(
                        vault.clone(),
                        VaultMsg::Mint {
                            record: RecordMsg {
                                content_id: cid.to_string(),
                                record_type: a.kind.into(),
                                size: sealed.len() as u64,
                                ciphertext_sha256: HexBinary::from(Sha256::digest(&sealed).as_slice()),
                            },
                        },
                    )])
                    .await
                    .context("minting the record")?;
                let token_id = out
                    .attr("wasm", bithive_interface::data_vault::events::attr::TOKEN_ID)
                    .context("the mint named no token id")?
                    .to_string();
                say(
                    chain.json,
                    json!({ "token_id": token_id, "content_id": cid.to_string(), "size": sealed.len() }),
                    &format!(
                        "record {token_id}: {} encrypted here ({} B), stored as {cid}; only you can read it until you grant access",
                        a.file.display(),
                        sealed.len()
                    ),
                );
            }
            VaultCommand::List(a) => {
                let owner = a.owner.clone().unwrap_or_else(|| client.address().to_string());
                let mut ids: Vec<String> = Vec::new();
                loop {
                    let page: cw721::msg::TokensResponse = client
                        .query_typed(
                            &vault,
                            &VaultQuery::Tokens {
                                owner: owner.clone(),
                                start_after: ids.last().cloned(),
                                limit: Some(30),
                            },
                        )
                        .await
                        .context("the vault's records")?;
                    let n = page.tokens.len();
                    ids.extend(page.tokens);
                    if n < 30 {
                        break;
                    }
                }
                let mut rows = Vec::new();
                for id in &ids {
                    rows.push((id.clone(), record(&client, &d, id).await?));
                }
                if chain.json {
                    let v: Vec<_> = rows
                        .iter()
                        .map(|(id, r)| json!({ "token_id": id, "record": r }))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                } else if rows.is_empty() {
                    println!("no records of {owner}");
                } else {
                    for (id, r) in &rows {
                        println!(
                            "{id:>6}  {:<16} {:>10} B  {}",
                            r.record_type.as_str(),
                            r.size,
                            r.content_id
                        );
                    }
                }
            }
            VaultCommand::Get(a) => {
                let r = record(&client, &d, &a.token_id).await?;
                let owner = owner_of(&client, &d, &a.token_id).await?;
                let store = a.store.open()?;
                // The owner's key comes from the sealed file itself: fetched once, kept.
                let (key, fetched): (Zeroizing<[u8; 32]>, _) = if owner == client.address() {
                    let sealed = fetch(&store, &r).await?;
                    (owner_record_key_of(&sealed, &master_key(&client, &d))?, Some(sealed))
                } else {
                    let purpose: Purpose = a
                        .purpose
                        .context("--purpose: you are not the record's owner, so you read it under a grant")?
                        .into();
                    let g: GrantResponse = client
                        .query_typed(
                            &vault,
                            &VaultQuery::Grant {
                                token_id: a.token_id.clone(),
                                grantee: client.address().to_string(),
                                purpose,
                            },
                        )
                        .await
                        .context("your grant")?;
                    let grant = match (g.grant, g.live) {
                        (Some(grant), true) => grant,
                        (Some(_), false) => bail!("your grant of record {} was revoked, has expired or the record changed hands", a.token_id),
                        (None, _) => bail!("record {} is {owner}'s and you hold no grant for {}", a.token_id, purpose.as_str()),
                    };
                    // The owner's audit trail first: the vault refuses a dead grant here too.
                    client
                        .execute_batch(&[(
                            vault.clone(),
                            VaultMsg::LogAccess {
                                token_id: a.token_id.clone(),
                                purpose,
                            },
                        )])
                        .await
                        .context("logging your access")?;
                    let header = key_header(&vault, &a.token_id, client.address());
                    // Sealed to the BitChat key or to the reading key (a share made for the web app).
                    let (_, k) = match identity(&client)?.open_sealed(&header, grant.wrapped_key.as_slice()) {
                        Ok(opened) => opened,
                        Err(_) => bithive_bitchat::e2e::open(reading_key(&client, &d).as_ref(), &header, grant.wrapped_key.as_slice())
                            .map_err(|_| anyhow::anyhow!("the record key was sealed neither to your BitChat key nor to your reading key for this record"))?,
                    };
                    let k = Zeroizing::new(k);
                    let k = Zeroizing::new(
                        <[u8; 32]>::try_from(k.as_slice()).map_err(|_| anyhow::anyhow!("the record key is not 32 bytes"))?,
                    );
                    (k, None)
                };
                let sealed = match fetched {
                    Some(sealed) => sealed,
                    None => fetch(&store, &r).await?,
                };
                let plain = Zeroizing::new(open_record(&sealed, &key).context("decrypting the record")?);
                write_new(&a.out, &plain)?;
                say(
                    chain.json,
                    json!({ "token_id": a.token_id, "out": a.out, "bytes": plain.len() }),
                    &format!("record {} ({}): {} B written to {}", a.token_id, r.record_type.as_str(), plain.len(), a.out.display()),
                );
            }
            VaultCommand::Grant(a) => {
                if a.days == 0 || a.days > 3_650 {
                    bail!("--days: 1 to 3650");
                }
                let to_key = grantee_key(&client, &vault, a).await?;
                let wrapped = wrap_record_key(&client, &d, &a.store, &a.token_id, &a.to, &to_key, "--to-key").await?;
                let now = client.rpc().latest_block_time().await?;
                let expires = now + a.days * 86_400;
                let purpose: Purpose = a.purpose.into();
                client
                    .execute_batch(&[(
                        vault.clone(),
                        VaultMsg::GrantAccess {
                            token_id: a.token_id.clone(),
                            grantee: a.to.clone(),
                            purpose,
                            expires_at: Timestamp::from_seconds(expires),
                            wrapped_key: Binary::from(wrapped),
                        },
                    )])
                    .await
                    .context("granting access")?;
                say(
                    chain.json,
                    json!({ "token_id": a.token_id, "grantee": a.to, "purpose": purpose.as_str(), "expires_at": expires, "sealed_to": to_key }),
                    &format!(
                        "{} may read record {} for {} for {} days (sealed to key {to_key}); revoking stops its next access, not a copy it already took",
                        a.to, a.token_id, purpose.as_str(), a.days
                    ),
                );
            }
            VaultCommand::Revoke(a) => {
                let purpose: Purpose = a.purpose.into();
                client
                    .execute_batch(&[(
                        vault.clone(),
                        VaultMsg::RevokeAccess {
                            token_id: a.token_id.clone(),
                            grantee: a.to.clone(),
                            purpose,
                        },
                    )])
                    .await
                    .context("revoking the grant")?;
                say(
                    chain.json,
                    json!({ "token_id": a.token_id, "grantee": a.to, "purpose": purpose.as_str(), "revoked": true }),
                    &format!(
                        "revoked: the vault refuses {}'s next access to record {} for {}; a copy it already took stays readable to it (put the record again and burn this one to change its key)",
                        a.to, a.token_id, purpose.as_str()
                    ),
                );
            }
            VaultCommand::Log(a) => {
                let grants: GrantsResponse = client
                    .query_typed(
                        &vault,
                        &VaultQuery::Grants {
                            token_id: a.token_id.clone(),
                            start_after: None,
                            limit: Some(30),
                        },
                    )
                    .await
                    .context("the record's grants")?;
                let accesses = access_log(&chain.rpc, &vault, &a.token_id).await?;
                if chain.json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({ "grants": grants.grants, "accesses": accesses }))?
                    );
                } else {
                    println!("grants of record {}:", a.token_id);
                    for g in grants.grants.iter().filter_map(|g| g.grant.as_ref().map(|x| (x, g.live))) {
                        let state = match (g.1, g.0.revoked_at) {
                            (true, _) => format!("live until {}", utc(g.0.expires_at)),
                            (false, Some(at)) => format!("revoked {}", utc(at)),
                            (false, None) => "expired or the record changed hands".into(),
                        };
                        println!("  {} for {}: {state}", g.0.grantee, g.0.purpose.as_str());
                    }
                    println!("accesses:");
                    if accesses.is_empty() {
                        println!("  none");
                    }
                    for x in &accesses {
                        println!(
                            "  #{} {}: {} for {}",
                            x.seq,
                            utc(Timestamp::from_seconds(x.time)),
                            x.grantee,
                            x.purpose
                        );
                    }
                }
            }
            VaultCommand::Identity(_) => unreachable!("handled above"),
        }
        Ok(())
    })
}

/// Every logged access of `token_id` (the vault's `log_access` events), oldest first, from the
/// node's tx index.
async fn access_log(
    rpc: &str,
    vault: &str,
    token_id: &str,
) -> anyhow::Result<Vec<bithive_interface::data_vault::AccessEvent>> {
    use bithive_interface::data_vault::{events, AccessEvent};
    let endpoint = bithive_chain_client::HttpEndpoint::new(
        rpc,
        bithive_chain_client::CompatVersion::V038,
        std::time::Duration::from_secs(20),
    )?;
    // Token ids are the vault's decimal counter: nothing to escape in the query.
    if !token_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        bail!("{token_id}: not a record token id");
    }
    let query = format!(
        "wasm._contract_address='{vault}' AND wasm.action='{}' AND wasm.{}='{token_id}'",
        events::LOG_ACCESS,
        events::attr::TOKEN_ID,
    );
    let txs = endpoint
        .tx_search(&query, 10_000)
        .await
        .context("the node's tx index (searching the vault's access events)")?;
    let mut out = Vec::new();
    for tx in txs.iter().filter(|t| t.code == 0) {
        for e in tx.events.iter().filter(|e| e.kind == "wasm") {
            if e.attr("_contract_address") != Some(vault) {
                continue;
            }
            let attrs = e.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if let Some(a) = AccessEvent::from_attributes(attrs).filter(|a| a.token_id == token_id)
            {
                out.push(a);
            }
        }
    }
    Ok(out)
}
