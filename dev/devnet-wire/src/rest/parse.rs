//! The REST request parser (pure, a fuzz target): method, path and query string to an
//! [`Endpoint`], or the gRPC-gateway's error for it (501 for an unknown path or method, 400 for
//! a bad parameter, with the gateway's texts).

use base64::Engine;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;

use super::RestError;

/// Longest path or query string accepted, in bytes (a devnet needs no more: a smart query in the
/// path is base64 JSON).
pub const MAX_URI_LEN: usize = 16 * 1024;

/// What a REST request asks for, its parameters parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    NodeInfo,
    Syncing,
    LatestBlock,
    Block(u64),
    Account(String),
    Balances {
        address: String,
        page: PageRequest,
    },
    SpendableBalances {
        address: String,
        page: PageRequest,
    },
    BalanceByDenom {
        address: String,
        denom: String,
    },
    Supply {
        page: PageRequest,
    },
    SupplyOf {
        denom: String,
    },
    DenomsMetadata {
        page: PageRequest,
    },
    DenomMetadata {
        denom: String,
    },
    Simulate,
    Broadcast,
    Tx(String),
    TxSearch {
        query: String,
        page: u64,
        limit: u64,
        desc: bool,
    },
    Smart {
        address: String,
        query: Vec<u8>,
    },
    Raw {
        address: String,
        key: Vec<u8>,
    },
    Contract(String),
    ContractHistory {
        address: String,
        page: PageRequest,
    },
    ContractState {
        address: String,
        page: PageRequest,
    },
    Codes {
        page: PageRequest,
    },
    Code(u64),
    CodeContracts {
        code_id: u64,
        page: PageRequest,
    },
    WasmParams,
}

/// `%XX` and `+` (in a query string) decoded; a bad escape is kept as it is (as Go's lenient
/// callers would refuse it: the parameter's own parser then reports it).
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string's `(name, value)` pairs, decoded, in order (names may repeat).
pub fn query_pairs(qs: &str) -> Vec<(String, String)> {
    qs.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Go's `strconv.ParseUint` error, as the gateway reports a bad number.
fn parse_u64(v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .map_err(|_| format!("strconv.ParseUint: parsing {v:?}: invalid syntax"))
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {v:?}: invalid syntax")),
    }
}

/// Bytes in a path or query: base64, standard or URL-safe, padded or not (as the gateway's
/// `runtime.Bytes`).
pub fn parse_bytes(v: &str) -> Result<Vec<u8>, String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(b) = engine.decode(v) {
            return Ok(b);
        }
    }
    let at = v
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || b"+/-_=".contains(&c)))
        .unwrap_or(0);
    Err(format!("illegal base64 data at input byte {at}"))
}

/// `pagination.key`, `.offset`, `.limit`, `.count_total`, `.reverse`.
fn page(pairs: &[(String, String)]) -> Result<PageRequest, RestError> {
    let mut p = PageRequest::default();
    if let Some(v) = last(pairs, "pagination.key") {
        p.key = parse_bytes(v).map_err(RestError::bad_request)?;
    }
    if let Some(v) = last(pairs, "pagination.offset") {
        p.offset = parse_u64(v).map_err(RestError::bad_request)?;
    }
    if let Some(v) = last(pairs, "pagination.limit") {
        p.limit = parse_u64(v).map_err(RestError::bad_request)?;
    }
    if let Some(v) = last(pairs, "pagination.count_total") {
        p.count_total = parse_bool(v).map_err(RestError::bad_request)?;
    }
    if let Some(v) = last(pairs, "pagination.reverse") {
        p.reverse = parse_bool(v).map_err(RestError::bad_request)?;
    }
    Ok(p)
}

/// A path parameter of type u64, with the gateway's `type mismatch` text.
fn path_u64(name: &str, v: &str) -> Result<u64, RestError> {
    parse_u64(v).map_err(|e| {
        RestError::bad_request(format!("type mismatch, parameter: {name}, error: {e}"))
    })
}

fn path_bytes(name: &str, v: &str) -> Result<Vec<u8>, RestError> {
    parse_bytes(v).map_err(|e| {
        RestError::bad_request(format!("type mismatch, parameter: {name}, error: {e}"))
    })
}

/// `GetTxsEvent`'s parameters: `query` (SDK 0.50+) or repeated `events` (SDK 0.47, joined with
/// AND), `page`, `limit`, `order_by`.
fn tx_search(pairs: &[(String, String)]) -> Result<Endpoint, RestError> {
    let query = match last(pairs, "query").filter(|q| !q.is_empty()) {
        Some(q) => q.to_string(),
        None => pairs
            .iter()
            .filter(|(k, v)| k == "events" && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" AND "),
    };
    let page = match last(pairs, "page") {
        Some(v) => parse_u64(v).map_err(RestError::bad_request)?,
        None => 0,
    };
    let mut limit = match last(pairs, "limit") {
        Some(v) => parse_u64(v).map_err(RestError::bad_request)?,
        None => 0,
    };
    // SDK 0.47 clients page with `pagination.*`: honoured when `page`/`limit` are absent.
    let p = self::page(pairs)?;
    let mut page = page;
    if limit == 0 && p.limit > 0 {
        limit = p.limit;
        if page == 0 {
            page = p.offset / p.limit + 1;
        }
    }
    let desc = match last(pairs, "order_by") {
        None
        | Some("")
        | Some("ORDER_BY_UNSPECIFIED")
        | Some("ORDER_BY_ASC")
        | Some("0")
        | Some("1") => false,
        Some("ORDER_BY_DESC") | Some("2") => true,
        Some(other) => {
            return Err(RestError::bad_request(format!(
                "unknown value {other:?} for enum cosmos.tx.v1beta1.OrderBy"
            )))
        }
    };
    Ok(Endpoint::TxSearch {
        query,
        page,
        limit,
        desc,
    })
}

/// Parses one request. `path` is the raw (still percent-encoded) path, `query` the raw query
/// string without `?`.
pub fn route(method: &str, path: &str, query: &str) -> Result<Endpoint, RestError> {
    if path.len() > MAX_URI_LEN || query.len() > MAX_URI_LEN {
        return Err(RestError::bad_request(format!(
            "request URI longer than {MAX_URI_LEN} bytes"
        )));
    }
    let pairs = query_pairs(query);
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .map(|s| percent_decode(s, false))
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = method == "GET";
    let post = method == "POST";
    let q = |name: &str| last(&pairs, name).unwrap_or_default().to_string();
    let ep = match (s.as_slice(), get, post) {
        (["cosmos", "base", "tendermint", "v1beta1", "node_info"], true, _) => Endpoint::NodeInfo,
        (["cosmos", "base", "tendermint", "v1beta1", "syncing"], true, _) => Endpoint::Syncing,
        (["cosmos", "base", "tendermint", "v1beta1", "blocks", "latest"], true, _) => {
            Endpoint::LatestBlock
        }
        (["cosmos", "base", "tendermint", "v1beta1", "blocks", h], true, _) => {
            let h = path_u64("height", h)?;
            Endpoint::Block(h)
        }
        (["cosmos", "auth", "v1beta1", "accounts", a], true, _) => Endpoint::Account(a.to_string()),
        (["cosmos", "bank", "v1beta1", "balances", a], true, _) => Endpoint::Balances {
            address: a.to_string(),
            page: page(&pairs)?,
        },
        (["cosmos", "bank", "v1beta1", "balances", a, "by_denom"], true, _) => {
            Endpoint::BalanceByDenom {
                address: a.to_string(),
                denom: q("denom"),
            }
        }
        (["cosmos", "bank", "v1beta1", "spendable_balances", a], true, _) => {
            Endpoint::SpendableBalances {
                address: a.to_string(),
                page: page(&pairs)?,
            }
        }
        (["cosmos", "bank", "v1beta1", "supply"], true, _) => Endpoint::Supply {
            page: page(&pairs)?,
        },
        (["cosmos", "bank", "v1beta1", "supply", "by_denom"], true, _) => {
            Endpoint::SupplyOf { denom: q("denom") }
        }
        (["cosmos", "bank", "v1beta1", "denoms_metadata"], true, _) => Endpoint::DenomsMetadata {
            page: page(&pairs)?,
        },
        (["cosmos", "bank", "v1beta1", "denoms_metadata", d], true, _) => Endpoint::DenomMetadata {
            denom: d.to_string(),
        },
        (["cosmos", "bank", "v1beta1", "denoms_metadata_by_query_string"], true, _) => {
            Endpoint::DenomMetadata { denom: q("denom") }
        }
        (["cosmos", "tx", "v1beta1", "simulate"], _, true) => Endpoint::Simulate,
        (["cosmos", "tx", "v1beta1", "txs"], _, true) => Endpoint::Broadcast,
        (["cosmos", "tx", "v1beta1", "txs"], true, _) => tx_search(&pairs)?,
        (["cosmos", "tx", "v1beta1", "txs", h], true, _) => Endpoint::Tx(h.to_string()),
        (["cosmwasm", "wasm", "v1", "contract", a], true, _) => Endpoint::Contract(a.to_string()),
        (["cosmwasm", "wasm", "v1", "contract", a, "smart", d], true, _) => Endpoint::Smart {
            address: a.to_string(),
            query: path_bytes("query_data", d)?,
        },
        (["cosmwasm", "wasm", "v1", "contract", a, "raw", d], true, _) => Endpoint::Raw {
            address: a.to_string(),
            key: path_bytes("query_data", d)?,
        },
        (["cosmwasm", "wasm", "v1", "contract", a, "history"], true, _) => {
            Endpoint::ContractHistory {
                address: a.to_string(),
                page: page(&pairs)?,
            }
        }
        (["cosmwasm", "wasm", "v1", "contract", a, "state"], true, _) => Endpoint::ContractState {
            address: a.to_string(),
            page: page(&pairs)?,
        },
        (["cosmwasm", "wasm", "v1", "code"], true, _) => Endpoint::Codes {
            page: page(&pairs)?,
        },
        (["cosmwasm", "wasm", "v1", "code", id], true, _) => {
            Endpoint::Code(path_u64("code_id", id)?)
        }
        (["cosmwasm", "wasm", "v1", "code", id, "contracts"], true, _) => Endpoint::CodeContracts {
            code_id: path_u64("code_id", id)?,
            page: page(&pairs)?,
        },
        (["cosmwasm", "wasm", "v1", "codes", "params"], true, _) => Endpoint::WasmParams,
        _ => return Err(RestError::not_implemented()),
    };
    Ok(ep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_parameters() {
        assert_eq!(
            route("GET", "/cosmos/base/tendermint/v1beta1/node_info", "").unwrap(),
            Endpoint::NodeInfo
        );
        let e = route(
            "GET",
            "/cosmos/bank/v1beta1/balances/bithive1x",
            "pagination.limit=2&pagination.key=AAE%3D&pagination.reverse=true",
        )
        .unwrap();
        let Endpoint::Balances { address, page } = e else {
            panic!("{e:?}")
        };
        assert_eq!(address, "bithive1x");
        assert_eq!((page.limit, page.key, page.reverse), (2, vec![0, 1], true));
        // Base64 with '/' percent-encoded, and URL-safe base64.
        let e = route("GET", "/cosmwasm/wasm/v1/contract/c/smart/e30%3D", "").unwrap();
        assert_eq!(
            e,
            Endpoint::Smart {
                address: "c".into(),
                query: b"{}".to_vec()
            }
        );
        assert!(matches!(
            route("GET", "/cosmwasm/wasm/v1/contract/c/raw/_-8", "").unwrap(),
            Endpoint::Raw { .. }
        ));
        let e = route(
            "GET",
            "/cosmos/tx/v1beta1/txs",
            "query=message.sender%3D%27a%27&page=2&limit=5&order_by=ORDER_BY_DESC",
        )
        .unwrap();
        assert_eq!(
            e,
            Endpoint::TxSearch {
                query: "message.sender='a'".into(),
                page: 2,
                limit: 5,
                desc: true
            }
        );
        let e = route(
            "GET",
            "/cosmos/tx/v1beta1/txs",
            "events=a.b%3D%27x%27&events=c.d='y'",
        )
        .unwrap();
        assert!(
            matches!(e, Endpoint::TxSearch { ref query, .. } if query == "a.b='x' AND c.d='y'")
        );
    }

    #[test]
    fn errors_read_as_the_gateway() {
        let e = route("GET", "/nothing/here", "").unwrap_err();
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (501, 12, "Not Implemented")
        );
        // A known path with the wrong method is not implemented either.
        assert_eq!(
            route("POST", "/cosmwasm/wasm/v1/code", "")
                .unwrap_err()
                .status,
            501
        );
        assert_eq!(
            route("GET", "/cosmos/tx/v1beta1/simulate", "")
                .unwrap_err()
                .status,
            501
        );
        let e = route("GET", "/cosmwasm/wasm/v1/code/abc", "").unwrap_err();
        assert_eq!((e.status, e.code), (400, 3));
        assert_eq!(
            e.message,
            "type mismatch, parameter: code_id, error: strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        let e = route("GET", "/cosmwasm/wasm/v1/contract/c/smart/!!!", "").unwrap_err();
        assert_eq!(
            e.message,
            "type mismatch, parameter: query_data, error: illegal base64 data at input byte 0"
        );
        let e = route("GET", "/cosmwasm/wasm/v1/code", "pagination.limit=abc").unwrap_err();
        assert_eq!(
            e.message,
            "strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        let e = route(
            "GET",
            "/cosmwasm/wasm/v1/code",
            "pagination.limit=99999999999999999999",
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
        let long = "a".repeat(MAX_URI_LEN + 1);
        assert_eq!(route("GET", &long, "").unwrap_err().status, 400);
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("%", true), "%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%e2%82%ac", true), "€");
    }
}
