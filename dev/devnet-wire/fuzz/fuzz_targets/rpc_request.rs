//! Fuzz the JSON-RPC request parser (POST bodies) and the URI argument reader (GET query
//! strings): no panic, only the JSON-RPC error codes, batches within the cap.
#![no_main]

use bithive_devnet_wire::jsonrpc::{parse_request, uri_params, Incoming};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_request(data, 10) {
        Ok(Incoming::Batch(b)) => assert!(b.len() <= 10),
        Ok(Incoming::One(_)) => {}
        Err(e) => assert!([-32700, -32600].contains(&e.code())),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let args = text.split('&').map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        });
        if let Err(e) = uri_params(args) {
            assert_eq!(e.code(), -32602);
        }
    }
});
