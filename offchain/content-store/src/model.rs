//! Sealed models (issue #23, theft protection): what a model registry's `content_id` names. The
//! model's owner encrypts the manifest and the ONNX file under a fresh content key and delivers
//! that key, with BGW broadcast encryption (`bithive-dgkbe`), to exactly the nodes allowed to run
//! it. A node opens it in memory; the plaintext never touches a disk. When the allowed set
//! changes the owner seals again: a new content key to the new set, a new content id.
//!
//! ```text
//! header = "BHMODEL" || version (1) || name (u16 length) || recipients (u32 length, roaring)
//!          || key (u32 length, BGW ciphertext of the 32-byte content key, AAD = the bytes
//!             before it)
//! body   = nonce (24) || XChaCha20-Poly1305(content key, manifest (u32 length) || onnx),
//!          AAD = the whole header
//! ```
//!
//! Opening refuses, before deriving any key, a model of another name than the one asked for and
//! a node whose BGW index is not among the recipients (and BGW refuses a key-header that was not
//! made for them). A bundle altered anywhere fails authentication; the node then checks the ONNX
//! against the registry's sha256 itself.

use bithive_dgkbe::bgw::{BgwCiphertext, BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::{DgkbeError, RoaringBitmap};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

const MAGIC: &[u8; 7] = b"BHMODEL";
/// Version of the sealed-model encoding.
pub const SEALED_MODEL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
/// Longest model name the header carries (the registry allows 64).
pub const MAX_NAME_BYTES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SealedModelError {
    #[error("not a sealed model: {0}")]
    Malformed(&'static str),
    #[error("sealed model version {0} is not supported (this build reads {SEALED_MODEL_VERSION})")]
    Version(u8),
    #[error("the sealed model is {found:?}, not {expected:?}")]
    WrongModel { expected: String, found: String },
    #[error("this node (BGW index {index}) is not among the model's {count} recipients")]
    NotRecipient { index: u32, count: u64 },
    #[error("the content key does not open for this node: {0}")]
    Key(DgkbeError),
    #[error("the model does not decrypt under its content key (altered bytes)")]
    Body,
    #[error("sealing: {0}")]
    Seal(String),
}

/// A model's two files, in memory (the ONNX zeroized on drop).
pub struct ModelFiles {
    pub manifest: String,
    pub onnx: Zeroizing<Vec<u8>>,
}

/// The public part of a sealed model: who may open it.
#[derive(Clone, Debug, PartialEq)]
pub struct SealedHeader {
    pub name: String,
    pub recipients: RoaringBitmap,
}

/// Seals `files` of model `name` to the BGW indices in `recipients` (the nodes allowed to run
/// it), under a fresh content key.
pub fn seal_model(
    name: &str,
    files: &ModelFiles,
    recipients: &RoaringBitmap,
    ek: &BgwEncryptionKey,
    pp: &BgwPublicParams,
) -> Result<Vec<u8>, SealedModelError> {
    let manifest_len = u32::try_from(files.manifest.len())
        .map_err(|_| SealedModelError::Seal("manifest too long".into()))?;
    let mut plain = Zeroizing::new(Vec::with_capacity(
        4 + files.manifest.len() + files.onnx.len(),
    ));
    plain.extend_from_slice(&manifest_len.to_be_bytes());
    plain.extend_from_slice(files.manifest.as_bytes());
    plain.extend_from_slice(&files.onnx);
    seal_bytes(MAGIC, name, &plain, recipients, ek, pp)
}

/// The sealed format with `magic`: `name` and `recipients` in the clear header, `plain` in the
/// body under a fresh content key BGW-encrypted to `recipients`.
pub(crate) fn seal_bytes(
    magic: &[u8; 7],
    name: &str,
    plain: &[u8],
    recipients: &RoaringBitmap,
    ek: &BgwEncryptionKey,
    pp: &BgwPublicParams,
) -> Result<Vec<u8>, SealedModelError> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(SealedModelError::Seal(format!(
            "name must be 1 to {MAX_NAME_BYTES} bytes"
        )));
    }
    let mut out = prefix(magic, name, recipients)?;
    let content_key: Zeroizing<[u8; 32]> =
        Zeroizing::new(XChaCha20Poly1305::generate_key(&mut OsRng).into());
    let (header, session) = ek
        .encapsulate(pp, recipients, &mut OsRng)
        .map_err(|e| SealedModelError::Seal(e.to_string()))?;
    let wrapped = session
        .seal_bgw(header, content_key.as_slice(), &out)
        .map_err(|e| SealedModelError::Seal(e.to_string()))?
        .to_bytes();
    put_len32(&mut out, wrapped.len())?;
    out.extend_from_slice(&wrapped);
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let body = XChaCha20Poly1305::new(content_key.as_slice().into())
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: &out,
            },
        )
        .map_err(|_| SealedModelError::Seal("encryption".into()))?;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads who a sealed model is for, without any key.
pub fn sealed_header(bytes: &[u8]) -> Result<SealedHeader, SealedModelError> {
    parse_header(MAGIC, bytes)
}

/// The clear header of a sealed file with `magic`.
pub(crate) fn parse_header(
    magic: &[u8; 7],
    bytes: &[u8],
) -> Result<SealedHeader, SealedModelError> {
    Ok(parse(magic, bytes)?.header)
}

/// Opens a sealed model named `name` with this node's BGW key, in memory. Refuses another
/// model's bundle and a node outside the recipients before any key is derived.
pub fn open_model(
    bytes: &[u8],
    name: &str,
    key: &mut BgwUserKey,
    pp: &BgwPublicParams,
) -> Result<ModelFiles, SealedModelError> {
    let plain = open_bytes(MAGIC, bytes, name, key, pp)?;
    let (len, rest) = plain
        .split_first_chunk::<4>()
        .ok_or(SealedModelError::Malformed("body"))?;
    let len = u32::from_be_bytes(*len) as usize;
    if rest.len() < len {
        return Err(SealedModelError::Malformed("manifest length"));
    }
    let manifest = std::str::from_utf8(&rest[..len])
        .map_err(|_| SealedModelError::Malformed("manifest is not UTF-8"))?
        .to_string();
    Ok(ModelFiles {
        manifest,
        onnx: Zeroizing::new(rest[len..].to_vec()),
    })
}

/// Opens the sealed format with `magic` named `name`: the body's plaintext, in memory.
pub(crate) fn open_bytes(
    magic: &[u8; 7],
    bytes: &[u8],
    name: &str,
    key: &mut BgwUserKey,
    pp: &BgwPublicParams,
) -> Result<Zeroizing<Vec<u8>>, SealedModelError> {
    let p = parse(magic, bytes)?;
    if p.header.name != name {
        return Err(SealedModelError::WrongModel {
            expected: name.into(),
            found: p.header.name,
        });
    }
    if !p.header.recipients.contains(key.index()) {
        return Err(SealedModelError::NotRecipient {
            index: key.index(),
            count: p.header.recipients.len(),
        });
    }
    let wrapped = BgwCiphertext::from_bytes(p.wrapped).map_err(SealedModelError::Key)?;
    let (content_key, _) = key
        .decrypt(pp, &p.header.recipients, &wrapped, p.key_aad)
        .map_err(SealedModelError::Key)?;
    let content_key = Zeroizing::new(content_key);
    if content_key.len() != 32 || p.body.len() < NONCE_LEN {
        return Err(SealedModelError::Malformed("content key or body length"));
    }
    let (nonce, ct) = p.body.split_at(NONCE_LEN);
    Ok(Zeroizing::new(
        XChaCha20Poly1305::new(content_key.as_slice().into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: p.body_aad,
                },
            )
            .map_err(|_| SealedModelError::Body)?,
    ))
}

fn prefix(
    magic: &[u8; 7],
    name: &str,
    recipients: &RoaringBitmap,
) -> Result<Vec<u8>, SealedModelError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(magic);
    out.push(SEALED_MODEL_VERSION);
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    let mut set = Vec::with_capacity(recipients.serialized_size());
    recipients
        .serialize_into(&mut set)
        .map_err(|e| SealedModelError::Seal(e.to_string()))?;
    put_len32(&mut out, set.len())?;
    out.extend_from_slice(&set);
    Ok(out)
}

fn put_len32(out: &mut Vec<u8>, len: usize) -> Result<(), SealedModelError> {
    let len = u32::try_from(len).map_err(|_| SealedModelError::Seal("part too long".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

struct Parsed<'a> {
    header: SealedHeader,
    /// What the wrapped key is bound to (magic .. recipients).
    key_aad: &'a [u8],
    wrapped: &'a [u8],
    /// What the body is bound to (the whole header).
    body_aad: &'a [u8],
    body: &'a [u8],
}

fn parse<'a>(magic: &[u8; 7], bytes: &'a [u8]) -> Result<Parsed<'a>, SealedModelError> {
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize| -> Result<&[u8], SealedModelError> {
        let end = at
            .checked_add(n)
            .filter(|&e| e <= bytes.len())
            .ok_or(SealedModelError::Malformed("truncated"))?;
        let s = &bytes[*at..end];
        *at = end;
        Ok(s)
    };
    if take(&mut at, magic.len())? != magic {
        return Err(SealedModelError::Malformed("magic"));
    }
    let version = take(&mut at, 1)?[0];
    if version != SEALED_MODEL_VERSION {
        return Err(SealedModelError::Version(version));
    }
    let name_len = u16::from_be_bytes(take(&mut at, 2)?.try_into().expect("2 bytes")) as usize;
    if name_len == 0 || name_len > MAX_NAME_BYTES {
        return Err(SealedModelError::Malformed("name length"));
    }
    let name = std::str::from_utf8(take(&mut at, name_len)?)
        .map_err(|_| SealedModelError::Malformed("name is not UTF-8"))?
        .to_string();
    let set_len = u32::from_be_bytes(take(&mut at, 4)?.try_into().expect("4 bytes")) as usize;
    let recipients = RoaringBitmap::deserialize_from(take(&mut at, set_len)?)
        .map_err(|_| SealedModelError::Malformed("recipients"))?;
    if recipients.is_empty() {
        return Err(SealedModelError::Malformed("no recipients"));
    }
    let key_aad_end = at;
    let wrapped_len = u32::from_be_bytes(take(&mut at, 4)?.try_into().expect("4 bytes")) as usize;
    let wrapped = take(&mut at, wrapped_len)?;
    Ok(Parsed {
        header: SealedHeader { name, recipients },
        key_aad: &bytes[..key_aad_end],
        wrapped,
        body_aad: &bytes[..at],
        body: &bytes[at..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_dgkbe::ServerSecret;
    use rand_chacha::rand_core::SeedableRng;

    struct Authority {
        secret: ServerSecret,
        pp: BgwPublicParams,
        ek: BgwEncryptionKey,
    }

    fn authority(n: u32) -> Authority {
        let all: RoaringBitmap = (1..=n).collect();
        let secret =
            ServerSecret::setup(n, &all, 0, &mut rand_chacha::ChaCha20Rng::seed_from_u64(7))
                .unwrap();
        let pp = secret.bgw_public_params();
        let ek = secret.bgw_encryption_key();
        Authority { secret, pp, ek }
    }

    fn files() -> ModelFiles {
        ModelFiles {
            manifest: "name = \"bc_logreg\"\n".into(),
            onnx: Zeroizing::new((0..5000u32).map(|i| (i % 251) as u8).collect()),
        }
    }

    fn set(ix: &[u32]) -> RoaringBitmap {
        ix.iter().copied().collect()
    }

    #[test]
    fn a_recipient_opens_it_in_memory() {
        let a = authority(8);
        let sealed = seal_model("bc_logreg", &files(), &set(&[1, 3]), &a.ek, &a.pp).unwrap();
        assert_eq!(
            sealed_header(&sealed).unwrap(),
            SealedHeader {
                name: "bc_logreg".into(),
                recipients: set(&[1, 3])
            }
        );
        for i in [1, 3] {
            let mut key = a.secret.bgw_extract(i).unwrap();
            let opened = open_model(&sealed, "bc_logreg", &mut key, &a.pp).unwrap();
            assert_eq!(opened.manifest, files().manifest);
            assert_eq!(*opened.onnx, *files().onnx);
        }
        // The plaintext is not in the bundle.
        let onnx = files().onnx;
        assert!(!sealed.windows(64).any(|w| w == &onnx[100..164]));
    }

    #[test]
    fn a_node_outside_the_set_is_refused_before_any_key() {
        let a = authority(8);
        let sealed = seal_model("bc_logreg", &files(), &set(&[1, 3]), &a.ek, &a.pp).unwrap();
        let mut key = a.secret.bgw_extract(2).unwrap();
        assert!(matches!(
            open_model(&sealed, "bc_logreg", &mut key, &a.pp),
            Err(SealedModelError::NotRecipient { index: 2, count: 2 })
        ));
        // Claiming a larger set in the header does not let it in: BGW checks the key header
        // against the set, and the set is bound into both AADs.
        let mut forged = seal_model("bc_logreg", &files(), &set(&[1, 3]), &a.ek, &a.pp).unwrap();
        let original = set(&[1, 3]);
        let mut bigger = Vec::new();
        set(&[1, 2, 3]).serialize_into(&mut bigger).unwrap();
        let mut small = Vec::new();
        original.serialize_into(&mut small).unwrap();
        assert_eq!(bigger.len(), small.len() + 2);
        let start = MAGIC.len() + 1 + 2 + "bc_logreg".len();
        forged.splice(
            start..start + 4 + small.len(),
            [(bigger.len() as u32).to_be_bytes().to_vec(), bigger].concat(),
        );
        assert!(matches!(
            open_model(&forged, "bc_logreg", &mut key, &a.pp),
            Err(SealedModelError::Key(_))
        ));
    }

    #[test]
    fn re_keying_for_a_new_set_shuts_out_a_removed_node() {
        let a = authority(8);
        let before = seal_model("bc_logreg", &files(), &set(&[1, 2]), &a.ek, &a.pp).unwrap();
        let after = seal_model("bc_logreg", &files(), &set(&[1, 4]), &a.ek, &a.pp).unwrap();
        assert_ne!(before, after, "a fresh content key and header each time");
        let mut removed = a.secret.bgw_extract(2).unwrap();
        assert!(open_model(&before, "bc_logreg", &mut removed, &a.pp).is_ok());
        assert!(matches!(
            open_model(&after, "bc_logreg", &mut removed, &a.pp),
            Err(SealedModelError::NotRecipient { .. })
        ));
        let mut added = a.secret.bgw_extract(4).unwrap();
        assert!(open_model(&after, "bc_logreg", &mut added, &a.pp).is_ok());
    }

    #[test]
    fn altered_bytes_and_another_models_bundle_are_refused() {
        let a = authority(8);
        let sealed = seal_model("bc_logreg", &files(), &set(&[1]), &a.ek, &a.pp).unwrap();
        let mut key = a.secret.bgw_extract(1).unwrap();
        let mut body = sealed.clone();
        let last = body.len() - 1;
        body[last] ^= 1;
        assert!(matches!(
            open_model(&body, "bc_logreg", &mut key, &a.pp),
            Err(SealedModelError::Body)
        ));
        assert!(matches!(
            open_model(&sealed, "bc_gbt", &mut key, &a.pp),
            Err(SealedModelError::WrongModel { .. })
        ));
        // Every single-byte change anywhere is refused, never a different model.
        for i in (0..sealed.len()).step_by(97) {
            let mut b = sealed.clone();
            b[i] ^= 0x40;
            assert!(
                open_model(&b, "bc_logreg", &mut key, &a.pp).is_err(),
                "byte {i}"
            );
        }
        assert!(open_model(&sealed[..sealed.len() / 2], "bc_logreg", &mut key, &a.pp).is_err());
        assert!(sealed_header(b"BHMODEL").is_err());
    }

    /// One authority and one sealed model for every property case (setting up BGW is the slow
    /// part, not what is tested).
    static SHARED: std::sync::LazyLock<(Authority, Vec<u8>)> = std::sync::LazyLock::new(|| {
        let a = authority(4);
        let sealed = seal_model("bc_logreg", &files(), &set(&[1]), &a.ek, &a.pp).unwrap();
        (a, sealed)
    });

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The decoder takes untrusted bytes: any input is an error or a header, never a panic,
        /// and never opens as a model.
        #[test]
        fn arbitrary_bytes_never_panic_or_open(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            with_magic in proptest::prelude::any::<bool>(),
        ) {
            let (a, _) = &*SHARED;
            let mut key = a.secret.bgw_extract(1).unwrap();
            let mut input = if with_magic { [&MAGIC[..], &[SEALED_MODEL_VERSION]].concat() } else { vec![] };
            input.extend_from_slice(&bytes);
            let _ = sealed_header(&input);
            proptest::prop_assert!(open_model(&input, "bc_logreg", &mut key, &a.pp).is_err());
        }

        /// Any change to a sealed model (one byte flipped, or cut short) is refused.
        #[test]
        fn any_change_to_a_sealed_model_is_refused(at in 0usize..10_000, flip in 1u8..=255, cut in proptest::prelude::any::<bool>()) {
            let (a, sealed) = &*SHARED;
            let mut key = a.secret.bgw_extract(1).unwrap();
            let i = at % sealed.len();
            let changed = if cut { sealed[..i].to_vec() } else {
                let mut b = sealed.clone();
                b[i] ^= flip;
                b
            };
            proptest::prop_assert!(open_model(&changed, "bc_logreg", &mut key, &a.pp).is_err());
        }
    }
}
