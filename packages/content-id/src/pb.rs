//! dag-pb and UnixFS protobuf messages (prost, hand-written from the dag-pb and UnixFS specs:
//! no build script, no protoc). Both schemas are proto2: optional fields are `Option`s so an
//! empty link name is still written (`12 00`), as @ipld/dag-pb and go-merkledag write it.

use alloc::string::String;
use alloc::vec::Vec;

use prost::Message;

/// `PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }`
#[derive(Clone, PartialEq, Message)]
pub(crate) struct PbLink {
    #[prost(bytes = "vec", optional, tag = "1")]
    pub hash: Option<Vec<u8>>,
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    #[prost(uint64, optional, tag = "3")]
    pub tsize: Option<u64>,
}

/// `PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }`: decoding only. Encoding is
/// [`encode_node`], because dag-pb's canonical form writes Links before Data and prost writes
/// fields in tag order.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct PbNode {
    #[prost(bytes = "vec", optional, tag = "1")]
    pub data: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "2")]
    pub links: Vec<PbLink>,
}

/// UnixFS `Data` (only the fields a file node uses; unknown fields are skipped on decode).
#[derive(Clone, PartialEq, Message)]
pub(crate) struct UnixFsData {
    #[prost(int32, required, tag = "1")]
    pub r#type: i32,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub data: Option<Vec<u8>>,
    #[prost(uint64, optional, tag = "3")]
    pub filesize: Option<u64>,
    #[prost(uint64, repeated, packed = "false", tag = "4")]
    pub blocksizes: Vec<u64>,
}

/// UnixFS `DataType.File`.
pub(crate) const UNIXFS_FILE: i32 = 2;

/// Canonical dag-pb bytes: every link (field 2) in order, then Data (field 1).
pub(crate) fn encode_node(links: &[PbLink], data: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    for l in links {
        prost::encoding::message::encode(2, l, &mut buf);
    }
    prost::encoding::bytes::encode(1, &data.to_vec(), &mut buf);
    buf
}
