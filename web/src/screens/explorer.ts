// Explorer: the chain as this node serves it, for operators and the curious, and the page every
// transaction of the app links to. `#explorer`: search and the latest blocks; `#explorer/block/N`:
// a block and its transactions; `#explorer/tx/HASH`: a transaction with its messages (a contract
// call named by its role in the deployment, its JSON message as sent) and its events (a contract's
// by role and action); `#explorer/account/ADDR`: an account's BHIVE, BTT and BTK, its recent
// transactions, the jobs it paid and the records it owns. Read-only: no wallet needed.
import { fromUtf8, toHex } from "@cosmjs/encoding";
import { decodeTxRaw } from "@cosmjs/proto-signing";
import type { IndexedTx } from "@cosmjs/stargate";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import { DataVaultQueryClient } from "../contracts/DataVault.client";
import { type Chain, explain, plain } from "../chain";
import { addressPrefix, feeCurrency } from "../chaininfo";
import { accountHref, fmt, h, section, short, table, txHref } from "../ui";
import type { Screen } from "../screen";
import { balanceList, balances, checkAddress, history } from "./wallet";
import { jobsOf } from "./patient";

const blockHref = (height: number) => `#explorer/block/${height}`;

/** How many of the latest blocks the explorer's front page lists. */
const LATEST = 10;

/** A contract's role in the deployment (`btt`, `payfi_escrow`, …), or its short address. */
function roleOf(chain: Chain, address: string): string {
  const found = Object.entries(chain.d.contracts).find(([, a]) => a === address);
  return found ? found[0] : short(address);
}

const utc = (t: string | Date) => new Date(t).toISOString().replace("T", " ").slice(0, 19) + " UTC";
const link = (href: string, text: string, testid?: string) => h("a", { href, "data-testid": testid }, text);

/** What a search box entry is: a transaction hash, an account address or a block height. */
export function parseSearch(chain: Chain, text: string): string {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return txHref(t);
  if (/^\d{1,12}$/.test(t) && Number(t) > 0) return blockHref(Number(t));
  try {
    return accountHref(checkAddress(chain, t));
  } catch {
    throw new Error(`"${t}" is not a transaction hash (64 hex characters), a ${addressPrefix(chain.info)}1… address or a block height`);
  }
}

async function front(chain: Chain): Promise<HTMLElement> {
  const top = await chain.query.getHeight();
  const heights = Array.from({ length: Math.min(LATEST, top) }, (_, i) => top - i);
  const blocks = await Promise.all(heights.map((n) => chain.query.getBlock(n).catch(() => null)));
  const rows = blocks.flatMap((b) => (b ? [[link(blockHref(b.header.height), String(b.header.height)), utc(b.header.time), String(b.txs.length)]] : []));
  const input = h("input", { id: "explorer-q", name: "q", required: true, autocomplete: "off", spellcheck: "false", "data-testid": "explorer-q" });
  const msg = h("p", { role: "status", "aria-live": "polite", "data-testid": "explorer-search-status" });
  const form = h(
    "form",
    { role: "search", "aria-label": "Search the chain" },
    h("div", { class: "field" }, h("label", { for: "explorer-q" }, "Transaction hash, address or block height"), input),
    h("button", { type: "submit", "data-testid": "explorer-search" }, "Search"),
    msg,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    try {
      window.location.hash = parseSearch(chain, input.value);
    } catch (e) {
      msg.className = "error";
      msg.textContent = plain(e);
    }
  });
  return h("div", {}, section("Search", form), section("Latest blocks", table(`The latest ${rows.length} blocks`, ["Block", "Time", "Transactions"], rows, "explorer-blocks")));
}

async function blockPage(chain: Chain, height: number): Promise<HTMLElement> {
  if (!Number.isSafeInteger(height) || height < 1) return h("p", { class: "error", role: "alert", "data-testid": "explorer-missing" }, "A block height is a whole number from 1.");
  let b;
  try {
    b = await chain.query.getBlock(height);
  } catch (e) {
    return h("p", { class: "error", role: "alert", "data-testid": "explorer-missing" }, `No block ${height} on this node: ${plain(e)}`);
  }
  // A transaction's hash is the sha256 of its bytes (the browser's own digest: no library).
  const hashes = await Promise.all(b.txs.map(async (raw) => toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", raw as BufferSource))).toUpperCase()));
  const rows = hashes.map((hash) => [link(txHref(hash), short(hash), `explorer-block-tx-${hash}`)]);
  return section(
    `Block ${height}`,
    h("dl", { class: "facts" }, h("dt", {}, "Time"), h("dd", {}, utc(b.header.time)), h("dt", {}, "Block hash"), h("dd", { class: "code" }, short(b.id))),
    table("Its transactions", ["Transaction"], rows, "explorer-block-txs"),
    h("p", {}, height > 1 ? link(blockHref(height - 1), "← previous block") : "", " ", link("#explorer", "latest blocks")),
  );
}

/** A transaction's messages in words: a contract call by role with its JSON, a bank send. */
function messages(chain: Chain, tx: IndexedTx): HTMLElement[] {
  const native = feeCurrency(chain.info);
  return decodeTxRaw(tx.tx).body.messages.map((m, i) => {
    let what: HTMLElement;
    if (m.typeUrl === "/cosmwasm.wasm.v1.MsgExecuteContract") {
      const x = MsgExecuteContract.decode(m.value);
      let json = fromUtf8(x.msg);
      try {
        json = JSON.stringify(JSON.parse(json), null, 2);
      } catch {
        // shown as sent
      }
      const funds = x.funds.map((c) => (c.denom === native.coinMinimalDenom ? `${fmt(c.amount)} ${native.coinDenom}` : `${c.amount} ${c.denom}`)).join(", ");
      what = h(
        "div",
        {},
        h("p", {}, "Call of ", h("strong", { "data-testid": "explorer-msg-contract" }, roleOf(chain, x.contract)), " by ", link(accountHref(x.sender), short(x.sender)), funds ? ` with ${funds}` : ""),
        h("pre", { tabindex: 0, "data-testid": "explorer-msg-json" }, json),
      );
    } else if (m.typeUrl === "/cosmos.bank.v1beta1.MsgSend") {
      const x = MsgSend.decode(m.value);
      const amount = x.amount.map((c) => (c.denom === native.coinMinimalDenom ? `${fmt(c.amount)} ${native.coinDenom}` : `${c.amount} ${c.denom}`)).join(", ");
      what = h("p", {}, `Send of ${amount} from `, link(accountHref(x.fromAddress), short(x.fromAddress)), " to ", link(accountHref(x.toAddress), short(x.toAddress)));
    } else {
      what = h("p", {}, h("code", {}, m.typeUrl));
    }
    return h("article", { class: "escrow", "data-testid": "explorer-msg" }, h("h4", {}, `Message ${i + 1}`), what);
  });
}

/** A transaction's contract events, each named by its contract's role and its action. */
function contractEvents(chain: Chain, tx: IndexedTx): HTMLElement {
  const rows = tx.events
    .filter((e) => e.type === "wasm" || e.type.startsWith("wasm-"))
    .map((e) => {
      const attrs = e.attributes.filter((a) => a.key !== "_contract_address" && a.key !== "msg_index");
      const contract = e.attributes.find((a) => a.key === "_contract_address")?.value ?? "";
      const action = attrs.find((a) => a.key === "action")?.value ?? e.type;
      const rest = attrs.filter((a) => a.key !== "action").map((a) => `${a.key} = ${a.value}`).join("\n");
      return [roleOf(chain, contract), action, h("span", { class: "pre" }, rest)];
    });
  return table("What the contracts did", ["Contract", "Action", "Details"], rows, "explorer-events");
}

async function txPage(chain: Chain, hash: string): Promise<HTMLElement> {
  if (!/^[0-9A-F]{64}$/.test(hash)) return h("p", { class: "error", role: "alert", "data-testid": "explorer-missing" }, `"${hash}" is not a transaction hash (64 hex characters).`);
  const tx = await chain.query.getTx(hash);
  if (!tx) {
    return h("p", { class: "error", role: "alert", "data-testid": "explorer-missing" }, `No transaction ${short(hash)} on this node: it may not be in a block yet, or the node no longer keeps it.`);
  }
  const decoded = decodeTxRaw(tx.tx);
  const fee = decoded.authInfo.fee?.amount.map((c) => (c.denom === feeCurrency(chain.info).coinMinimalDenom ? `${fmt(c.amount)} ${feeCurrency(chain.info).coinDenom}` : `${c.amount} ${c.denom}`)).join(", ") || "none";
  const fact = (k: string, v: Node | string, testid?: string) => [h("dt", {}, k), h("dd", { "data-testid": testid }, v)];
  return h(
    "div",
    { "data-testid": "explorer-tx" },
    section(
      "Transaction",
      h(
        "dl",
        { class: "facts" },
        ...fact("Hash", h("span", { class: "code" }, hash)),
        ...fact("Block", link(blockHref(tx.height), String(tx.height), "explorer-tx-block")),
        ...fact("Result", tx.code === 0 ? "succeeded" : `failed (code ${tx.code}): ${explain(tx.rawLog)}`, "explorer-tx-result"),
        ...fact("Gas", `${tx.gasUsed.toLocaleString("en")} used of ${tx.gasWanted.toLocaleString("en")}`),
        ...fact("Fee", fee),
        ...(decoded.body.memo ? fact("Memo", decoded.body.memo) : []),
      ),
    ),
    section("Messages", ...messages(chain, tx)),
    section("Events", contractEvents(chain, tx)),
  );
}

async function accountPage(chain: Chain, addr: string): Promise<HTMLElement> {
  try {
    checkAddress(chain, addr);
  } catch (e) {
    return h("p", { class: "error", role: "alert", "data-testid": "explorer-missing" }, `${plain(e)}.`);
  }
  const c = chain.d.contracts;
  const [b, txs, jobs, records] = await Promise.all([
    balances(chain, addr),
    history(chain, addr),
    jobsOf(chain, addr).catch(() => []),
    c.data_vault ? new DataVaultQueryClient(chain.query, c.data_vault).tokens({ owner: addr, limit: 30 }).then((t) => t.tokens).catch(() => []) : Promise.resolve([]),
  ]);
  return h(
    "div",
    { "data-testid": "explorer-account" },
    section("Account", h("p", {}, h("code", { class: "addr" }, addr)), balanceList(b)),
    section(
      "Recent transactions",
      table("Its recent transactions", ["Block", "Transaction", "Result"], txs.map((t) => [link(blockHref(t.height), String(t.height)), link(txHref(t.hash), short(t.hash)), t.code === 0 ? "ok" : `failed (${t.code})`]), "explorer-account-txs"),
    ),
    section("Jobs it paid", table("Escrow jobs", ["Job", "Model", "Status"], jobs.map((j) => [j.job_id.split("/").slice(1).join("/") || j.job_id, j.model, typeof j.status === "string" ? j.status : Object.keys(j.status)[0]]), "explorer-account-jobs")),
    section("Records it owns", h("p", { "data-testid": "explorer-account-records" }, records.length ? `${records.length} record(s) in the data vault: ${records.join(", ")} (their contents are encrypted; only the owner and the accounts it shares with read them)` : "No records in the data vault.")),
  );
}

export const explorerScreen: Screen = {
  async render(chain) {
    const [, kind, id] = window.location.hash.slice(1).split("/");
    try {
      if (kind === "tx" && id) return await txPage(chain, decodeURIComponent(id).toUpperCase());
      if (kind === "block" && id) return await blockPage(chain, Number(id));
      if (kind === "account" && id) return await accountPage(chain, decodeURIComponent(id));
      return await front(chain);
    } catch (e) {
      return h("p", { class: "error", role: "alert" }, `The node did not answer: ${plain(e)}`);
    }
  },
};
