//! `bithive escrow`: PayFi payments as a patient, a provider and an insurer make them.
//!
//! Milestone escrows: the payer locks a payment in milestones for a payee, coded for healthcare
//! billing (payment type, procedure and diagnosis codes, an invoice reference); each milestone is
//! released by the payer or the arbiter; either party may dispute, which freezes it until the
//! arbiter splits what is left; after expiry the payer takes back what was never released.
//!
//! Payment channels: the payer deposits once and signs cumulative vouchers off chain (with its
//! account key, the channel's voucher key); the payee redeems the highest one when it likes, and
//! a voucher never pays twice. `close` does what the signer's role allows: the payee closes at
//! once, the payer starts the challenge period and, once it has passed, takes the rest back.
//!
//! Amounts are whole units of the asset (`2.5` BTT), read with the token's own decimals; a bank
//! coin is counted in its base units. Every refusal the contract would make for a role or a
//! state is said here first, in words, with nothing signed.

use anyhow::{bail, Context};
use bithive_chain_client::{ChainClient, TxOutcome};
use bithive_deploy_plan::Deployment;
use bithive_interface::payfi_escrow::{
    events, AssetInfo, Channel, CreateEscrowMsg, Escrow, EscrowStatus, EscrowsResponse,
    ExecuteMsg as EscrowMsg, OpenChannelMsg, PaymentCoding, PaymentType, QueryMsg as EscrowQuery,
    ReceiveMsg, VoucherForm,
};
use clap::{Args, Subcommand, ValueEnum};
use cosmwasm_std::{Addr, Binary, Timestamp, Uint128};
use serde_json::json;

use crate::chain_args::{pay_into, AssetArg, ChainArgs};
use crate::words::{missing, say, units_of, utc, Units};

#[derive(Debug, Subcommand)]
pub enum EscrowCommand {
    /// Lock a coded payment in milestones for a payee (you pay the deposit now)
    Create(CreateArgs),
    /// One escrow: its parties, milestones, what was paid and refunded, its coding
    Show(EscrowIdArgs),
    /// Escrows you pay or are paid by, or another account's, or those of one invoice
    List(ListArgs),
    /// Pay one milestone to the payee (the payer or the arbiter)
    Release(ReleaseArgs),
    /// Freeze an escrow until its arbiter resolves it (the payer or the payee)
    Dispute(EscrowIdArgs),
    /// Split what is left of a disputed escrow: some to the payee, the rest back (the arbiter)
    Resolve(ResolveArgs),
    /// After expiry, everything never released goes back to the payer (anyone may ask)
    Refund(EscrowIdArgs),
    /// Payment channels: one deposit, many signed vouchers, settled when the payee likes
    #[command(subcommand)]
    Channel(ChannelCommand),
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Open a channel to a payee with a deposit; your key signs its vouchers
    Open(OpenArgs),
    /// Add to a channel's deposit (its payer)
    TopUp(TopUpArgs),
    /// Sign a voucher for the total paid so far (its payer; nothing is sent)
    Voucher(VoucherArgs),
    /// Be paid what a voucher adds to what you redeemed (the payee)
    Redeem(RedeemArgs),
    /// The payee closes at once; the payer starts the challenge period, then takes the rest back
    Close(ChannelIdArgs),
    /// One channel: deposit, redeemed, closing state
    Show(ChannelIdArgs),
}

/// The healthcare payment type of an escrow.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    Consultation,
    Procedure,
    Diagnostic,
    Pharmacy,
    Hospitalization,
    Telehealth,
    InsuranceClaim,
    ComputeService,
}

impl From<Kind> for PaymentType {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Consultation => PaymentType::Consultation,
            Kind::Procedure => PaymentType::Procedure,
            Kind::Diagnostic => PaymentType::Diagnostic,
            Kind::Pharmacy => PaymentType::Pharmacy,
            Kind::Hospitalization => PaymentType::Hospitalization,
            Kind::Telehealth => PaymentType::Telehealth,
            Kind::InsuranceClaim => PaymentType::InsuranceClaim,
            Kind::ComputeService => PaymentType::ComputeService,
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Who is paid
    #[arg(long, value_name = "ADDRESS")]
    pub payee: String,
    /// Who may release milestones and resolves disputes (an insurer, say); without one nobody
    /// can dispute
    #[arg(long, value_name = "ADDRESS")]
    pub arbiter: Option<String>,
    /// One milestone's amount in whole units; repeat for each, in order. The deposit is their sum
    #[arg(long = "milestone", value_name = "AMOUNT", required = true)]
    pub milestones: Vec<String>,
    /// Days until the payer may take back what was never released
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub days: u64,
    #[command(flatten)]
    pub asset: AssetArg,
    /// Payment type
    #[arg(long = "type", value_enum)]
    pub kind: Kind,
    /// A procedure code (CPT `99213`, HCPCS `G0008`, ICD-10-PCS `0DTJ4ZZ`); repeat for each
    #[arg(long = "procedure", value_name = "CODE")]
    pub procedures: Vec<String>,
    /// A diagnosis code (ICD-10 `E11.9`); repeat for each
    #[arg(long = "diagnosis", value_name = "CODE")]
    pub diagnoses: Vec<String>,
    /// The invoice this pays: 1 to 40 of A-Z a-z 0-9 - _ / .
    #[arg(long, value_name = "REF")]
    pub invoice: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct EscrowIdArgs {
    /// The escrow's number
    pub escrow_id: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Escrows this account pays
    #[arg(long, value_name = "ADDRESS", conflicts_with_all = ["payee", "invoice"])]
    pub payer: Option<String>,
    /// Escrows this account is paid by
    #[arg(long, value_name = "ADDRESS", conflicts_with = "invoice")]
    pub payee: Option<String>,
    /// Escrows carrying this invoice reference
    #[arg(long, value_name = "REF")]
    pub invoice: Option<String>,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The escrow\'s number
    pub escrow_id: u64,
    /// The milestone to pay, counted from 1
    pub milestone: u32,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The escrow\'s number
    pub escrow_id: u64,
    /// What the payee gets of what is left, in whole units (the rest goes back to the payer)
    #[arg(long = "to-payee", value_name = "AMOUNT")]
    pub to_payee: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Who is paid
    #[arg(long, value_name = "ADDRESS")]
    pub payee: String,
    /// The deposit, in whole units
    #[arg(long, value_name = "AMOUNT")]
    pub deposit: String,
    #[command(flatten)]
    pub asset: AssetArg,
    /// How long the payee may still redeem after you ask to close (60 s to 30 days)
    #[arg(long, value_name = "HOURS", default_value_t = 24.0)]
    pub challenge_hours: f64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct ChannelIdArgs {
    /// The channel's number
    pub channel_id: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct TopUpArgs {
    /// The channel\'s number
    pub channel_id: u64,
    /// What to add, in whole units
    #[arg(long, value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct VoucherArgs {
    /// The channel\'s number
    pub channel_id: u64,
    /// The total paid through the channel so far, in whole units (not this payment alone)
    #[arg(long, value_name = "AMOUNT")]
    pub total: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// The channel\'s number
    pub channel_id: u64,
    /// The voucher's total, in whole units
    #[arg(long, value_name = "AMOUNT")]
    pub total: String,
    /// The voucher's signature (hex), as `channel voucher` or the web app's PayFi screen printed
    /// it (either form: signed with the channel's key, or by the payer's wallet, ADR-36)
    #[arg(long, value_name = "HEX")]
    pub signature: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

impl EscrowCommand {
    fn chain(&self) -> &ChainArgs {
        match self {
            EscrowCommand::Create(a) => &a.chain,
            EscrowCommand::Show(a) | EscrowCommand::Dispute(a) | EscrowCommand::Refund(a) => {
                &a.chain
            }
            EscrowCommand::List(a) => &a.chain,
            EscrowCommand::Release(a) => &a.chain,
            EscrowCommand::Resolve(a) => &a.chain,
            EscrowCommand::Channel(c) => match c {
                ChannelCommand::Open(a) => &a.chain,
                ChannelCommand::TopUp(a) => &a.chain,
                ChannelCommand::Voucher(a) => &a.chain,
                ChannelCommand::Redeem(a) => &a.chain,
                ChannelCommand::Close(a) | ChannelCommand::Show(a) => &a.chain,
            },
        }
    }

    /// Queries only: no key needed.
    fn reads_only(&self) -> bool {
        match self {
            EscrowCommand::Show(_) => true,
            EscrowCommand::List(a) => a.payer.is_some() || a.payee.is_some() || a.invoice.is_some(),
            EscrowCommand::Channel(ChannelCommand::Show(_)) => true,
            _ => false,
        }
    }
}

pub fn run(cmd: &EscrowCommand) -> anyhow::Result<()> {
    let chain = cmd.chain();
    let d = chain.deployment()?;
    let who = match cmd {
        EscrowCommand::List(_) => {
            "whose escrows: yours (your key), or --payer, --payee or --invoice"
        }
        EscrowCommand::Channel(ChannelCommand::Voucher(_)) => {
            "the channel's payer signs its vouchers"
        }
        _ => "your key signs this",
    };
    let client = chain.client(&d, cmd.reads_only(), who)?;
    let escrow = d.contracts.payfi_escrow.clone();
    let p = Payfi {
        client: &client,
        escrow: &escrow,
        json: chain.json,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        match cmd {
            EscrowCommand::Create(a) => p.create(&d, a).await,
            EscrowCommand::Show(a) => {
                let e = p.escrow(a.escrow_id).await?;
                let units = units_of(&client, &e.asset).await?;
                say(
                    chain.json,
                    serde_json::to_value(&e)?,
                    describe(&e, &units).trim_end(),
                );
                Ok(())
            }
            EscrowCommand::List(a) => p.list(a).await,
            EscrowCommand::Release(a) => p.release(a).await,
            EscrowCommand::Dispute(a) => p.dispute(a.escrow_id).await,
            EscrowCommand::Resolve(a) => p.resolve(a).await,
            EscrowCommand::Refund(a) => p.refund(a.escrow_id).await,
            EscrowCommand::Channel(c) => match c {
                ChannelCommand::Open(a) => p.open(&d, a).await,
                ChannelCommand::TopUp(a) => p.top_up(a).await,
                ChannelCommand::Voucher(a) => p.voucher(&d, a).await,
                ChannelCommand::Redeem(a) => p.redeem(&d, a).await,
                ChannelCommand::Close(a) => p.close(a.channel_id).await,
                ChannelCommand::Show(a) => {
                    let c = p.channel(a.channel_id).await?;
                    let units = units_of(&client, &c.asset).await?;
                    say(
                        chain.json,
                        serde_json::to_value(&c)?,
                        describe_channel(&c, &units).trim_end(),
                    );
                    Ok(())
                }
            },
        }
    })
}

/// One escrow in plain words.
pub fn describe(e: &Escrow, u: &Units) -> String {
    let mut s = format!(
        "escrow {}: {} from {} to {}\n",
        e.id,
        u.show(e.total),
        e.payer,
        e.payee
    );
    s += &format!(
        "  arbiter     {}\n",
        e.arbiter
            .as_ref()
            .map_or("none (nobody can dispute it)".to_string(), |a| a
                .to_string())
    );
    s += &format!(
        "  status      {}\n",
        match e.status {
            EscrowStatus::Open => "open",
            EscrowStatus::Disputed => "disputed: frozen until the arbiter resolves it",
            EscrowStatus::Closed => "closed",
        }
    );
    s += &format!(
        "  expires     {} (then the payer may take back what was never released)\n",
        utc(e.expires_at)
    );
    for (i, m) in e.milestones.iter().enumerate() {
        s += &format!(
            "  milestone {} {} {}\n",
            i + 1,
            u.show(m.amount),
            if m.released {
                "released"
            } else {
                "not released"
            }
        );
    }
    s += &format!(
        "  paid        {} to the payee, {} in fees ({} bps), {} refunded\n",
        u.show(e.paid_to_payee),
        u.show(e.fees_paid),
        e.fee_bps,
        u.show(e.refunded)
    );
    let c = &e.coding;
    s += &format!(
        "  coding      {}; procedures {}; diagnoses {}; invoice {}\n",
        payment_type_words(&c.payment_type),
        list_or_none(&c.procedure_codes),
        list_or_none(&c.diagnosis_codes),
        c.invoice_ref
    );
    s
}

/// One channel in plain words.
pub fn describe_channel(c: &Channel, u: &Units) -> String {
    let mut s = format!(
        "channel {}: {} deposited by {} for {}\n",
        c.id,
        u.show(c.deposit),
        c.payer,
        c.payee
    );
    s += &format!(
        "  redeemed    {} (vouchers at or below it pay nothing)\n",
        u.show(c.redeemed)
    );
    s += &format!(
        "  paid        {} to the payee, {} in fees ({} bps), {} refunded\n",
        u.show(c.paid_to_payee),
        u.show(c.fees_paid),
        c.fee_bps,
        u.show(c.refunded)
    );
    s += &format!("  voucher key {}\n", hex::encode(c.pubkey.as_slice()));
    s += &format!(
        "  state       {}\n",
        match (c.closed, c.close_requested_at) {
            (true, _) => "closed".to_string(),
            (false, Some(at)) => format!(
                "closing: the payee may redeem until {}, then the payer takes the rest back",
                utc(at.plus_seconds(c.challenge_period_secs))
            ),
            (false, None) => format!(
                "open (a close gives the payee {} to redeem)",
                hours(c.challenge_period_secs)
            ),
        }
    );
    s
}

fn hours(secs: u64) -> String {
    if secs.is_multiple_of(3_600) {
        format!("{} h", secs / 3_600)
    } else {
        format!("{secs} s")
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn payment_type_words(t: &PaymentType) -> &'static str {
    match t {
        PaymentType::Consultation => "consultation",
        PaymentType::Procedure => "procedure",
        PaymentType::Diagnostic => "diagnostic",
        PaymentType::Pharmacy => "pharmacy",
        PaymentType::Hospitalization => "hospitalization",
        PaymentType::Telehealth => "telehealth",
        PaymentType::InsuranceClaim => "insurance claim",
        PaymentType::ComputeService => "compute service",
    }
}

/// The escrow contract as one signer uses it.
struct Payfi<'a> {
    client: &'a ChainClient,
    escrow: &'a str,
    json: bool,
}

impl Payfi<'_> {
    fn me(&self) -> &str {
        self.client.address()
    }

    async fn escrow(&self, id: u64) -> anyhow::Result<Escrow> {
        self.client
            .query_typed(self.escrow, &EscrowQuery::Escrow { escrow_id: id })
            .await
            .map_err(|e| missing(e, &format!("escrow {id}")))
    }

    async fn channel(&self, id: u64) -> anyhow::Result<Channel> {
        self.client
            .query_typed(self.escrow, &EscrowQuery::Channel { channel_id: id })
            .await
            .map_err(|e| missing(e, &format!("channel {id}")))
    }

    async fn now(&self) -> anyhow::Result<Timestamp> {
        Ok(Timestamp::from_seconds(
            self.client.rpc().latest_block_time().await?,
        ))
    }

    /// Pays `amount` of `asset` into the escrow with `msg` (a cw20 `send` carrying `receive`,
    /// or the message with the coin attached).
    async fn deposit(
        &self,
        asset: &AssetInfo,
        amount: Uint128,
        msg: EscrowMsg,
        receive: ReceiveMsg,
    ) -> anyhow::Result<TxOutcome> {
        let any = pay_into(self.client, self.escrow, asset, amount, &msg, &receive)?;
        self.client
            .submit(vec![any], "")
            .await
            .map_err(|e| refused(e, "the deposit"))
    }

    async fn execute(&self, msg: EscrowMsg, what: &str) -> anyhow::Result<TxOutcome> {
        self.client
            .execute_batch(&[(self.escrow.to_string(), msg)])
            .await
            .map_err(|e| refused(e, what))
    }

    async fn create(&self, d: &Deployment, a: &CreateArgs) -> anyhow::Result<()> {
        let asset = a.asset.info(d)?;
        let units = units_of(self.client, &asset).await?;
        let milestones = a
            .milestones
            .iter()
            .map(|m| {
                let v = units.parse(m).with_context(|| format!("--milestone {m}"))?;
                if v.is_zero() {
                    bail!("--milestone {m}: a milestone pays something");
                }
                Ok(v)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let total = milestones
            .iter()
            .try_fold(Uint128::zero(), |t, m| t.checked_add(*m))
            .context("the milestones add up to more than any deposit")?;
        if a.payee == self.me() {
            bail!("--payee: an escrow pays someone else");
        }
        if milestones.len() > 32 {
            bail!("--milestone: at most 32");
        }
        if let Some(arb) = &a.arbiter {
            if arb == self.me() || *arb == a.payee {
                bail!("--arbiter: a third party, neither the payer nor the payee");
            }
        }
        if a.days == 0 || a.days > 3_650 {
            bail!("--days {}: 1 to 3650", a.days);
        }
        check_coding(a)?;
        let coding = PaymentCoding {
            payment_type: a.kind.into(),
            procedure_codes: a.procedures.clone(),
            diagnosis_codes: a.diagnoses.clone(),
            invoice_ref: a.invoice.clone(),
        };
        let expires_at = self.now().await?.plus_days(a.days);
        let create = CreateEscrowMsg {
            payee: a.payee.clone(),
            arbiter: a.arbiter.clone(),
            milestones,
            expires_at,
            coding,
        };
        let out = self
            .deposit(
                &asset,
                total,
                EscrowMsg::CreateEscrow(create.clone()),
                ReceiveMsg::CreateEscrow(create),
            )
            .await?;
        let id = out
            .attr("wasm", events::attr::ESCROW_ID)
            .context("the escrow's creation named no escrow id")?;
        say(
            self.json,
            json!({ "escrow_id": id.parse::<u64>()?, "total": total, "tx": out.hash }),
            &format!(
                "escrow {id}: {} locked for {} in {} milestones until {} (tx {})",
                units.show(total),
                a.payee,
                a.milestones.len(),
                utc(expires_at),
                out.hash
            ),
        );
        Ok(())
    }

    async fn list(&self, a: &ListArgs) -> anyhow::Result<()> {
        let mut found: Vec<Escrow> = Vec::new();
        let queries: Vec<Box<dyn Fn(Option<u64>) -> EscrowQuery>> =
            match (&a.payer, &a.payee, &a.invoice) {
                (Some(p), _, _) => vec![by_payer(p.clone())],
                (_, Some(p), _) => vec![by_payee(p.clone())],
                (_, _, Some(r)) => {
                    let r = r.clone();
                    vec![Box::new(move |start_after| {
                        EscrowQuery::EscrowsByReference {
                            invoice_ref: r.clone(),
                            start_after,
                            limit: Some(50),
                        }
                    })]
                }
                _ => vec![
                    by_payer(self.me().to_string()),
                    by_payee(self.me().to_string()),
                ],
            };
        for q in queries {
            let mut start_after = None;
            loop {
                let page: EscrowsResponse = self
                    .client
                    .query_typed(self.escrow, &q(start_after))
                    .await
                    .context("the escrow contract's escrows")?;
                let n = page.escrows.len();
                start_after = page.escrows.last().map(|e| e.id);
                found.extend(page.escrows);
                if n < 50 {
                    break;
                }
            }
        }
        found.sort_by_key(|e| e.id);
        found.dedup_by_key(|e| e.id);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&found)?);
            return Ok(());
        }
        if found.is_empty() {
            println!("no escrows");
            return Ok(());
        }
        println!(
            "{:>5}  {:>16}  {:<10} {:<10} {:<14} parties",
            "id", "total", "released", "status", "invoice"
        );
        for e in &found {
            let units = units_of(self.client, &e.asset).await?;
            let released = e.milestones.iter().filter(|m| m.released).count();
            println!(
                "{:>5}  {:>16}  {:<10} {:<10} {:<14} {} -> {}",
                e.id,
                units.show(e.total),
                format!("{released}/{}", e.milestones.len()),
                match e.status {
                    EscrowStatus::Open => "open",
                    EscrowStatus::Disputed => "disputed",
                    EscrowStatus::Closed => "closed",
                },
                e.coding.invoice_ref,
                e.payer,
                e.payee
            );
        }
        Ok(())
    }

    async fn release(&self, a: &ReleaseArgs) -> anyhow::Result<()> {
        let e = self.escrow(a.escrow_id).await?;
        let arbiter = e.arbiter.as_ref().map(Addr::as_str);
        if e.payer.as_str() != self.me() && arbiter != Some(self.me()) {
            bail!(
                "escrow {}: only its payer ({}) or arbiter releases a milestone",
                e.id,
                e.payer
            );
        }
        let index = a
            .milestone
            .checked_sub(1)
            .filter(|i| (*i as usize) < e.milestones.len())
            .with_context(|| {
                format!(
                    "milestone {}: escrow {} has milestones 1 to {}",
                    a.milestone,
                    e.id,
                    e.milestones.len()
                )
            })?;
        open_or_bail(&e)?;
        let m = &e.milestones[index as usize];
        if m.released {
            bail!(
                "escrow {}: milestone {} was released already",
                e.id,
                a.milestone
            );
        }
        let units = units_of(self.client, &e.asset).await?;
        let out = self
            .execute(
                EscrowMsg::ReleaseMilestone {
                    escrow_id: e.id,
                    milestone: index,
                },
                "the release",
            )
            .await?;
        let paid = amount_attr(&out, events::attr::PAID);
        let fee = amount_attr(&out, events::attr::FEE);
        say(
            self.json,
            json!({ "escrow_id": e.id, "milestone": a.milestone, "paid": paid, "fee": fee, "tx": out.hash }),
            &format!(
                "escrow {} milestone {}: {} paid to {} ({} fee) (tx {})",
                e.id,
                a.milestone,
                units.show(paid),
                e.payee,
                units.show(fee),
                out.hash
            ),
        );
        Ok(())
    }

    async fn dispute(&self, id: u64) -> anyhow::Result<()> {
        let e = self.escrow(id).await?;
        if e.payer.as_str() != self.me() && e.payee.as_str() != self.me() {
            bail!("escrow {id}: only its payer or payee disputes it");
        }
        let Some(arbiter) = &e.arbiter else {
            bail!(
                "escrow {id} has no arbiter: nobody could resolve a dispute, so none can be opened"
            );
        };
        open_or_bail(&e)?;
        let out = self
            .execute(EscrowMsg::Dispute { escrow_id: id }, "the dispute")
            .await?;
        say(
            self.json,
            json!({ "escrow_id": id, "disputed": true, "tx": out.hash }),
            &format!(
                "escrow {id} is frozen: no release and no refund until {arbiter} resolves it (tx {})",
                out.hash
            ),
        );
        Ok(())
    }

    async fn resolve(&self, a: &ResolveArgs) -> anyhow::Result<()> {
        let e = self.escrow(a.escrow_id).await?;
        if e.arbiter.as_ref().map(Addr::as_str) != Some(self.me()) {
            bail!("escrow {}: only its arbiter resolves a dispute", e.id);
        }
        if e.status != EscrowStatus::Disputed {
            bail!("escrow {} is not disputed: nothing to resolve", e.id);
        }
        let units = units_of(self.client, &e.asset).await?;
        let left = e
            .milestones
            .iter()
            .filter(|m| !m.released)
            .fold(Uint128::zero(), |t, m| t + m.amount);
        let to_payee = units.parse(&a.to_payee).context("--to-payee")?;
        if to_payee > left {
            bail!(
                "--to-payee {}: only {} is left in escrow {}",
                units.show(to_payee),
                units.show(left),
                e.id
            );
        }
        let out = self
            .execute(
                EscrowMsg::Resolve {
                    escrow_id: e.id,
                    payee_amount: to_payee,
                },
                "the resolution",
            )
            .await?;
        say(
            self.json,
            json!({ "escrow_id": e.id, "to_payee": to_payee, "refunded": left - to_payee, "tx": out.hash }),
            &format!(
                "escrow {} resolved: {} to {} (less the fee), {} back to {} (tx {})",
                e.id,
                units.show(to_payee),
                e.payee,
                units.show(left - to_payee),
                e.payer,
                out.hash
            ),
        );
        Ok(())
    }

    async fn refund(&self, id: u64) -> anyhow::Result<()> {
        let e = self.escrow(id).await?;
        open_or_bail(&e)?;
        let now = self.now().await?;
        if now < e.expires_at {
            bail!(
                "escrow {id} runs until {}: no refund before then",
                utc(e.expires_at)
            );
        }
        let units = units_of(self.client, &e.asset).await?;
        let out = self
            .execute(EscrowMsg::Refund { escrow_id: id }, "the refund")
            .await?;
        let refunded = amount_attr(&out, events::attr::REFUNDED);
        say(
            self.json,
            json!({ "escrow_id": id, "refunded": refunded, "tx": out.hash }),
            &format!(
                "escrow {id}: {} back to {} (tx {})",
                units.show(refunded),
                e.payer,
                out.hash
            ),
        );
        Ok(())
    }

    async fn open(&self, d: &Deployment, a: &OpenArgs) -> anyhow::Result<()> {
        let asset = a.asset.info(d)?;
        let units = units_of(self.client, &asset).await?;
        let deposit = units.parse(&a.deposit).context("--deposit")?;
        if deposit.is_zero() {
            bail!("--deposit: a channel holds something");
        }
        if a.payee == self.me() {
            bail!("--payee: a channel pays someone else");
        }
        let secs = (a.challenge_hours * 3_600.0).round();
        if !(60.0..=30.0 * 86_400.0).contains(&secs) {
            bail!(
                "--challenge-hours {}: 60 seconds to 30 days",
                a.challenge_hours
            );
        }
        let open = OpenChannelMsg {
            payee: a.payee.clone(),
            pubkey: Binary::from(self.client.key().public_key_compressed().to_vec()),
            challenge_period_secs: secs as u64,
        };
        let out = self
            .deposit(
                &asset,
                deposit,
                EscrowMsg::OpenChannel(open.clone()),
                ReceiveMsg::OpenChannel(open),
            )
            .await?;
        let id = out
            .attr("wasm", events::attr::CHANNEL_ID)
            .context("the channel's opening named no channel id")?;
        say(
            self.json,
            json!({ "channel_id": id.parse::<u64>()?, "deposit": deposit, "tx": out.hash }),
            &format!(
                "channel {id}: {} for {}; sign vouchers with `bithive escrow channel voucher {id} --total AMOUNT` (tx {})",
                units.show(deposit),
                a.payee,
                out.hash
            ),
        );
        Ok(())
    }

    async fn top_up(&self, a: &TopUpArgs) -> anyhow::Result<()> {
        let c = self.channel(a.channel_id).await?;
        if c.payer.as_str() != self.me() {
            bail!("channel {}: only its payer ({}) adds to it", c.id, c.payer);
        }
        live_or_bail(&c)?;
        let units = units_of(self.client, &c.asset).await?;
        let amount = units.parse(&a.amount).context("--amount")?;
        if amount.is_zero() {
            bail!("--amount: nothing to add");
        }
        let out = self
            .deposit(
                &c.asset,
                amount,
                EscrowMsg::TopUpChannel { channel_id: c.id },
                ReceiveMsg::TopUpChannel { channel_id: c.id },
            )
            .await?;
        say(
            self.json,
            json!({ "channel_id": c.id, "deposit": c.deposit + amount, "tx": out.hash }),
            &format!(
                "channel {} holds {} now (tx {})",
                c.id,
                units.show(c.deposit + amount),
                out.hash
            ),
        );
        Ok(())
    }

    async fn voucher(&self, d: &Deployment, a: &VoucherArgs) -> anyhow::Result<()> {
        let c = self.channel(a.channel_id).await?;
        if c.pubkey.as_slice() != self.client.key().public_key_compressed() {
            bail!(
                "channel {}'s vouchers are signed by key {}, not yours: only its payer signs them",
                c.id,
                hex::encode(c.pubkey.as_slice())
            );
        }
        live_or_bail(&c)?;
        let units = units_of(self.client, &c.asset).await?;
        let total = units.parse(&a.total).context("--total")?;
        if total > c.deposit {
            bail!(
                "--total {}: channel {} holds {}; top it up first",
                units.show(total),
                c.id,
                units.show(c.deposit)
            );
        }
        if total <= c.redeemed {
            bail!(
                "--total {}: {} was redeemed already, so this voucher would pay nothing (a voucher carries the running total)",
                units.show(total),
                units.show(c.redeemed)
            );
        }
        let secret = zeroize::Zeroizing::new(<[u8; 32]>::from(self.client.key().k256().to_bytes()));
        let signature = bithive_payfi_voucher::sign_voucher(
            &secret,
            &d.chain_id,
            self.escrow,
            c.id,
            total.u128(),
        )
        .map_err(|e| anyhow::anyhow!("signing the voucher: {e}"))?;
        let signature = hex::encode(signature);
        say(
            self.json,
            json!({ "channel_id": c.id, "total": total, "signature": signature }),
            &format!(
                "voucher for {} in total through channel {}; the payee redeems it with\n  bithive escrow channel redeem {} --total {} --signature {signature}",
                units.show(total),
                c.id,
                c.id,
                a.total
            ),
        );
        Ok(())
    }

    async fn redeem(&self, d: &Deployment, a: &RedeemArgs) -> anyhow::Result<()> {
        let c = self.channel(a.channel_id).await?;
        if c.payee.as_str() != self.me() {
            bail!(
                "channel {}: only its payee ({}) redeems vouchers",
                c.id,
                c.payee
            );
        }
        if c.closed {
            bail!("channel {} is closed", c.id);
        }
        let units = units_of(self.client, &c.asset).await?;
        let total = units.parse(&a.total).context("--total")?;
        let signature = hex::decode(a.signature.trim()).context("--signature: not hex")?;
        // Either form (ADR 011): the raw digest signed with the channel's key, or the payer's
        // wallet's ADR-36 signature of the voucher text (v2, naming this channel's payee and
        // asset; or v1, which an escrow migrated from it takes for its older channels). The
        // contract checks the form it is told.
        let (pubkey, payer, cumulative) = (c.pubkey.as_slice(), c.payer.as_str(), total.u128());
        let text = bithive_payfi_voucher::TextVoucher {
            chain_id: &d.chain_id,
            contract: self.escrow,
            channel_id: c.id,
            payee: c.payee.as_str(),
            asset: match &c.asset {
                AssetInfo::Native(denom) => bithive_payfi_voucher::VoucherAsset::Native(denom),
                AssetInfo::Cw20(token) => bithive_payfi_voucher::VoucherAsset::Cw20(token.as_str()),
            },
            cumulative,
        };
        let raw = bithive_payfi_voucher::verify_voucher(
            pubkey,
            &signature,
            &d.chain_id,
            self.escrow,
            c.id,
            cumulative,
        );
        // A wallet's voucher: whether it is of the v1 text.
        let wallet = || match bithive_payfi_voucher::verify_voucher_adr36(
            pubkey, &signature, payer, &text,
        ) {
            Ok(()) => Ok(false),
            Err(_) => bithive_payfi_voucher::verify_voucher_adr36_v1(
                pubkey,
                &signature,
                payer,
                &d.chain_id,
                self.escrow,
                c.id,
                cumulative,
            )
            .map(|()| true),
        };
        let (form, v1) = match raw {
            Ok(()) => (VoucherForm::Raw, false),
            Err(e) => wallet().map(|v1| (VoucherForm::Adr36, v1)).map_err(|_| {
                anyhow::anyhow!(
                    "this voucher is not the payer's for {} through channel {} ({e})",
                    units.show(total),
                    c.id
                )
            })?,
        };
        if total <= c.redeemed {
            bail!(
                "{} was redeemed already: this voucher adds nothing",
                units.show(c.redeemed)
            );
        }
        if total > c.deposit {
            bail!(
                "the voucher is for {} but channel {} holds {}: ask the payer to top it up",
                units.show(total),
                c.id,
                units.show(c.deposit)
            );
        }
        let out = self
            .execute(
                EscrowMsg::RedeemVoucher {
                    channel_id: c.id,
                    cumulative: total,
                    signature: Binary::from(signature),
                    form: (form == VoucherForm::Adr36).then_some(form),
                },
                "the redemption",
            )
            .await
            .map_err(|e| {
                if v1 {
                    // Refused at simulation, before any fee.
                    e.context(
                        "this is a v1 wallet voucher (its text names neither the payee nor the \
                         asset): the escrow takes those only for the channels it had before its \
                         migration to v2; ask the payer to sign this total again",
                    )
                } else {
                    e
                }
            })?;
        let paid = amount_attr(&out, events::attr::PAID);
        let fee = amount_attr(&out, events::attr::FEE);
        say(
            self.json,
            json!({ "channel_id": c.id, "paid": paid, "fee": fee, "tx": out.hash }),
            &format!(
                "channel {}: {} paid to you ({} fee) (tx {})",
                c.id,
                units.show(paid),
                units.show(fee),
                out.hash
            ),
        );
        Ok(())
    }

    async fn close(&self, id: u64) -> anyhow::Result<()> {
        let c = self.channel(id).await?;
        if c.closed {
            bail!("channel {id} is closed already");
        }
        let units = units_of(self.client, &c.asset).await?;
        let left = c.deposit - c.redeemed;
        let (msg, words) = if c.payee.as_str() == self.me() {
            (
                EscrowMsg::PayeeClose { channel_id: id },
                format!(
                    "channel {id} closed: {} back to {}",
                    units.show(left),
                    c.payer
                ),
            )
        } else if c.payer.as_str() == self.me() {
            match c.close_requested_at {
                None => (
                    EscrowMsg::RequestClose { channel_id: id },
                    format!(
                        "channel {id} is closing: {} may redeem until {}; then run this again to take the rest back",
                        c.payee,
                        utc(self.now().await?.plus_seconds(c.challenge_period_secs))
                    ),
                ),
                Some(at) => {
                    let ends = at.plus_seconds(c.challenge_period_secs);
                    if self.now().await? < ends {
                        bail!(
                            "channel {id} is closing: the payee may still redeem until {}",
                            utc(ends)
                        );
                    }
                    (
                        EscrowMsg::FinalizeClose { channel_id: id },
                        format!(
                            "channel {id} closed: the unredeemed rest back to you ({} at most)",
                            units.show(left)
                        ),
                    )
                }
            }
        } else {
            bail!("channel {id}: only its payer or payee closes it");
        };
        let out = self.execute(msg, "closing the channel").await?;
        say(
            self.json,
            json!({ "channel_id": id, "tx": out.hash }),
            &format!("{words} (tx {})", out.hash),
        );
        Ok(())
    }
}

fn by_payer(payer: String) -> Box<dyn Fn(Option<u64>) -> EscrowQuery> {
    Box::new(move |start_after| EscrowQuery::EscrowsByPayer {
        payer: payer.clone(),
        start_after,
        limit: Some(50),
    })
}

fn by_payee(payee: String) -> Box<dyn Fn(Option<u64>) -> EscrowQuery> {
    Box::new(move |start_after| EscrowQuery::EscrowsByPayee {
        payee: payee.clone(),
        start_after,
        limit: Some(50),
    })
}

fn open_or_bail(e: &Escrow) -> anyhow::Result<()> {
    match e.status {
        EscrowStatus::Open => Ok(()),
        EscrowStatus::Disputed => bail!(
            "escrow {} is disputed: frozen until its arbiter resolves it",
            e.id
        ),
        EscrowStatus::Closed => bail!("escrow {} is closed", e.id),
    }
}

/// A closed channel takes nothing; a closing one still does until the payer finalizes the
/// close (the contract allows it), said as a warning.
fn live_or_bail(c: &Channel) -> anyhow::Result<()> {
    if c.closed {
        bail!("channel {} is closed", c.id);
    }
    if let Some(at) = c.close_requested_at {
        eprintln!(
            "note: channel {} is closing: the payee may redeem until {}; after that its payer takes the rest back",
            c.id,
            utc(at.plus_seconds(c.challenge_period_secs))
        );
    }
    Ok(())
}

/// The coding rules of the contract (`payfi-escrow` README), said before anything is signed.
fn check_coding(a: &CreateArgs) -> anyhow::Result<()> {
    let code = |c: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&c.len())
            && c.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.')
    };
    if a.procedures.len() > 10 {
        bail!("--procedure: at most 10 codes");
    }
    if let Some(p) = a.procedures.iter().find(|p| !code(p, 3, 10)) {
        bail!("--procedure {p}: a procedure code is 3 to 10 of A-Z 0-9 . (CPT 99213, HCPCS G0008)");
    }
    if a.diagnoses.len() > 12 {
        bail!("--diagnosis: at most 12 codes");
    }
    if let Some(c) = a
        .diagnoses
        .iter()
        .find(|c| !code(c, 3, 8) || !c.starts_with(|x: char| x.is_ascii_uppercase()))
    {
        bail!("--diagnosis {c}: a diagnosis code is a letter then A-Z 0-9 ., 3 to 8 in all (ICD-10 E11.9)");
    }
    let r = &a.invoice;
    if !(1..=40).contains(&r.len())
        || !r
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/.".contains(&b))
    {
        bail!("--invoice {r}: 1 to 40 of A-Z a-z 0-9 - _ / . (no names or free text: the chain is public)");
    }
    Ok(())
}

/// An amount attribute of the escrow's event (0 when the event has none).
fn amount_attr(out: &TxOutcome, key: &str) -> Uint128 {
    out.attr("wasm", key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// A refused transaction in words: the contract's own reason, without the node's wrapping.
fn refused(e: bithive_chain_client::ChainError, what: &str) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("{what} was refused"))
}
