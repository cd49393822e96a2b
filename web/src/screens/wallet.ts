// Wallet: BHIVE, BTT and BTK balances, send, history (tx search by sender and recipient events).
import { fromBech32 } from "@cosmjs/encoding";
import type { IndexedTx } from "@cosmjs/stargate";
import { decodeTxRaw } from "@cosmjs/proto-signing";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { TokenQueryClient } from "../contracts/Token.client";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { Chain, executeMsg, runTx, sendMsg } from "../chain";
import { addressPrefix, type Currency, feeCurrency } from "../chaininfo";
import { copyButton, field, fmt, h, parseAmount, section, select, sessionScreen, short, table, txHref, txStatus } from "../ui";
import type { Screen } from "../screen";

export interface Balances {
  BHIVE: string;
  BTT: string;
  BTK: string;
}

export async function balances(chain: Chain, address: string): Promise<Balances> {
  const c = chain.d.contracts;
  const [n, btt, btk] = await Promise.all([
    chain.query.getBalance(address, feeCurrency(chain.info).coinMinimalDenom),
    new TokenQueryClient(chain.query, c.btt).balance({ address }),
    new TokenQueryClient(chain.query, c.btk).balance({ address }),
  ]);
  return { BHIVE: n.amount, BTT: btt.balance, BTK: btk.balance };
}

export function balanceList(b: Balances): HTMLElement {
  return h(
    "dl",
    { class: "balances", "data-testid": "balances" },
    ...(Object.keys(b) as (keyof Balances)[]).flatMap((k) => [h("dt", {}, k), h("dd", { "data-testid": `balance-${k}` }, fmt(b[k]))]),
  );
}

/** What the server's faucet gives (`GET /v1/faucet`), or null when it runs none. */
async function faucetOffer(): Promise<{ denom: string; amount: string } | null> {
  try {
    const r = await fetch("/v1/faucet", { cache: "no-store" });
    return r.ok ? ((await r.json()) as { denom: string; amount: string }) : null;
  } catch {
    return null;
  }
}

/** `a` as an account address of this chain (its bech32 prefix from the chain info). */
export function checkAddress(chain: Chain, a: string): string {
  const want = addressPrefix(chain.info);
  const t = a.trim();
  let prefix: string;
  try {
    prefix = fromBech32(t).prefix;
  } catch {
    throw new Error(`"${t}" is not an address`);
  }
  if (prefix !== want) throw new Error(`"${t}" is a ${prefix} address, not a ${want} one`);
  return t;
}

function describe(tx: IndexedTx, me: string, tokens: Record<string, string>, native: Currency): string {
  const wasm = tx.events.filter((e) => e.type === "wasm");
  const attr = (k: string) => wasm.flatMap((e) => e.attributes).find((a) => a.key === k)?.value;
  const action = attr("action");
  if (action === "transfer" || action === "send") {
    const to = attr("to") ?? "";
    const dir = attr("from") === me ? `to ${short(to)}` : `from ${short(attr("from") ?? "")}`;
    const token = tokens[attr("_contract_address") ?? ""] ?? "cw20";
    return `${action} ${fmt(attr("amount") ?? "0")} ${token} ${dir}`;
  }
  if (action) return `contract: ${action}`;
  // Bank sends: the message itself (the fee's transfer event is not the payment).
  for (const m of decodeTxRaw(tx.tx).body.messages) {
    if (m.typeUrl !== "/cosmos.bank.v1beta1.MsgSend") continue;
    const send = MsgSend.decode(m.value);
    const amount = send.amount.map((c) => (c.denom === native.coinMinimalDenom ? `${fmt(c.amount)} ${native.coinDenom}` : `${c.amount} ${c.denom}`)).join(", ");
    return send.fromAddress === me ? `send ${amount} to ${short(send.toAddress)}` : `received ${amount} from ${short(send.fromAddress)}`;
  }
  return "transaction";
}

export async function history(chain: Chain, me: string): Promise<IndexedTx[]> {
  const queries = [`message.sender='${me}'`, `transfer.recipient='${me}'`, `wasm.to='${me}'`];
  const found = await Promise.all(queries.map((q) => chain.query.searchTx(q).catch(() => [] as IndexedTx[])));
  const byHash = new Map<string, IndexedTx>();
  for (const tx of found.flat()) byHash.set(tx.hash, tx);
  return [...byHash.values()].sort((a, b) => b.height - a.height).slice(0, 25);
}

export const walletScreen: Screen = sessionScreen({
  needWallet: "see your balances, send tokens and see your history",
  async render(chain, s) {
    const box = h("div", {});
    const refresh = async () => {
      const [b, txs] = await Promise.all([balances(chain, s.address), history(chain, s.address)]);
      box.replaceChildren(
        section("Balances", h("p", { class: "addr" }, "Account ", h("code", { "data-testid": "address" }, s.address)), balanceList(b)),
        receive,
        sendForm,
        section(
          "History",
          table(
            "Your recent transactions",
            ["Block", "Transaction", "What", "Result"],
            txs.map((t) => [String(t.height), h("a", { href: txHref(t.hash) }, h("code", {}, short(t.hash))), describe(t, s.address, { [chain.d.contracts.btt]: "BTT", [chain.d.contracts.btk]: "BTK" }, feeCurrency(chain.info)), t.code === 0 ? "ok" : `failed (${t.code})`]),
            "history",
          ),
        ),
      );
    };

    // Receive: the address to hand out, copied in one click; what a new account needs first:
    // the server's faucet where it runs one (a devnet or testnet), else whom to ask.
    const fee = feeCurrency(chain.info);
    const coin = fee.coinDenom;
    const faucet = await faucetOffer();
    // Offered only to an account short of one grant (the faucet refuses the others anyway).
    const held = faucet ? BigInt((await chain.query.getBalance(s.address, fee.coinMinimalDenom)).amount) : 0n;
    const receive = section(
      "Receive",
      h("p", {}, "Others send BHIVE, BTT and BTK to this address:"),
      h("p", {}, h("code", {}, s.address)),
      h("div", {}, copyButton(s.address, "Copy address", "copy-address", "copy-status")),
      faucet && faucet.denom === fee.coinMinimalDenom && held < BigInt(faucet.amount)
        ? faucetForm(faucet.amount)
        : h("p", { class: "empty" }, `A new account needs a little ${coin} for fees before it can send anything: ask whoever runs this network (on a devnet, the account that deployed it) to send some.`),
    );

    function faucetForm(amount: string): HTMLElement {
      const words = `${fmt(amount, fee.coinDecimals)} ${coin}`;
      const [st, report] = txStatus("faucet-status");
      const btn = h("button", { type: "button", "data-testid": "faucet" }, `Get ${words} for fees`);
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        report("broadcast", `Asking this network's faucet for ${words}…`);
        let out: { tx: string; height: number };
        try {
          // JSON, as the server asks: a page of another site cannot send that without asking.
          const r = await fetch(`/v1/faucet/${encodeURIComponent(s.address)}`, { method: "POST", headers: { "content-type": "application/json" } });
          const text = await r.text();
          if (!r.ok) {
            // Served already: nothing more to ask for.
            if (r.status === 409) btn.remove();
            else btn.disabled = false;
            return report("failed", `The faucet did not send: ${text.trim() || `HTTP ${r.status}`}.`);
          }
          out = JSON.parse(text) as { tx: string; height: number };
        } catch (e) {
          btn.disabled = false;
          return report("failed", `The faucet could not be reached: ${(e as Error).message}.`);
        }
        btn.remove();
        report("included", `${words} received in block ${out.height}: enough for your first fees.`, out.tx);
        await refresh().catch(() => undefined);
      });
      return h("div", {}, h("p", {}, `A new account needs a little ${coin} for fees before it can send anything. This network's faucet gives each account ${words}, once.`), btn, st);
    }

    const [assetF, asset] = select("Asset", [["BHIVE", "BHIVE (native)"], ["BTT", "BTT (cw20)"], ["BTK", "BTK (cw20)"]]);
    const [toF, to] = field("Recipient", { required: true, autocomplete: "off", spellcheck: "false", "data-testid": "send-to" }, `A ${addressPrefix(chain.info)}1… address`);
    const [amtF, amt] = field("Amount", { required: true, inputmode: "decimal", "data-testid": "send-amount" }, "In whole tokens, up to 6 decimals");
    const [status, report] = txStatus("send-status");
    const submit = h("button", { type: "submit", "data-testid": "send-submit" }, "Send");
    const form = h("form", { "aria-label": "Send tokens" }, assetF, toF, amtF, submit, status);
    const sendForm = section("Send", form);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (submit.disabled) return;
      // Off at once (the balance is read first): a second click sends nothing twice.
      submit.disabled = true;
      try {
        await send();
      } catch (e) {
        report("failed", `Not sent: ${(e as Error).message}`);
      } finally {
        submit.disabled = false;
      }
    });
    const send = async () => {
      let recipient: string, amount: string;
      try {
        recipient = checkAddress(chain, to.value);
        amount = parseAmount(amt.value);
      } catch (e) {
        report("failed", `Not sent: ${(e as Error).message}.`);
        return;
      }
      // More than the balance: said in tokens, before the wallet is asked anything.
      const which = asset.value as keyof Balances;
      report("checking", "Checking your balance…");
      const have = BigInt((await balances(chain, s.address))[which]);
      if (BigInt(amount) > have) {
        report(
          "failed",
          which === "BHIVE"
            ? `Not enough funds: you have ${fmt(have)} ${coin} and this sends ${fmt(amount)} ${coin} (plus the fee). Nothing was sent.`
            : `Not enough balance: you have ${fmt(have)} ${which} and this sends ${fmt(amount)} ${which}. Nothing was sent.`,
        );
        return;
      }
      const c = chain.d.contracts;
      const msg =
        asset.value === "BHIVE"
          ? sendMsg(s.address, recipient, feeCurrency(chain.info).coinMinimalDenom, amount)
          : executeMsg(s.address, asset.value === "BTT" ? c.btt : c.btk, { transfer: { recipient, amount } } satisfies TokenExecuteMsg);
      const done = await runTx(chain, [msg], "", report);
      if (done) {
        await refresh();
        report("included", `Included in block ${done.height} (tx ${done.hash.slice(0, 12)}…).`, done.hash);
      }
    };
    await refresh();
    return box;
  },
});
