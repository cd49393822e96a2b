//! `bithive asset`: healthcare assets as their issuer, valuers and investors use them.
//!
//! The asset-nft admin mints an asset (a scanner, a compute node, a dataset's rights) with its
//! document's sha256 computed here from the file, its jurisdictions and compliance markers
//! (where the admin is the deployment's DAO, a member's `mint` proposes the mint instead);
//! valuers submit values and anyone reads the median and its history; the owner locks it in the
//! fractional vault for shares; shares change hands as cw20 tokens; revenue paid to the asset is
//! claimed pro rata; anyone may buy the asset at its reserve price, after which shares redeem
//! the proceeds.
//!
//! There is no market for shares in the contracts: `transfer-shares` hands them over (a sale
//! agreed elsewhere pays outside it). Amounts are whole units with each token's decimals.

use std::path::PathBuf;

use anyhow::{bail, Context};
use bithive_chain_client::{ChainClient, TxOutcome};
use bithive_deploy_plan::Deployment;
use bithive_interface::asset_nft::{
    AssetClass, AssetMetadata, AssetMetadataMsg, ComplianceMarker, ConfigResponse,
    ExecuteMsg as NftMsg, Jurisdiction, QueryMsg as NftQuery, ValuationHistoryResponse,
    ValuationResponse,
};
use bithive_interface::fractional::{
    events, AssetInfo, ClaimableResponse, ExecuteMsg as VaultMsg, FractionalizeMsg, Price,
    QueryMsg as VaultQuery, ReceiveMsg as VaultReceive, Vault, VaultStatus, VaultsResponse,
};
use clap::{Args, Subcommand, ValueEnum};
use cosmwasm_std::{to_json_binary, HexBinary, Uint128};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::chain_args::{pay_into, AssetArg, ChainArgs};
use crate::words::{missing, say, units_of, utc, Units};

#[derive(Debug, Subcommand)]
pub enum AssetCommand {
    /// Mint an asset to its owner with its document and compliance markers (the asset admin;
    /// where that is the DAO, a member proposes the mint)
    Mint(MintArgs),
    /// One asset: owner, class, document, jurisdictions, certifications, valuation, vault
    Show(TokenArgs),
    /// An asset's valuation and its history; a valuer submits one with --submit
    Value(ValueArgs),
    /// Lock your asset in the fractional vault for shares (all minted to you)
    Fractionalize(FractionalizeArgs),
    /// The vaults: asset, shares, reserve price, status
    Vaults(VaultsArgs),
    /// Hand shares of a vault to another account (a sale agreed elsewhere)
    TransferShares(TransferArgs),
    /// Pay revenue to a vault's share holders (a hospital paying for the scanner's use)
    Revenue(RevenueArgs),
    /// Take the revenue your shares earned
    Claim(VaultArgs),
    /// Buy the asset at its reserve price; its shares then redeem what you paid
    Buyout(VaultArgs),
    /// After a buyout: your shares for your part of the price
    Redeem(VaultArgs),
}

/// The kind of asset.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Class {
    MedicalEquipment,
    ComputeResource,
    DataAndIp,
    ServiceDeliveryRights,
}

impl From<Class> for AssetClass {
    fn from(c: Class) -> Self {
        match c {
            Class::MedicalEquipment => AssetClass::MedicalEquipment,
            Class::ComputeResource => AssetClass::ComputeResource,
            Class::DataAndIp => AssetClass::DataAndIp,
            Class::ServiceDeliveryRights => AssetClass::ServiceDeliveryRights,
        }
    }
}

#[derive(Debug, Args)]
pub struct MintArgs {
    /// The asset's id: 1 to 64 of a-z A-Z 0-9 - _ . (never reused, burned ids included)
    #[arg(long = "id", value_name = "ID")]
    pub token_id: String,
    /// Who owns it
    #[arg(long, value_name = "ADDRESS")]
    pub owner: String,
    #[arg(long, value_enum)]
    pub class: Class,
    /// The document describing it (its sha256 goes on chain; the file stays here)
    #[arg(long, value_name = "FILE")]
    pub document: PathBuf,
    /// Where the document is published: ipfs://, https:// or ar://
    #[arg(long, value_name = "URI")]
    pub document_uri: String,
    /// A jurisdiction and its markers: `US` or
    /// `EU:approved-holders-only,medical-device-regulated,data-protection-regulated,export-controlled`;
    /// repeat for each (1 to 16)
    #[arg(long = "jurisdiction", value_name = "CODE[:MARKERS]", required = true)]
    pub jurisdictions: Vec<String>,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The asset's id
    pub token_id: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct ValueArgs {
    /// The asset's id
    pub token_id: String,
    /// Submit this value (in the deployment's valuation unit), as a registered valuer
    #[arg(long, value_name = "VALUE")]
    pub submit: Option<u128>,
    /// How many past submissions to show, newest first
    #[arg(long, default_value_t = 20)]
    pub history: u32,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct FractionalizeArgs {
    /// The asset's id
    pub token_id: String,
    /// How many shares, in whole units of --decimals
    #[arg(long, value_name = "AMOUNT")]
    pub shares: String,
    /// The share token's name (3 to 50 characters)
    #[arg(long, value_name = "NAME")]
    pub share_name: String,
    /// The share token's symbol (3 to 12 letters or -)
    #[arg(long, value_name = "SYMBOL")]
    pub share_symbol: String,
    /// The share token's decimals
    #[arg(long, default_value_t = 6)]
    pub decimals: u8,
    /// The price at which anyone may buy the asset, in whole units of --asset
    #[arg(long, value_name = "AMOUNT")]
    pub reserve: String,
    /// The asset of the reserve price, which is also the asset revenue is paid in
    #[command(flatten)]
    pub asset: AssetArg,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct VaultsArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct VaultArgs {
    /// The vault's number
    pub vault_id: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// The vault's number
    pub vault_id: u64,
    /// Who receives the shares
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// How many shares, in whole units
    #[arg(long, value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct RevenueArgs {
    /// The vault's number
    pub vault_id: u64,
    /// How much, in whole units of the vault's revenue asset
    #[arg(long, value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

impl AssetCommand {
    fn chain(&self) -> &ChainArgs {
        match self {
            AssetCommand::Mint(a) => &a.chain,
            AssetCommand::Show(a) => &a.chain,
            AssetCommand::Value(a) => &a.chain,
            AssetCommand::Fractionalize(a) => &a.chain,
            AssetCommand::Vaults(a) => &a.chain,
            AssetCommand::TransferShares(a) => &a.chain,
            AssetCommand::Revenue(a) => &a.chain,
            AssetCommand::Claim(a) | AssetCommand::Buyout(a) | AssetCommand::Redeem(a) => &a.chain,
        }
    }

    fn reads_only(&self) -> bool {
        match self {
            AssetCommand::Show(_) | AssetCommand::Vaults(_) => true,
            AssetCommand::Value(a) => a.submit.is_none(),
            _ => false,
        }
    }
}

pub fn run(cmd: &AssetCommand) -> anyhow::Result<()> {
    let chain = cmd.chain();
    let d = chain.deployment()?;
    let client = chain.client(&d, cmd.reads_only(), "your key signs this")?;
    let a = Assets {
        client: &client,
        nft: &d.contracts.asset_nft,
        vaults: &d.contracts.fractional,
        json: chain.json,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        match cmd {
            AssetCommand::Mint(m) => a.mint(&d, m).await,
            AssetCommand::Show(t) => a.show(&t.token_id).await,
            AssetCommand::Value(v) => a.value(v).await,
            AssetCommand::Fractionalize(f) => a.fractionalize(&d, f).await,
            AssetCommand::Vaults(_) => a.list().await,
            AssetCommand::TransferShares(t) => a.transfer_shares(t).await,
            AssetCommand::Revenue(r) => a.revenue(r).await,
            AssetCommand::Claim(v) => a.claim(v.vault_id).await,
            AssetCommand::Buyout(v) => a.buyout(v.vault_id).await,
            AssetCommand::Redeem(v) => a.redeem(v.vault_id).await,
        }
    })
}

/// `member` proposes that the DAO of deployment `d` (the asset contract's admin) mint `msg` (a
/// [`NftMsg::Mint`]); the proposal's id. The contract checks a mint only when the DAO executes
/// it, after the vote: the checks that can be made now are made now (the id is free, the owner
/// is approved where a jurisdiction admits approved holders only), so a mint that would fail is
/// not put to a vote.
pub async fn propose_mint(
    member: &ChainClient,
    d: &Deployment,
    msg: &NftMsg,
) -> anyhow::Result<u64> {
    Assets {
        client: member,
        nft: &d.contracts.asset_nft,
        vaults: &d.contracts.fractional,
        json: false,
    }
    .propose_mint(d, msg)
    .await
}

/// `EU:approved-holders-only,medical-device-regulated` as a jurisdiction.
pub fn jurisdiction(arg: &str) -> anyhow::Result<Jurisdiction> {
    let (code, markers) = arg.split_once(':').unwrap_or((arg, ""));
    if !(2..=8).contains(&code.len())
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        bail!("--jurisdiction {arg}: the code is 2 to 8 of A-Z 0-9 - (US, EU, DE-BY)");
    }
    let markers = markers
        .split(',')
        .filter(|m| !m.is_empty())
        .map(|m| {
            Ok(match m {
                "approved-holders-only" => ComplianceMarker::ApprovedHoldersOnly,
                "medical-device-regulated" => ComplianceMarker::MedicalDeviceRegulated,
                "data-protection-regulated" => ComplianceMarker::DataProtectionRegulated,
                "export-controlled" => ComplianceMarker::ExportControlled,
                other => bail!(
                    "--jurisdiction {arg}: {other} is not a marker (approved-holders-only, medical-device-regulated, data-protection-regulated, export-controlled)"
                ),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if markers.len() > 4 {
        bail!("--jurisdiction {arg}: at most 4 markers");
    }
    Ok(Jurisdiction {
        code: code.to_string(),
        markers,
    })
}

fn status_words(s: &VaultStatus) -> String {
    match s {
        VaultStatus::Pending => "being created".into(),
        VaultStatus::Active => "active".into(),
        VaultStatus::BoughtOut { buyer } => {
            format!("bought out by {buyer}: shares redeem the price")
        }
        VaultStatus::Reunified { holder } => format!("reunified: {holder} took the asset back"),
    }
}

/// The asset contracts as one signer uses them.
struct Assets<'a> {
    client: &'a ChainClient,
    nft: &'a str,
    vaults: &'a str,
    json: bool,
}

impl Assets<'_> {
    fn me(&self) -> &str {
        self.client.address()
    }

    async fn submit(
        &self,
        msg: bithive_chain_client::cosmrs::Any,
        what: &str,
    ) -> anyhow::Result<TxOutcome> {
        self.client
            .submit(vec![msg], "")
            .await
            .map_err(|e| anyhow::Error::new(e).context(format!("{what} was refused")))
    }

    async fn owner_of(&self, token_id: &str) -> anyhow::Result<String> {
        let o: cw721::msg::OwnerOfResponse = self
            .client
            .query_typed(
                self.nft,
                &NftQuery::OwnerOf {
                    token_id: token_id.to_string(),
                    include_expired: None,
                },
            )
            .await
            .map_err(|e| missing(e, &format!("asset {token_id}")))?;
        Ok(o.owner)
    }

    async fn vault(&self, id: u64) -> anyhow::Result<Vault> {
        self.client
            .query_typed(self.vaults, &VaultQuery::Vault { vault_id: id })
            .await
            .map_err(|e| missing(e, &format!("vault {id}")))
    }

    async fn all_vaults(&self) -> anyhow::Result<Vec<Vault>> {
        let mut out: Vec<Vault> = Vec::new();
        loop {
            let page: VaultsResponse = self
                .client
                .query_typed(
                    self.vaults,
                    &VaultQuery::Vaults {
                        start_after: out.last().map(|v| v.id),
                        limit: Some(30),
                    },
                )
                .await
                .context("the fractional vaults")?;
            let n = page.vaults.len();
            out.extend(page.vaults);
            if n < 30 {
                return Ok(out);
            }
        }
    }

    /// A vault's share token and its units.
    async fn shares_of(&self, v: &Vault) -> anyhow::Result<(String, Units)> {
        let token = v
            .share_token
            .as_ref()
            .with_context(|| format!("vault {} has no share token yet", v.id))?;
        let units = units_of(self.client, &AssetInfo::Cw20(token.clone())).await?;
        Ok((token.to_string(), units))
    }

    async fn share_balance(&self, token: &str, who: &str) -> anyhow::Result<Uint128> {
        let b: cw20::BalanceResponse = self
            .client
            .query_typed(
                token,
                &cw20::Cw20QueryMsg::Balance {
                    address: who.to_string(),
                },
            )
            .await
            .context("the share balance")?;
        Ok(b.balance)
    }

    async fn metadata(
        &self,
        token_id: &str,
    ) -> anyhow::Result<cw721::msg::NftInfoResponse<AssetMetadata>> {
        self.client
            .query_typed(
                self.nft,
                &NftQuery::NftInfo {
                    token_id: token_id.to_string(),
                },
            )
            .await
            .context("the asset's metadata")
    }

    /// The jurisdictions of asset `token_id` that admit approved holders only and have not
    /// approved `holder` (the contract refuses such a transfer).
    async fn unapproved(&self, token_id: &str, holder: &str) -> anyhow::Result<Vec<String>> {
        let info = self.metadata(token_id).await?;
        self.unapproved_in(&info.extension.jurisdictions, holder)
            .await
    }

    /// Of `jurisdictions`, the codes of those that admit approved holders only and have not
    /// approved `holder`.
    async fn unapproved_in(
        &self,
        jurisdictions: &[Jurisdiction],
        holder: &str,
    ) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for j in jurisdictions
            .iter()
            .filter(|j| j.markers.contains(&ComplianceMarker::ApprovedHoldersOnly))
        {
            let approved: bool = self
                .client
                .query_typed(
                    self.nft,
                    &NftQuery::HolderApproved {
                        jurisdiction: j.code.clone(),
                        holder: holder.to_string(),
                    },
                )
                .await
                .context("the compliance officer's approvals")?;
            if !approved {
                out.push(j.code.clone());
            }
        }
        Ok(out)
    }

    async fn mint(&self, d: &Deployment, m: &MintArgs) -> anyhow::Result<()> {
        let config: ConfigResponse = self
            .client
            .query_typed(self.nft, &NftQuery::Config {})
            .await
            .context("the asset contract's config")?;
        let by_dao = !d.contracts.dao.is_empty() && config.admin == d.contracts.dao;
        if config.admin != self.me() && !by_dao {
            bail!("only the asset contract's admin ({}) mints", config.admin);
        }
        let doc = std::fs::read(&m.document)
            .with_context(|| format!("reading {}", m.document.display()))?;
        let jurisdictions = m
            .jurisdictions
            .iter()
            .map(|j| jurisdiction(j))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let msg = NftMsg::Mint {
            token_id: m.token_id.clone(),
            owner: m.owner.clone(),
            token_uri: None,
            extension: AssetMetadataMsg {
                class: m.class.into(),
                description_uri: m.document_uri.clone(),
                content_hash: HexBinary::from(Sha256::digest(&doc).as_slice()),
                jurisdictions,
                certifications: vec![],
                device_pubkey: None,
            },
        };
        if by_dao {
            let id = self.propose_mint(d, &msg).await?;
            say(
                self.json,
                json!({ "token_id": m.token_id, "owner": m.owner, "proposal_id": id }),
                &format!(
                    "the asset contract's admin is the DAO: the mint of {} is its proposal {id}; \
                     the asset exists once the members pass it and one executes it \
                     (`bithive gov vote {id} yes`, `bithive gov execute {id}`)",
                    m.token_id
                ),
            );
            return Ok(());
        }
        let out = self
            .submit(self.client.execute_msg(self.nft, &msg)?, "the mint")
            .await?;
        say(
            self.json,
            json!({ "token_id": m.token_id, "owner": m.owner, "tx": out.hash }),
            &format!(
                "asset {} minted to {}; its document's sha256 is on chain (tx {})",
                m.token_id, m.owner, out.hash
            ),
        );
        Ok(())
    }

    /// [`propose_mint`].
    async fn propose_mint(&self, d: &Deployment, msg: &NftMsg) -> anyhow::Result<u64> {
        let NftMsg::Mint {
            token_id,
            owner,
            extension,
            ..
        } = msg
        else {
            bail!("not a mint");
        };
        // "not found" is a free id; a chain that cannot be read is an error, not a "yes".
        let taken = match self
            .client
            .query_typed::<_, cw721::msg::OwnerOfResponse>(
                self.nft,
                &NftQuery::OwnerOf {
                    token_id: token_id.clone(),
                    include_expired: None,
                },
            )
            .await
        {
            Ok(_) => true,
            Err(e) if e.to_string().contains("not found") => false,
            Err(e) => return Err(anyhow::Error::new(e).context("whether the asset id is free")),
        };
        if taken {
            bail!("asset {token_id} exists already: an id is never minted twice");
        }
        if let Some(code) = self
            .unapproved_in(&extension.jurisdictions, owner)
            .await?
            .first()
        {
            bail!(
                "{owner} is not approved to hold assets of jurisdiction {code} (approved holders \
                 only): the compliance officer approves it first, or the DAO's mint would fail"
            );
        }
        let jurisdictions: Vec<_> = extension.jurisdictions.iter().map(|j| j.words()).collect();
        let title = format!("Mint asset {token_id} to {owner}");
        let description = format!(
            "{}, document {} (sha256 {}); jurisdictions {}",
            extension.class.words(),
            extension.description_uri,
            extension.content_hash,
            jurisdictions.join(", ")
        );
        let call = crate::gov::wasm_execute(self.nft, &serde_json::to_value(msg)?);
        Ok(crate::gov::Dao::of(self.client, d)
            .await?
            .propose(self.client, &title, &description, vec![call])
            .await?)
    }

    async fn show(&self, token_id: &str) -> anyhow::Result<()> {
        let owner = self.owner_of(token_id).await?;
        let info = self.metadata(token_id).await?;
        let valuation: ValuationResponse = self
            .client
            .query_typed(
                self.nft,
                &NftQuery::Valuation {
                    token_id: token_id.to_string(),
                },
            )
            .await
            .context("the asset's valuation")?;
        let vault = self
            .all_vaults()
            .await?
            .into_iter()
            .rfind(|v| v.nft_contract.as_str() == self.nft && v.token_id == token_id);
        let m = &info.extension;
        if self.json {
            println!(
                "{}",
                json!({ "token_id": token_id, "owner": owner, "metadata": m, "valuation": valuation, "vault": vault })
            );
            return Ok(());
        }
        let mut s = format!("asset {token_id}: {}\n", m.class.words());
        s += &format!("  owner          {owner}\n");
        s += &format!(
            "  document       {} (sha256 {})\n",
            m.description_uri, m.content_hash
        );
        for j in &m.jurisdictions {
            let markers: Vec<_> = j.markers.iter().map(ComplianceMarker::words).collect();
            s += &format!(
                "  jurisdiction   {}{}\n",
                j.code,
                if markers.is_empty() {
                    String::new()
                } else {
                    format!(": {}", markers.join(", "))
                }
            );
        }
        for c in &m.certifications {
            s += &format!(
                "  certification  {} by {} ({}), until {}\n",
                c.standard,
                c.issuer,
                c.certificate_id,
                utc(c.expires_at)
            );
        }
        s += &format!("  valuation      {}\n", valuation_words(&valuation));
        if let Some(v) = vault {
            s += &format!("  vault          {} ({})\n", v.id, status_words(&v.status));
        }
        println!("{}", s.trim_end());
        Ok(())
    }

    async fn value(&self, a: &ValueArgs) -> anyhow::Result<()> {
        self.owner_of(&a.token_id).await?;
        if let Some(value) = a.submit {
            let valuers: bithive_interface::asset_nft::AddressesResponse = self
                .client
                .query_typed(
                    self.nft,
                    &NftQuery::Valuers {
                        start_after: None,
                        limit: Some(100),
                    },
                )
                .await
                .context("the valuers")?;
            if !valuers.addresses.iter().any(|v| v == self.me()) {
                bail!("you are not a valuer: the asset contract's admin appoints them");
            }
            let msg = NftMsg::SubmitValuation {
                token_id: a.token_id.clone(),
                value: Uint128::new(value),
            };
            let out = self
                .submit(self.client.execute_msg(self.nft, &msg)?, "the valuation")
                .await?;
            if !self.json {
                println!(
                    "valuation {value} submitted for {} (tx {})",
                    a.token_id, out.hash
                );
            }
        }
        let valuation: ValuationResponse = self
            .client
            .query_typed(
                self.nft,
                &NftQuery::Valuation {
                    token_id: a.token_id.clone(),
                },
            )
            .await
            .context("the asset's valuation")?;
        let history: ValuationHistoryResponse = self
            .client
            .query_typed(
                self.nft,
                &NftQuery::ValuationHistory {
                    token_id: a.token_id.clone(),
                    start_before: None,
                    limit: Some(a.history.clamp(1, 100)),
                },
            )
            .await
            .context("the asset's valuation history")?;
        if self.json {
            println!(
                "{}",
                json!({ "token_id": a.token_id, "valuation": valuation, "history": history.entries })
            );
            return Ok(());
        }
        println!("asset {}: {}", a.token_id, valuation_words(&valuation));
        if history.entries.is_empty() {
            println!("  no valuations yet");
        }
        for e in &history.entries {
            println!(
                "  #{:<4} {}  {} {}  by {}",
                e.seq,
                utc(e.submitted_at),
                e.value,
                valuation.unit,
                e.valuer
            );
        }
        Ok(())
    }

    async fn fractionalize(&self, d: &Deployment, a: &FractionalizeArgs) -> anyhow::Result<()> {
        let owner = self.owner_of(&a.token_id).await?;
        if owner != self.me() {
            bail!("asset {} is {owner}'s: only its owner locks it", a.token_id);
        }
        let not_approved = self.unapproved(&a.token_id, self.vaults).await?;
        if !not_approved.is_empty() {
            bail!(
                "the fractional vault is not approved to hold assets of {}: the compliance officer approves it first",
                not_approved.join(", ")
            );
        }
        if a.decimals > 18 {
            bail!("--decimals {}: at most 18", a.decimals);
        }
        let shares =
            crate::words::base_units(&a.shares, u32::from(a.decimals)).context("--shares")?;
        if shares.is_zero() {
            bail!("--shares: at least one");
        }
        let asset = a.asset.info(d)?;
        let units = units_of(self.client, &asset).await?;
        let reserve = units.parse(&a.reserve).context("--reserve")?;
        if reserve.is_zero() {
            bail!("--reserve: a price above nothing (anyone could take the asset for free)");
        }
        let lock = FractionalizeMsg {
            shares,
            share_name: a.share_name.clone(),
            share_symbol: a.share_symbol.clone(),
            decimals: a.decimals,
            reserve_price: Price {
                asset: asset.clone(),
                amount: reserve,
            },
            revenue_assets: vec![asset],
        };
        let msg = NftMsg::SendNft {
            contract: self.vaults.to_string(),
            token_id: a.token_id.clone(),
            msg: to_json_binary(&lock)?,
        };
        let out = self
            .submit(
                self.client.execute_msg(self.nft, &msg)?,
                "locking the asset",
            )
            .await?;
        let id: u64 = out
            .attr("wasm", events::attr::VAULT_ID)
            .context("the lock named no vault")?
            .parse()?;
        let token = out
            .attr("wasm", events::attr::SHARE_TOKEN)
            .unwrap_or_default()
            .to_string();
        say(
            self.json,
            json!({ "vault_id": id, "share_token": token, "shares": shares, "tx": out.hash }),
            &format!(
                "asset {} locked in vault {id}: {} {} are yours (token {token}); anyone may buy the asset for {} (tx {})",
                a.token_id,
                a.shares,
                a.share_symbol,
                units.show(reserve),
                out.hash
            ),
        );
        Ok(())
    }

    async fn list(&self) -> anyhow::Result<()> {
        let vaults = self.all_vaults().await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&vaults)?);
            return Ok(());
        }
        if vaults.is_empty() {
            println!("no vaults");
            return Ok(());
        }
        for v in &vaults {
            let reserve = units_of(self.client, &v.reserve_asset).await?;
            let shares = match &v.share_token {
                Some(t) => units_of(self.client, &AssetInfo::Cw20(t.clone()))
                    .await?
                    .show(v.total_shares),
                None => v.total_shares.to_string(),
            };
            println!(
                "vault {}: asset {} in {}, {shares}, reserve {}, {}",
                v.id,
                v.token_id,
                v.nft_contract,
                reserve.show(v.reserve_amount),
                status_words(&v.status)
            );
        }
        Ok(())
    }

    async fn transfer_shares(&self, a: &TransferArgs) -> anyhow::Result<()> {
        let v = self.vault(a.vault_id).await?;
        let (token, units) = self.shares_of(&v).await?;
        let amount = units.parse(&a.amount).context("--amount")?;
        let mine = self.share_balance(&token, self.me()).await?;
        if amount.is_zero() || amount > mine {
            bail!(
                "--amount {}: you hold {} of vault {}",
                units.show(amount),
                units.show(mine),
                v.id
            );
        }
        let msg = cw20::Cw20ExecuteMsg::Transfer {
            recipient: a.to.clone(),
            amount,
        };
        let out = self
            .submit(self.client.execute_msg(&token, &msg)?, "the transfer")
            .await?;
        say(
            self.json,
            json!({ "vault_id": v.id, "to": a.to, "amount": amount, "tx": out.hash }),
            &format!(
                "{} of vault {} to {}; revenue earned so far stays claimable by you (tx {})",
                units.show(amount),
                v.id,
                a.to,
                out.hash
            ),
        );
        Ok(())
    }

    async fn revenue(&self, a: &RevenueArgs) -> anyhow::Result<()> {
        let v = self.vault(a.vault_id).await?;
        if v.status != VaultStatus::Active {
            bail!(
                "vault {} is {}: it takes no revenue",
                v.id,
                status_words(&v.status)
            );
        }
        let asset = v.revenue_assets.first().unwrap_or(&v.reserve_asset).clone();
        let units = units_of(self.client, &asset).await?;
        let amount = units.parse(&a.amount).context("--amount")?;
        if amount.is_zero() {
            bail!("--amount: nothing to pay");
        }
        let msg = pay_into(
            self.client,
            self.vaults,
            &asset,
            amount,
            &VaultMsg::DepositRevenue { vault_id: v.id },
            &VaultReceive::DepositRevenue { vault_id: v.id },
        )?;
        let out = self.submit(msg, "the revenue").await?;
        say(
            self.json,
            json!({ "vault_id": v.id, "amount": amount, "tx": out.hash }),
            &format!(
                "{} paid to vault {}'s share holders, pro rata (tx {})",
                units.show(amount),
                v.id,
                out.hash
            ),
        );
        Ok(())
    }

    async fn claim(&self, id: u64) -> anyhow::Result<()> {
        let v = self.vault(id).await?;
        let c: ClaimableResponse = self
            .client
            .query_typed(
                self.vaults,
                &VaultQuery::Claimable {
                    vault_id: id,
                    holder: self.me().to_string(),
                },
            )
            .await
            .context("what you can claim")?;
        let owed: Vec<_> = c.claimable.iter().filter(|(_, a)| !a.is_zero()).collect();
        if owed.is_empty() {
            bail!(
                "vault {}: your shares have earned nothing to claim yet",
                v.id
            );
        }
        let mut words = Vec::new();
        for (asset, amount) in &owed {
            words.push(units_of(self.client, asset).await?.show(*amount));
        }
        let out = self
            .submit(
                self.client
                    .execute_msg(self.vaults, &VaultMsg::Claim { vault_id: id })?,
                "the claim",
            )
            .await?;
        say(
            self.json,
            json!({ "vault_id": id, "claimed": c.claimable, "tx": out.hash }),
            &format!(
                "claimed {} from vault {id} (tx {})",
                words.join(", "),
                out.hash
            ),
        );
        Ok(())
    }

    async fn buyout(&self, id: u64) -> anyhow::Result<()> {
        let v = self.vault(id).await?;
        if v.status != VaultStatus::Active {
            bail!("vault {id} is {}: not for sale", status_words(&v.status));
        }
        if v.nft_contract.as_str() == self.nft {
            let not_approved = self.unapproved(&v.token_id, self.me()).await?;
            if !not_approved.is_empty() {
                bail!(
                    "you are not approved to hold assets of {}: its compliance officer approves holders",
                    not_approved.join(", ")
                );
            }
        }
        let units = units_of(self.client, &v.reserve_asset).await?;
        let msg = pay_into(
            self.client,
            self.vaults,
            &v.reserve_asset,
            v.reserve_amount,
            &VaultMsg::Buyout { vault_id: id },
            &VaultReceive::Buyout { vault_id: id },
        )?;
        let out = self.submit(msg, "the buyout").await?;
        say(
            self.json,
            json!({ "vault_id": id, "token_id": v.token_id, "price": v.reserve_amount, "tx": out.hash }),
            &format!(
                "asset {} is yours for {}; its share holders redeem the price (tx {})",
                v.token_id,
                units.show(v.reserve_amount),
                out.hash
            ),
        );
        Ok(())
    }

    async fn redeem(&self, id: u64) -> anyhow::Result<()> {
        let v = self.vault(id).await?;
        if !matches!(v.status, VaultStatus::BoughtOut { .. }) {
            bail!(
                "vault {id} is {}: shares redeem only after a buyout",
                status_words(&v.status)
            );
        }
        let (token, shares) = self.shares_of(&v).await?;
        let mine = self.share_balance(&token, self.me()).await?;
        if mine.is_zero() {
            bail!("you hold no shares of vault {id}");
        }
        let units = units_of(self.client, &v.reserve_asset).await?;
        let msg = cw20::Cw20ExecuteMsg::Send {
            contract: self.vaults.to_string(),
            amount: mine,
            msg: to_json_binary(&VaultReceive::Redeem {})?,
        };
        let out = self
            .submit(self.client.execute_msg(&token, &msg)?, "the redemption")
            .await?;
        let payout: Uint128 = out
            .attr("wasm", events::attr::PAYOUT)
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        say(
            self.json,
            json!({ "vault_id": id, "shares": mine, "payout": payout, "tx": out.hash }),
            &format!(
                "{} of vault {id} redeemed for {} (tx {})",
                shares.show(mine),
                units.show(payout),
                out.hash
            ),
        );
        Ok(())
    }
}

fn valuation_words(v: &ValuationResponse) -> String {
    match v.value {
        Some(value) if v.quorum_met => format!(
            "{value} {} (median of {} fresh valuations)",
            v.unit, v.submissions
        ),
        _ => format!(
            "none yet ({} fresh of the {} needed)",
            v.submissions, v.quorum
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdictions_read_as_written() {
        let j = jurisdiction("EU:approved-holders-only,medical-device-regulated").unwrap();
        assert_eq!(j.code, "EU");
        assert_eq!(
            j.markers,
            vec![
                ComplianceMarker::ApprovedHoldersOnly,
                ComplianceMarker::MedicalDeviceRegulated
            ]
        );
        assert!(jurisdiction("US").unwrap().markers.is_empty());
        assert!(jurisdiction("eu").is_err());
        assert!(jurisdiction("EU:gdpr").is_err());
    }
}
