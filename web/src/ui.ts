// Small DOM helpers: elements, forms with labelled fields, a live transaction status.
import type { Chain, Session, TxReport } from "./chain";
import type { Screen } from "./screen";
import { TokenQueryClient } from "./contracts/Token.client";

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

let ids = 0;
/** A labelled input; returns the wrapper and the input. */
export function field(label: string, attrs: Attrs = {}, hint?: string): [HTMLElement, HTMLInputElement] {
  const id = `f${++ids}`;
  const input = h("input", { id, name: id, ...attrs });
  const hintEl = hint ? h("small", { id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", `${id}-hint`);
  return [h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl), input];
}

export function select(label: string, options: [string, string][]): [HTMLElement, HTMLSelectElement] {
  const id = `f${++ids}`;
  const sel = h("select", { id, name: id }, ...options.map(([v, t]) => h("option", { value: v }, t)));
  return [h("div", { class: "field" }, h("label", { for: id }, label), sel), sel];
}

/** Where the explorer shows a transaction and an account (`screens/explorer.ts`). */
export const txHref = (hash: string) => `#explorer/tx/${hash.toUpperCase()}`;
export const accountHref = (addr: string) => `#explorer/account/${addr}`;

/** A status line announced to screen readers; `data-state` carries the transaction state. */
export function txStatus(testid: string): [HTMLElement, TxReport] {
  const el = h("p", { class: "tx", role: "status", "aria-live": "polite", "data-testid": testid });
  return [
    el,
    (s, text, hash) => {
      el.dataset.state = s;
      el.textContent = text;
      // Every transaction links to its page in the app's explorer (messages and events decoded).
      if (hash) el.append(" ", h("a", { href: txHref(hash), "data-testid": `${testid}-tx` }, "See the transaction"));
    },
  ];
}

/** A button that copies `text` in one click, with its outcome announced beside it. */
export function copyButton(text: string, label: string, testid: string, statusTestid = `${testid}-status`): HTMLElement {
  const copied = h("span", { role: "status", "aria-live": "polite", "data-testid": statusTestid });
  const copy = h("button", { type: "button", "data-testid": testid }, label);
  copy.addEventListener("click", async () => {
    copied.textContent = ""; // so a second copy is announced again
    try {
      await navigator.clipboard.writeText(text);
      copied.textContent = " Copied.";
    } catch {
      copied.textContent = " Your browser did not allow the clipboard: select the text and copy it.";
    }
  });
  return h("span", { class: "actions" }, copy, copied);
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h("section", {}, h("h3", {}, title), ...children);
}

export function table(caption: string, head: string[], rows: (string | Node)[][], testid?: string): HTMLElement {
  if (rows.length === 0) return h("p", { class: "empty", "data-testid": testid }, `${caption}: none yet.`);
  // Each cell names its column: on a phone the rows stack as cards (style.css); the explicit
  // roles keep them a table for screen readers that drop the semantics of display: block.
  return h(
    "table",
    { "data-testid": testid, role: "table" },
    h("caption", {}, caption),
    h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, ...head.map((c) => h("th", { scope: "col", role: "columnheader" }, c)))),
    h("tbody", { role: "rowgroup" }, ...rows.map((r) => h("tr", { role: "row" }, ...r.map((c, i) => h("td", { "data-label": head[i], role: "cell" }, c))))),
  );
}

const DECIMALS = 6;

/** Base units to a decimal string with the token's 6 decimals (no floating point). */
export function fmt(base: string | bigint, decimals = DECIMALS): string {
  const v = BigInt(base);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const unit = 10n ** BigInt(decimals);
  const frac = (a % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  const whole = (a / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

/** A decimal amount typed by the user to base units; throws a plain message when it is not one. */
export function parseAmount(text: string, decimals = DECIMALS): string {
  const t = text.trim();
  const m = t.match(/^(\d+)(?:\.(\d+))?$/);
  if (!m) throw new Error(`"${t}" is not an amount: use digits and at most one dot, e.g. 12.5`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new Error(`at most ${decimals} decimals`);
  const v = BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
  if (v === 0n) throw new Error("the amount must be more than zero");
  return v.toString();
}

export function short(addr: string): string {
  return addr.length > 20 ? `${addr.slice(0, 12)}…${addr.slice(-6)}` : addr;
}

/** A screen for a connected wallet: without one it asks to connect, saying what the screen is
 * for (`needWallet`, the end of "Connect your wallet (top right) to ..."). */
export function sessionScreen(screen: { needWallet: string; render(chain: Chain, session: Session): Promise<HTMLElement> }): Screen {
  return {
    async render(chain) {
      const s = chain.session;
      if (!s) return h("p", { "data-testid": "need-wallet" }, `Connect your wallet (top right) to ${screen.needWallet}.`);
      return screen.render(chain, s);
    },
  };
}

/** An asset's unit and decimals: BTT and BTK (6), the chain's own coins by the wallet chain info
 * (BHIVE), any other denom or token counted in base units under its name (decimals 0). */
export function assetUnits(chain: Chain, asset: { cw20: string } | { native: string }): [string, number] {
  const c = chain.d.contracts;
  if ("cw20" in asset) {
    if (asset.cw20 === c.btt) return ["BTT", 6];
    if (asset.cw20 === c.btk) return ["BTK", 6];
    return [`base units of ${short(asset.cw20)}`, 0];
  }
  const cur = chain.info.currencies.find((x) => x.coinMinimalDenom === asset.native);
  return cur ? [cur.coinDenom, cur.coinDecimals] : [asset.native, 0];
}

/** `base` units of `asset` with its unit (see `assetUnits`). */
export function assetAmount(chain: Chain, asset: { cw20: string } | { native: string }, base: string): string {
  const [unit, decimals] = assetUnits(chain, asset);
  return `${fmt(base, decimals)} ${unit}`;
}

/** A cw20's symbol and decimals from its token info; one that cannot be read is counted in base
 * units under its address (a listing of everyone else's still draws). */
export async function cw20Units(chain: Chain, token: string): Promise<[string, number]> {
  try {
    const t = await new TokenQueryClient(chain.query, token).tokenInfo();
    return [t.symbol, t.decimals];
  } catch {
    return [`base units of ${short(token)}`, 0];
  }
}
