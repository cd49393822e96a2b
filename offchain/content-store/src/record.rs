//! Personal data records as the data vault names them (issue #23): encrypted on the owner's
//! client under a fresh record key before they reach any store, and read by whoever holds that
//! key: a grantee, or a dataset's answerer, to whom the owner seals it.
//!
//! - A sealed record is `nonce (24 B) || XChaCha20-Poly1305(record key, plaintext)`; the vault
//!   stores its CID, size and sha256, never the key.
//! - A wrapped record key is bound by [`key_header`] to the vault, the record and the one
//!   account meant to open it, so a key sealed for one grant cannot be replayed for another.
//! - A record's plaintext is a JSON object; a query's `field` is one of its top-level keys with
//!   an integer value ([`field_value`]).
//! - The owner keeps no key: each of its records' keys is derived from the record's nonce and a
//!   master key, itself the hash of the owner's wallet signature of [`owner_key_text`] (ADR-36
//!   `signArbitrary`, deterministic for secp256k1). The CLI and a browser wallet derive the same
//!   keys, and a lost disk loses no record. Whoever obtains that one signature reads every
//!   record of the owner in that vault: the text says so, for the wallet to show.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// XChaCha20-Poly1305 nonce length.
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("a sealed record is at least {NONCE_LEN} bytes of nonce and a tag")]
    TooShort,
    #[error("the record does not open with this key (wrong key or altered bytes)")]
    Undecryptable,
    #[error("record encryption failed")]
    Encrypt,
}

/// Encrypts `plaintext` under a fresh random record key; returns the sealed record and the key.
pub fn seal_record(plaintext: &[u8]) -> Result<(Vec<u8>, [u8; 32]), RecordError> {
    let key = XChaCha20Poly1305::generate_key(&mut OsRng);
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ct = XChaCha20Poly1305::new(&key)
        .encrypt(&nonce, plaintext)
        .map_err(|_| RecordError::Encrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok((out, key.into()))
}

/// The plaintext of a record sealed by [`seal_record`] under `key`.
pub fn open_record(sealed: &[u8], key: &[u8; 32]) -> Result<Vec<u8>, RecordError> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(RecordError::TooShort);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), ct)
        .map_err(|_| RecordError::Undecryptable)
}

/// What a wrapped record key is bound to: the vault contract, the record and its holder.
pub fn key_header(vault: &str, token_id: &str, holder: &str) -> Vec<u8> {
    format!("bithive-record-key-v1|{vault}|{token_id}|{holder}").into_bytes()
}

/// What an owner's wallet signs to derive its record keys in `vault` on `chain_id`.
pub fn owner_key_text(chain_id: &str, vault: &str) -> String {
    format!(
        "BitHive data vault {vault} on {chain_id}: derive the keys of my records. Sign this only \
         in a BitHive client: this signature opens every record you stored in this vault."
    )
}

/// The owner's master record key from its signature of [`owner_key_text`].
pub fn owner_master_key(signature: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
    use sha2::{Digest, Sha256};
    zeroize::Zeroizing::new(
        Sha256::new()
            .chain_update(b"bithive-record-master-v1")
            .chain_update(signature)
            .finalize()
            .into(),
    )
}

/// The account's reading key in this vault (an X25519 private key), from the same signature of
/// [`owner_key_text`]: an owner seals a record's key to its public half (a grant), and a reader
/// whose keys live in a browser wallet opens it with the one signature that also opens its own
/// records. Domain-separated from the master key, so neither reveals the other.
pub fn reader_private_key(signature: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
    use sha2::{Digest, Sha256};
    zeroize::Zeroizing::new(
        Sha256::new()
            .chain_update(b"bithive-record-reader-v1")
            .chain_update(signature)
            .finalize()
            .into(),
    )
}

/// The key of the owner's record sealed with `nonce` (HKDF-SHA256 from the master key).
fn owner_record_key(master: &[u8; 32], nonce: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, master)
        .expand_multi_info(&[b"bithive-record-key-v1", nonce], key.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    key
}

/// Encrypts `plaintext` for its owner: under the key derived from `master` and a fresh nonce.
/// Returns the sealed record and its key (for grants).
pub fn seal_owner_record(
    plaintext: &[u8],
    master: &[u8; 32],
) -> Result<(Vec<u8>, zeroize::Zeroizing<[u8; 32]>), RecordError> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let key = owner_record_key(master, &nonce);
    let ct = XChaCha20Poly1305::new(key.as_slice().into())
        .encrypt(&nonce, plaintext)
        .map_err(|_| RecordError::Encrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok((out, key))
}

/// The key of an owner's record sealed by [`seal_owner_record`] (read from its nonce).
pub fn owner_record_key_of(
    sealed: &[u8],
    master: &[u8; 32],
) -> Result<zeroize::Zeroizing<[u8; 32]>, RecordError> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(RecordError::TooShort);
    }
    Ok(owner_record_key(master, &sealed[..NONCE_LEN]))
}

/// The integer value of top-level key `field` of a record's JSON plaintext; `None` when the
/// record is not a JSON object or has no such integer.
pub fn field_value(plaintext: &[u8], field: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(plaintext).ok()?;
    v.as_object()?.get(field)?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key text Keplr signed in testing/wallet-vectors (its own signing code; the signature
    /// is checked equal to ours in packages/payfi-voucher/tests/keplr_vectors.rs): the text is
    /// ours, so a Keplr user's records open with the keys `bithive vault` derives.
    #[test]
    fn the_owner_key_text_is_the_one_keplr_signed() {
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../../../testing/wallet-vectors/keplr-adr36.json"
        ))
        .unwrap();
        let case = v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "vault_owner_key")
            .unwrap();
        assert_eq!(
            owner_key_text("bithive-devnet-1", v["vault"].as_str().unwrap()),
            case["text"].as_str().unwrap()
        );
    }

    #[test]
    fn a_record_opens_with_its_key_only() {
        let (sealed, key) = seal_record(br#"{"hba1c_mmol_mol":54}"#).unwrap();
        assert_eq!(
            open_record(&sealed, &key).unwrap(),
            br#"{"hba1c_mmol_mol":54}"#
        );
        let (_, other) = seal_record(b"x").unwrap();
        assert_eq!(
            open_record(&sealed, &other),
            Err(RecordError::Undecryptable)
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open_record(&altered, &key), Err(RecordError::Undecryptable));
        assert_eq!(open_record(&sealed[..30], &key), Err(RecordError::TooShort));
    }

    #[test]
    fn an_owners_record_opens_with_the_key_its_signature_derives_only() {
        let master = owner_master_key(b"the owner's signature");
        let (sealed, key) = seal_owner_record(b"{\"ldl\":3}", &master).unwrap();
        let derived = owner_record_key_of(&sealed, &master).unwrap();
        assert_eq!(*derived, *key);
        assert_eq!(open_record(&sealed, &derived).unwrap(), b"{\"ldl\":3}");
        // Another signature (another owner, another vault's text) derives another key; each
        // record has its own key.
        let other = owner_master_key(b"someone else's signature");
        let wrong = owner_record_key_of(&sealed, &other).unwrap();
        assert_eq!(
            open_record(&sealed, &wrong),
            Err(RecordError::Undecryptable)
        );
        let (second, _) = seal_owner_record(b"{}", &master).unwrap();
        assert_ne!(*owner_record_key_of(&second, &master).unwrap(), *key);
        assert_eq!(
            owner_record_key_of(&sealed[..20], &master),
            Err(RecordError::TooShort)
        );
        assert_ne!(owner_key_text("c", "v1"), owner_key_text("c", "v2"));
        assert_ne!(owner_key_text("c1", "v"), owner_key_text("c2", "v"));
    }

    #[test]
    fn headers_name_vault_record_and_holder() {
        assert_ne!(key_header("v", "1", "a"), key_header("v", "2", "a"));
        assert_ne!(key_header("v", "1", "a"), key_header("v", "1", "b"));
        assert_ne!(key_header("v", "1", "a"), key_header("w", "1", "a"));
    }

    #[test]
    fn fields_are_top_level_integers() {
        let r = br#"{"hba1c_mmol_mol":54,"note":"x","ratio":1.5,"nested":{"a":1}}"#;
        assert_eq!(field_value(r, "hba1c_mmol_mol"), Some(54));
        assert_eq!(field_value(r, "note"), None);
        assert_eq!(field_value(r, "ratio"), None);
        assert_eq!(field_value(r, "a"), None);
        assert_eq!(field_value(b"[1,2]", "a"), None);
        assert_eq!(field_value(b"not json", "a"), None);
    }
}
