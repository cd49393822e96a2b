//! The `tx_search` / `subscribe` query language subset: conditions joined by `AND`, each
//! `key op value` with `tx.height` (=, <, <=, >, >=), `tx.hash` (=) or an event attribute
//! `type.key` (=). Parsing is linear and bounded (a fuzz target, issue #27); matching is
//! against whatever holds the transactions (the devnet's blocks).

use crate::tx::tx_hash;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Condition {
    key: String,
    op: Op,
    value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxQuery {
    conditions: Vec<Condition>,
}

/// Longest query accepted, in bytes, and most conditions in one (`tx_search` and `subscribe`).
pub const MAX_QUERY_LEN: usize = 4096;
pub const MAX_CONDITIONS: usize = 32;

/// Splits on ` AND ` (any case) in one pass: the query is upper-cased once, and ASCII case
/// changes keep every byte offset (issue #27: it was upper-cased again after each `AND`, so a
/// long query took quadratic time on the RPC workers).
fn split_and(q: &str) -> Vec<&str> {
    let upper = q.to_ascii_uppercase();
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(i) = upper[start..].find(" AND ") {
        out.push(&q[start..start + i]);
        start += i + 5;
    }
    out.push(&q[start..]);
    out
}

impl TxQuery {
    pub fn parse(q: &str) -> Result<Self, String> {
        if q.len() > MAX_QUERY_LEN {
            return Err(format!(
                "query is {} bytes, at most {MAX_QUERY_LEN}",
                q.len()
            ));
        }
        let parts = split_and(q.trim());
        if parts.len() > MAX_CONDITIONS {
            return Err(format!(
                "query has {} conditions, at most {MAX_CONDITIONS}",
                parts.len()
            ));
        }
        let mut conditions = Vec::new();
        for part in parts {
            let part = part.trim();
            let (pos, op, len) = ["<=", ">=", "=", "<", ">"]
                .iter()
                .filter_map(|op| part.find(op).map(|i| (i, *op)))
                .min_by_key(|(i, op)| (*i, std::cmp::Reverse(op.len())))
                .map(|(i, op)| (i, op, op.len()))
                .ok_or_else(|| format!("no operator in condition {part:?}"))?;
            let key = part[..pos].trim().to_string();
            let value = part[pos + len..].trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value)
                .to_string();
            let op = match op {
                "=" => Op::Eq,
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                _ => Op::Ge,
            };
            if key.is_empty() || !key.contains('.') {
                return Err(format!("bad key in condition {part:?}"));
            }
            if op != Op::Eq && key != "tx.height" {
                return Err(format!("only = is supported for {key}"));
            }
            if key == "tx.height" && value.parse::<u64>().is_err() {
                return Err(format!("tx.height needs a number, got {value:?}"));
            }
            conditions.push(Condition { key, op, value });
        }
        Ok(TxQuery { conditions })
    }

    /// Whether every `tx.height` condition holds at `height`.
    pub fn height_ok(&self, height: u64) -> bool {
        self.conditions
            .iter()
            .filter(|c| c.key == "tx.height")
            .all(|c| {
                let v: u64 = c.value.parse().unwrap_or(0);
                match c.op {
                    Op::Eq => height == v,
                    Op::Lt => height < v,
                    Op::Le => height <= v,
                    Op::Gt => height > v,
                    Op::Ge => height >= v,
                }
            })
    }

    /// Whether one transaction (`tx`, its raw bytes) matches; `has_attr(type, key, value)` says
    /// whether one of its events carries that attribute. Call it only where
    /// [`TxQuery::height_ok`] holds for the transaction's block.
    pub fn tx_matches(&self, tx: &[u8], has_attr: impl Fn(&str, &str, &str) -> bool) -> bool {
        self.conditions.iter().all(|c| match c.key.as_str() {
            "tx.height" => true,
            "tx.hash" => hex::encode_upper(tx_hash(tx)).eq_ignore_ascii_case(&c.value),
            key => {
                let (ty, attr) = key.rsplit_once('.').unwrap_or((key, ""));
                has_attr(ty, attr, &c.value)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions() {
        let q =
            TxQuery::parse("tx.height>=5 AND wasm._contract_address='bithive1x' and tx.hash='AB'")
                .unwrap();
        assert_eq!(q.conditions.len(), 3);
        assert_eq!(q.conditions[0].op, Op::Ge);
        assert_eq!(q.conditions[1].key, "wasm._contract_address");
        assert_eq!(q.conditions[1].value, "bithive1x");
        assert!(q.height_ok(5) && !q.height_ok(4));
        assert!(TxQuery::parse("nonsense").is_err());
        assert!(TxQuery::parse("tx.height='x'").is_err());
        assert!(TxQuery::parse("a.b>3").is_err());
    }

    /// Issue #27: a 1.5 MB query took 262 s to parse. Queries are bounded (length, conditions)
    /// and split in one pass; the largest accepted query still parses.
    #[test]
    fn queries_are_bounded() {
        let cond = "wasm.action='x'";
        let many = vec![cond; MAX_CONDITIONS].join(" AND ");
        assert_eq!(
            TxQuery::parse(&many).unwrap().conditions.len(),
            MAX_CONDITIONS
        );
        let too_many = vec![cond; MAX_CONDITIONS + 1].join(" and ");
        assert!(TxQuery::parse(&too_many)
            .unwrap_err()
            .contains("conditions, at most"));
        let huge = vec![cond; 100_000].join(" AND ");
        assert!(TxQuery::parse(&huge).unwrap_err().starts_with("query is"));
        let long_value = format!("wasm.action='{}'", "x".repeat(MAX_QUERY_LEN));
        assert!(TxQuery::parse(&long_value).is_err());
        // Mixed-case AND with non-ASCII values keeps offsets right.
        let q = TxQuery::parse("wasm.a='é' aNd wasm.b='ü'").unwrap();
        assert_eq!(q.conditions[0].value, "é");
        assert_eq!(q.conditions[1].value, "ü");
    }
}
