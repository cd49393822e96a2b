//! Double-blind matching of research requests against user profiles
//! (docs/glossary.md#double-blind-matching).
//!
//! Exact criteria are matched on commutatively blinded tags H(x)^(ab) over Ristretto255; fuzzy
//! criteria (embedding distance) go through SimHash LSH bands that become blinded tags too, with
//! a candidate threshold. A matching node joins on blinded values with an inverted index of
//! roaring bitmaps; each request's details are DGKBE-encrypted to its recipient set S_i and
//! committed by a hash. See docs/ROLES.md for what each role sees.

pub mod admission;
pub mod authority;
pub mod client;
pub mod disclosure;
mod error;
pub mod group;
pub mod index;
pub mod lsh;
pub mod node;
pub mod output;
mod seed;
pub mod service;
pub mod sim;
pub mod wire;

pub use error::MatchingError;
