//! Fuzz the transaction decoder (TxRaw, body, auth info, messages): no panic on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bithive_devnet_wire::tx::decode(data);
});
