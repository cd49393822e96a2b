//! The `tx_search` query language subset: conditions joined by `AND`, each `key op value` with
//! `tx.height` (=, <, <=, >, >=), `tx.hash` (=) or an event attribute `type.key` (=).

use crate::app::App;
use crate::json::upper_hex;
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

fn split_and(q: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = q;
    loop {
        let upper = rest.to_ascii_uppercase();
        match upper.find(" AND ") {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + 5..];
            }
            None => {
                out.push(rest);
                return out;
            }
        }
    }
}

impl TxQuery {
    pub fn parse(q: &str) -> Result<Self, String> {
        let mut conditions = Vec::new();
        for part in split_and(q.trim()) {
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

    fn height_ok(&self, height: u64) -> bool {
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

    /// Matching (height, index) pairs in chain order.
    pub fn search(&self, app: &App) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        for b in app.blocks() {
            if !self.height_ok(b.height) {
                continue;
            }
            for (i, (tx, result)) in b.txs.iter().zip(&b.results).enumerate() {
                let ok = self.conditions.iter().all(|c| match c.key.as_str() {
                    "tx.height" => true,
                    "tx.hash" => upper_hex(&tx_hash(tx)).eq_ignore_ascii_case(&c.value),
                    key => {
                        let (ty, attr) = key.rsplit_once('.').unwrap_or((key, ""));
                        result.events.iter().any(|e| {
                            e.kind == ty
                                && e.attributes
                                    .iter()
                                    .any(|a| a.key == attr && a.value == c.value)
                        })
                    }
                });
                if ok {
                    out.push((b.height, i as u32));
                }
            }
        }
        out
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
}
