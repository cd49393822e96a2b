//! A patient's records in the browser (the web app's My records screen): the same sealed format
//! and keys as `bithive vault`, so a record put in the page is read by `bithive vault get` with
//! the same account, and the other way round.
//!
//! The page holds no key of its own. The owner's wallet signs
//! [`owner_key_text`](bithive_content_store::record::owner_key_text) once per session (ADR-36,
//! deterministic for secp256k1: the CLI signs the same bytes and gets the same signature); each
//! record's key is derived from that signature and the record's own nonce. A grant seals the
//! record's key to the grantee's BitChat key, bound to the vault, the record and the grantee's
//! account, as `bithive vault grant` does; the grantee opens it with `bithive vault get`, or in
//! its own page when the key was its reading key (derived from the same signature as its own
//! record keys, so a reader whose key lives in a browser wallet can read what is shared with it).

use bithive_content_store::record::{
    key_header, open_record, owner_master_key, owner_record_key_of, reader_private_key,
    seal_owner_record,
};
use sha2::{Digest, Sha256};

/// Largest file the page seals (the server's limit for a record's sealed file is this plus the
/// nonce and tag).
pub const MAX_RECORD_PLAINTEXT: usize = 16 << 20;
/// What sealing adds to a record: the 24-byte nonce and the 16-byte tag.
pub const RECORD_OVERHEAD: usize = 24 + 16;

/// A record sealed in the page: the file to store, its content id and its sha256 (what the
/// vault's mint names).
#[derive(Debug)]
pub struct SealedRecord {
    pub sealed: Vec<u8>,
    pub content_id: String,
    pub sha256_hex: String,
}

/// The 64-byte compact signature a wallet's `signArbitrary` returns (base64-decoded).
fn signature(sig: &[u8]) -> Result<&[u8], String> {
    if sig.len() != 64 {
        return Err(format!(
            "the wallet's signature is {} bytes; a secp256k1 signature is 64",
            sig.len()
        ));
    }
    Ok(sig)
}

/// Encrypts `plaintext` for its owner, whose wallet signed the vault's key text with
/// `owner_signature`.
pub fn seal(owner_signature: &[u8], plaintext: &[u8]) -> Result<SealedRecord, String> {
    if plaintext.is_empty() {
        return Err("the file is empty".into());
    }
    if plaintext.len() > MAX_RECORD_PLAINTEXT {
        return Err(format!(
            "the file is {} bytes; the web app takes at most {MAX_RECORD_PLAINTEXT} (bithive vault put takes larger ones)",
            plaintext.len()
        ));
    }
    let master = owner_master_key(signature(owner_signature)?);
    let (sealed, _key) = seal_owner_record(plaintext, &master).map_err(|e| e.to_string())?;
    Ok(SealedRecord {
        content_id: bithive_content_id::cid_of(&sealed).to_string(),
        sha256_hex: hex::encode(Sha256::digest(&sealed)),
        sealed,
    })
}

/// The plaintext of the owner's record `sealed`, after checking it is the file the vault
/// names (`sha256_hex`). Refuses a file that was altered, is another record, or was sealed by
/// another account.
pub fn open(owner_signature: &[u8], sealed: &[u8], sha256_hex: &str) -> Result<Vec<u8>, String> {
    check_file(sealed, sha256_hex)?;
    let master = owner_master_key(signature(owner_signature)?);
    let key = owner_record_key_of(sealed, &master).map_err(|e| e.to_string())?;
    open_record(sealed, &key).map_err(|_| {
        "this record does not open with your key: it was put by another account or with another wallet".to_string()
    })
}

/// The key of the owner's record `token_id` (the file `sealed`, checked against the vault's
/// `sha256_hex`) sealed to `grantee`'s BitChat key (`grantee_key_hex`, 32 bytes of hex from
/// `bithive vault identity` on its side), bound to `vault`, the record and `grantee`: the
/// grant's `wrapped_key`.
pub fn wrap_key(
    owner_signature: &[u8],
    sealed: &[u8],
    sha256_hex: &str,
    vault: &str,
    token_id: &str,
    grantee: &str,
    grantee_key_hex: &str,
) -> Result<Vec<u8>, String> {
    let mut to = [0u8; 32];
    hex::decode_to_slice(grantee_key_hex.trim(), &mut to).map_err(|_| {
        "the grantee's key is 64 hex characters, from `bithive vault identity` on their side"
            .to_string()
    })?;
    check_file(sealed, sha256_hex)?;
    let master = owner_master_key(signature(owner_signature)?);
    let key = owner_record_key_of(sealed, &master).map_err(|e| e.to_string())?;
    open_record(sealed, &key)
        .map_err(|_| "only a record you put with this account can be shared".to_string())?;
    // A fresh sender key: the grantee reads the key, the chain says who granted it.
    let sender = bithive_bitchat_seal::generate_private_key().map_err(|e| e.to_string())?;
    bithive_bitchat_seal::seal(
        sender.as_ref(),
        &to,
        &key_header(vault, token_id, grantee),
        key.as_slice(),
    )
    .map_err(|e| format!("sealing the record key: {e}"))
}

/// The account's reading key (hex of its X25519 public half), from the same signature that
/// unlocks its own records: what an owner seals a grant's key to (`wrap_key`'s
/// `grantee_key_hex`) for the grantee to read it in the page; `bithive vault reading-key`
/// prints the same.
pub fn reader_key(owner_signature: &[u8]) -> Result<String, String> {
    let private = reader_private_key(signature(owner_signature)?);
    let public = bithive_bitchat_seal::public_key(private.as_ref()).map_err(|e| e.to_string())?;
    Ok(hex::encode(public))
}

/// A record shared with this account, opened in the page: the grant's `wrapped` key opened with
/// the reading key (bound to `vault`, record `token_id` and `grantee`, this account), then the
/// file `sealed`, checked against the vault's `sha256_hex`. Refuses a grant sealed to another
/// key (e.g. to the account's `bithive vault identity`, which only the CLI holds), made for
/// another record or account, or a file that is not the record's.
/// Whether a share's `wrapped` key opens with this account's reading key (bound to `vault`,
/// record `token_id` and `grantee`): checked before the read is logged and paid for, so a share
/// the page cannot open costs nothing. The key itself is dropped.
pub fn check_share(
    owner_signature: &[u8],
    vault: &str,
    token_id: &str,
    grantee: &str,
    wrapped: &[u8],
) -> Result<(), String> {
    unwrap_shared_key(owner_signature, vault, token_id, grantee, wrapped).map(drop)
}

fn unwrap_shared_key(
    owner_signature: &[u8],
    vault: &str,
    token_id: &str,
    grantee: &str,
    wrapped: &[u8],
) -> Result<bithive_bitchat_seal::Zeroizing<[u8; 32]>, String> {
    let private = reader_private_key(signature(owner_signature)?);
    let (_, key) = bithive_bitchat_seal::open(
        private.as_ref(),
        &key_header(vault, token_id, grantee),
        wrapped,
    )
    .map_err(|_| {
        "this share was not sealed to your reading key for this record: it may have been made for \
         your `bithive vault identity` key (read it with `bithive vault get`)"
            .to_string()
    })?;
    let key = bithive_bitchat_seal::Zeroizing::new(key);
    let key: [u8; 32] = key
        .as_slice()
        .try_into()
        .map_err(|_| "the shared record key is not 32 bytes".to_string())?;
    Ok(bithive_bitchat_seal::Zeroizing::new(key))
}

pub fn open_granted(
    owner_signature: &[u8],
    vault: &str,
    token_id: &str,
    grantee: &str,
    wrapped: &[u8],
    sealed: &[u8],
    sha256_hex: &str,
) -> Result<Vec<u8>, String> {
    check_file(sealed, sha256_hex)?;
    let key = unwrap_shared_key(owner_signature, vault, token_id, grantee, wrapped)?;
    open_record(sealed, &key).map_err(|_| "the record does not open with the shared key".into())
}

fn check_file(sealed: &[u8], sha256_hex: &str) -> Result<(), String> {
    if !hex::encode(Sha256::digest(sealed)).eq_ignore_ascii_case(sha256_hex.trim()) {
        return Err("the stored file is not the one the vault records (sha256 differs)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_content_store::record::owner_key_text;
    use k256::ecdsa::signature::Signer;

    /// What `bithive vault` derives for the same account (its `master_key`): the ADR-36 sign
    /// bytes of the key text signed with the account key.
    fn wallet_signature(secret: &[u8; 32], address: &str, text: &str) -> Vec<u8> {
        let key = k256::ecdsa::SigningKey::from_bytes(secret.into()).unwrap();
        let bytes = bithive_matching::admission::adr36_sign_bytes(address, text.as_bytes());
        let sig: k256::ecdsa::Signature = key.sign(&bytes);
        sig.to_bytes().to_vec()
    }

    #[test]
    fn a_record_sealed_in_the_page_opens_with_the_owners_key_only() {
        let text = owner_key_text("c-1", "vault1");
        let sig = wallet_signature(&[7; 32], "bithive1owner", &text);
        let plain = br#"{"glucose": 92}"#;
        let r = seal(&sig, plain).unwrap();
        assert_eq!(
            r.content_id,
            bithive_content_id::cid_of(&r.sealed).to_string()
        );
        assert_eq!(r.sealed.len(), plain.len() + RECORD_OVERHEAD);
        assert!(!r.sealed.windows(7).any(|w| w == b"glucose"));
        // The CLI's derivation opens it (same signature, same master key).
        let key = owner_record_key_of(&r.sealed, &owner_master_key(&sig)).unwrap();
        assert_eq!(open_record(&r.sealed, &key).unwrap(), plain);
        assert_eq!(open(&sig, &r.sealed, &r.sha256_hex).unwrap(), plain);

        let other = wallet_signature(&[8; 32], "bithive1other", &text);
        assert!(open(&other, &r.sealed, &r.sha256_hex)
            .unwrap_err()
            .contains("another account"));
        let mut altered = r.sealed.clone();
        altered[30] ^= 1;
        assert!(open(&sig, &altered, &r.sha256_hex)
            .unwrap_err()
            .contains("sha256 differs"));
        assert!(seal(&sig[..63], plain).unwrap_err().contains("64"));
        assert!(seal(&sig, b"").is_err());
    }

    #[test]
    fn a_grant_opens_for_its_grantee_and_record_only() {
        let text = owner_key_text("c-1", "vault1");
        let sig = wallet_signature(&[7; 32], "bithive1owner", &text);
        let r = seal(&sig, b"lab report").unwrap();
        let grantee = bithive_bitchat_seal::generate_private_key().unwrap();
        let grantee_pub = hex::encode(bithive_bitchat_seal::public_key(grantee.as_ref()).unwrap());
        let wrapped = wrap_key(
            &sig,
            &r.sealed,
            &r.sha256_hex,
            "vault1",
            "4",
            "bithive1grantee",
            &grantee_pub,
        )
        .unwrap();
        // What `bithive vault get` does as the grantee.
        let header = key_header("vault1", "4", "bithive1grantee");
        let (_, key) = bithive_bitchat_seal::open(grantee.as_ref(), &header, &wrapped).unwrap();
        let key: [u8; 32] = key.as_slice().try_into().unwrap();
        assert_eq!(open_record(&r.sealed, &key).unwrap(), b"lab report");
        // Bound to the record and the grantee: replayed for another, it does not open.
        let other = key_header("vault1", "5", "bithive1grantee");
        assert!(bithive_bitchat_seal::open(grantee.as_ref(), &other, &wrapped).is_err());
        let other = key_header("vault1", "4", "bithive1someone");
        assert!(bithive_bitchat_seal::open(grantee.as_ref(), &other, &wrapped).is_err());
        // Refused before anything is sealed.
        let bad = |sig: &[u8], key: &str| {
            wrap_key(sig, &r.sealed, &r.sha256_hex, "vault1", "4", "g", key).unwrap_err()
        };
        assert!(bad(&sig, "zz").contains("64 hex"));
        let stranger = wallet_signature(&[9; 32], "bithive1x", &text);
        assert!(bad(&stranger, &grantee_pub).contains("only a record you put"));
    }

    #[test]
    fn a_share_to_a_reading_key_opens_in_the_readers_page_only() {
        let text = owner_key_text("c-1", "vault1");
        let owner = wallet_signature(&[7; 32], "bithive1owner", &text);
        let reader = wallet_signature(&[11; 32], "bithive1reader", &text);
        let r = seal(&owner, b"MRI report").unwrap();
        let key = reader_key(&reader).unwrap();
        assert_eq!(key.len(), 64);
        assert_ne!(key, reader_key(&owner).unwrap());
        let wrapped = wrap_key(
            &owner,
            &r.sealed,
            &r.sha256_hex,
            "vault1",
            "4",
            "bithive1reader",
            &key,
        )
        .unwrap();
        let open = |sig: &[u8], token: &str, who: &str, sealed: &[u8]| {
            open_granted(
                sig,
                "vault1",
                token,
                who,
                &wrapped,
                sealed,
                &hex::encode(Sha256::digest(sealed)),
            )
        };
        assert_eq!(
            open(&reader, "4", "bithive1reader", &r.sealed).unwrap(),
            b"MRI report"
        );
        assert!(check_share(&reader, "vault1", "4", "bithive1reader", &wrapped).is_ok());
        assert!(check_share(&owner, "vault1", "4", "bithive1reader", &wrapped).is_err());
        assert!(check_share(&reader, "vault1", "5", "bithive1reader", &wrapped).is_err());
        // Another account's signature, another record or grantee: refused.
        assert!(open(&owner, "4", "bithive1reader", &r.sealed)
            .unwrap_err()
            .contains("not sealed to your reading key"));
        assert!(open(&reader, "5", "bithive1reader", &r.sealed).is_err());
        assert!(open(&reader, "4", "bithive1owner", &r.sealed).is_err());
        // The grant's key on another record's file: refused (sha256 checked, then the AEAD).
        let other = seal(&owner, b"other").unwrap();
        assert!(open(&reader, "4", "bithive1reader", &other.sealed)
            .unwrap_err()
            .contains("does not open"));
        assert!(open_granted(
            &reader,
            "vault1",
            "4",
            "bithive1reader",
            &wrapped,
            &r.sealed,
            &other.sha256_hex
        )
        .unwrap_err()
        .contains("sha256 differs"));
        // The key the CLI derives from the same signature (`bithive vault reading-key`).
        let private = reader_private_key(&reader);
        assert_eq!(
            hex::encode(bithive_bitchat_seal::public_key(private.as_ref()).unwrap()),
            key
        );
    }
}
