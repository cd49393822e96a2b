//! The faucet routes of `bithive web` (issue #45: a new account's first fees), when it is given
//! a funded key (`--faucet-key NAME`): for a devnet or a testnet, never a chain whose coin has a
//! price.
//!
//! - `GET /v1/faucet`: `{"denom": .., "amount": ..}`, what one grant sends (the page offers the
//!   faucet only when this answers).
//! - `POST /v1/faucet/<address>` with `Content-Type: application/json` (so a page of another
//!   site cannot make a visitor's browser ask: that needs a CORS preflight, which this server
//!   never grants): sends `amount` of the chain's fee coin to an account of this chain, once per
//!   account ever, and only to one holding less than that. `200` with `{"tx": .., "height": ..}`;
//!   otherwise a plain reason.
//!
//! Anyone may ask, and new addresses cost nothing, so what an attacker can take is bounded by
//! the server, not by who asks: at most `per_hour` grants in any hour, each of `amount` (then
//! `429` with `Retry-After`). The same bound is a lock-out: whoever spends the hour's grants
//! leaves none for others until it passes; on a public testnet keep `per_hour` and `amount`
//! small and expect that. An account is reserved (counted, and written to the served file,
//! synced) before its transfer is broadcast, and the transfer runs in a task of its own, so a
//! client that hangs up mid-request cannot get past the count or be served twice; a reservation
//! is given back only when the transfer certainly did not happen (refused before or at the
//! broadcast, or executed and failed). The file's lines are `<chain id> <address>` (and
//! `<chain id> <address> released`), so a file reused on another chain serves that chain's
//! accounts afresh. One `bithive web` per faucet key: the hour's count is in memory.

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bithive_chain_client::{ChainClient, ChainError};
use tokio::sync::Mutex;

use super::{refuse, WebError};

/// What the faucet sends and how often.
#[derive(Clone)]
pub struct FaucetConfig {
    /// The funded key's client (fees as the deployment records them); a grant is in its fee
    /// coin.
    pub client: Arc<ChainClient>,
    /// Base units sent per grant.
    pub amount: u128,
    /// Grants in any hour, at most.
    pub per_hour: usize,
    /// Where the accounts served are kept (`<chain id> <address>` a line).
    pub served_file: PathBuf,
}

impl FaucetConfig {
    /// What a grant is paid in: the faucet key's fee coin.
    fn denom(&self) -> &str {
        &self.client.gas().fee_denom
    }
}

impl std::fmt::Debug for FaucetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaucetConfig")
            .field("from", &self.client.address())
            .field("denom", &self.denom())
            .field("amount", &self.amount)
            .field("per_hour", &self.per_hour)
            .finish_non_exhaustive()
    }
}

/// The faucet's memory: who was served (also on disk) and when the last grants went out.
struct Ledger {
    served: HashSet<String>,
    recent: VecDeque<Instant>,
    file: Arc<std::sync::Mutex<std::fs::File>>,
}

#[derive(Clone)]
struct FaucetState {
    config: FaucetConfig,
    prefix: String,
    chain_id: String,
    ledger: Arc<Mutex<Ledger>>,
}

const HOUR: Duration = Duration::from_secs(3600);
/// How long a request waits for another's reservation to finish before it is told to retry.
const LEDGER_WAIT: Duration = Duration::from_secs(10);

/// The accounts served on `chain_id`, from the served file's lines.
fn served_on(text: &str, chain_id: &str) -> HashSet<String> {
    let mut served = HashSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(c), Some(a), None) if c == chain_id => {
                served.insert(a.to_string());
            }
            (Some(c), Some(a), Some("released")) if c == chain_id => {
                served.remove(a);
            }
            _ => {}
        }
    }
    served
}

/// Appends `line` to the served file and syncs it, off the async threads.
async fn record(file: &Arc<std::sync::Mutex<std::fs::File>>, line: String) -> std::io::Result<()> {
    let file = file.clone();
    tokio::task::spawn_blocking(move || {
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(f, "{line}")?;
        f.sync_data()
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The faucet routes for `config`, serving accounts of the faucet key's chain (its address
/// prefix and chain id).
pub(super) fn routes(config: &FaucetConfig) -> Result<Router, WebError> {
    let prefix = config.client.key().prefix().to_string();
    let chain_id = config.client.chain_id().to_string();
    let bad =
        |e: std::io::Error| WebError::Faucet(format!("{}: {e}", config.served_file.display()));
    let served = match std::fs::read_to_string(&config.served_file) {
        Ok(text) => served_on(&text, &chain_id),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
        Err(e) => return Err(bad(e)),
    };
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&config.served_file)
            .map_err(bad)?
    };
    if config.amount == 0 || config.per_hour == 0 {
        return Err(WebError::Faucet(
            "the amount and the grants per hour must be above zero".into(),
        ));
    }
    let state = FaucetState {
        config: config.clone(),
        prefix,
        chain_id,
        ledger: Arc::new(Mutex::new(Ledger {
            served,
            recent: VecDeque::new(),
            file: Arc::new(std::sync::Mutex::new(file)),
        })),
    };
    Ok(Router::new()
        .route("/v1/faucet", get(describe))
        .route("/v1/faucet/{address}", post(grant))
        .with_state(state))
}

async fn describe(State(s): State<FaucetState>) -> Response {
    Json(serde_json::json!({ "denom": s.config.denom(), "amount": s.config.amount.to_string() }))
        .into_response()
}

/// Whether the transfer certainly did not move coins: refused before or at the broadcast, or
/// executed and failed. Anything else (a lost answer, a confirmation that timed out) may have.
fn certainly_not_sent(e: &ChainError) -> bool {
    !matches!(
        e,
        ChainError::Transport { .. }
            | ChainError::AllEndpointsFailed(..)
            | ChainError::ConfirmTimeout(_)
            | ChainError::Query { .. }
            | ChainError::Decode { .. }
    )
}

async fn grant(
    State(s): State<FaucetState>,
    headers: HeaderMap,
    Path(address): Path<String>,
) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ask with Content-Type: application/json".into(),
        );
    }
    match address.parse::<bithive_chain_client::cosmrs::AccountId>() {
        Ok(a) if a.prefix() == s.prefix && a.to_string() == address => {}
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "{address:?} is not an account of this chain ({}1…)",
                    s.prefix
                ),
            )
        }
    }
    let served = || {
        refuse(
            StatusCode::CONFLICT,
            format!("{address} was served once already: the faucet serves each account once"),
        )
    };
    let busy = || {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the faucet is busy: try again shortly".into(),
        )
    };
    match tokio::time::timeout(LEDGER_WAIT, s.ledger.lock()).await {
        Ok(ledger) if ledger.served.contains(&address) => return served(),
        Ok(_) => {}
        Err(_) => return busy(),
    }
    let client = s.config.client.clone();
    match bithive_chain_client::query::balance(client.rpc().as_ref(), &address, s.config.denom())
        .await
    {
        Ok(held) if held >= s.config.amount => {
            return refuse(
                StatusCode::CONFLICT,
                format!(
                    "{address} holds {held}{} already, enough for its fees",
                    s.config.denom()
                ),
            )
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "faucet: balance query failed");
            return refuse(
                StatusCode::BAD_GATEWAY,
                "the chain's RPC did not answer: try again shortly".into(),
            );
        }
    }

    // Reserve: counted and on disk before anything is sent.
    let Ok(mut ledger) = tokio::time::timeout(LEDGER_WAIT, s.ledger.lock()).await else {
        return busy();
    };
    // Again: another request for the same account may have reserved it meanwhile.
    if ledger.served.contains(&address) {
        return served();
    }
    let now = Instant::now();
    while ledger
        .recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= HOUR)
    {
        ledger.recent.pop_front();
    }
    if ledger.recent.len() >= s.config.per_hour {
        let wait = ledger
            .recent
            .front()
            .map(|t| HOUR.saturating_sub(now.duration_since(*t)).as_secs() + 1)
            .unwrap_or(60);
        let mut r = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "the faucet gave its {} grants of this hour: try again in {} minutes",
                s.config.per_hour,
                wait.div_ceil(60)
            ),
        );
        if let Ok(v) = header::HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    if let Err(e) = record(&ledger.file, format!("{} {address}", s.chain_id)).await {
        tracing::error!(error = %e, "faucet: the served file could not be written");
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the faucet could not keep its records: nothing was sent".into(),
        );
    }
    ledger.served.insert(address.clone());
    ledger.recent.push_back(now);
    let file = ledger.file.clone();
    drop(ledger);

    // The transfer, in a task of its own: a client that hangs up does not cancel it.
    let (to, amount, denom) = (
        address.clone(),
        s.config.amount,
        s.config.denom().to_string(),
    );
    let sent = tokio::spawn(async move {
        let msg = client.send_msg(&to, &[(amount, &denom)])?;
        client.submit(vec![msg], "BitHive faucet").await
    })
    .await;
    match sent {
        Ok(Ok(out)) => {
            tracing::info!(%address, tx = %out.hash, amount = s.config.amount, denom = %s.config.denom(), "faucet grant");
            Json(serde_json::json!({ "tx": out.hash, "height": out.height })).into_response()
        }
        Ok(Err(e)) if certainly_not_sent(&e) => {
            tracing::warn!(error = %e, %address, "faucet transfer refused; the account may ask again");
            let mut ledger = s.ledger.lock().await;
            ledger.served.remove(&address);
            if let Err(e) = record(&file, format!("{} {address} released", s.chain_id)).await {
                tracing::error!(error = %e, "faucet: the served file could not be written");
            }
            refuse(
                StatusCode::BAD_GATEWAY,
                "the faucet's transfer was refused by the chain; nothing was sent: try again later"
                    .into(),
            )
        }
        Ok(Err(e)) => not_confirmed(&address, &e.to_string()),
        Err(e) => not_confirmed(&address, &e.to_string()),
    }
}

/// The transfer may have happened (its answer was lost, or it was not confirmed in time): the
/// account stays served, so it is never sent twice.
fn not_confirmed(address: &str, why: &str) -> Response {
    tracing::warn!(error = %why, %address, "faucet transfer not confirmed; the account stays served");
    refuse(
        StatusCode::GATEWAY_TIMEOUT,
        "the faucet's transfer was sent but not confirmed in time: check your balance in a minute \
         (the faucet does not send twice)"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::served_on;

    #[test]
    fn the_served_file_counts_this_chains_accounts_and_their_releases() {
        let text = "c-1 bithive1a\nc-2 bithive1b\nc-1 bithive1c\nc-1 bithive1c released\n\
                    garbage\nc-1 bithive1d extra words\r\nc-1 bithive1e\r\n";
        let mut served: Vec<_> = served_on(text, "c-1").into_iter().collect();
        served.sort();
        assert_eq!(served, ["bithive1a", "bithive1e"]);
        assert_eq!(served_on(text, "c-2").len(), 1);
    }
}
