//! Fuzz the frame parser and the inner-message parser: no panic, no over-allocation, and
//! anything accepted re-encodes to the same bytes.
#![no_main]

use bithive_bitchat_wire::frame::Frame;
use bithive_bitchat_wire::inner::Inner;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((frame, used)) = Frame::decode(data) {
        assert_eq!(frame.encode(), data[..used].to_vec());
    }
    if let Ok(frame) = Frame::decode_body(data) {
        assert_eq!(frame.encode_body(), data.to_vec());
    }
    if let Some(inner) = Inner::decode(data) {
        assert_eq!(Inner::decode(&inner.encode()), Some(inner));
    }
});
