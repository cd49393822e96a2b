// Network at a glance: emission so far against the halving schedule, BTT/BTK supply, recent
// jobs and attestations.
import type { IndexedTx } from "@cosmjs/stargate";
import { EmissionQueryClient } from "../contracts/Emission.client";
import { PayfiEscrowQueryClient } from "../contracts/PayfiEscrow.client";
import { TokenQueryClient } from "../contracts/Token.client";
import type { Chain } from "../chain";
import { assetAmount, fmt, h, section, short, table } from "../ui";
import type { Screen } from "../screen";

const DAY = 86_400;
/** The schedule: 2,100-day halving periods (contracts/emission/README.md). */
const PERIOD_DAYS = 2_100;
const SVG = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text) el.textContent = text;
  return el;
}

/** Cumulative emission against time (years), the schedule as a line and "now" as a dot. */
function chart(points: [number, bigint][], nowDays: number, minted: bigint, cap: bigint): SVGElement {
  const W = 640, H = 260, L = 70, B = 36, T = 12, R = 40;
  const maxDays = points[points.length - 1][0];
  const x = (d: number) => L + ((W - L - R) * d) / maxDays;
  const y = (v: bigint) => H - B - Number(((BigInt(H - B - T) * 1000n * v) / cap)) / 1000;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc", class: "chart", "data-testid": "emission-chart" });
  root.append(
    svg("title", { id: "chart-title" }, "BTK emission: schedule and minted so far"),
    svg("desc", { id: "chart-desc" }, `Cumulative BTK due by the halving schedule over ${Math.round(maxDays / 365)} years, converging to the ${fmt(cap)} BTK cap; ${fmt(minted)} BTK minted so far, ${nowDays.toFixed(1)} days after genesis.`),
  );
  root.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }), svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (let i = 1; i * PERIOD_DAYS <= maxDays; i++) {
    const xx = x(i * PERIOD_DAYS);
    root.append(svg("line", { x1: xx, y1: T, x2: xx, y2: H - B, class: "grid" }), svg("text", { x: xx, y: H - B + 14, "text-anchor": "middle", class: "tick" }, `halving ${i}`));
  }
  for (const f of [0n, 50n, 100n]) {
    root.append(svg("text", { x: L - 6, y: y((cap * f) / 100n) + 4, "text-anchor": "end", class: "tick" }, `${f}%`));
  }
  root.append(svg("text", { x: (L + W) / 2, y: H - 4, "text-anchor": "middle", class: "tick" }, "years since genesis (0 to " + Math.round(maxDays / 365) + ")"));
  root.append(svg("polyline", { points: points.map(([d, v]) => `${x(d).toFixed(1)},${y(v).toFixed(1)}`).join(" "), class: "schedule" }));
  root.append(svg("circle", { cx: x(nowDays), cy: y(minted), r: 5, class: "now" }));
  return root;
}

function wasmAttr(tx: IndexedTx, key: string, contract: string): string | undefined {
  for (const e of tx.events) {
    if (e.type !== "wasm") continue;
    if (!e.attributes.some((a) => a.key === "_contract_address" && a.value === contract)) continue;
    const v = e.attributes.find((a) => a.key === key)?.value;
    if (v !== undefined) return v;
  }
  return undefined;
}

async function recent(chain: Chain, contract: string, action: string): Promise<IndexedTx[]> {
  const txs = await chain.query.searchTx(`wasm._contract_address='${contract}' AND wasm.action='${action}'`).catch(() => []);
  return [...txs].sort((a, b) => b.height - a.height).slice(0, 10);
}

export const networkScreen: Screen = {
  async render(chain) {
    const c = chain.d.contracts;
    const em = new EmissionQueryClient(chain.query, c.emission);
    const status = await em.status();
    const years = 4 * PERIOD_DAYS;
    const samples = Array.from({ length: 33 }, (_, i) => Math.round((years * i) / 32));
    const due = await Promise.all(samples.map((d) => em.dueAt({ elapsed: d * DAY })));
    const points = samples.map((d, i) => [d, BigInt(due[i])] as [number, bigint]);
    const nowDays = Math.max(0, (status.now - chain.d.genesis) / DAY);
    const [btt, btk] = await Promise.all([new TokenQueryClient(chain.query, c.btt).tokenInfo(), new TokenQueryClient(chain.query, c.btk).tokenInfo()]);
    const [jobs, accepts] = await Promise.all([recent(chain, c.payfi_escrow, "create_job"), recent(chain, c.attestation, "accept")]);
    // Each job's amount in its own asset (BTT, or the chain's coin): the event names no asset.
    const escrow = new PayfiEscrowQueryClient(chain.query, c.payfi_escrow);
    const jobRows = await Promise.all(
      jobs.map(async (t) => {
        const id = wasmAttr(t, "job_id", c.payfi_escrow) ?? "?";
        const amount = wasmAttr(t, "amount", c.payfi_escrow) ?? "0";
        const asset = await escrow.job({ jobId: id }).then((j) => j.asset).catch(() => null);
        return [String(t.height), h("code", {}, short(id)), wasmAttr(t, "model", c.payfi_escrow) ?? "", asset ? assetAmount(chain, asset, amount) : `${amount} base units`];
      }),
    );
    const pct = (a: string, b: string) => (BigInt(b) === 0n ? "0" : (Number((BigInt(a) * 10000n) / BigInt(b)) / 100).toFixed(2));
    return h(
      "div",
      {},
      section(
        "Emission",
        h(
          "dl",
          { class: "facts", "data-testid": "emission" },
          h("dt", {}, "Minted so far"), h("dd", { "data-testid": "emission-minted" }, `${fmt(status.minted)} BTK (${pct(status.minted, status.cap)} % of the cap)`),
          h("dt", {}, "Due now by the schedule"), h("dd", {}, `${fmt(status.due_now)} BTK`),
          h("dt", {}, "Daily rate"), h("dd", {}, `${fmt(status.daily_rate)} BTK a day (${status.halvings} halvings so far)`),
          h("dt", {}, "Cap"), h("dd", {}, `${fmt(status.cap)} BTK`),
        ),
        h("figure", {}, chart(points, nowDays, BigInt(status.minted), BigInt(status.cap)), h("figcaption", {}, "The line is the cumulative emission the schedule allows; the dot is what was minted so far.")),
      ),
      section(
        "Supply",
        h(
          "dl",
          { class: "facts", "data-testid": "supply" },
          h("dt", {}, "BTT"), h("dd", { "data-testid": "supply-BTT" }, `${fmt(btt.total_supply)} (fixed)`),
          h("dt", {}, "BTK"), h("dd", { "data-testid": "supply-BTK" }, `${fmt(btk.total_supply)} (emission only)`),
        ),
      ),
      section(
        "Recent jobs",
        table("Jobs paid into the escrow", ["Block", "Job", "Model", "Amount"], jobRows, "recent-jobs"),
      ),
      section(
        "Recent attestations",
        table("Attestations accepted", ["Block", "Kind", "Job", "Node"], accepts.map((t) => [String(t.height), wasmAttr(t, "kind", c.attestation) ?? "", h("code", {}, short(wasmAttr(t, "job_id", c.attestation) ?? "")), short(wasmAttr(t, "node", c.attestation) ?? "")]), "recent-attestations"),
      ),
    );
  },
};
