//! Content ids for BitHive: IPFS CIDv1 computed exactly as IPFS implementations compute them for
//! a fixed set of import settings, and strict parsing of CID strings.
//!
//! A file's CID is the root of a UnixFS DAG built the way `ipfs-unixfs-importer` (used by Helia's
//! `@helia/unixfs`) and kubo build it:
//! - fixed-size chunker ([`Profile::chunk_size`]);
//! - raw leaves: each chunk is a `raw` (0x55) CIDv1 block;
//! - balanced layout: chunks are grouped [`Profile::max_children`] at a time under dag-pb (0x70)
//!   UnixFS `File` nodes (`filesize`, one `blocksizes` entry and one unnamed link with `Tsize`
//!   per child), level after level until one root is left;
//! - a file of a single chunk (including the empty file) is that raw leaf itself;
//! - sha2-256 multihashes, CIDv1, multibase base32 lowercase (`b...`) as the string form.
//!
//! BitHive's profile is [`Profile::KUBO_V1`] (256 KiB chunks, 174 links per node): kubo's
//! `ipfs add --cid-version=1 --chunker=size-262144` (CIDv1 implies raw leaves) gives the same
//! CIDs, and so does `@helia/unixfs` with that chunker and layout. `@helia/unixfs`'s own
//! defaults (1 MiB chunks, 1024 links: [`Profile::HELIA_DEFAULT`], the importer's
//! `unixfs-v1-2025` profile) are supported too but are not the default, because kubo's HTTP API
//! cannot select 1024 links per request.

#![no_std]
#![warn(missing_docs)]
extern crate alloc;

mod dag;
mod parse;
mod pb;

pub use cid::Cid;
pub use dag::{build_dag, cid_of, cid_with, decode_file_node, verify_block, FileNode, Link};
pub use parse::{parse_cid, validate_cid_str, MAX_CID_STR_LEN};

/// Multicodec `raw`: a leaf block holding chunk bytes.
pub const RAW: u64 = 0x55;
/// Multicodec `dag-pb`: a UnixFS node block.
pub const DAG_PB: u64 = 0x70;
/// Multihash `sha2-256`.
pub const SHA2_256: u64 = 0x12;

/// Chunker and layout settings of a UnixFS import (leaves are always raw, CIDs always v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    chunk_size: usize,
    max_children: usize,
}

impl Profile {
    /// BitHive's profile: kubo `add --cid-version=1 --chunker=size-262144` (174 links is kubo's
    /// fixed `DefaultLinksPerBlock` and ipfs-unixfs-importer's balanced-layout default).
    pub const KUBO_V1: Profile = Profile {
        chunk_size: 262_144,
        max_children: 174,
    };
    /// `@helia/unixfs` `addBytes` defaults (`defaultImporterSettings`: 1 MiB chunks, 1024 links);
    /// ipfs-unixfs-importer's `unixfs-v1-2025` profile (IPIP-499).
    pub const HELIA_DEFAULT: Profile = Profile {
        chunk_size: 1_048_576,
        max_children: 1024,
    };

    /// A custom profile; a chunk of at least one byte and at least two links per node (one link
    /// per node would never converge to a single root).
    pub const fn new(chunk_size: usize, max_children: usize) -> Result<Self, ContentIdError> {
        if chunk_size == 0 || max_children < 2 {
            return Err(ContentIdError::BadProfile {
                chunk_size,
                max_children,
            });
        }
        Ok(Profile {
            chunk_size,
            max_children,
        })
    }
}

impl Profile {
    /// Bytes per leaf (the fixed-size chunker's `chunkSize`).
    pub const fn chunk_size(&self) -> usize {
        self.chunk_size
    }
    /// Links per UnixFS node (the balanced layout's `maxChildrenPerNode`).
    pub const fn max_children(&self) -> usize {
        self.max_children
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::KUBO_V1
    }
}

/// Why a CID string, a block or a profile was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentIdError {
    /// The CID string is empty.
    #[error("empty CID string")]
    Empty,
    /// The CID string is longer than [`MAX_CID_STR_LEN`]; refused before any decoding.
    #[error("CID string longer than {max} characters")]
    TooLong {
        /// The longest accepted length, in characters ([`MAX_CID_STR_LEN`]).
        max: usize,
    },
    /// The CID string does not start with the base32 lowercase multibase prefix `b`.
    #[error("CID string must be multibase base32 lowercase (prefix 'b')")]
    WrongMultibase,
    /// After the prefix, the CID string is empty or has characters outside `a-z` and `2-7`.
    #[error("CID string is not valid base32 lowercase")]
    BadBase32,
    /// The decoded bytes are not a CID (the `cid` crate's message).
    #[error("malformed CID bytes: {0}")]
    Malformed(alloc::string::String),
    /// The CID's version is not 1 (the version found).
    #[error("CID version {0} not accepted (CIDv1 only)")]
    WrongVersion(u64),
    /// The CID's codec is neither [`RAW`] nor [`DAG_PB`] (the codec found).
    #[error("codec {0:#x} not accepted (raw 0x55 or dag-pb 0x70 only)")]
    WrongCodec(u64),
    /// The CID's multihash is not a 32-byte [`SHA2_256`].
    #[error("multihash {code:#x} of {len} bytes not accepted (sha2-256, 32 bytes only)")]
    WrongHash {
        /// Multihash code found.
        code: u64,
        /// Digest length found, in bytes.
        len: usize,
    },
    /// The CID string decodes but is not the CID's canonical spelling (e.g. non-zero padding
    /// bits), so it would be a second id for the same content.
    #[error("CID string is not in canonical form")]
    NotCanonical,
    /// The block's sha2-256 is not the digest in its CID.
    #[error("block does not hash to its CID")]
    HashMismatch,
    /// The block is not a well-formed UnixFS `File` node (what is wrong with it).
    #[error("malformed UnixFS node: {0}")]
    BadNode(&'static str),
    /// [`Profile::new`] was given a zero chunk size or fewer than two links per node.
    #[error("bad profile: chunk size {chunk_size}, max children {max_children}")]
    BadProfile {
        /// The chunk size asked for, in bytes.
        chunk_size: usize,
        /// The links per node asked for.
        max_children: usize,
    },
}
