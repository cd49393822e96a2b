// Research data: the differential-privacy datasets of the data vault for researchers. Each
// dataset shows its records, the privacy budget left (in all and for the connected researcher)
// and its price per epsilon; a researcher asks a count, a mean or a histogram at a chosen
// epsilon, sees the exact price and the budget it spends before the wallet signs, pays, and
// follows the query until the answerer's noisy answer lands on chain. Spent epsilon never comes
// back; a query above what is left is refused here with nothing signed. Curators create datasets
// and patients join records with `bithive dp` (the record key is sealed on the patient's machine).
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { DataVaultQueryClient } from "../contracts/DataVault.client";
import type { Dataset, DpQuery, ExecuteMsg as VaultMsg, QueryKind, SubmitQueryMsg } from "../contracts/DataVault.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { Chain, executeMsg, plain, runTx, sleep } from "../chain";
import { assetUnits, cw20Units, field, fmt, h, section, select, txStatus } from "../ui";
import type { Screen } from "../screen";

/** cosmwasm-std's Decimal: 18 fractional digits. */
const ONE = 10n ** 18n;

/** A Decimal string (`0.5`, `2`) as an integer of 10^-18 units; throws on anything else. */
export function decimal18(text: string): bigint {
  const m = text.trim().match(/^(\d+)(?:\.(\d{1,18}))?$/);
  if (!m) throw new Error(`"${text.trim()}" is not a number like 0.5`);
  return BigInt(m[1]) * ONE + BigInt((m[2] ?? "").padEnd(18, "0") || "0");
}

/** 10^-18 units back to a short decimal string. */
function show18(v: bigint): string {
  const frac = (v % ONE).toString().padStart(18, "0").replace(/0+$/, "");
  return `${v / ONE}${frac ? "." + frac : ""}`;
}

/** The vault's price of a query: ceil(price_per_epsilon × epsilon) (`checked_mul_ceil`). */
export function queryPrice(pricePerEpsilon: string, epsilon18: bigint): bigint {
  return (BigInt(pricePerEpsilon) * epsilon18 + ONE - 1n) / ONE;
}

/** The unit and decimals of a dataset's price: the chain's coins by the wallet chain info, a
 * cw20 by its token info. */
const unitOf = (chain: Chain, d: Dataset): Promise<[string, number]> =>
  "native" in d.price_asset ? Promise.resolve(assetUnits(chain, d.price_asset)) : cw20Units(chain, d.price_asset.cw20);

function kindWords(k: QueryKind): string {
  if ("count" in k) return "count";
  if ("mean" in k) return `mean of ${k.mean.field} in ${k.mean.lower}..${k.mean.upper}`;
  return `histogram of ${k.histogram.field} in ${k.histogram.lower}..${k.histogram.upper}, ${k.histogram.bins} bins`;
}

/** A noisy answer in words (two decimals; a histogram bin by bin). */
function answerWords(q: DpQuery): string {
  const s = q.status;
  if (s === "pending") return "waiting for an answerer…";
  if (s === "refunded") return "refunded unanswered";
  const a = s.answered.answer;
  const r = (v: string) => Number(v).toFixed(2);
  if ("count" in a) return `count ≈ ${r(a.count.value)} (noisy)`;
  if ("mean" in a) return `mean ≈ ${r(a.mean.value)} (noisy)`;
  const k = q.kind;
  if (!("histogram" in k)) return a.histogram.counts.map(r).join(", ");
  const { lower, upper, bins } = k.histogram;
  const w = (upper - lower) / Math.max(bins, 1);
  return a.histogram.counts.map((c, i) => `${(lower + w * i).toFixed(1)}–${(lower + w * (i + 1)).toFixed(1)}: ${r(c)}`).join("; ") + " (noisy counts)";
}

export const researchDataScreen: Screen = {
  async render(chain) {
    const vault = chain.d.contracts.data_vault;
    if (!vault) return h("p", {}, "This deployment has no data vault.");
    const q = new DataVaultQueryClient(chain.query, vault);
    const s = chain.session;
    // Every dataset: the vault pages by id, 30 at most a page.
    const datasets: Dataset[] = [];
    for (;;) {
      const page = await q.datasets({ startAfter: datasets.length ? datasets[datasets.length - 1].id : undefined, limit: 30 });
      datasets.push(...page.datasets);
      if (page.datasets.length < 30) break;
    }
    const open = datasets.filter((d) => !d.closed);
    const units = new Map<number, [string, number]>();
    for (const d of datasets) units.set(d.id, await unitOf(chain, d));
    const budgets = new Map<number, string>();
    if (s) for (const d of open) budgets.set(d.id, (await q.querierBudget({ datasetId: d.id, querier: s.address })).remaining);

    const list = h(
      "div",
      { "data-testid": "datasets" },
      ...(datasets.length
        ? datasets.map((d) => {
            const [unit, dec] = units.get(d.id)!;
            const left = decimal18(d.total_epsilon) - decimal18(d.spent_epsilon);
            const fact = (k: string, v: string, testid?: string) => [h("dt", {}, k), h("dd", { "data-testid": testid }, v)];
            return h(
              "article",
              { class: "escrow", "data-testid": "dataset", "data-dataset": String(d.id) },
              h("h4", {}, `Dataset ${d.id}: ${d.name}`),
              h(
                "dl",
                { class: "facts" },
                ...fact("Records", `${d.members} ${d.record_type.replace(/_/g, " ")} records (at most ${d.max_members})`),
                ...fact("Admission", d.admission && "issuers" in d.admission ? `endorsed by ${d.admission.issuers.issuers.length} issuer(s)` : "any record of its type (self-reported)"),
                ...fact("Budget left", `epsilon ${show18(left)} of ${d.total_epsilon}${d.closed ? " (closed)" : ""}`, `dataset-left-${d.id}`),
                ...fact("Yours to spend", budgets.has(d.id) ? `epsilon ${budgets.get(d.id)}` : s ? "—" : "connect your wallet", `dataset-yours-${d.id}`),
                ...fact("Per query", `at most epsilon ${d.max_query_epsilon}`),
                ...fact("Price", `${fmt(d.price_per_epsilon, dec)} ${unit} an epsilon`),
              ),
            );
          })
        : [h("p", { class: "empty" }, "No datasets yet: a curator creates one with `bithive dp dataset create`.")]),
    );

    if (!s) {
      return h("div", {}, section("Datasets", list), section("Ask a question", h("p", { "data-testid": "need-wallet" }, "Connect your wallet (top right) to ask a count, a mean or a histogram.")));
    }

    const [dsF, ds] = select("Dataset", open.map((d) => [String(d.id), `${d.id}: ${d.name}`]));
    ds.dataset.testid = "dp-dataset";
    const [kindF, kind] = select("Question", [
      ["count", "How many records (count)"],
      ["mean", "Mean of a field"],
      ["histogram", "Histogram of a field"],
    ]);
    kind.dataset.testid = "dp-kind";
    const [fieldF, fieldName] = field("Field", { "data-testid": "dp-field", autocomplete: "off" }, "A number in each record, e.g. hba1c_mmol_mol");
    // No numeric keypad: it has no minus sign on some phones, and bounds may be negative.
    const [lowerF, lower] = field("Lower bound", { "data-testid": "dp-lower", autocomplete: "off" }, "A whole number; values are clamped to the bounds (this bounds the noise).");
    const [upperF, upper] = field("Upper bound", { "data-testid": "dp-upper", autocomplete: "off" });
    const [binsF, bins] = field("Bins", { inputmode: "numeric", value: "5", "data-testid": "dp-bins" });
    const [epsF, eps] = field("Epsilon to spend", { required: true, value: "0.5", inputmode: "decimal", "data-testid": "dp-epsilon" }, "Smaller: more noise, less budget spent.");
    // What the query costs, in money and budget, before the wallet is asked anything.
    const cost = h("p", { "data-testid": "dp-cost", "aria-live": "polite" });
    const showCost = () => {
      const d = open.find((x) => String(x.id) === ds.value);
      if (!d) return void (cost.textContent = "");
      try {
        const e = decimal18(eps.value);
        const [unit, dec] = units.get(d.id)!;
        cost.textContent = `This query costs ${fmt(queryPrice(d.price_per_epsilon, e), dec)} ${unit} and epsilon ${show18(e)} of your ${budgets.get(d.id) ?? "0"} left on dataset ${d.id}.`;
      } catch {
        cost.textContent = "";
      }
    };
    eps.addEventListener("input", showCost);
    ds.addEventListener("change", showCost);
    showCost();
    const showFields = () => {
      fieldF.hidden = lowerF.hidden = upperF.hidden = kind.value === "count";
      binsF.hidden = kind.value !== "histogram";
    };
    kind.addEventListener("change", showFields);
    showFields();
    const [status, report] = txStatus("dp-status");
    const answer = h("p", { "data-testid": "dp-answer", role: "status", "aria-live": "polite" });
    const ask = h("button", { type: "submit", "data-testid": "dp-ask", disabled: open.length === 0 }, "Pay and ask");
    const form = h("form", { "aria-label": "Ask a dataset" }, dsF, kindF, fieldF, lowerF, upperF, binsF, epsF, cost, ask, status, answer);

    let asking = 0;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (ask.disabled) return;
      ask.disabled = true;
      const mine = ++asking;
      let id: number | null = null;
      try {
        id = await askOnce();
      } finally {
        ask.disabled = false;
      }
      // Followed with the button free again; a newer question takes the answer line over.
      if (id !== null) await follow(id, mine).catch((err) => report("failed", `The query's state could not be read: ${plain(err)}`));
    });
    const askOnce = async (): Promise<number | null> => {
      answer.textContent = "";
      let submit: SubmitQueryMsg;
      let price: bigint;
      let d: Dataset;
      try {
        d = open.find((x) => String(x.id) === ds.value)!;
        if (!d) throw new Error("pick a dataset");
        let k: QueryKind = { count: {} };
        if (kind.value !== "count") {
          // The vault's field names: 1 to 64 of a-z 0-9 . _ -
          const f = fieldName.value.trim();
          if (!/^[a-z0-9._-]{1,64}$/.test(f)) throw new Error(`"${f}" is not a field name (1 to 64 of a-z 0-9 . _ -)`);
          const whole = (t: string) => (/^-?\d+$/.test(t.trim()) ? Number(t.trim()) : NaN);
          const lo = whole(lower.value), hi = whole(upper.value);
          if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo >= hi) throw new Error("the bounds are whole numbers, the lower below the upper");
          if (kind.value === "mean") k = { mean: { field: f, lower: lo, upper: hi } };
          else {
            const b = Number(bins.value);
            if (!Number.isInteger(b) || b < 1 || b > 64) throw new Error("bins: 1 to 64");
            k = { histogram: { field: f, lower: lo, upper: hi, bins: b } };
          }
        }
        const e = decimal18(eps.value);
        if (e === 0n) throw new Error("epsilon must be more than 0");
        if (e > decimal18(d.max_query_epsilon)) throw new Error(`dataset ${d.id} takes at most epsilon ${d.max_query_epsilon} a query`);
        const left = budgets.get(d.id) ?? "0";
        if (e > decimal18(left)) throw new Error(`you may spend only epsilon ${left} more of dataset ${d.id}`);
        submit = { dataset_id: d.id, kind: k, epsilon: eps.value.trim() };
        price = queryPrice(d.price_per_epsilon, e);
      } catch (err) {
        report("failed", `Not sent: ${plain(err)}`);
        return null;
      }
      const [unit, dec] = units.get(d.id)!;
      const a = d.price_asset;
      const msg =
        "native" in a
          ? executeMsg(s.address, vault, { submit_query: submit } satisfies VaultMsg, [{ denom: a.native, amount: price.toString() }])
          : executeMsg(s.address, a.cw20, { send: { contract: vault, amount: price.toString(), msg: toBase64(toUtf8(JSON.stringify({ submit_query: submit }))) } } satisfies TokenExecuteMsg);
      report("checking", `Paying ${fmt(price, dec)} ${unit} for a ${kindWords(submit.kind)} at epsilon ${submit.epsilon}…`);
      const done = await runTx(chain, [msg], "", report);
      if (!done) return null;
      // The budget this query spent, on the cards too (the chain's figures, less what was paid for).
      const spent = decimal18(submit.epsilon);
      budgets.set(d.id, show18(decimal18(budgets.get(d.id) ?? "0") - spent));
      d.spent_epsilon = show18(decimal18(d.spent_epsilon) + spent);
      list.querySelector(`[data-testid=dataset-yours-${d.id}]`)!.textContent = `epsilon ${budgets.get(d.id)}`;
      list.querySelector(`[data-testid=dataset-left-${d.id}]`)!.textContent = `epsilon ${show18(decimal18(d.total_epsilon) - decimal18(d.spent_epsilon))} of ${d.total_epsilon}`;
      showCost();
      const id = Number(done.events.flatMap((e) => (e.type === "wasm" ? e.attributes : [])).find((x) => x.key === "query_id")?.value);
      if (!Number.isInteger(id)) {
        report("failed", "Paid, but the transaction named no query: see your history.");
        return null;
      }
      return id;
    };
    const follow = async (id: number, mine: number) => {
      answer.textContent = `Query ${id}: waiting for an answerer…`;
      for (let i = 0; i < 240; i++) {
        if (mine !== asking) return; // a newer question owns the answer line
        const dq = await q.dpQuery({ queryId: id });
        if (dq.status !== "pending") {
          answer.textContent = `Query ${id} (${kindWords(dq.kind)}, epsilon ${dq.epsilon}): ${answerWords(dq)}`;
          answer.dataset.state = "answered";
          return;
        }
        await sleep(500);
      }
      if (mine === asking) answer.textContent = `Query ${id}: no answer yet. It may be refunded after its expiry (bithive dp refund ${id}); its epsilon stays spent.`;
    };

    return h(
      "div",
      {},
      section("Datasets", list),
      section("Ask a question", h("p", {}, "Answers are noisy on purpose (differential privacy): no answer tells whether one patient is in the data."), form),
    );
  },
};
