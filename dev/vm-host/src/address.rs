//! Addresses as a Cosmos SDK chain derives them.

use bech32::{Bech32, Hrp};
use sha2::{Digest, Sha256};

/// sha256(sha256(typ) || key): the SDK's `address.Hash`.
fn sdk_hash(typ: &str, key: &[u8]) -> [u8; 32] {
    let th = Sha256::digest(typ.as_bytes());
    let mut h = Sha256::new();
    h.update(th);
    h.update(key);
    h.finalize().into()
}

fn encode(prefix: &str, bytes: &[u8]) -> String {
    // A prefix that is not a valid HRP is a configuration bug caught at chain construction.
    let hrp = Hrp::parse(prefix).unwrap_or_else(|_| Hrp::parse_unchecked("invalid"));
    bech32::encode::<Bech32>(hrp, bytes).unwrap_or_default()
}

/// wasmd `BuildContractAddressClassic(codeID, instanceID)`:
/// `address.Module("wasm", BE(code_id) || BE(instance_id))`.
pub fn contract_address(prefix: &str, code_id: u64, instance_id: u64) -> String {
    let mut key = b"wasm\0".to_vec();
    key.extend_from_slice(&code_id.to_be_bytes());
    key.extend_from_slice(&instance_id.to_be_bytes());
    encode(prefix, &sdk_hash("module", &key))
}

/// A deterministic 32-byte account address for a name (as cw-multi-test's `addr_make`).
pub fn make_addr(prefix: &str, name: &str) -> String {
    encode(prefix, &Sha256::digest(name.as_bytes()))
}

pub(crate) fn valid_prefix(prefix: &str) -> bool {
    Hrp::parse(prefix).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasmd_classic_address_vector() {
        // The first contract (code 1, instance 1) of every wasmd chain with the `wasm` prefix.
        assert_eq!(
            contract_address("wasm", 1, 1),
            "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d"
        );
    }
}
