//! The blinding service as a network service (docs/ROLES.md, step 2): its secret file, the
//! HTTP API's JSON bodies, and the descriptor a web app reads to find the services a
//! research request needs. The server itself is `bithive blinding serve` (cli/src/blinding.rs);
//! the browser's side is `bithive-browser`'s `OprfBatch` and `ResearchBatch`.

use std::path::Path;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::client::BlindingService;
use crate::group::Blinded;
use crate::seed::SecretSeed;

/// Most points one OPRF call may carry (a request's clause tokens, or a profile's tokens).
pub const MAX_OPRF_POINTS: usize = 256;

/// The blinding service's secret (file mode 0600): the seed of its OPRF key a. Every tag the
/// matching node holds was blinded under this key, so it must survive restarts unchanged.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlindingSecret {
    service_seed: SecretSeed,
}

#[derive(Debug, thiserror::Error)]
pub enum BlindingSecretError {
    #[error("no randomness: {0}")]
    Random(String),
    #[error(transparent)]
    File(#[from] bithive_secret_file::SecretFileError),
}

impl BlindingSecret {
    pub fn generate() -> Result<Self, BlindingSecretError> {
        let service_seed = SecretSeed::random().map_err(BlindingSecretError::Random)?;
        Ok(Self { service_seed })
    }

    /// Writes the file with mode 0600; an existing file is never overwritten.
    pub fn save(&self, path: &Path) -> Result<(), BlindingSecretError> {
        Ok(bithive_secret_file::create_new_json(path, self)?)
    }

    /// Reads the file; refused when group or others can access it. The content is never echoed.
    pub fn load(path: &Path) -> Result<Self, BlindingSecretError> {
        Ok(bithive_secret_file::read_json(
            path,
            "a blinding service secret file (service_seed)",
        )?)
    }

    /// The service whose key this seed derives (the same key on every load).
    pub fn service(&self) -> BlindingService {
        BlindingService::new(&mut ChaCha20Rng::from_seed(self.service_seed.0))
    }
}

/// `POST /v1/oprf` request and answer: hex of 32-byte Ristretto255 points, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OprfPoints {
    pub points: Vec<String>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OprfInputError {
    #[error("no points")]
    Empty,
    #[error("{got} points; at most {max} per call")]
    TooMany { got: usize, max: usize },
    #[error("point {index} is not 64 hex characters")]
    Hex { index: usize },
}

impl OprfPoints {
    pub fn encode(points: &[Blinded]) -> Self {
        Self {
            points: points.iter().map(hex::encode).collect(),
        }
    }

    /// The points, checked for count and shape (validity as group elements is checked when
    /// the key is applied).
    pub fn decode(&self) -> Result<Vec<Blinded>, OprfInputError> {
        if self.points.is_empty() {
            return Err(OprfInputError::Empty);
        }
        if self.points.len() > MAX_OPRF_POINTS {
            return Err(OprfInputError::TooMany {
                got: self.points.len(),
                max: MAX_OPRF_POINTS,
            });
        }
        self.points
            .iter()
            .enumerate()
            .map(|(index, p)| {
                let mut b = [0u8; 32];
                hex::decode_to_slice(p, &mut b).map_err(|_| OprfInputError::Hex { index })?;
                Ok(b)
            })
            .collect()
    }
}

/// An error answer of the blinding service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceError {
    pub error: String,
}

/// Where a researcher's client finds the services a research request needs (served by
/// `bithive web` as `/research.json`): the blinding service, the matching node the request is
/// sealed to (its chain address is the escrow job's node) and the token vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResearchService {
    pub chain_id: String,
    /// Base URL of the blinding service (`http://` or `https://`, no trailing slash).
    pub blinding_url: String,
    pub matching_node: MatchingNodeContact,
    /// Most tokens one request may have (one OPRF call).
    pub max_tokens: usize,
    /// The exact attributes users enrolled with: each request clause is an OR over values of
    /// one field (`name=value` tokens).
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingNodeContact {
    /// The node's chain account (the escrow job's `node`: only it can be paid for the job).
    pub address: String,
    /// Hex of its BitChat Noise static key: the request is sealed to it.
    pub noise_pubkey: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub values: Vec<String>,
    /// What each value means, in plain words, one per value in the same order (a researcher picks
    /// "Asthma", not `C02`); empty when the values say it themselves. Only shown: the tokens
    /// blinded are `name=value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

impl ResearchService {
    /// The origin (`scheme://host[:port]`) of the blinding service, for a page's
    /// `connect-src`; None when the URL is not plain `http(s)://authority[/path]`.
    pub fn blinding_origin(&self) -> Option<String> {
        let (scheme, rest) = self.blinding_url.split_once("://")?;
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority = rest.split('/').next()?;
        let ok = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        ok.then(|| format!("{scheme}://{authority}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::hash_token;

    #[test]
    fn the_secret_file_round_trips_to_the_same_key_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blinding-secret.json");
        let s = BlindingSecret::generate().unwrap();
        s.save(&path).unwrap();
        let t = BlindingSecret::load(&path).unwrap();
        let p = hash_token("cond=C03");
        let blinded = [p.compress().to_bytes()];
        assert_eq!(
            s.service().evaluate(&blinded).unwrap(),
            t.service().evaluate(&blinded).unwrap()
        );
        assert!(BlindingSecret::generate().unwrap().save(&path).is_err());
    }

    #[test]
    fn oprf_bodies_are_checked_for_count_and_shape() {
        let ok = OprfPoints::encode(&[[1u8; 32], [2u8; 32]]);
        assert_eq!(ok.decode().unwrap(), vec![[1u8; 32], [2u8; 32]]);
        assert_eq!(
            OprfPoints { points: vec![] }.decode(),
            Err(OprfInputError::Empty)
        );
        let many = OprfPoints::encode(&vec![[0u8; 32]; MAX_OPRF_POINTS + 1]);
        assert!(matches!(many.decode(), Err(OprfInputError::TooMany { .. })));
        for bad in ["zz".repeat(32), "ab".repeat(31), "ab".repeat(33)] {
            let body = OprfPoints {
                points: vec![hex::encode([0u8; 32]), bad],
            };
            assert_eq!(body.decode(), Err(OprfInputError::Hex { index: 1 }));
        }
    }

    #[test]
    fn the_blinding_origin_is_scheme_and_authority_only() {
        let mut s = ResearchService {
            chain_id: "c".into(),
            blinding_url: "http://127.0.0.1:4000/x".into(),
            matching_node: MatchingNodeContact {
                address: "a".into(),
                noise_pubkey: "00".into(),
            },
            max_tokens: 256,
            fields: vec![],
        };
        assert_eq!(
            s.blinding_origin().as_deref(),
            Some("http://127.0.0.1:4000")
        );
        for bad in [
            "ftp://x",
            "http://",
            "http://a b",
            "javascript:alert(1)",
            "http://x;script-src *",
        ] {
            s.blinding_url = bad.into();
            assert_eq!(s.blinding_origin(), None, "{bad}");
        }
    }
}
