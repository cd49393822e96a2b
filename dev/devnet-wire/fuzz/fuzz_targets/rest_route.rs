//! The REST request parser (issue #21): any method, path and query string.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let query = parts.next().unwrap_or_default();
    if let Err(e) = bithive_devnet_wire::rest::parse::route(method, path, query) {
        assert!(e.status == 400 || e.status == 501);
    }
});
