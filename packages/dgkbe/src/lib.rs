//! Differential group key broadcast encryption (DGKBE): the seed's Boneh-Gentry-Waters 2005
//! variant with a correction term C2 for the difference between the recipient set S and the
//! initial set S0, on asymmetric BLS12-381 (ciphertext in G1, user keys in G2), as a KEM with an
//! HKDF-SHA256 + ChaCha20-Poly1305 DEM. See README.md for the mapping, the correctness
//! derivation, and the security analysis (the seed algebra does not revoke members of S0);
//! terms in docs/glossary.md#dgkbe, the seed's algebra in
//! docs/seeds.md#seed-002-552-double-blind-matching-and-dgkbe.

pub mod bgw;
mod ciphertext;
mod dem;
mod encoding;
mod error;
pub mod fixed_base;
pub mod grouped;
mod key;
mod server;

pub use ciphertext::{Ciphertext, Header, CIPHERTEXT_VERSION, HEADER_BYTES};
pub use encoding::{G1_BYTES, G2_BYTES};
pub use error::DgkbeError;
pub use key::{UserKey, KEY_BYTES, KEY_VERSION};
pub use roaring::RoaringBitmap;
pub use server::{PublicParams, ServerSecret, SessionKey, MAX_USERS};
