//! BitChat wire format, free of I/O and crypto so it can be fuzzed cheaply: length-prefixed
//! frames ([`frame`]) and the plaintext carried inside sealed envelopes ([`inner`]).

pub mod frame;
pub mod inner;
