//! CIDs against values Helia's @helia/unixfs 8.0.5 printed for the same content
//! (testing/helia/cids.mjs; scripts/test.d/content-id.sh re-checks the whole table live).

use std::collections::HashMap;

use bithive_content_id::{
    build_dag, cid_of, cid_with, decode_file_node, verify_block, Cid, ContentIdError, Profile,
    DAG_PB, RAW,
};
use proptest::prelude::*;

fn content(size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    let mut x = 0x9e37_79b9u32 ^ size as u32;
    for chunk in out.chunks_mut(4) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    out
}

#[test]
fn matches_helia_kubo_v1_profile() {
    for (size, want) in [
        (
            0,
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        ),
        (
            1,
            "bafkreibmmjbdftosef3rffg7xmyqvsqabig7nlelm23jnwio6bx5563eum",
        ),
        (
            262_143,
            "bafkreigxharhoxxgsd7mpr4b7rk3kvc2ktjrihb42nz5dc66tpahmktncm",
        ),
        (
            262_144,
            "bafkreidtpnrqiqsfcdjybmit6yy3q23yw2qpwli757iakowz6w36tlzlfy",
        ),
        (
            262_145,
            "bafybeihrpfxqlhxjztasuvvgtwkcqoeqybkhvvogo7c5pog7s4fdu5l5ma",
        ),
        (
            1_048_583,
            "bafybeibjuj3h6i2yjjolp7g4vowqy36yhorrkbutjxfc2d43ko5wwklkce",
        ),
    ] {
        assert_eq!(cid_of(&content(size)).to_string(), want, "size {size}");
    }
}

#[test]
fn matches_helia_defaults_and_deep_trees() {
    let p = Profile::HELIA_DEFAULT;
    assert_eq!(
        cid_with(&content(1_048_577), p).to_string(),
        "bafybeihy2enoqqpkpfnfujk75vtpmapzsqehmat2mv22zwwqpjrglixl44"
    );
    let tiny = Profile::new(1000, 3).unwrap();
    for (size, want) in [
        (
            1001,
            "bafybeiajhnghvpqjazvx3zxqobng5dbkrqggd2rxxpvz2ewloc5uxihkum",
        ),
        (
            3001,
            "bafybeiadpzjkxbrpcofwqtfxy2u7azm33f6yti7332dm73saptudmnikqa",
        ),
        (
            27_001,
            "bafybeib2lxo7izo5unopiqw2miuhpeo7eyz5w3hascajckvlmq4inoqjnu",
        ),
        (
            50_000,
            "bafybeid3soooswknzzygmoycpwpidwpwj26a3fwmdwr75bjjesf75e4wzm",
        ),
    ] {
        assert_eq!(
            cid_with(&content(size), tiny).to_string(),
            want,
            "size {size}"
        );
    }
}

#[test]
fn bad_profiles_are_refused() {
    assert!(matches!(
        Profile::new(0, 174),
        Err(ContentIdError::BadProfile { .. })
    ));
    assert!(matches!(
        Profile::new(1, 1),
        Err(ContentIdError::BadProfile { .. })
    ));
}

/// Walks the DAG from `root` through the emitted blocks and reassembles the file.
fn reassemble(blocks: &HashMap<Cid, Vec<u8>>, root: &Cid) -> Vec<u8> {
    let block = &blocks[root];
    verify_block(root, block).unwrap();
    if root.codec() == RAW {
        return block.clone();
    }
    assert_eq!(root.codec(), DAG_PB);
    let node = decode_file_node(block).unwrap();
    let mut out = node.inline.clone();
    for l in &node.links {
        let part = reassemble(blocks, &l.cid);
        assert_eq!(part.len() as u64, l.blocksize);
        out.extend(part);
    }
    assert_eq!(out.len() as u64, node.filesize);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every emitted block verifies against its CID, the root is last, and the DAG decodes back
    /// to the input.
    #[test]
    fn dag_blocks_reassemble(data in proptest::collection::vec(any::<u8>(), 0..6000),
                             chunk in 1usize..700, children in 2usize..6) {
        let p = Profile::new(chunk, children).unwrap();
        let mut blocks = HashMap::new();
        let mut last = None;
        let root = build_dag(&data, p, |c, b| { blocks.insert(*c, b.to_vec()); last = Some(*c); });
        prop_assert_eq!(last, Some(root));
        prop_assert_eq!(root, cid_with(&data, p));
        prop_assert_eq!(reassemble(&blocks, &root), data);
    }

    /// A block with any byte flipped no longer verifies.
    #[test]
    fn flipped_block_byte_is_refused(data in proptest::collection::vec(any::<u8>(), 1..3000),
                                     idx in any::<prop::sample::Index>(), bit in 0u8..8) {
        let p = Profile::new(500, 3).unwrap();
        let mut blocks = Vec::new();
        build_dag(&data, p, |c, b| blocks.push((*c, b.to_vec())));
        for (cid, mut block) in blocks {
            if block.is_empty() { continue; }
            let i = idx.index(block.len());
            block[i] ^= 1 << bit;
            prop_assert_eq!(verify_block(&cid, &block), Err(ContentIdError::HashMismatch));
        }
    }
}
