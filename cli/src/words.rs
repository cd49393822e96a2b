//! How the chain commands talk to people: amounts in whole units of the asset's own decimals
//! (a cw20's token info; never base units typed by hand), block times as UTC dates, and one
//! answer per command (a JSON object with `--json`, plain words otherwise).
use anyhow::{bail, Context};
use bithive_chain_client::ChainClient;
use bithive_interface::payfi_escrow::AssetInfo;
use cosmwasm_std::{Decimal, Timestamp, Uint128};

/// A command's answer: one JSON object with `json`, plain words otherwise.
pub fn say(json: bool, value: serde_json::Value, words: &str) {
    if json {
        println!("{value}");
    } else {
        println!("{words}");
    }
}

/// A block time as `2026-11-28 15:04 UTC`.
pub fn utc(t: Timestamp) -> String {
    let secs = t.seconds();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60
    )
}

/// `amount` whole units (at most `decimals` decimal places) in base units.
pub fn base_units(amount: &str, decimals: u32) -> anyhow::Result<Uint128> {
    let d: Decimal = amount
        .parse()
        .with_context(|| format!("{amount:?} is not an amount"))?;
    let unit = 10u128
        .checked_pow(decimals)
        .filter(|_| decimals <= 18)
        .context("more than 18 decimals")?;
    let scaled = d
        .checked_mul(Decimal::from_ratio(unit, 1u8))
        .map_err(|_| anyhow::anyhow!("{amount} is too large"))?;
    if !scaled.floor().eq(&scaled) {
        bail!("{amount} has more than {decimals} decimal places");
    }
    Ok(scaled.to_uint_floor())
}

/// Base units as whole units with their decimals, trailing zeros dropped.
pub fn whole_units(amount: Uint128, decimals: u32) -> String {
    match 10u128.checked_pow(decimals) {
        Some(unit) if decimals <= 18 => Decimal::checked_from_ratio(amount, unit)
            .map_or_else(|_| format!("{amount} base units"), |d| d.to_string()),
        _ => format!("{amount} base units"),
    }
}

/// An asset's symbol and decimals: a cw20's from its token info; a bank denom is counted in
/// its base units under its own name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Units {
    pub symbol: String,
    pub decimals: u32,
}

impl Units {
    /// `amount` base units as `12.5 BTT`.
    pub fn show(&self, amount: Uint128) -> String {
        format!("{} {}", whole_units(amount, self.decimals), self.symbol)
    }

    /// Whole units as typed (`12.5`) in base units.
    pub fn parse(&self, amount: &str) -> anyhow::Result<Uint128> {
        base_units(amount, self.decimals)
    }
}

/// The units of `asset`, read from the chain; a failed read is an error (a guessed number of
/// decimals would pay or price off by powers of ten).
pub async fn units_of(client: &ChainClient, asset: &AssetInfo) -> anyhow::Result<Units> {
    match asset {
        AssetInfo::Cw20(addr) => {
            let t: cw20::TokenInfoResponse = client
                .query_typed(addr.as_str(), &cw20::Cw20QueryMsg::TokenInfo {})
                .await
                .with_context(|| format!("the token {addr:?}'s token info"))?;
            if t.decimals > 18 {
                bail!("the token {addr:?} has {} decimals: at most 18", t.decimals);
            }
            Ok(Units {
                symbol: printable(&t.symbol),
                decimals: u32::from(t.decimals),
            })
        }
        AssetInfo::Native(denom) => Ok(Units {
            symbol: printable(denom),
            decimals: 0,
        }),
    }
}

/// [`units_of`] for showing what others wrote on chain: an asset whose units cannot be read
/// (a token that is not there, say) is shown in base units under its address, never stopping a
/// listing of everyone else's.
pub async fn units_or_base(client: &ChainClient, asset: &AssetInfo) -> Units {
    match units_of(client, asset).await {
        Ok(u) => u,
        Err(_) => Units {
            symbol: match asset {
                AssetInfo::Cw20(a) => format!("base units of {}", printable(a.as_str())),
                AssetInfo::Native(d) => printable(d),
            },
            decimals: 0,
        },
    }
}

/// Text from the chain as it may reach a terminal: control characters (escape sequences
/// included) shown as `?`.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A query error in words: a missing escrow, channel, asset or vault (`what`) says so.
pub fn missing(e: bithive_chain_client::ChainError, what: &str) -> anyhow::Error {
    if e.to_string().contains("not found") {
        anyhow::anyhow!("there is no {what}")
    } else {
        anyhow::Error::new(e).context(format!("reading {what}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_units_with_the_assets_decimals() {
        assert_eq!(base_units("0.1", 6).unwrap(), Uint128::new(100_000));
        assert_eq!(base_units("12", 6).unwrap(), Uint128::new(12_000_000));
        assert!(base_units("0.0000001", 6).is_err());
        assert!(base_units("-1", 6).is_err());
        assert!(base_units("ten", 6).is_err());
        assert_eq!(whole_units(Uint128::new(100_000), 6), "0.1");
        assert_eq!(whole_units(Uint128::new(12_000_000), 6), "12");
        let btt = Units {
            symbol: "BTT".into(),
            decimals: 6,
        };
        assert_eq!(btt.show(Uint128::new(2_500_000)), "2.5 BTT");
        assert_eq!(btt.parse("2.5").unwrap(), Uint128::new(2_500_000));
        assert_eq!(printable("BTT\u{1b}[31m"), "BTT?[31m");
    }

    #[test]
    fn block_times_are_utc_dates() {
        assert_eq!(utc(Timestamp::from_seconds(0)), "1970-01-01 00:00 UTC");
        // 2000-02-29 12:34:56 (a leap day).
        assert_eq!(
            utc(Timestamp::from_seconds(951_827_696)),
            "2000-02-29 12:34 UTC"
        );
        assert_eq!(
            utc(Timestamp::from_seconds(1_795_869_900)),
            "2026-11-28 12:45 UTC"
        );
    }
}
