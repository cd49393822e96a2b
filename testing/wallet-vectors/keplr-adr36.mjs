// Prints, as JSON, ADR-36 signatures made the way the Keplr extension's `signArbitrary` makes them
// for a mnemonic account (keplr-wallet, packages/background/src/keyring-cosmos/service.ts,
// `signAminoADR36`): `makeADR36AminoSignDoc(signer, data)`, then the keyring signs
// `serializeSignDoc(signDoc)` with sha256 and `PrivKeySecp256k1.signDigest32`, r || s. Same
// libraries, same calls; only the popup is left out. scripts/test.d/wallet-vectors.sh compares the
// output with keplr-adr36.json, which the Rust tests read (packages/payfi-voucher/tests).
import { makeADR36AminoSignDoc, serializeSignDoc, verifyADR36Amino } from "@keplr-wallet/cosmos";
import { Bech32Address } from "@keplr-wallet/cosmos";
import { Hash, Mnemonic, PrivKeySecp256k1 } from "@keplr-wallet/crypto";

// A well-known public test mnemonic (BIP-39's all-"abandon" vector): never a real account.
const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PATH = "m/44'/118'/0'/0/0";
const PREFIX = "bithive";

const priv = new PrivKeySecp256k1(Mnemonic.generateWalletFromMnemonic(MNEMONIC, PATH));
const pub = priv.getPubKey();
const signer = new Bech32Address(pub.getCosmosAddress()).toBech32(PREFIX);

// Addresses of fixed bytes (a contract's 32, accounts' 20), so the texts carry valid bech32.
const addr = (byte, len) => new Bech32Address(new Uint8Array(len).fill(byte)).toBech32(PREFIX);
const contract = addr(0xad, 32);
const payee = addr(0x01, 20);
const vault = addr(0x0a, 32);

// What BitHive asks wallets to sign; the texts' layouts are fixed by their own tests, and
// packages/payfi-voucher/tests/keplr_vectors.rs builds the vouchers' texts again from the fields.
const texts = {
  voucher_v2: `bithive.payfi.voucher.v2 chain=bithive-devnet-1 contract=${contract} channel=7 payee=${payee} asset=native:ubtt cumulative=2500000`,
  voucher_v1: `bithive.payfi.voucher.v1 chain=bithive-devnet-1 contract=${contract} channel=7 cumulative=2500000`,
  vault_owner_key: `BitHive data vault ${vault} on bithive-devnet-1: derive the keys of my records. Sign this only in a BitHive client: this signature opens every record you stored in this vault.`,
  unicode: 'h\u00e9llo, \u4e16\u754c "quoted" <tag> & back\\slash',
};

const hex = (b) => Buffer.from(b).toString("hex");
const cases = Object.entries(texts).map(([name, text]) => {
  // Keplr's signArbitrary takes a string as its UTF-8 bytes.
  const data = Buffer.from(text, "utf8");
  const signBytes = serializeSignDoc(makeADR36AminoSignDoc(signer, data));
  const digest = Hash.sha256(signBytes);
  const { r, s } = priv.signDigest32(digest);
  const signature = new Uint8Array([...r, ...s]);
  if (!verifyADR36Amino(PREFIX, signer, data, pub.toBytes(), signature)) {
    throw new Error(`${name}: Keplr's own verifyADR36Amino refused its signature`);
  }
  return {
    name,
    text,
    sign_bytes: Buffer.from(signBytes).toString("utf8"),
    digest: hex(digest),
    signature: hex(signature),
  };
});

const out = {
  contract,
  payee,
  vault,
  source: "@keplr-wallet/cosmos and @keplr-wallet/crypto 0.13.41 (testing/wallet-vectors/keplr-adr36.mjs)",
  mnemonic: MNEMONIC,
  hd_path: PATH,
  secret_key: hex(priv.toBytes()),
  public_key: hex(pub.toBytes()),
  signer,
  cases,
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
