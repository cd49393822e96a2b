// Same checks as tests/node/run.cjs, in the browser: BGW golden vectors and forgeries, refusal of
// seed ciphertexts and old parameters, hash-to-group
// and commitment pinned values, OPRF round, contract messages, research request (ResearchBatch)
// shapes. Writes "PASS n ..." or "FAIL <message>" into #result.
import init, * as pkg from './pkg/bithive_browser.js';

const out = document.getElementById('result');
const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));
const utf8 = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);
function assert(c, msg) { if (!c) throw new Error(msg); }
function throws(f, re, msg) {
  try { f(); } catch (e) { assert(re.test(String(e.message ?? e)), `${msg}: wrong error ${e}`); return; }
  throw new Error(`${msg}: no exception`);
}
const get = async (p) => (await fetch(p)).text();

try {
  await init();
  const bgw = JSON.parse(await get('vectors/bgw_golden.json'));
  const golden = JSON.parse(await get('vectors/golden.json'));
  let passed = 0;

  { // BGW golden: exactly S decrypts
    const ct = hex(bgw.ciphertext), pp = hex(bgw.public_params), s = new Uint32Array(bgw.s), aad = utf8(bgw.aad);
    for (const k of bgw.keys) {
      if (bgw.decrypts.includes(k.index)) {
        assert(text(pkg.decrypt(hex(k.key), pp, s, ct, aad)) === bgw.plaintext, `bgw member ${k.index}`);
      } else {
        throws(() => pkg.decrypt(hex(k.key), pp, s, ct, aad), /decryption failed/, `bgw non-member ${k.index}`);
      }
    }
    const tampered = hex(bgw.ciphertext);
    tampered[tampered.length - 1] ^= 1;
    const member = hex(bgw.keys[1].key);
    throws(() => pkg.decrypt(member, pp, s, tampered, aad), /decryption failed/, 'bgw tampered');
    throws(() => pkg.decrypt(member, pp, s.slice(1), ct, aad), /decryption failed/, 'bgw other set');
    throws(() => pkg.decrypt(member, pp, s, ct.slice(0, 40), aad), /malformed/, 'bgw truncated');
    passed++;
  }
  { // keyless forgeries (#20): each aimed at user 2 (not in S), all refused
    const pp = hex(bgw.public_params), aad = utf8(bgw.aad);
    assert(bgw.forgeries.length === 4, 'forgery count');
    for (const f of bgw.forgeries) {
      const key = hex(bgw.keys.find((k) => k.index === f.index).key);
      throws(() => pkg.decrypt(key, pp, new Uint32Array(f.s), hex(f.ciphertext), aad), /decryption failed/, f.case);
    }
    passed++;
  }
  { // the seed algebra is not offered: seed ciphertexts and version-2 parameters are refused
    const member = hex(bgw.keys[1].key), s = new Uint32Array(bgw.s), aad = utf8(bgw.aad);
    throws(() => pkg.decrypt(member, hex(bgw.public_params), s, hex(golden.ciphertext), aad), /unsupported BGW ciphertext version 1/, 'seed ct');
    const old = hex(bgw.public_params);
    old[0] = 2;
    throws(() => pkg.decrypt(member, old, s, hex(bgw.ciphertext), aad), /unsupported BGW public parameter version 2/, 'v2 params');
    passed++;
  }
  { // pinned host values
    assert(pkg.hashToken('cond=C03') === (await get('node/hash_cond_C03.txt')).trim(), 'hashToken');
    const want = (await get('node/match_commitment.txt')).trim();
    const rec = new Uint32Array([3, 9, 12]), salt = '06'.repeat(32);
    assert(pkg.verifyMatch(7n, salt, rec, want) === true, 'match commitment');
    assert(pkg.verifyMatch(8n, salt, rec, want) === false, 'match commitment other id');
    passed++;
  }
  { // OPRF with a key-1 service (answers = requests) gives back H(x); crypto.getRandomValues
    const lsh = JSON.stringify({ seed: 5, dim: 4, bands: 3, rows: 4 });
    const tokens = JSON.parse(pkg.profileTokens('["cond=C03","age=40s"]', new Float32Array([0.1, -0.2, 0.3, 0.9]), lsh));
    assert(tokens.length === 5, 'token count');
    const b = new pkg.OprfBatch(JSON.stringify(tokens));
    const req = JSON.parse(b.request());
    assert(req.every((r) => /^[0-9a-f]{64}$/.test(r)), '32-byte points');
    const res = JSON.parse(b.finish(JSON.stringify(req)));
    assert(JSON.stringify(res) === JSON.stringify(tokens.map((t) => pkg.hashToken(t))), 'oprf');
    const sub = JSON.parse(pkg.submitProfileMsg(4, 1n, JSON.stringify([res[0]])));
    assert(sub.submit_profile.user === 4, 'submit msg');
    passed++;
  }
  { // research request blinded and sealed in wasm (shapes only: no blinding service here;
    // the request points echoed back are a valid answer set)
    const clauses = JSON.stringify([['cond=C03'], ['age=40s', 'age=50s'], ['consent=research']]);
    const b = new pkg.ResearchBatch(7n, clauses);
    const req = JSON.parse(b.request());
    assert(req.length === 4 && req.every((r) => /^[0-9a-f]{64}$/.test(r)), 'research request points');
    const noise = b.noisePublic();
    assert(/^[0-9a-f]{64}$/.test(noise), 'noisePublic');
    assert(new pkg.ResearchBatch(7n, clauses).noisePublic() !== noise, 'fresh Noise key');
    const account = hex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    const node = '09' + '00'.repeat(31);
    throws(() => b.seal(JSON.stringify(req.slice(1)), account, node, 'bithive-1'), /expected 4 answers, got 3/, 'answer count');
    throws(() => b.seal(JSON.stringify(req), account.slice(1), node, 'bithive-1'), /expected 33 bytes/, 'account key');
    const sealed = b.seal(JSON.stringify(req), account, node, 'bithive-1');
    assert(sealed instanceof Uint8Array && sealed.length === 227 + 96, `sealed length ${sealed.length}`);
    throws(() => b.seal(JSON.stringify(req), account, node, 'bithive-1'), /already sealed/, 'second seal');
    throws(() => new pkg.ResearchBatch(1n, '[]'), /at least one clause/, 'no clause');
    passed++;
  }
  // No timing here: under --virtual-time-budget the page's clock is virtual (Node gives the figure).
  out.textContent = `PASS ${passed} | ${navigator.userAgent.match(/(Headless)?Chrome\/[0-9.]+/)?.[0]}`;
} catch (e) {
  out.textContent = `FAIL ${e?.stack ?? e}`;
}
