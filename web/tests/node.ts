// The node side of a job, played by the test: registers a node in staking with an operator key
// (proof of possession) and signs and submits the inference attestation of a job, or an
// attestor's quorum signature, as the relayer does (packages/signed-attestation: canonical bytes,
// sha256, ECDSA secp256k1 low-s). Research requests are matched and attested by the real
// relayer's matching worker (research.spec.ts runs `bithive demo --keep-running`).
import { Random, Secp256k1, sha256 } from "@cosmjs/crypto";
import { fromHex, toBase64, toHex, toUtf8 } from "@cosmjs/encoding";
import type { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { ExecuteMsg as AttestationExecuteMsg } from "../src/contracts/Attestation.types";

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const str = (s: string) => {
  const b = toUtf8(s);
  return concat(new Uint8Array([b.length >> 8, b.length & 0xff]), b);
};
const u64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
};

async function sign(digest: Uint8Array, priv: Uint8Array): Promise<string> {
  const s = await Secp256k1.createSignature(digest, priv);
  return toHex(concat(s.r(32), s.s(32)));
}

/** An operator key and its proof of possession for `sender` (what an operator's tool signs). */
export async function operatorPop(chainId: string, staking: string, sender: string): Promise<{ key: string; signature: string; priv: Uint8Array }> {
  const priv = Random.getBytes(32);
  const key = Secp256k1.compressPubkey((await Secp256k1.makeKeypair(priv)).pubkey);
  const digest = sha256(concat(toUtf8("BITHIVE/OPERATOR-POP/v1"), new Uint8Array([0]), str(chainId), str(staking), str(sender), key));
  return { key: toHex(key), signature: await sign(digest, priv), priv };
}

/** An attestation as the contracts take it (the generated type). */
export type AttestationMsg = Extract<AttestationExecuteMsg, { submit: unknown }>["submit"]["attestation"];
const KIND_CODES: Record<string, number> = { inference: 1, matching: 2, compute_work: 3, valuation: 4, patient_activity: 5, evaluation: 6 };

/** sha256 of the attestation's canonical bytes (packages/signed-attestation `canonical_bytes`). */
export function attestationDigest(a: AttestationMsg): Uint8Array {
  const hex = (x: string) => Uint8Array.from(x.match(/../g)!.map((b) => parseInt(b, 16)));
  return sha256(concat(
    toUtf8("BITHIVE/ATTESTATION/v1"), new Uint8Array([0]),
    str(a.chain_id), str(a.contract), str(a.job_id),
    new Uint8Array([KIND_CODES[a.kind]]), hex(a.result_hash), new Uint8Array([a.commitments.length]), ...a.commitments.map(hex),
    u64(BigInt(a.issued_at)), u64(BigInt(a.nonce)), hex(a.signer),
  ));
}

/** sha256(PAYLOAD_DOMAIN || kind code || payload): what binds a payload to an attestation. */
export function payloadHash(kind: string, payload: Uint8Array): string {
  return toHex(sha256(concat(toUtf8("BITHIVE/PAYLOAD/v1"), new Uint8Array([0, KIND_CODES[kind]]), payload)));
}

export class TestNode {
  private constructor(readonly address: string, readonly client: SigningCosmWasmClient, private priv: Uint8Array, readonly operatorKey: Uint8Array) {}

  static async create(address: string, client: SigningCosmWasmClient): Promise<TestNode> {
    return TestNode.withKey(address, client, Random.getBytes(32));
  }

  /** A registered node whose operator key's secret is `priv`. */
  static async withKey(address: string, client: SigningCosmWasmClient, priv: Uint8Array): Promise<TestNode> {
    const kp = await Secp256k1.makeKeypair(priv);
    return new TestNode(address, client, priv, Secp256k1.compressPubkey(kp.pubkey));
  }

  async register(chainId: string, staking: string) {
    const digest = sha256(concat(toUtf8("BITHIVE/OPERATOR-POP/v1"), new Uint8Array([0]), str(chainId), str(staking), str(this.address), this.operatorKey));
    await this.client.execute(
      this.address,
      staking,
      { register_node: { capacity_t: 1, tier: "t1", operator_key: toHex(this.operatorKey), operator_signature: await sign(digest, this.priv) } },
      "auto",
    );
  }

  /** This node's operator key's signature as one member of a quorum attestation. */
  async quorumSignature(a: AttestationMsg): Promise<{ key: string; signature: string }> {
    return { key: toHex(this.operatorKey), signature: await sign(attestationDigest(a), this.priv) };
  }

  /** Signs and submits an inference attestation for `jobId` (the escrow's full id). */
  /** The node's result of an inference job, with the quantized outputs the attestors re-run
   * (ADR 007, decision 6; a job that earns compute-pool units requires them), bound to the
   * signed statement as its one commitment. */
  async attestInference(chainId: string, escrow: string, attestation: string, jobId: string, result: Uint8Array, issuedAt: number) {
    const nonce = BigInt(Date.now());
    const resultHash = sha256(result);
    const payload = toUtf8(JSON.stringify({ outputs: [70000, 930000] }));
    const commitment = fromHex(payloadHash("inference", payload));
    const canonical = concat(
      toUtf8("BITHIVE/ATTESTATION/v1"), new Uint8Array([0]),
      str(chainId), str(escrow), str(jobId),
      new Uint8Array([1]), resultHash, new Uint8Array([1]), commitment,
      u64(BigInt(issuedAt)), u64(nonce), this.operatorKey,
    );
    const att = {
      chain_id: chainId, contract: escrow, job_id: jobId, kind: "inference",
      result_hash: toHex(resultHash), commitments: [toHex(commitment)], issued_at: issuedAt,
      nonce: nonce.toString(), signer: toHex(this.operatorKey),
    };
    const r = await this.client.execute(this.address, attestation, { submit: { attestation: att, signature: await sign(sha256(canonical), this.priv), payload: toBase64(payload) } }, "auto");
    return { tx: r, resultHash: toHex(resultHash) };
  }
}
