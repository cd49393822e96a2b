// A test wallet injected into the page: window.keplr (or window.leap, as Leap injects it)
// implements the Keplr API surface the app
// uses (experimentalSuggestChain, enable, getKey, getOfflineSigner, getOfflineSignerAuto,
// signDirect, signAmino, signArbitrary) and forwards every call to a CosmJS DirectSecp256k1HdWallet in the test
// process (page.exposeFunction). `mode` makes it approve or reject like a user would.
import type { Page } from "@playwright/test";
import { fromBase64, toBase64 } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { Secp256k1HdWallet, type StdSignDoc } from "@cosmjs/amino";

export interface TestWallet {
  address: string;
  /** approve: sign everything; reject: refuse every signature ("Request rejected"). */
  mode: "approve" | "reject";
  calls: string[];
  suggested: unknown[];
  /** The TxBody bytes of every transaction it signed (Direct), in order. */
  signed: Uint8Array[];
  /** The texts it signed with signArbitrary (ADR-36), in order. */
  arbitrary: string[];
  /** The amino JSON sign docs of the transactions it signed (a Ledger signs only these). */
  signedAmino: StdSignDoc[];
  /** The user switches to another account in the wallet (Keplr's `keplr_keystorechange`). */
  switchTo(mnemonic: string): Promise<void>;
}

/** Injects a test wallet answering Keplr's API, as Keplr does (`window.keplr`, the default) or
 * as Leap does (`window.leap`); called twice, the page has both wallets, each its own account.
 * `ledger`: the account is on a Ledger, as Keplr presents one: `isNanoLedger`, the signer
 * `getOfflineSignerAuto` gives signs amino JSON only, and a direct signature is refused. */
export async function injectWallet(page: Page, mnemonic: string, as: "keplr" | "leap" = "keplr", ledger = false): Promise<TestWallet> {
  let direct = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "bithive" });
  let amino = await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "bithive" });
  let [acc] = await direct.getAccounts();
  const w: TestWallet = {
    address: acc.address, mode: "approve", calls: [], suggested: [], signed: [], arbitrary: [], signedAmino: [],
    async switchTo(other: string) {
      direct = await DirectSecp256k1HdWallet.fromMnemonic(other, { prefix: "bithive" });
      amino = await Secp256k1HdWallet.fromMnemonic(other, { prefix: "bithive" });
      [acc] = await direct.getAccounts();
      w.address = acc.address;
      await page.evaluate((ev) => window.dispatchEvent(new Event(ev)), `${as}_keystorechange`);
    },
  };
  const enabled = new Set<string>();

  await page.exposeFunction(`__bithiveTestWallet_${as}`, async (method: string, arg: any) => {
    w.calls.push(method);
    switch (method) {
      case "suggest":
        w.suggested.push(arg);
        return null;
      case "enable":
        if (w.mode === "reject") throw new Error("Request rejected");
        enabled.add(arg);
        return null;
      case "key":
        if (!enabled.has(arg)) throw new Error(`${arg} is not enabled`);
        return { name: "test wallet", bech32Address: acc.address, pubKey: toBase64(acc.pubkey), algo: "secp256k1" };
      case "signDirect": {
        if (w.mode === "reject") throw new Error("Request rejected");
        if (ledger) throw new Error("Ledger: only amino JSON signing is supported");
        if (arg.signer !== acc.address) throw new Error("unknown signer");
        const r = await direct.signDirect(acc.address, {
          bodyBytes: fromBase64(arg.bodyBytes),
          authInfoBytes: fromBase64(arg.authInfoBytes),
          chainId: arg.chainId,
          accountNumber: BigInt(arg.accountNumber),
        });
        w.signed.push(r.signed.bodyBytes);
        return {
          bodyBytes: toBase64(r.signed.bodyBytes),
          authInfoBytes: toBase64(r.signed.authInfoBytes),
          chainId: r.signed.chainId,
          accountNumber: r.signed.accountNumber.toString(),
          signature: r.signature,
        };
      }
      case "signAmino": {
        if (w.mode === "reject") throw new Error("Request rejected");
        if (arg.signer !== acc.address) throw new Error("unknown signer");
        const r = await amino.signAmino(acc.address, arg.doc as StdSignDoc);
        w.signedAmino.push(r.signed);
        return { signed: r.signed, signature: r.signature };
      }
      case "signArbitrary": {
        // ADR-36, as Keplr builds it (makeADR36AminoSignDoc) and signs it with the amino key.
        if (w.mode === "reject") throw new Error("Request rejected");
        if (arg.signer !== acc.address) throw new Error("unknown signer");
        const doc: StdSignDoc = {
          chain_id: "", account_number: "0", sequence: "0", fee: { gas: "0", amount: [] }, memo: "",
          msgs: [{ type: "sign/MsgSignData", value: { signer: arg.signer, data: toBase64(new TextEncoder().encode(arg.data)) } }],
        };
        w.arbitrary.push(arg.data);
        return (await amino.signAmino(acc.address, doc)).signature;
      }
      default:
        throw new Error(`test wallet: no method ${method}`);
    }
  });

  await page.addInitScript(({ as, ledger }) => {
    const call = (m: string, a?: unknown) => (window as any)[`__bithiveTestWallet_${as}`](m, a);
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const signDirect = async (_chainId: string, signer: string, doc: any) => {
      const r = await call("signDirect", {
        signer,
        bodyBytes: b64(doc.bodyBytes),
        authInfoBytes: b64(doc.authInfoBytes),
        chainId: doc.chainId,
        accountNumber: doc.accountNumber.toString(),
      });
      return {
        signed: { bodyBytes: unb64(r.bodyBytes), authInfoBytes: unb64(r.authInfoBytes), chainId: r.chainId, accountNumber: BigInt(r.accountNumber) },
        signature: r.signature,
      };
    };
    const signAmino = (_chainId: string, signer: string, doc: unknown) => call("signAmino", { signer, doc });
    const signer = (chainId: string) => ({
      async getAccounts() {
        const k = await call("key", chainId);
        return [{ address: k.bech32Address, algo: k.algo, pubkey: unb64(k.pubKey) }];
      },
      signDirect: (signerAddress: string, doc: unknown) => signDirect(chainId, signerAddress, doc),
    });
    // What Keplr's getOfflineSignerAuto gives for a Ledger account: an amino-only signer.
    const aminoSigner = (chainId: string) => ({
      getAccounts: signer(chainId).getAccounts,
      signAmino: (signerAddress: string, doc: unknown) => signAmino(chainId, signerAddress, doc),
    });
    (window as any)[as] = {
      version: "test",
      experimentalSuggestChain: (info: unknown) => call("suggest", info),
      enable: (chainId: string) => call("enable", chainId),
      async getKey(chainId: string) {
        const k = await call("key", chainId);
        return { ...k, pubKey: unb64(k.pubKey), isNanoLedger: ledger };
      },
      getOfflineSigner: signer,
      getOfflineSignerAuto: async (chainId: string) => (ledger ? aminoSigner(chainId) : signer(chainId)),
      signDirect,
      signAmino,
      signArbitrary: (_chainId: string, signer: string, data: string) => call("signArbitrary", { signer, data }),
    };
  }, { as, ledger });
  return w;
}
