//! Always-run fuzzing (issue #27): random bytes and strings into the JSON-RPC request parser,
//! the URI argument reader, the event-query parser and the tx decoder: no panic, a typed
//! error, and each input handled within a generous time bound (the quadratic query parser took
//! minutes on 1.5 MB). Coverage-guided fuzzing of the same entry points (which live in
//! `bithive-devnet-wire`): `dev/devnet-wire/fuzz`, run by `scripts/test.d/fuzz.sh`.

mod common;

use std::time::{Duration, Instant};

use bithive_devnet::rpc::{parse_request, uri_params, Incoming};
use bithive_devnet::search::{TxQuery, MAX_CONDITIONS, MAX_QUERY_LEN};
use proptest::prelude::*;

/// Far above what any input here needs: only a blow-up (quadratic, unbounded) reaches it.
const BOUND: Duration = Duration::from_secs(2);

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(t.elapsed() < BOUND, "took {:?}", t.elapsed());
    out
}

/// JSON-RPC-shaped text: requests, batches, odd ids and params, broken JSON.
fn json_rpc_text() -> impl Strategy<Value = String> {
    let method = prop_oneof![
        Just("status".to_string()),
        Just("tx_search".to_string()),
        "[a-z_]{0,20}",
    ];
    let value = prop_oneof![
        Just("null".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "\"[ -~]{0,40}\"",
        Just("{}".to_string()),
        Just("[]".to_string()),
    ];
    let one = (method, value.clone(), value).prop_map(|(m, id, p)| {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"{m}","params":{{"query":{p},"page":{p}}}}}"#
        )
    });
    prop_oneof![
        one.clone(),
        prop::collection::vec(one, 0..20).prop_map(|v| format!("[{}]", v.join(","))),
        "[ -~]{0,200}",
    ]
}

/// Event queries: conditions joined by AND (any case), near and past the caps.
fn event_query() -> impl Strategy<Value = String> {
    let cond = prop_oneof![
        (any::<u64>(), "(=|<|<=|>|>=)").prop_map(|(h, op)| format!("tx.height{op}{h}")),
        "[a-z_.]{1,12}='[ -&(-~]{0,12}'",
        "tx.hash='[0-9A-F]{0,64}'",
        "[ -~]{0,30}",
    ];
    let and = prop_oneof![
        Just(" AND "),
        Just(" and "),
        Just(" AnD "),
        Just("AND"),
        Just(" ")
    ];
    prop::collection::vec((cond, and), 0..(MAX_CONDITIONS + 8)).prop_map(|parts| {
        parts
            .into_iter()
            .enumerate()
            .map(|(i, (c, a))| if i == 0 { c } else { format!("{a}{c}") })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rpc_request_parser_takes_any_bytes(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = timed(|| parse_request(&body, 10));
    }

    #[test]
    fn rpc_request_parser_takes_rpc_shaped_text(text in json_rpc_text()) {
        match timed(|| parse_request(text.as_bytes(), 10)) {
            Ok(Incoming::Batch(b)) => prop_assert!(b.len() <= 10),
            Ok(Incoming::One(_)) => {}
            Err(e) => prop_assert!([-32700, -32600].contains(&e.code())),
        }
    }

    #[test]
    fn uri_arguments_take_any_text(args in prop::collection::vec(("(hash|tx|path|data|[a-z]{1,6})", "[ -~]{0,80}"), 0..8)) {
        if let Err(e) = timed(|| uri_params(args)) {
            prop_assert_eq!(e.code(), -32602);
        }
    }

    #[test]
    fn event_query_parser_takes_any_text(q in "[ -~]{0,600}") {
        let _ = timed(|| TxQuery::parse(&q));
    }

    #[test]
    fn event_query_parser_takes_query_shaped_text(q in event_query()) {
        let r = timed(|| TxQuery::parse(&q));
        if q.len() > MAX_QUERY_LEN {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn tx_decoder_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = timed(|| bithive_devnet::tx::decode(&bytes));
    }

    /// A valid signed tx with bytes flipped, cut or appended: decoded or refused, never a panic.
    #[test]
    fn tx_decoder_takes_mutated_txs(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let k = common::Key::new(3);
        let mut tx = k.sign(vec![common::send(&k.address, &k.address, 1, common::DENOM)], 1, 0, 100_000, 2_500);
        for (i, b) in flips {
            let i = i.index(tx.len());
            tx[i] ^= b;
        }
        tx.truncate(cut.index(tx.len() + 1));
        tx.extend(tail);
        let _ = timed(|| bithive_devnet::tx::decode(&tx));
    }
}

/// The longest accepted query and far longer ones, parsed in linear time (the cap refuses the
/// latter before any work).
#[test]
fn long_queries_parse_fast() {
    let cond = "a.b='c' AND ";
    let fits = cond.repeat(MAX_QUERY_LEN / cond.len());
    let _ = timed(|| TxQuery::parse(fits.trim_end_matches(" AND ")));
    let huge = cond.repeat(200_000);
    assert!(timed(|| TxQuery::parse(&huge)).is_err());
}

/// REST-shaped requests (issue #21): known path prefixes with random segments, percent escapes
/// and pagination parameters, and plain random text.
fn rest_request() -> impl Strategy<Value = (String, String, String)> {
    let method = prop_oneof![
        Just("GET".to_string()),
        Just("POST".to_string()),
        Just("OPTIONS".to_string()),
        "[A-Z]{0,7}",
    ];
    let prefix = prop_oneof![
        Just("/cosmos/bank/v1beta1/balances/"),
        Just("/cosmos/auth/v1beta1/accounts/"),
        Just("/cosmwasm/wasm/v1/contract/"),
        Just("/cosmwasm/wasm/v1/code/"),
        Just("/cosmos/tx/v1beta1/txs/"),
        Just("/cosmos/base/tendermint/v1beta1/blocks/"),
        Just("/"),
    ];
    let seg = prop_oneof![
        "[a-z0-9]{0,20}",
        "(%[0-9A-Fa-f]{2}|%|%[g-z]{1,2}|[A-Za-z0-9+/=_-]){0,40}",
        Just("smart".to_string()),
        Just("raw".to_string()),
        Just("by_denom".to_string()),
        Just("contracts".to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
    ];
    let path = (prefix, prop::collection::vec(seg, 0..5))
        .prop_map(|(p, segs)| format!("{p}{}", segs.join("/")));
    let param = prop_oneof![
        Just("pagination.limit"),
        Just("pagination.offset"),
        Just("pagination.key"),
        Just("pagination.count_total"),
        Just("pagination.reverse"),
        Just("query"),
        Just("events"),
        Just("page"),
        Just("limit"),
        Just("order_by"),
        Just("denom"),
    ];
    let value = prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        "[ -~]{0,40}",
        Just("18446744073709551616".to_string()),
        Just("true".to_string()),
    ];
    let query = prop::collection::vec((param, value), 0..6).prop_map(|ps| {
        ps.into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    (method, path, query)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The REST parser takes any method, path and query: an endpoint, or the gateway's 400 or
    /// 501, quickly.
    #[test]
    fn rest_parser_takes_rest_shaped_requests((method, path, query) in rest_request()) {
        if let Err(e) = timed(|| bithive_devnet::rest::parse::route(&method, &path, &query)) {
            prop_assert!([(400, 3), (501, 12)].contains(&(e.status, e.code)), "{e:?}");
        }
    }

    #[test]
    fn rest_parser_takes_any_text(method in "[ -~]{0,10}", path in "[ -~]{0,300}", query in "[ -~]{0,300}") {
        if let Err(e) = timed(|| bithive_devnet::rest::parse::route(&method, &path, &query)) {
            prop_assert!([400, 501].contains(&e.status));
        }
    }

    #[test]
    fn rest_percent_decoding_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = timed(|| bithive_devnet::rest::parse::percent_decode(&s, true));
        let _ = timed(|| bithive_devnet::rest::parse::query_pairs(&s));
    }
}

/// The longest accepted URI and far longer ones are handled in linear time.
#[test]
fn long_rest_uris_parse_fast() {
    let q = "pagination.limit=1&".repeat(50_000);
    let e = timed(|| bithive_devnet::rest::parse::route("GET", "/cosmwasm/wasm/v1/code", &q))
        .unwrap_err();
    assert_eq!(e.status, 400);
    let fits = "events=a.b%3D%27c%27&".repeat(bithive_devnet::rest::parse::MAX_URI_LEN / 22);
    let _ = timed(|| bithive_devnet::rest::parse::route("GET", "/cosmos/tx/v1beta1/txs", &fits));
}
