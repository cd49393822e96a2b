//! Fuzz the event-query parser (`tx_search`, `subscribe`): no panic, over-long queries refused.
#![no_main]

use bithive_devnet_wire::event_query::{TxQuery, MAX_QUERY_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let r = TxQuery::parse(q);
        if q.len() > MAX_QUERY_LEN {
            assert!(r.is_err());
        }
    }
});
