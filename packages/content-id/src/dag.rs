//! The UnixFS file DAG: building it (CID of bytes) and checking blocks of it.

use alloc::string::String;
use alloc::vec::Vec;

use cid::multihash::Multihash;
use cid::Cid;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::pb::{encode_node, PbLink, PbNode, UnixFsData, UNIXFS_FILE};
use crate::{ContentIdError, Profile, DAG_PB, RAW, SHA2_256};

fn sha256_cid(codec: u64, block: &[u8]) -> Cid {
    let digest = Sha256::digest(block);
    // A 32-byte digest always fits the 64-byte multihash.
    let mh = Multihash::<64>::wrap(SHA2_256, &digest).expect("32-byte digest fits");
    Cid::new_v1(codec, mh)
}

/// A DAG node under construction: its CID, the cumulative size of its block and everything
/// below it (dag-pb `Tsize`), and the file bytes it covers (UnixFS `blocksizes` entry).
struct Built {
    cid: Cid,
    tsize: u64,
    filesize: u64,
}

/// The CID of `data` under BitHive's profile ([`Profile::KUBO_V1`]).
pub fn cid_of(data: &[u8]) -> Cid {
    cid_with(data, Profile::KUBO_V1)
}

/// The CID of `data` under `profile`.
pub fn cid_with(data: &[u8], profile: Profile) -> Cid {
    build_dag(data, profile, |_, _| {})
}

/// Builds the DAG of `data`, handing every block to `sink` (leaves first, the root last; a block
/// shared by equal chunks is handed over once per occurrence), and returns the root CID.
pub fn build_dag(data: &[u8], profile: Profile, mut sink: impl FnMut(&Cid, &[u8])) -> Cid {
    // The fixed-size chunker emits one empty chunk for empty input.
    let mut level: Vec<Built> =
        Vec::with_capacity(data.len().div_ceil(profile.chunk_size()).max(1));
    let mut leaf = |chunk: &[u8]| {
        let cid = sha256_cid(RAW, chunk);
        sink(&cid, chunk);
        Built {
            cid,
            tsize: chunk.len() as u64,
            filesize: chunk.len() as u64,
        }
    };
    if data.is_empty() {
        level.push(leaf(&[]));
    } else {
        level.extend(data.chunks(profile.chunk_size()).map(&mut leaf));
    }
    // reduceSingleLeafToSelf: a one-chunk file is its raw leaf.
    if level.len() == 1 {
        return level[0].cid;
    }
    // Balanced layout: batch each level `max_children` at a time (a trailing batch of one still
    // gets a parent) until one node is left.
    loop {
        let mut next = Vec::with_capacity(level.len().div_ceil(profile.max_children()));
        for group in level.chunks(profile.max_children()) {
            next.push(file_node(group, &mut sink));
        }
        if next.len() == 1 {
            return next[0].cid;
        }
        level = next;
    }
}

fn file_node(children: &[Built], sink: &mut impl FnMut(&Cid, &[u8])) -> Built {
    let blocksizes: Vec<u64> = children.iter().map(|c| c.filesize).collect();
    let filesize = blocksizes.iter().sum();
    let data = UnixFsData {
        r#type: UNIXFS_FILE,
        data: None,
        filesize: Some(filesize),
        blocksizes,
    }
    .encode_to_vec();
    let links: Vec<PbLink> = children
        .iter()
        .map(|c| PbLink {
            hash: Some(c.cid.to_bytes()),
            name: Some(String::new()),
            tsize: Some(c.tsize),
        })
        .collect();
    let block = encode_node(&links, &data);
    let cid = sha256_cid(DAG_PB, &block);
    sink(&cid, &block);
    Built {
        cid,
        tsize: block.len() as u64 + children.iter().map(|c| c.tsize).sum::<u64>(),
        filesize,
    }
}

/// Checks that `cid` is a CIDv1 sha2-256 of codec raw or dag-pb and that `block` hashes to it.
pub fn verify_block(cid: &Cid, block: &[u8]) -> Result<(), ContentIdError> {
    crate::parse::check_shape(cid)?;
    if cid.hash().digest() != Sha256::digest(block).as_slice() {
        return Err(ContentIdError::HashMismatch);
    }
    Ok(())
}

/// One link of a UnixFS file node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The child's CID (a raw leaf or another dag-pb node).
    pub cid: Cid,
    /// dag-pb `Tsize`: the bytes of the child's block and all blocks below it.
    pub tsize: u64,
    /// UnixFS `blocksizes` entry: the file bytes under this child.
    pub blocksize: u64,
}

/// A decoded UnixFS `File` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNode {
    /// File bytes held in the node itself (before the children's bytes); empty in DAGs built
    /// with raw leaves.
    pub inline: Vec<u8>,
    /// The node's children, in file order.
    pub links: Vec<Link>,
    /// Total file bytes under this node (checked to equal inline + sum of blocksizes).
    pub filesize: u64,
}

/// Decodes a dag-pb block as a UnixFS `File` node, checking that its sizes add up.
pub fn decode_file_node(block: &[u8]) -> Result<FileNode, ContentIdError> {
    let node = PbNode::decode(block).map_err(|_| ContentIdError::BadNode("not dag-pb"))?;
    let data = node.data.ok_or(ContentIdError::BadNode("no UnixFS data"))?;
    let fs =
        UnixFsData::decode(data.as_slice()).map_err(|_| ContentIdError::BadNode("not UnixFS"))?;
    if fs.r#type != UNIXFS_FILE {
        return Err(ContentIdError::BadNode("not a UnixFS file"));
    }
    if fs.blocksizes.len() != node.links.len() {
        return Err(ContentIdError::BadNode("blocksizes do not match links"));
    }
    let inline = fs.data.unwrap_or_default();
    let mut total = inline.len() as u64;
    let mut links = Vec::with_capacity(node.links.len());
    for (l, blocksize) in node.links.into_iter().zip(fs.blocksizes) {
        let hash = l.hash.ok_or(ContentIdError::BadNode("link without hash"))?;
        let cid =
            Cid::try_from(hash.as_slice()).map_err(|_| ContentIdError::BadNode("bad link CID"))?;
        crate::parse::check_shape(&cid)?;
        total = total
            .checked_add(blocksize)
            .ok_or(ContentIdError::BadNode("file size overflows"))?;
        links.push(Link {
            cid,
            tsize: l.tsize.unwrap_or(0),
            blocksize,
        });
    }
    if fs.filesize.is_some_and(|f| f != total) {
        return Err(ContentIdError::BadNode(
            "filesize is not the sum of its parts",
        ));
    }
    Ok(FileNode {
        inline,
        links,
        filesize: total,
    })
}
