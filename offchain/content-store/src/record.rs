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

/// The integer value of top-level key `field` of a record's JSON plaintext; `None` when the
/// record is not a JSON object or has no such integer.
pub fn field_value(plaintext: &[u8], field: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(plaintext).ok()?;
    v.as_object()?.get(field)?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

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
