//! Sealed job inputs (issue #47): a patient's image is too large for the escrow's 4 KiB `input`
//! and must not be on chain in the clear. The patient seals it to the nodes allowed to run the
//! job's model (BGW, the sealed-model format of [`crate::model`] with magic `BHINPUT`), stores
//! it content-addressed, and puts a [`SealedInputRef`] in the job instead: the content id, the
//! sha256 and length of the plaintext.
//!
//! The sealed file is bound to one job: its clear header names `sha256(job id)` (hex), where
//! the job id is the escrow's `<payer>/<client id>`. A node opens it only for that job, so
//! another account that copies the reference from the chain into a job of its own cannot make a
//! node run (and attest a result on) someone else's image.
//!
//! The node's answer beyond what the chain holds (the explanation of an image result: the whole
//! result with its saliency map) goes back to the patient encrypted under
//! [`explanation_key`]: a key derived from the job id and the input's plaintext, which only the
//! patient and the nodes that opened the input know (the chain holds the input's sha256, not the
//! input). Anyone may fetch the ciphertext; only they open it.

use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::RoaringBitmap;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::model::{open_bytes, seal_bytes, SealedModelError};

const MAGIC: &[u8; 7] = b"BHINPUT";

/// What a sealed input adds to its plaintext at most: magic, version, name, the recipients'
/// bitmap, the wrapped content key, nonce and tag (64 KiB is far above any of them together).
/// A node never reads more than a reference's claimed length plus this; a store that takes
/// uploads refuses a file above its input limit plus this.
pub const SEALED_INPUT_OVERHEAD: u64 = 64 << 10;

/// What a job's `input` holds for a sealed input: JSON `{"sealed_input": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedInputRef {
    /// Content id of the sealed file.
    pub cid: String,
    /// sha256 (lowercase hex) of the plaintext input: what the result's input hash is.
    pub sha256: String,
    /// Length of the plaintext input in bytes.
    pub bytes: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    sealed_input: SealedInputRef,
}

impl SealedInputRef {
    /// The job `input` bytes: `{"sealed_input":{"cid":..,"sha256":..,"bytes":..}}`.
    pub fn to_job_input(&self) -> Vec<u8> {
        serde_json::to_vec(&Envelope {
            sealed_input: self.clone(),
        })
        .expect("plain struct serializes")
    }

    /// The reference to `sealed`, the sealed file of `input`: its content id (BitHive's
    /// profile, what every store gives for it), the input's sha256 and length.
    pub fn of(sealed: &[u8], input: &[u8]) -> SealedInputRef {
        SealedInputRef {
            cid: bithive_content_id::cid_of(sealed).to_string(),
            sha256: hex::encode(Sha256::digest(input)),
            bytes: input.len() as u64,
        }
    }

    /// The reference in a job's `input`, when it is one (None for any other input).
    pub fn from_job_input(input: &[u8]) -> Option<SealedInputRef> {
        let e: Envelope = serde_json::from_slice(input).ok()?;
        Some(e.sealed_input)
    }
}

/// Domain tag of [`explanation_key`].
const EXPLANATION_DOMAIN: &[u8] = b"BITHIVE/EXPLANATION-KEY/v1\0";

/// The key an explanation of job `job_id` is sealed under: sha256(domain || u32 length || job id
/// || input plaintext). The chain holds sha256(input), not the input, so only the patient and
/// the nodes that opened the input derive it.
pub fn explanation_key(job_id: &str, input: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(EXPLANATION_DOMAIN);
    h.update((job_id.len() as u32).to_be_bytes());
    h.update(job_id.as_bytes());
    h.update(input);
    Zeroizing::new(h.finalize().into())
}

/// `nonce (24) || XChaCha20-Poly1305(key, plaintext)`, bound to the job's name (AAD).
pub fn seal_explanation(
    key: &[u8; 32],
    job_id: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealedModelError> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let aad = input_name(job_id);
    let ct = XChaCha20Poly1305::new(key.into())
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| SealedModelError::Seal("explanation encryption".into()))?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// Opens an explanation of job `job_id` sealed by [`seal_explanation`].
pub fn open_explanation(
    key: &[u8; 32],
    job_id: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, SealedModelError> {
    if sealed.len() < 24 + 16 {
        return Err(SealedModelError::Malformed("explanation too short"));
    }
    let (nonce, ct) = sealed.split_at(24);
    let aad = input_name(job_id);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| SealedModelError::Body)
}

/// The name a sealed input of job `job_id` (`<payer>/<client id>`) carries, and the name its
/// explanation is published under.
pub fn input_name(job_id: &str) -> String {
    hex::encode(Sha256::digest(job_id.as_bytes()))
}

/// Seals `input` for job `job_id` to `recipients`; returns the sealed file and its reference
/// (without the content id, which the store gives).
pub fn seal_input(
    job_id: &str,
    input: &[u8],
    recipients: &RoaringBitmap,
    ek: &BgwEncryptionKey,
    pp: &BgwPublicParams,
) -> Result<Vec<u8>, SealedModelError> {
    seal_bytes(MAGIC, &input_name(job_id), input, recipients, ek, pp)
}

/// Reads who a sealed input is for and the job name it is bound to, without any key (a store
/// taking uploads checks that a file is one).
pub fn sealed_input_header(bytes: &[u8]) -> Result<crate::model::SealedHeader, SealedModelError> {
    crate::model::parse_header(MAGIC, bytes)
}

/// Opens the sealed input of `reference` for job `job_id` with this node's key, in memory, and
/// checks it against the reference's sha256 and length. Refuses a file sealed for another job
/// and a node outside the recipients before any key is derived.
pub fn open_input(
    sealed: &[u8],
    job_id: &str,
    reference: &SealedInputRef,
    key: &mut BgwUserKey,
    pp: &BgwPublicParams,
) -> Result<Zeroizing<Vec<u8>>, SealedModelError> {
    let plain = open_bytes(MAGIC, sealed, &input_name(job_id), key, pp)?;
    if plain.len() as u64 != reference.bytes
        || !hex::encode(Sha256::digest(plain.as_slice())).eq_ignore_ascii_case(&reference.sha256)
    {
        return Err(SealedModelError::Malformed(
            "the opened input is not the one the job names (sha256 or length)",
        ));
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_dgkbe::ServerSecret;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn a_job_input_opens_for_its_job_only() {
        let all: RoaringBitmap = (1..=4).collect();
        let secret =
            ServerSecret::setup(4, &all, 0, &mut rand_chacha::ChaCha20Rng::seed_from_u64(9))
                .unwrap();
        let (pp, ek) = (secret.bgw_public_params(), secret.bgw_encryption_key());
        let image: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
        let recipients: RoaringBitmap = [1, 2].into_iter().collect();
        let sealed = seal_input("wasm1patient/xray-1", &image, &recipients, &ek, &pp).unwrap();
        assert!(!sealed.windows(64).any(|w| w == &image[500..564]));
        let reference = SealedInputRef {
            cid: "bafy".into(),
            sha256: hex::encode(Sha256::digest(&image)),
            bytes: image.len() as u64,
        };
        let back = SealedInputRef::from_job_input(&reference.to_job_input()).unwrap();
        assert_eq!(back, reference);
        assert!(SealedInputRef::from_job_input(b"[1.0, 2.0]").is_none());
        let mut key = secret.bgw_extract(1).unwrap();
        let opened = open_input(&sealed, "wasm1patient/xray-1", &reference, &mut key, &pp).unwrap();
        assert_eq!(*opened, image);
        // Another payer's job naming the same reference: refused before any key.
        assert!(matches!(
            open_input(&sealed, "wasm1attacker/xray-1", &reference, &mut key, &pp),
            Err(SealedModelError::WrongModel { .. })
        ));
        // A node outside the recipients.
        let mut outsider = secret.bgw_extract(3).unwrap();
        assert!(matches!(
            open_input(
                &sealed,
                "wasm1patient/xray-1",
                &reference,
                &mut outsider,
                &pp
            ),
            Err(SealedModelError::NotRecipient { .. })
        ));
        // A reference whose hash is not the sealed file's content.
        let wrong = SealedInputRef {
            sha256: "00".repeat(32),
            ..reference.clone()
        };
        assert!(open_input(&sealed, "wasm1patient/xray-1", &wrong, &mut key, &pp).is_err());
        // The explanation: opens with the key the patient derives, for this job only.
        let k = explanation_key("wasm1patient/xray-1", &image);
        let e = seal_explanation(&k, "wasm1patient/xray-1", b"{\"label\":\"x\"}").unwrap();
        assert_eq!(
            open_explanation(&k, "wasm1patient/xray-1", &e).unwrap(),
            b"{\"label\":\"x\"}"
        );
        assert!(open_explanation(&k, "wasm1attacker/xray-1", &e).is_err());
        let guessed = explanation_key("wasm1patient/xray-1", reference.sha256.as_bytes());
        assert!(open_explanation(&guessed, "wasm1patient/xray-1", &e).is_err());
        // A sealed model is not a sealed input, and a flipped byte fails authentication.
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            open_input(&flipped, "wasm1patient/xray-1", &reference, &mut key, &pp),
            Err(SealedModelError::Body)
        ));
    }
}
