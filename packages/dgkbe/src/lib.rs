//! Differential group key broadcast encryption (DGKBE): the seed's Boneh-Gentry-Waters 2005
//! variant with a correction term C2 for the difference between the recipient set S and the
//! initial set S0, on asymmetric BLS12-381 (ciphertext in G1, user keys in G2), as a KEM with an
//! HKDF-SHA256 + ChaCha20-Poly1305 DEM. The product scheme is `bgw` (and `grouped`), whose
//! decryption refuses a key outside the claimed set and a header that does not match it; the
//! seed algebra is test-only (`seed`, feature `insecure-seed-scheme`). See README.md for the
//! mapping, the correctness derivation, and the security analysis;
//! terms in docs/glossary.md#dgkbe, the seed's algebra in
//! docs/seeds.md#seed-002-552-double-blind-matching-and-dgkbe.

pub mod bgw;
mod bgw_public;
#[cfg(feature = "insecure-seed-scheme")]
mod ciphertext;
mod dem;
mod encoding;
mod error;
pub mod fixed_base;
pub mod grouped;
#[cfg(feature = "insecure-seed-scheme")]
mod key;
/// The seed algebra: insecure, test-only (see the module docs), behind `insecure-seed-scheme`.
#[cfg(feature = "insecure-seed-scheme")]
pub mod seed;
mod server;

pub use encoding::{G1_BYTES, G2_BYTES};
pub use error::DgkbeError;
pub use roaring::RoaringBitmap;
pub use server::{PublicParams, ServerSecret, SessionKey, MAX_USERS};
