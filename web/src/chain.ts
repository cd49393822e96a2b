// The chain over CometBFT RPC with CosmJS, and the wallet through the API Keplr injects, which
// Leap injects too (as `window.leap`). No wallet kit: cosmos-kit, interchain-kit and graz are
// built for React or Vue, and this app has no UI framework; what they add for an injected wallet
// is this choice of `window.keplr` or `window.leap`, its events and its signer.
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { EncodeObject, OfflineSigner } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice } from "@cosmjs/stargate";
import { toUtf8 } from "@cosmjs/encoding";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { type ChainInfo, gasPrice, loadChainInfo } from "./chaininfo";
import type { Deployment } from "./deployment";

/** The part of Keplr's injected API the app uses (any wallet injecting it works). */
export interface KeplrLike {
  experimentalSuggestChain(info: unknown): Promise<void>;
  enable(chainId: string | string[]): Promise<void>;
  getKey(chainId: string): Promise<{ name: string; bech32Address: string; isNanoLedger?: boolean }>;
  getOfflineSignerAuto?(chainId: string): Promise<OfflineSigner>;
  getOfflineSigner(chainId: string): OfflineSigner;
  /** ADR-36: signs `data` (shown to the user) with the account's key, outside any transaction. */
  signArbitrary?(chainId: string, signer: string, data: string): Promise<{ pub_key: { type: string; value: string }; signature: string }>;
}

declare global {
  interface Window {
    keplr?: KeplrLike;
    leap?: KeplrLike;
  }
}

/** A wallet injected into the page. */
export interface Wallet {
  id: "keplr" | "leap";
  name: string;
  api: KeplrLike;
}

/** The wallets this page can use: Keplr's API at `window.keplr`, Leap's at `window.leap` (one
 * wallet when Leap also answers as Keplr). */
export function installedWallets(): Wallet[] {
  const out: Wallet[] = [];
  if (window.keplr) out.push({ id: "keplr", name: "Keplr", api: window.keplr });
  if (window.leap && window.leap !== window.keplr) out.push({ id: "leap", name: "Leap", api: window.leap });
  return out;
}

export interface Session {
  address: string;
  name: string;
  /** The wallet that holds the account (its API signs everything for this session). */
  wallet: Wallet;
  /** The account's compressed secp256k1 public key (33 bytes), as the wallet's signer gives it. */
  pubkey: Uint8Array;
  client: SigningCosmWasmClient;
}

export class Chain {
  readonly rpc: string;
  query!: CosmWasmClient;
  session: Session | null = null;
  /** Why the session ended when the wallet's account changed and could not be read again. */
  sessionLost: string | null = null;
  private listeners: (() => void)[] = [];
  private watching = false;

  /** The deployment's wallet chain info (loaded by `connect`). */
  info!: ChainInfo;
  private readonly infoUrl: string;

  constructor(
    readonly d: Deployment,
    base: string,
  ) {
    this.rpc = new URL("rpc", base).toString();
    this.infoUrl = new URL("keplr-chain-info.json", base).toString();
  }

  async connect(): Promise<void> {
    this.query = await CosmWasmClient.connect(this.rpc);
    const id = await this.query.getChainId();
    if (id !== this.d.chain_id) {
      throw new UserError(
        `Wrong network: the RPC serves chain "${id}" but the deployment is for "${this.d.chain_id}".`,
      );
    }
    this.info = await loadChainInfo(this.d, this.infoUrl);
  }

  onSession(f: () => void) {
    this.listeners.push(f);
  }

  /** Suggests the chain, asks the wallet (`walletId`, or the only one installed) for access and
   * builds a signing client. */
  async connectWallet(walletId?: string): Promise<Session> {
    const wallets = installedWallets();
    if (wallets.length === 0) {
      throw new UserError("No wallet found: install Keplr or Leap (or a wallet with Keplr's API) and reload.");
    }
    const wallet = wallets.find((w) => w.id === walletId) ?? wallets[0];
    const keplr = wallet.api;
    const id = this.d.chain_id;
    try {
      await keplr.experimentalSuggestChain(this.info);
      await keplr.enable(id);
    } catch (e) {
      throw new UserError(`The wallet did not connect: ${plain(e)}. Nothing changed.`);
    }
    const key = await keplr.getKey(id);
    const signer = keplr.getOfflineSignerAuto ? await keplr.getOfflineSignerAuto(id) : keplr.getOfflineSigner(id);
    const [account] = await signer.getAccounts();
    if (!account || account.address !== key.bech32Address) {
      throw new UserError("The wallet's signer and key disagree on the account: reconnect the wallet.");
    }
    const client = await SigningCosmWasmClient.connectWithSigner(this.rpc, signer, {
      gasPrice: GasPrice.fromString(gasPrice(this.info)),
    });
    this.session = { address: account.address, name: key.name, wallet, pubkey: account.pubkey, client };
    this.sessionLost = null;
    this.watchAccount();
    this.listeners.forEach((f) => f());
    return this.session;
  }

  /**
   * Follows the wallet's account: Keplr (and Leap, through Keplr's API or its own event) says when
   * the user switches accounts or locks the wallet. The session is built again for the new
   * account, so nothing is ever signed for, or shown of, the account that was left; when the new
   * one cannot be read the session ends and the user is asked to connect again.
   */
  private watchAccount() {
    if (this.watching) return;
    this.watching = true;
    const changed = async () => {
      if (!this.session) return;
      try {
        await this.connectWallet(this.session.wallet.id);
      } catch (e) {
        this.session = null;
        this.sessionLost = `The wallet's account changed and could not be read (${plain(e)}): connect again.`;
        this.listeners.forEach((f) => f());
      }
    };
    for (const ev of ["keplr_keystorechange", "leap_keystorechange"]) window.addEventListener(ev, changed);
  }

  requireSession(): Session {
    if (!this.session) throw new UserError("Connect your wallet first.");
    return this.session;
  }

  /** ADR-36: the session's wallet signs `data` (shown to the user) outside any transaction.
   * Throws, in words, when the wallet cannot (`what` says what needs it). */
  async signArbitrary(data: string, what: string): Promise<{ pub_key: { type: string; value: string }; signature: string }> {
    const s = this.requireSession();
    const sign = s.wallet.api.signArbitrary;
    if (!sign) throw new UserError(`${s.wallet.name} cannot sign messages (signArbitrary), which ${what} needs`);
    return sign.call(s.wallet.api, this.d.chain_id, s.address, data);
  }
}

/** An error the user caused or can fix; its message is shown as is. */
export class UserError extends Error {}

export function plain(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The chain's or the wallet's error in plain words. */
export function explain(e: unknown): string {
  const m = plain(e);
  if (/reject|denied|declined|cancel/i.test(m)) return "You rejected the request in your wallet. Nothing was sent.";
  if (/insufficient funds|insufficient fee/i.test(m)) {
    return `Not enough funds: your account cannot pay this amount and its fee (${core(m)}).`;
  }
  // cw20's balance check is a checked subtraction (cosmwasm-std 2 no longer names the operands).
  const sub = m.match(/Cannot Sub with (\d+) and (\d+)/);
  if (sub) return `Not enough balance: you have ${sub[1]} base units and this needs ${sub[2]}.`;
  if (/Overflow: Cannot Sub/.test(m)) return "Not enough balance: the amount is more than this account holds.";
  if (/account .* not found|does not exist on chain/i.test(m)) {
    return "Your account does not exist on this chain yet: it needs some BHIVE to pay fees first.";
  }
  return core(m);
}

/** Strips CosmJS' and wasmd's wrapping ("Query failed with (6): ... : execute wasm contract failed"). */
function core(m: string): string {
  let s = m;
  const idx = s.lastIndexOf("message index: 0:");
  if (idx >= 0) s = s.slice(idx + "message index: 0:".length);
  s = s.replace(/^.*?rpc error: code = \w+ desc = /, "");
  s = s.replace(/: (execute|instantiate) wasm contract failed.*$/, "");
  s = s.replace(/^(Broadcasting transaction failed with code \d+ \(codespace: \w+\)\. Log: )/, "");
  s = s.replace(/\[CosmWasm \d+\.\d+\.\d+\/[^\]]*\]/g, "");
  s = s.replace(/Generic error: /g, "");
  s = s.replace(/^\s*contract error: /, "");
  return s.trim().replace(/\s+/g, " ");
}

export function executeMsg(sender: string, contract: string, msg: object, funds: { denom: string; amount: string }[] = []): EncodeObject {
  return {
    typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
    value: MsgExecuteContract.fromPartial({ sender, contract, msg: toUtf8(JSON.stringify(msg)), funds }),
  };
}

export function sendMsg(from: string, to: string, denom: string, amount: string): EncodeObject {
  return {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: from, toAddress: to, amount: [{ denom, amount }] },
  };
}

export type TxState = "checking" | "signing" | "broadcast" | "included" | "failed";

/** What a form's status line hears: the state, its words, and once the transaction is in a block
 * (or was broadcast and not seen) its hash, which the line links to the app's explorer. */
export type TxReport = (s: TxState, text: string, hash?: string) => void;

export interface TxOutcome {
  hash: string;
  height: number;
  events: readonly { type: string; attributes: readonly { key: string; value: string }[] }[];
}

/**
 * Simulates (so a refused transaction is caught before the wallet asks anything), asks the wallet
 * to sign, broadcasts and waits for the block; `report` hears each state.
 */
export async function runTx(
  chain: Chain,
  msgs: EncodeObject[],
  memo: string,
  report: TxReport,
): Promise<TxOutcome | null> {
  let s: Session;
  try {
    s = chain.requireSession();
    report("checking", "Checking the transaction with the chain…");
    const gas = await s.client.simulate(s.address, msgs, memo);
    const fee = calculateFee(Math.ceil(gas * 1.4), GasPrice.fromString(gasPrice(chain.info)));
    report("signing", "Waiting for your signature in the wallet…");
    const raw = await s.client.sign(s.address, msgs, fee, memo);
    report("broadcast", "Broadcast: waiting for the next block…");
    const hash = await s.client.broadcastTxSync(TxRaw.encode(raw).finish());
    for (let i = 0; i < 120; i++) {
      const tx = await s.client.getTx(hash);
      if (tx) {
        if (tx.code !== 0) {
          report("failed", `Failed in block ${tx.height}: ${explain(tx.rawLog)}`, hash);
          return null;
        }
        report("included", `Included in block ${tx.height} (tx ${hash.slice(0, 12)}…).`, hash);
        return { hash, height: tx.height, events: tx.events };
      }
      await sleep(250);
    }
    report("failed", `Not included after 30 s (tx ${hash}); check your history later.`, hash);
    return null;
  } catch (e) {
    report("failed", `Failed: ${e instanceof UserError ? e.message : explain(e)}`);
    return null;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job's expiry in whole hours, 1 to 720 (30 days), from a form field; throws otherwise. */
export function parseExpiryHours(text: string): number {
  const hours = Number(text);
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 30) throw new Error("expiry must be 1 to 720 hours");
  return hours;
}

/** `hours` after the chain's clock (its latest block), not the browser's, as a contract
 * Timestamp (nanoseconds, decimal string); throws when the chain cannot be read. */
export async function expiryAfter(chain: Chain, hours: number): Promise<string> {
  let now: number;
  try {
    now = await chainTime(chain);
  } catch (e) {
    throw new Error(`could not read the chain's time (${plain(e)})`);
  }
  return String(BigInt(now + hours * 3600) * 1_000_000_000n);
}

/** The chain's clock: its latest block's time, in seconds (never the browser's clock). */
export async function chainTime(chain: Chain): Promise<number> {
  return Math.floor(new Date((await chain.query.getBlock()).header.time).getTime() / 1000);
}
