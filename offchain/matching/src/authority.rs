//! The DGKBE key authority: its own party, with its own secret, apart from the matching node
//! (docs/ROLES.md). It sets up an instance over the enrolled slots, publishes the public
//! parameters and the encryption key (what researchers encrypt with and recipients check
//! against), and hands each enrolled user its key. It never sees a request, S_i, a ciphertext or
//! any detail; the matching node never holds its seed.

use std::path::Path;

use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::{DgkbeError, RoaringBitmap, ServerSecret};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::seed::SecretSeed;

#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error(transparent)]
    File(#[from] bithive_secret_file::SecretFileError),
    #[error("random seed: {0}")]
    Random(String),
    #[error("DGKBE: {0}")]
    Dgkbe(#[from] DgkbeError),
}

/// The authority's seed (file mode 0600, JSON `{"dgkbe_seed": hex}`); alpha and gamma of each
/// instance are derived from it, so a restart re-derives the same keys.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAuthoritySecret {
    dgkbe_seed: SecretSeed,
}

/// A published instance: public parameters and encryption key (both public), as bytes.
pub struct Published {
    pub params: Vec<u8>,
    pub encryption_key: Vec<u8>,
}

impl KeyAuthoritySecret {
    pub fn generate() -> Result<Self, AuthorityError> {
        let dgkbe_seed = SecretSeed::random().map_err(AuthorityError::Random)?;
        Ok(Self { dgkbe_seed })
    }

    /// Writes the file with mode 0600; an existing file is never overwritten.
    pub fn save(&self, path: &Path) -> Result<(), AuthorityError> {
        Ok(bithive_secret_file::create_new_json(path, self)?)
    }

    /// Reads the file; refused when group or others can access it. The content is never echoed.
    pub fn load(path: &Path) -> Result<Self, AuthorityError> {
        Ok(bithive_secret_file::read_json(
            path,
            "a key authority secret file (dgkbe_seed)",
        )?)
    }

    /// The instance over slots 1..=n for epoch `epoch`, S0 = `enrolled`.
    pub fn instance(
        &self,
        n: u32,
        enrolled: &RoaringBitmap,
        epoch: u64,
    ) -> Result<KeyAuthority, AuthorityError> {
        let mut seed = self.dgkbe_seed.0;
        seed[..8]
            .iter_mut()
            .zip(epoch.to_be_bytes())
            .for_each(|(s, e)| *s ^= e);
        let secret = ServerSecret::setup(n, enrolled, epoch, &mut ChaCha20Rng::from_seed(seed))?;
        seed.zeroize();
        Ok(KeyAuthority { secret })
    }
}

/// One keyed instance of the authority.
pub struct KeyAuthority {
    secret: ServerSecret,
}

impl KeyAuthority {
    pub fn public_params(&self) -> BgwPublicParams {
        self.secret.bgw_public_params()
    }

    pub fn encryption_key(&self) -> BgwEncryptionKey {
        self.secret.bgw_encryption_key()
    }

    /// What the authority publishes for researchers and user devices.
    pub fn publish(&self) -> Published {
        Published {
            params: self.public_params().to_bytes(),
            encryption_key: self.encryption_key().to_bytes(),
        }
    }

    /// The key of enrolled user `i` (refused for a slot not enrolled in S0).
    pub fn user_key(&self, i: u32) -> Result<BgwUserKey, AuthorityError> {
        if !self.secret.s0().contains(i) {
            return Err(DgkbeError::IndexOutOfRange(i).into());
        }
        Ok(self.secret.bgw_extract(i)?)
    }
}
