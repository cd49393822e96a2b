// Node test of the built .wasm (wasm-bindgen --target nodejs). Usage: node run.cjs PKG_DIR
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const pkg = require(path.resolve(process.argv[2], 'bithive_browser.js'));
const here = __dirname;
const golden = JSON.parse(fs.readFileSync(path.join(here, '../../../../packages/dgkbe/tests/vectors/golden.json'), 'utf8'));
const bgw = JSON.parse(fs.readFileSync(path.join(here, '../../../../packages/dgkbe/tests/vectors/bgw_golden.json'), 'utf8'));
const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
const utf8 = (s) => new TextEncoder().encode(s);
let passed = 0;
function test(name, f) { f(); passed++; console.log(`ok - ${name}`); }

test('BGW golden ciphertext decrypts for S only', () => {
  const ct = hex(bgw.ciphertext);
  const pp = hex(bgw.public_params);
  const s = new Uint32Array(bgw.s);
  const aad = utf8(bgw.aad);
  for (const k of bgw.keys) {
    const key = hex(k.key);
    if (bgw.decrypts.includes(k.index)) {
      const pt = pkg.decrypt(key, pp, s, ct, aad);
      assert.equal(Buffer.from(pt).toString('utf8'), bgw.plaintext);
    } else {
      assert.throws(() => pkg.decrypt(key, pp, s, ct, aad), /decryption failed/);
    }
  }
  const tampered = hex(bgw.ciphertext);
  tampered[tampered.length - 1] ^= 1;
  // keys[1] is user 5; s.slice(1) drops user 1, so the claimed set differs in another member.
  const member = hex(bgw.keys[1].key);
  assert.throws(() => pkg.decrypt(member, pp, s, tampered, aad), /decryption failed/);
  assert.throws(() => pkg.decrypt(member, pp, s.slice(1), ct, aad), /decryption failed/);
  assert.throws(() => pkg.decrypt(member, pp, s, ct.slice(0, 40), aad), /malformed/);
});

test('keyless forgeries of the BGW golden file are refused (#20)', () => {
  // Each is aimed at user 2 (not in S) with a body sealed under a key anyone can compute: an
  // honest or re-randomised header (GT identity), or a claimed superset S + {2} (identity, or
  // e(P, g_2)^u for C1 + uP). Refused by the membership and header checks.
  const pp = hex(bgw.public_params);
  const aad = utf8(bgw.aad);
  assert.equal(bgw.forgeries.length, 4);
  for (const f of bgw.forgeries) {
    const key = hex(bgw.keys.find((k) => k.index === f.index).key);
    assert.throws(() => pkg.decrypt(key, pp, new Uint32Array(f.s), hex(f.ciphertext), aad), /decryption failed/, f.case);
  }
});

test('seed ciphertexts and version-2 public parameters are refused', () => {
  // The seed algebra is not in the browser package (every S0 member opens; keyless forgery).
  const member = hex(bgw.keys[1].key);
  const s = new Uint32Array(bgw.s);
  const aad = utf8(bgw.aad);
  assert.throws(() => pkg.decrypt(member, hex(bgw.public_params), s, hex(golden.ciphertext), aad), /unsupported BGW ciphertext version 1/);
  const old = hex(bgw.public_params);
  old[0] = 2;
  assert.throws(() => pkg.decrypt(member, old, s, hex(bgw.ciphertext), aad), /unsupported BGW public parameter version 2/);
});

test('hash-to-group equals the host build', () => {
  const want = fs.readFileSync(path.join(here, 'hash_cond_C03.txt'), 'utf8').trim();
  assert.equal(pkg.hashToken('cond=C03'), want);
});

test('profile tokens and OPRF blinding', () => {
  const lsh = JSON.stringify({ seed: 5, dim: 4, bands: 3, rows: 4 });
  const tokens = JSON.parse(pkg.profileTokens('["cond=C03","age=40s"]', new Float32Array([0.1, -0.2, 0.3, 0.9]), lsh));
  assert.equal(tokens.length, 5);
  assert.match(tokens[2], /^lsh\/0\/[0-9a-f]+$/);
  // Each request element is a 32-byte point (no witness: plain upstream decoding). A service
  // with key 1 answers with its input: finishing must then give back H(x) itself.
  const b = new pkg.OprfBatch(JSON.stringify(tokens));
  const req = JSON.parse(b.request());
  req.forEach((r) => assert.match(r, /^[0-9a-f]{64}$/));
  const again = JSON.parse(new pkg.OprfBatch(JSON.stringify(tokens)).request());
  assert.notDeepEqual(req, again, 'blinding is randomized');
  const out = JSON.parse(b.finish(JSON.stringify(req)));
  assert.deepEqual(out, tokens.map((t) => pkg.hashToken(t)));
  assert.throws(() => b.finish(JSON.stringify(req)), /already finished/);
  assert.throws(() => pkg.profileTokens('[]', new Float32Array([1]), lsh), /dimension/);
});

test('research request: blinded and sealed in wasm', () => {
  // No blinding service here: the shapes only (the host tests run the full round, open the
  // sealed bytes as the node does and match them). Echoing the request points back as the
  // answers is a valid point set (a service with key 1).
  const clauses = [['cond=C03'], ['age=40s', 'age=50s'], ['consent=research']];
  const b = new pkg.ResearchBatch(7n, JSON.stringify(clauses));
  const req = JSON.parse(b.request());
  assert.equal(req.length, 4);
  req.forEach((r) => assert.match(r, /^[0-9a-f]{64}$/));
  const noise = b.noisePublic();
  assert.match(noise, /^[0-9a-f]{64}$/);
  const other = new pkg.ResearchBatch(7n, JSON.stringify(clauses));
  assert.notDeepEqual(JSON.parse(other.request()), req, 'blinding is randomized');
  assert.notEqual(other.noisePublic(), noise, 'a fresh Noise key per request');
  // The secp256k1 generator (compressed) as the account key; X25519's base point as the node's.
  const account = hex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
  const node = '09' + '00'.repeat(31);
  assert.throws(() => b.seal(JSON.stringify(req.slice(1)), account, node, 'bithive-1'), /expected 4 answers, got 3/);
  assert.throws(() => b.seal(JSON.stringify(req), account.slice(1), node, 'bithive-1'), /expected 33 bytes/);
  assert.throws(() => b.seal(JSON.stringify(req), account, 'xyz', 'bithive-1'), /node Noise key/);
  const sealed = b.seal(JSON.stringify(req), account, node, 'bithive-1');
  assert.ok(sealed instanceof Uint8Array);
  // version 1 + id 8 + min_bands 4 + clause count 4 + 3 clauses (4 + 32 k each: 140) + no bands
  // 4 + account 33 + Noise key 32 + no address 1 = 227 bytes, + 96 bytes of Noise X.
  assert.equal(sealed.length, 227 + 96);
  assert.throws(() => b.seal(JSON.stringify(req), account, node, 'bithive-1'), /already sealed/);
  assert.throws(() => b.request(), /already sealed/);
  assert.equal(b.noisePublic(), noise);
  assert.throws(() => new pkg.ResearchBatch(1n, '[]'), /at least one clause/);
  assert.throws(() => new pkg.ResearchBatch(1n, '[["cond=C03"],[]]'), /clause 1 is empty/);
  assert.throws(() => new pkg.ResearchBatch(1n, '[["cond"]]'), /field=value/);
  assert.throws(() => new pkg.ResearchBatch(1n, '[["a=1","a=1"]]'), /appears twice/);
  assert.throws(() => new pkg.ResearchBatch(1n, 'nope'), /bad JSON/);
});

test('match verification and contract messages', () => {
  // The salted match commitment the relayer attests (match_commitment.txt: pinned by
  // the Rust host test from request 7, salt 06 x 32, S = {3, 9, 12}).
  const want = fs.readFileSync(path.join(here, 'match_commitment.txt'), 'utf8').trim();
  const salt = '06'.repeat(32);
  const rec = new Uint32Array([3, 9, 12]);
  assert.equal(pkg.verifyMatch(7n, salt, rec, want), true);
  assert.equal(pkg.verifyMatch(8n, salt, rec, want), false);
  assert.equal(pkg.verifyMatch(7n, '00'.repeat(32), rec, want), false);
  assert.equal(pkg.verifyMatch(7n, salt, rec.slice(1), want), false);
  assert.throws(() => pkg.verifyMatch(7n, salt, new Uint32Array([2, 2]), want), /duplicate/);
  // A delivery that is not one is refused before any key is used.
  assert.throws(() => pkg.deliveryJob(new Uint8Array([9])), /not a delivery/);
  assert.throws(() => pkg.openDelivery(new Uint8Array(109), new Uint8Array(0), new Uint8Array([9]), 'c', 'bithive1x/j', want, 'bithive1x'), /not a delivery/);
  const msg0 = pkg.acceptRequestMsg(1n, '00'.repeat(32));
  assert.deepEqual(JSON.parse(msg0), { accept_request: { request_id: 1, commitment: '00'.repeat(32) } });
  const tag = pkg.hashToken('x');
  const sub = JSON.parse(pkg.submitProfileMsg(4, 1n, JSON.stringify([tag])));
  assert.deepEqual(sub, { submit_profile: { user: 4, epoch: 1, tags: [tag] } });
  assert.throws(() => pkg.submitProfileMsg(4, 1n, '["zz"]'));
  assert.ok(Math.abs(pkg.cosineDistance(new Float32Array([1, 0]), new Float32Array([1, 0]))) < 1e-6);
});

// A figure, not an assertion: BGW decryption inside wasm (incl. parsing key, the n = 16 public
// parameters with their subgroup checks, and the ciphertext).
{
  const ct = hex(bgw.ciphertext);
  const pp = hex(bgw.public_params);
  const s = new Uint32Array(bgw.s);
  const key = hex(bgw.keys[0].key);
  const aad = utf8(bgw.aad);
  pkg.decrypt(key, pp, s, ct, aad);
  const n = 10;
  let t = process.hrtime.bigint();
  for (let k = 0; k < n; k++) pkg.decrypt(key, pp, s, ct, aad);
  const dec = Number(process.hrtime.bigint() - t) / n / 1e6;
  t = process.hrtime.bigint();
  for (let k = 0; k < n; k++) pkg.hashToken(`t${k}`);
  const h = Number(process.hrtime.bigint() - t) / n / 1e6;
  console.log(`# wasm (Node ${process.version}): BGW decrypt incl. parsing (n = 16 params) ${dec.toFixed(1)} ms, hashToken ${h.toFixed(3)} ms`);
}

console.log(`${passed} passed`);
