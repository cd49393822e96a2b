//! `bithive dp`: differential-privacy datasets as curators, patients and researchers use them.
//!
//! A curator creates a dataset with a privacy budget (epsilon in all, per query and per
//! researcher) and a price per epsilon; a patient joins a record to it, sealing the record's key
//! to the answerer (the relayer's DP node) for a number of days; a researcher pays for a count,
//! a mean or a histogram at a chosen epsilon and reads the noisy answer. Every query spends
//! budget for good (refunded money does not give epsilon back): the budget left is shown before
//! a query is paid, and a query above it is refused here with nothing sent.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bithive_chain_client::ChainClient;
use bithive_interface::data_vault::{
    events, Admission, CreateDatasetMsg, Dataset, DatasetsResponse, DpAnswer, DpQuery,
    DpQueryStatus, ExecuteMsg as VaultMsg, QuerierBudgetResponse, QueryKind,
    QueryMsg as VaultQuery, ReceiveMsg, SubmitQueryMsg,
};
use clap::{Args, Subcommand};
use cosmwasm_std::{Decimal, SignedDecimal, Timestamp, Uint128};
use serde_json::json;

use crate::chain_args::{pay_into, AssetArg, ChainArgs};
use crate::store_args::StoreArgs;
use crate::vault::Kind;
use crate::words::{missing, printable, say, units_of, units_or_base, utc};

#[derive(Debug, Subcommand)]
pub enum DpCommand {
    /// Datasets: create (a curator), list, show, join and leave (a record's owner)
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Pay for a count, mean or histogram at a chosen epsilon and wait for the noisy answer
    Query(QueryArgs),
    /// A query's state and answer
    Result(QueryIdArgs),
    /// An unanswered query past its expiry: the payment back (the epsilon stays spent)
    Refund(QueryIdArgs),
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Create a dataset with its privacy budget and price (a curator the DAO appointed)
    Create(CreateArgs),
    /// Every dataset: records, budget left, price
    List(ListArgs),
    /// One dataset, with what you may still spend of it
    Show(DatasetIdArgs),
    /// Consent to a dataset's use of your record: its key sealed to the answerer until a date
    Join(JoinArgs),
    /// Take your record out of a dataset
    Leave(LeaveArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// 1 to 64 of a-z 0-9 - _ .
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The kind of record it counts
    #[arg(long = "type", value_enum)]
    pub kind: Kind,
    /// The whole privacy budget
    #[arg(long, value_name = "EPSILON")]
    pub total_epsilon: String,
    /// The most one query may spend
    #[arg(long, value_name = "EPSILON")]
    pub max_query_epsilon: String,
    /// The most one researcher may spend in all (default: the whole budget)
    #[arg(long, value_name = "EPSILON")]
    pub max_researcher_epsilon: Option<String>,
    /// The price of an epsilon of 1, in whole units of --asset
    #[arg(long, value_name = "AMOUNT")]
    pub price_per_epsilon: String,
    #[command(flatten)]
    pub asset: AssetArg,
    /// Hours before an unanswered query may be refunded
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    pub ttl_hours: u64,
    /// The most records that may join
    #[arg(long, default_value_t = 1000)]
    pub max_members: u32,
    /// Admit only records this account (a hospital, a lab) endorsed; repeat for each. Without
    /// one, any record of the type may join: self-reported data
    #[arg(long = "issuer", value_name = "ADDRESS")]
    pub issuers: Vec<String>,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct DatasetIdArgs {
    /// The dataset's number
    pub dataset_id: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The dataset's number
    pub dataset_id: u64,
    /// Your record's token id (`bithive vault list`)
    #[arg(long, value_name = "TOKEN")]
    pub record: String,
    /// The answerer's account (the relayer's DP node)
    #[arg(long, value_name = "ADDRESS")]
    pub answerer: String,
    /// The answerer's BitChat key (hex), from `bithive vault identity` on its side
    #[arg(long, value_name = "HEX")]
    pub answerer_key: String,
    /// Days your consent lasts
    #[arg(long, default_value_t = 30)]
    pub days: u64,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct LeaveArgs {
    /// The dataset's number
    pub dataset_id: u64,
    /// Your record's token id
    #[arg(long, value_name = "TOKEN")]
    pub record: String,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The dataset's number
    pub dataset_id: u64,
    /// How many records (noisy)
    #[arg(long, conflicts_with_all = ["mean", "histogram"])]
    pub count: bool,
    /// The mean of this field of the records, each clamped to --lower..--upper
    #[arg(long, value_name = "FIELD", requires_all = ["lower", "upper"], conflicts_with = "histogram")]
    pub mean: Option<String>,
    /// A histogram of this field in --bins equal bins over --lower..--upper
    #[arg(long, value_name = "FIELD", requires_all = ["lower", "upper", "bins"])]
    pub histogram: Option<String>,
    #[arg(long, allow_negative_numbers = true)]
    pub lower: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    pub upper: Option<i64>,
    #[arg(long)]
    pub bins: Option<u16>,
    /// The privacy budget this query spends (smaller: noisier)
    #[arg(long, value_name = "EPSILON")]
    pub epsilon: String,
    /// Seconds to wait for the answer (0: return once paid)
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub wait: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct QueryIdArgs {
    /// The query's number
    pub query_id: u64,
    #[command(flatten)]
    pub chain: ChainArgs,
}

impl DpCommand {
    fn chain(&self) -> &ChainArgs {
        match self {
            DpCommand::Dataset(c) => match c {
                DatasetCommand::Create(a) => &a.chain,
                DatasetCommand::List(a) => &a.chain,
                DatasetCommand::Show(a) => &a.chain,
                DatasetCommand::Join(a) => &a.chain,
                DatasetCommand::Leave(a) => &a.chain,
            },
            DpCommand::Query(a) => &a.chain,
            DpCommand::Result(a) | DpCommand::Refund(a) => &a.chain,
        }
    }

    fn reads_only(&self) -> bool {
        matches!(
            self,
            DpCommand::Dataset(DatasetCommand::List(_) | DatasetCommand::Show(_))
                | DpCommand::Result(_)
        )
    }
}

/// An epsilon as typed: a positive decimal.
fn epsilon(flag: &str, text: &str) -> anyhow::Result<Decimal> {
    let e = Decimal::from_str(text).with_context(|| format!("{flag} {text}: not a number"))?;
    if e.is_zero() {
        bail!("{flag}: a positive epsilon");
    }
    Ok(e)
}

pub fn run(cmd: &DpCommand) -> anyhow::Result<()> {
    let chain = cmd.chain();
    let d = chain.deployment()?;
    let client = chain.client(&d, cmd.reads_only(), "your key signs this")?;
    let dp = Dp {
        client: &client,
        vault: &d.contracts.data_vault,
        json: chain.json,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        match cmd {
            DpCommand::Dataset(DatasetCommand::Create(a)) => dp.create(&d, a).await,
            DpCommand::Dataset(DatasetCommand::List(_)) => dp.list().await,
            DpCommand::Dataset(DatasetCommand::Show(a)) => {
                dp.show(a.dataset_id, chain.key.is_some()).await
            }
            DpCommand::Dataset(DatasetCommand::Join(a)) => dp.join(&d, a).await,
            DpCommand::Dataset(DatasetCommand::Leave(a)) => dp.leave(a).await,
            DpCommand::Query(a) => dp.query(a).await,
            DpCommand::Result(a) => {
                let q = dp.dp_query(a.query_id).await?;
                say(dp.json, serde_json::to_value(&q)?, &answer_words(&q));
                Ok(())
            }
            DpCommand::Refund(a) => dp.refund(a.query_id).await,
        }
    })
}

/// What a query asked, in words.
fn kind_words(k: &QueryKind) -> String {
    match k {
        QueryKind::Count {} => "count".into(),
        QueryKind::Mean {
            field,
            lower,
            upper,
        } => format!("mean of {field} in {lower}..{upper}"),
        QueryKind::Histogram {
            field,
            lower,
            upper,
            bins,
        } => format!("histogram of {field} in {lower}..{upper}, {bins} bins"),
    }
}

/// A query and, when there is one, its noisy answer, in words.
pub fn answer_words(q: &DpQuery) -> String {
    let asked = format!(
        "query {} on dataset {}: {} at epsilon {}",
        q.id,
        q.dataset_id,
        kind_words(&q.kind),
        q.epsilon
    );
    match &q.status {
        DpQueryStatus::Pending => format!(
            "{asked}: not answered yet (refundable from {})",
            utc(q.expires_at)
        ),
        DpQueryStatus::Refunded => format!("{asked}: refunded unanswered"),
        DpQueryStatus::Answered {
            answer,
            at,
            answerer,
        } => {
            let value = match answer {
                DpAnswer::Count { value } | DpAnswer::Mean { value } => {
                    format!("{} (noisy)", round2(value))
                }
                DpAnswer::Histogram { counts } => {
                    let mut s = String::from("(noisy counts)");
                    if let QueryKind::Histogram {
                        lower, upper, bins, ..
                    } = &q.kind
                    {
                        // In f64: any i64 bounds the contract took (lower < upper) fit.
                        let width = (*upper as f64 - *lower as f64) / f64::from((*bins).max(1));
                        for (i, c) in counts.iter().enumerate() {
                            let from = *lower as f64 + width * i as f64;
                            s += &format!(
                                "\n  {:>10.1} .. {:<10.1} {}",
                                from,
                                from + width,
                                round2(c)
                            );
                        }
                    }
                    s
                }
            };
            format!("{asked}\n  answer {value}, by {answerer} at {}", utc(*at))
        }
    }
}

fn round2(v: &SignedDecimal) -> String {
    let s = v.to_string();
    match s.split_once('.') {
        Some((whole, frac)) => format!("{whole}.{}", &frac[..frac.len().min(2)]),
        None => s,
    }
}

/// The data vault's datasets as one signer uses them.
struct Dp<'a> {
    client: &'a ChainClient,
    vault: &'a str,
    json: bool,
}

impl Dp<'_> {
    fn me(&self) -> &str {
        self.client.address()
    }

    async fn dataset(&self, id: u64) -> anyhow::Result<Dataset> {
        self.client
            .query_typed(self.vault, &VaultQuery::Dataset { dataset_id: id })
            .await
            .map_err(|e| missing(e, &format!("dataset {id}")))
    }

    async fn dp_query(&self, id: u64) -> anyhow::Result<DpQuery> {
        self.client
            .query_typed(self.vault, &VaultQuery::DpQuery { query_id: id })
            .await
            .map_err(|e| missing(e, &format!("query {id}")))
    }

    async fn budget(&self, id: u64) -> anyhow::Result<QuerierBudgetResponse> {
        self.client
            .query_typed(
                self.vault,
                &VaultQuery::QuerierBudget {
                    dataset_id: id,
                    querier: self.me().to_string(),
                },
            )
            .await
            .context("your budget of the dataset")
    }

    async fn execute(
        &self,
        msg: &VaultMsg,
        what: &str,
    ) -> anyhow::Result<bithive_chain_client::TxOutcome> {
        self.client
            .execute_batch(&[(self.vault.to_string(), msg)])
            .await
            .map_err(|e| anyhow::Error::new(e).context(format!("{what} was refused")))
    }

    async fn create(
        &self,
        d: &bithive_deploy_plan::Deployment,
        a: &CreateArgs,
    ) -> anyhow::Result<()> {
        let total = epsilon("--total-epsilon", &a.total_epsilon)?;
        let per_query = epsilon("--max-query-epsilon", &a.max_query_epsilon)?;
        let per_researcher = match &a.max_researcher_epsilon {
            Some(e) => epsilon("--max-researcher-epsilon", e)?,
            None => total,
        };
        if per_query > total || per_researcher > total {
            bail!("a query's or a researcher's epsilon cannot be above the whole budget ({total})");
        }
        let asset = a.asset.info(d)?;
        let units = units_of(self.client, &asset).await?;
        let price = units
            .parse(&a.price_per_epsilon)
            .context("--price-per-epsilon")?;
        if price.is_zero() {
            bail!("--price-per-epsilon: a free dataset's budget is anyone's to exhaust");
        }
        if !(1..=64).contains(&a.name.len())
            || !a
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        {
            bail!("--name {}: 1 to 64 of a-z 0-9 - _ .", printable(&a.name));
        }
        if a.max_members == 0 || a.max_members > 100_000 {
            bail!("--max-members {}: 1 to 100000", a.max_members);
        }
        if a.issuers.len() > 16 {
            bail!("--issuer: at most 16");
        }
        if a.ttl_hours == 0 || a.ttl_hours > 30 * 24 {
            bail!("--ttl-hours {}: 1 to 720", a.ttl_hours);
        }
        let admission = if a.issuers.is_empty() {
            Admission::Open {}
        } else {
            Admission::Issuers {
                issuers: a.issuers.clone(),
            }
        };
        let msg = VaultMsg::CreateDataset(CreateDatasetMsg {
            name: a.name.clone(),
            record_type: a.kind.into(),
            total_epsilon: total,
            max_query_epsilon: per_query,
            price_asset: asset,
            price_per_epsilon: price,
            max_querier_epsilon: per_researcher,
            query_ttl_seconds: a.ttl_hours * 3_600,
            max_members: a.max_members,
            admission,
        });
        let out = self.execute(&msg, "creating the dataset").await?;
        let id: u64 = out
            .attr("wasm", events::attr::DATASET_ID)
            .context("the creation named no dataset")?
            .parse()?;
        let who = if a.issuers.is_empty() {
            "any record of its type may join (self-reported data)".to_string()
        } else {
            format!("only records endorsed by {} may join", a.issuers.join(", "))
        };
        say(
            self.json,
            json!({ "dataset_id": id, "tx": out.hash }),
            &format!(
                "dataset {id} ({}): epsilon {total} in all, at most {per_query} a query and {per_researcher} a researcher, {} an epsilon; {who} (tx {})",
                a.name,
                units.show(price),
                out.hash
            ),
        );
        Ok(())
    }

    async fn list(&self) -> anyhow::Result<()> {
        let mut all: Vec<Dataset> = Vec::new();
        loop {
            let page: DatasetsResponse = self
                .client
                .query_typed(
                    self.vault,
                    &VaultQuery::Datasets {
                        start_after: all.last().map(|d| d.id),
                        limit: Some(30),
                    },
                )
                .await
                .context("the datasets")?;
            let n = page.datasets.len();
            all.extend(page.datasets);
            if n < 30 {
                break;
            }
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&all)?);
            return Ok(());
        }
        if all.is_empty() {
            println!("no datasets");
        }
        for ds in &all {
            let units = units_or_base(self.client, &ds.price_asset).await;
            println!(
                "dataset {}: {} ({}), {} records, epsilon {} of {} left, {} an epsilon{}",
                ds.id,
                ds.name,
                ds.record_type.as_str(),
                ds.members,
                ds.total_epsilon.saturating_sub(ds.spent_epsilon),
                ds.total_epsilon,
                units.show(ds.price_per_epsilon),
                if ds.closed { ", closed" } else { "" }
            );
        }
        Ok(())
    }

    async fn show(&self, id: u64, mine: bool) -> anyhow::Result<()> {
        let ds = self.dataset(id).await?;
        let units = units_or_base(self.client, &ds.price_asset).await;
        let budget = if mine {
            Some(self.budget(id).await?)
        } else {
            None
        };
        if self.json {
            println!("{}", json!({ "dataset": ds, "your_budget": budget }));
            return Ok(());
        }
        let mut s = format!(
            "dataset {}: {} ({}) by curator {}{}\n",
            ds.id,
            ds.name,
            ds.record_type.as_str(),
            ds.curator,
            if ds.closed { ", closed" } else { "" }
        );
        s += &format!(
            "  records    {} of at most {}\n",
            ds.members, ds.max_members
        );
        s += &format!(
            "  admission  {}\n",
            match &ds.admission {
                Admission::Open {} => "any record of its type (self-reported)".to_string(),
                Admission::Issuers { issuers } => format!("endorsed by {}", issuers.join(", ")),
            }
        );
        s += &format!(
            "  budget     epsilon {} left of {} (spent {}); at most {} a query{}\n",
            ds.total_epsilon.saturating_sub(ds.spent_epsilon),
            ds.total_epsilon,
            ds.spent_epsilon,
            ds.max_query_epsilon,
            ds.max_querier_epsilon
                .map_or(String::new(), |m| format!(", {m} a researcher"))
        );
        s += &format!(
            "  price      {} an epsilon\n",
            units.show(ds.price_per_epsilon)
        );
        if let Some(b) = budget {
            s += &format!(
                "  yours      spent {}, may still spend {}\n",
                b.spent, b.remaining
            );
        }
        println!("{}", s.trim_end());
        Ok(())
    }

    async fn join(&self, d: &bithive_deploy_plan::Deployment, a: &JoinArgs) -> anyhow::Result<()> {
        let ds = self.dataset(a.dataset_id).await?;
        if ds.closed {
            bail!("dataset {} is closed", ds.id);
        }
        if a.days == 0 || a.days > 3_650 {
            bail!("--days: 1 to 3650");
        }
        let mut answerers: Vec<String> = Vec::new();
        loop {
            let page: bithive_interface::data_vault::AddressesResponse = self
                .client
                .query_typed(
                    self.vault,
                    &VaultQuery::Answerers {
                        start_after: answerers.last().cloned(),
                        limit: Some(30),
                    },
                )
                .await
                .context("the vault's answerers")?;
            let n = page.addresses.len();
            answerers.extend(page.addresses);
            if n < 30 {
                break;
            }
        }
        if !answerers.contains(&a.answerer) {
            bail!(
                "--answerer {}: not one of the vault's answerers; your record's key would go to an account that answers nothing",
                a.answerer
            );
        }
        let wrapped = crate::vault::wrap_record_key(
            self.client,
            d,
            &a.store,
            &a.record,
            &a.answerer,
            &a.answerer_key,
            "--answerer-key",
        )
        .await?;
        let now = self.client.rpc().latest_block_time().await?;
        let expires = Timestamp::from_seconds(now + a.days * 86_400);
        let out = self
            .execute(
                &VaultMsg::JoinDataset {
                    dataset_id: ds.id,
                    token_id: a.record.clone(),
                    expires_at: expires,
                    wrapped_key: wrapped.into(),
                },
                "joining the dataset",
            )
            .await?;
        say(
            self.json,
            json!({ "dataset_id": ds.id, "record": a.record, "expires_at": expires.seconds(), "tx": out.hash }),
            &format!(
                "record {} is in dataset {} until {}: its answerer may read it to answer noisy aggregates, never to hand it on; `leave` takes it out (tx {})",
                a.record,
                ds.id,
                utc(expires),
                out.hash
            ),
        );
        Ok(())
    }

    async fn leave(&self, a: &LeaveArgs) -> anyhow::Result<()> {
        let out = self
            .execute(
                &VaultMsg::LeaveDataset {
                    dataset_id: a.dataset_id,
                    token_id: a.record.clone(),
                },
                "leaving the dataset",
            )
            .await?;
        say(
            self.json,
            json!({ "dataset_id": a.dataset_id, "record": a.record, "tx": out.hash }),
            &format!(
                "record {} left dataset {}: no later answer counts it; answers already given stay as they are (tx {})",
                a.record, a.dataset_id, out.hash
            ),
        );
        Ok(())
    }

    async fn query(&self, a: &QueryArgs) -> anyhow::Result<()> {
        let kind = match (&a.mean, &a.histogram) {
            (Some(field), _) => QueryKind::Mean {
                field: field.clone(),
                lower: a.lower.unwrap_or_default(),
                upper: a.upper.unwrap_or_default(),
            },
            (_, Some(field)) => QueryKind::Histogram {
                field: field.clone(),
                lower: a.lower.unwrap_or_default(),
                upper: a.upper.unwrap_or_default(),
                bins: a.bins.unwrap_or_default(),
            },
            _ if a.count => QueryKind::Count {},
            _ => bail!("say what to ask: --count, --mean FIELD or --histogram FIELD"),
        };
        if let (Some(l), Some(u)) = (a.lower, a.upper) {
            if l >= u {
                bail!("--lower {l} --upper {u}: the lower bound is below the upper one");
            }
        }
        let eps = epsilon("--epsilon", &a.epsilon)?;
        let ds = self.dataset(a.dataset_id).await?;
        if ds.closed {
            bail!("dataset {} is closed: it answers no more queries", ds.id);
        }
        if eps > ds.max_query_epsilon {
            bail!(
                "--epsilon {eps}: dataset {} takes at most {} a query",
                ds.id,
                ds.max_query_epsilon
            );
        }
        let budget = self.budget(ds.id).await?;
        if eps > budget.remaining {
            bail!(
                "--epsilon {eps}: you may spend only {} more of dataset {}'s budget",
                budget.remaining,
                ds.id
            );
        }
        let units = units_of(self.client, &ds.price_asset).await?;
        let price: Uint128 = ds
            .price_per_epsilon
            .checked_mul_ceil(eps)
            .context("the price overflows")?;
        let submit = SubmitQueryMsg {
            dataset_id: ds.id,
            kind: kind.clone(),
            epsilon: eps,
        };
        eprintln!(
            "paying {} for a {} at epsilon {eps} on dataset {} (budget left after it: {})",
            units.show(price),
            kind_words(&kind),
            ds.id,
            budget.remaining - eps
        );
        let msg = pay_into(
            self.client,
            self.vault,
            &ds.price_asset,
            price,
            &VaultMsg::SubmitQuery(submit.clone()),
            &ReceiveMsg::SubmitQuery(submit),
        )?;
        let out = self
            .client
            .submit(vec![msg], "")
            .await
            .map_err(|e| anyhow::Error::new(e).context("the query was refused"))?;
        let id: u64 = out
            .attr("wasm", events::attr::QUERY_ID)
            .context("the query named no query id")?
            .parse()?;
        let deadline = Instant::now() + Duration::from_secs(a.wait);
        if a.wait > 0 {
            eprintln!(
                "query {id} paid (tx {}); waiting up to {} s for an answerer",
                out.hash, a.wait
            );
        }
        let q = loop {
            let q = self.dp_query(id).await?;
            if !matches!(q.status, DpQueryStatus::Pending) || Instant::now() >= deadline {
                break q;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        say(self.json, serde_json::to_value(&q)?, &answer_words(&q));
        if a.wait > 0 && matches!(q.status, DpQueryStatus::Pending) {
            bail!(
                "no answer within {} s: `bithive dp result {id}` later, or `bithive dp refund {id}` from {}",
                a.wait,
                utc(q.expires_at)
            );
        }
        Ok(())
    }

    async fn refund(&self, id: u64) -> anyhow::Result<()> {
        let q = self.dp_query(id).await?;
        if !matches!(q.status, DpQueryStatus::Pending) {
            bail!("query {id} is not waiting: {}", answer_words(&q));
        }
        let now = Timestamp::from_seconds(self.client.rpc().latest_block_time().await?);
        if now < q.expires_at {
            bail!(
                "query {id} may still be answered until {}: no refund before",
                utc(q.expires_at)
            );
        }
        let units = units_or_base(self.client, &q.asset).await;
        let out = self
            .execute(&VaultMsg::RefundQuery { query_id: id }, "the refund")
            .await?;
        say(
            self.json,
            json!({ "query_id": id, "refunded": q.amount, "tx": out.hash }),
            &format!(
                "query {id}: {} back to {}; its epsilon stays spent (tx {})",
                units.show(q.amount),
                q.researcher,
                out.hash
            ),
        );
        Ok(())
    }
}
