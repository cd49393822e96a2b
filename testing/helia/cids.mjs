// Prints "profile size cid" for deterministic pseudo-random files, computed by Helia's
// @helia/unixfs addBytes over an in-memory blockstore (offline: no libp2p). The Rust side
// (packages/content-id/examples/cid_vectors.rs) prints the same lines; content-id.sh diffs them.
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

// Same table as the Rust example: name, importer options (null = @helia/unixfs defaults), sizes.
const KIB256 = 262144
const MIB = 1048576
const profiles = [
  // BitHive's profile: kubo `add --cid-version=1 --chunker=size-262144` (raw leaves, 174 links).
  ['kubo-v1', { chunker: fixedSize({ chunkSize: KIB256 }), layout: balanced({ maxChildrenPerNode: 174 }) },
    [0, 1, KIB256 - 1, KIB256, KIB256 + 1, MIB + 7, 174 * KIB256, 174 * KIB256 + 1]],
  // @helia/unixfs addBytes defaults as shipped (1 MiB chunks, 1024 links, raw leaves, CIDv1).
  ['helia-default', null, [0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 5]],
  // Tiny chunks and fan-out: several DAG levels in a few kB.
  ['tiny', { chunker: fixedSize({ chunkSize: 1000 }), layout: balanced({ maxChildrenPerNode: 3 }) },
    [0, 999, 1000, 1001, 3000, 3001, 9001, 27001, 50000]]
]

// xorshift32 seeded from the size; 4 little-endian bytes per step. Mirrors the Rust generator.
export function content (size) {
  const out = new Uint8Array(size)
  let x = (0x9e3779b9 ^ size) >>> 0
  if (x === 0) x = 1
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    for (let k = 0; k < 4 && i + k < size; k++) out[i + k] = (x >>> (8 * k)) & 0xff
  }
  return out
}

for (const [name, opts, sizes] of profiles) {
  for (const size of sizes) {
    // A fresh blockstore per file keeps memory flat.
    const fs = unixfs({ blockstore: new MemoryBlockstore() })
    const cid = opts == null ? await fs.addBytes(content(size)) : await fs.addBytes(content(size), opts)
    console.log(`${name} ${size} ${cid.toString()}`)
  }
}
