// PayFi: milestone escrows for care, coded for billing. A patient (or an insurer paying for one)
// locks BTT for a provider in milestones (cw20 send with the escrow's create_escrow hook), with
// the payment type, procedure and diagnosis codes and an invoice reference: codes only, never
// names or notes (the chain is public). Each escrow the account pays, is paid by or arbitrates
// shows what its role may do now: the payer or the arbiter releases the next milestone, the payer
// or the payee disputes (it freezes until the arbiter splits what is left), after expiry anyone
// refunds the rest to the payer. An arbiter finds its escrows by number (the contract has no
// index by arbiter). Payment channels are in `payfi-channels.ts`: their vouchers are signed by
// the wallet's `signArbitrary` (the escrow's ADR-36 form, ADR 011).
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { PayfiEscrowQueryClient } from "../contracts/PayfiEscrow.client";
import type { CreateEscrowMsg, Escrow, ExecuteMsg as EscrowMsg, PaymentType } from "../contracts/PayfiEscrow.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { Chain, chainTime, executeMsg, expiryAfter, plain, runTx, type Session, type TxState } from "../chain";
import { assetAmount, assetUnits, field, fmt, h, parseAmount, section, select, sessionScreen, short, txStatus } from "../ui";
import type { Screen } from "../screen";
import { checkAddress } from "./wallet";
import { channelsSection } from "./payfi-channels";

const TYPES: [PaymentType, string][] = [
  ["consultation", "Consultation"],
  ["procedure", "Procedure"],
  ["diagnostic", "Diagnostic"],
  ["pharmacy", "Pharmacy"],
  ["hospitalization", "Hospitalization"],
  ["telehealth", "Telehealth"],
  ["insurance_claim", "Insurance claim"],
  ["compute_service", "Compute service"],
];

/** The escrow's coding rules (contracts/payfi-escrow README), checked before anything is signed. */
const PROCEDURE = /^[A-Z0-9.]{3,10}$/;
const DIAGNOSIS = /^[A-Z][A-Z0-9.]{2,7}$/;
const INVOICE = /^[A-Za-z0-9\-_/.]{1,40}$/;

function codes(text: string, re: RegExp, what: string, max: number): string[] {
  const list = text.split(/[\s,]+/).filter(Boolean);
  if (list.length > max) throw new Error(`at most ${max} ${what} codes`);
  const bad = list.find((c) => !re.test(c));
  if (bad) {
    throw new Error(
      what === "procedure"
        ? `"${bad}" is not a procedure code: 3 to 10 of A-Z 0-9 . (CPT 99213, HCPCS G0008)`
        : `"${bad}" is not a diagnosis code: a letter, then A-Z 0-9 ., 3 to 8 in all (ICD-10 E11.9)`,
    );
  }
  return list;
}

const statusWords: Record<string, string> = {
  open: "open",
  disputed: "disputed: frozen until the arbiter resolves it",
  closed: "closed",
};

/** What `me` may do with `e` now, as buttons (and the arbiter's split field). */
function actions(chain: Chain, s: Session, e: Escrow, now: number, report: (st: TxState, t: string) => void, redraw: () => Promise<void>): (string | Node)[] {
  const c = chain.d.contracts.payfi_escrow;
  const [unit, dec] = assetUnits(chain, e.asset);
  const me = s.address;
  const out: (string | Node)[] = [];
  const button = (label: string, testid: string, msg: () => EscrowMsg) => {
    const b = h("button", { type: "button", "data-testid": testid }, label);
    b.addEventListener("click", async () => {
      let m: EscrowMsg;
      try {
        m = msg();
      } catch (err) {
        report("failed", plain(err));
        return;
      }
      b.disabled = true;
      const done = await runTx(chain, [executeMsg(me, c, m)], "", report);
      b.disabled = false;
      if (done) await redraw().catch((err) => report("failed", `Sent, but the escrows could not be read again: ${plain(err)}`));
    });
    out.push(b);
  };
  const next = e.milestones.findIndex((m) => !m.released);
  const isArbiter = e.arbiter === me;
  if (e.status === "open") {
    if (next >= 0 && (e.payer === me || isArbiter)) {
      button(`Release milestone ${next + 1} (${fmt(e.milestones[next].amount, dec)} ${unit})`, `release-${e.id}`, () => ({ release_milestone: { escrow_id: e.id, milestone: next } }));
    }
    if (e.arbiter && (e.payer === me || e.payee === me)) {
      button("Dispute", `dispute-${e.id}`, () => ({ dispute: { escrow_id: e.id } }));
    }
    if (now >= Number(BigInt(e.expires_at) / 1_000_000_000n)) {
      button("Refund the rest to the payer", `refund-${e.id}`, () => ({ refund: { escrow_id: e.id } }));
    }
  }
  if (e.status === "disputed" && isArbiter) {
    const left = e.milestones.filter((m) => !m.released).reduce((t, m) => t + BigInt(m.amount), 0n);
    const [f, amount] = field(`${unit} to the payee (of ${fmt(left, dec)} left)`, { inputmode: "decimal", "data-testid": `resolve-amount-${e.id}` });
    out.push(f);
    button("Resolve", `resolve-${e.id}`, () => {
      // In the escrow's own asset and decimals; nothing to the payee is a split too.
      const a = /^0*(\.0*)?$/.test(amount.value.trim()) && amount.value.trim() !== "" ? "0" : parseAmount(amount.value, dec);
      if (BigInt(a) > left) throw new Error(`only ${fmt(left, dec)} ${unit} is left in escrow ${e.id}`);
      return { resolve: { escrow_id: e.id, payee_amount: a } };
    });
  }
  return out.length ? out : [h("p", {}, "Nothing for you to do on it now.")];
}

/** One escrow as a card (a table would be wider than a phone): its facts and what `s` may do. */
function card(chain: Chain, s: Session, e: Escrow, now: number, report: (st: TxState, t: string) => void, redraw: () => Promise<void>): HTMLElement {
  const me = s.address;
  const amt = (base: string) => assetAmount(chain, e.asset, base);
  const role = [e.payer === me && "payer", e.payee === me && "payee", e.arbiter === me && "arbiter"].filter(Boolean).join(", ") || "neither party";
  const released = e.milestones.filter((m) => m.released).length;
  const codes = [...e.coding.procedure_codes, ...e.coding.diagnosis_codes].join(" ") || "no codes";
  const fact = (k: string, v: string | Node, testid?: string) => [h("dt", {}, k), h("dd", { "data-testid": testid }, v)];
  return h(
    "article",
    { class: "escrow", "data-testid": "escrow", "data-escrow": String(e.id) },
    h("h4", {}, `Escrow ${e.id}: ${amt(e.total)}`),
    h(
      "dl",
      { class: "facts" },
      ...fact("You are", role),
      ...fact("Released", `${released} of ${e.milestones.length} milestones`, `escrow-released-${e.id}`),
      ...fact("Status", statusWords[e.status] ?? e.status, `escrow-status-${e.id}`),
      ...fact("Paid", `${amt(e.paid_to_payee)} to the payee, ${amt(e.fees_paid)} fees, ${amt(e.refunded)} refunded`, `escrow-paid-${e.id}`),
      ...fact("Coding", `${e.coding.payment_type.replace(/_/g, " ")}; ${codes}; invoice ${e.coding.invoice_ref}`),
      ...fact("Payer", h("code", {}, e.payer)),
      ...fact("Payee", h("code", {}, e.payee)),
      ...fact("Arbiter", e.arbiter ? h("code", {}, e.arbiter) : "none: nobody can dispute"),
    ),
    h("div", { class: "actions" }, ...actions(chain, s, e, now, report, redraw)),
  );
}

export const payfiScreen: Screen = sessionScreen({
  needWallet: "pay for care in milestones, or release, dispute and resolve the escrows you are part of",
  async render(chain, s) {
    const c = chain.d.contracts;
    const q = new PayfiEscrowQueryClient(chain.query, c.payfi_escrow);

    // New escrow.
    const [payeeF, payee] = field("Provider (payee) address", { required: true, "data-testid": "escrow-payee", autocomplete: "off" });
    const [arbiterF, arbiter] = field("Arbiter (insurer) address, optional", { "data-testid": "escrow-arbiter", autocomplete: "off" }, "Without one, nobody can dispute.");
    const [msF, ms] = field("Milestones in BTT, in order", { required: true, value: "60, 40", "data-testid": "escrow-milestones" }, "Comma-separated; the deposit is their sum.");
    const [daysF, days] = field("Days until the rest may be refunded", { required: true, value: "30", inputmode: "numeric", "data-testid": "escrow-days" });
    const [typeF, type] = select("Payment type", TYPES);
    type.dataset.testid = "escrow-type";
    const [procF, proc] = field("Procedure codes", { "data-testid": "escrow-procedures" }, "CPT, HCPCS or ICD-10-PCS, e.g. 99213");
    const [diagF, diag] = field("Diagnosis codes", { "data-testid": "escrow-diagnoses" }, "ICD-10, e.g. E11.9");
    const [invF, inv] = field("Invoice reference", { required: true, "data-testid": "escrow-invoice" }, "No names or notes: the chain is public.");
    const [createStatus, createReport] = txStatus("escrow-create-status");
    const submit = h("button", { type: "submit", "data-testid": "escrow-create" }, "Lock the payment");
    const form = h("form", { "aria-label": "New escrow" }, payeeF, arbiterF, msF, daysF, typeF, procF, diagF, invF, submit, createStatus);

    const listBox = h("div", { "data-testid": "escrows" });
    const [listStatus, listReport] = txStatus("escrow-action-status");
    // Every escrow the account pays or is paid by: the contract pages by id, oldest first, 50 at
    // most a page, so all pages are read (the newest are on the last).
    const every = async (page: (startAfter?: number) => Promise<{ escrows: Escrow[] }>) => {
      const out: Escrow[] = [];
      for (;;) {
        const { escrows } = await page(out.length ? out[out.length - 1].id : undefined);
        out.push(...escrows);
        if (escrows.length < 50) return out;
      }
    };
    const draw = async () => {
      const [paying, paid] = await Promise.all([
        every((startAfter) => q.escrowsByPayer({ payer: s.address, startAfter, limit: 50 })),
        every((startAfter) => q.escrowsByPayee({ payee: s.address, startAfter, limit: 50 })),
      ]);
      const all = [...paying, ...paid].sort((a, b) => b.id - a.id);
      const now = await chainTime(chain);
      listBox.replaceChildren(...(all.length ? all.map((e) => card(chain, s, e, now, listReport, draw)) : [h("p", { class: "empty" }, "No escrows yet: none you pay and none that pay you.")]));
    };

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (submit.disabled) return;
      // Off at once: a second click while the chain's time is read would lock a second escrow.
      submit.disabled = true;
      try {
        await lockPayment();
      } finally {
        submit.disabled = false;
      }
    });
    const lockPayment = async () => {
      let create: CreateEscrowMsg;
      let total = 0n;
      try {
        const milestones = ms.value.split(",").map((m) => parseAmount(m));
        total = milestones.reduce((t, m) => t + BigInt(m), 0n);
        const p = checkAddress(chain, payee.value);
        if (p === s.address) throw new Error("an escrow pays someone else");
        const d = Number(days.value);
        if (!Number.isInteger(d) || d < 1) throw new Error("days must be a whole number from 1");
        if (!INVOICE.test(inv.value.trim())) throw new Error(`"${inv.value.trim()}" is not an invoice reference: 1 to 40 of A-Z a-z 0-9 - _ / .`);
        create = {
          payee: p,
          arbiter: arbiter.value.trim() ? checkAddress(chain, arbiter.value) : null,
          milestones,
          expires_at: await expiryAfter(chain, d * 24),
          coding: {
            payment_type: type.value as PaymentType,
            procedure_codes: codes(proc.value, PROCEDURE, "procedure", 10),
            diagnosis_codes: codes(diag.value, DIAGNOSIS, "diagnosis", 12),
            invoice_ref: inv.value.trim(),
          },
        };
      } catch (err) {
        createReport("failed", `Not sent: ${plain(err)}`);
        return;
      }
      const hook = { create_escrow: create };
      const send: TokenExecuteMsg = { send: { contract: c.payfi_escrow, amount: total.toString(), msg: toBase64(toUtf8(JSON.stringify(hook))) } };
      const done = await runTx(chain, [executeMsg(s.address, c.btt, send)], "", createReport);
      if (done) {
        const id = done.events.flatMap((e) => (e.type === "wasm" ? e.attributes : [])).find((a) => a.key === "escrow_id")?.value;
        createReport("included", `Escrow ${id} holds ${fmt(total)} BTT for ${short(create.payee)} (tx ${done.hash.slice(0, 12)}…).`);
        await draw().catch((err) => listReport("failed", `Your escrows could not be read again: ${plain(err)}`));
      }
    };

    // An arbiter's (or anyone's) look at one escrow by number.
    const [lookF, look] = field("Escrow number", { inputmode: "numeric", "data-testid": "escrow-lookup" });
    const lookBtn = h("button", { type: "submit" }, "Show");
    const lookOut = h("div", { "data-testid": "escrow-found" });
    const lookForm = h("form", { "aria-label": "Find an escrow" }, lookF, lookBtn, lookOut);
    lookForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const id = Number(look.value);
      if (!Number.isInteger(id) || id < 1) {
        lookOut.replaceChildren(h("p", { class: "error" }, "An escrow number is a whole number from 1."));
        return;
      }
      try {
        const e = await q.escrow({ escrowId: id });
        const now = await chainTime(chain);
        const redraw = async () => lookForm.requestSubmit();
        lookOut.replaceChildren(card(chain, s, e, now, listReport, redraw));
      } catch (err) {
        lookOut.replaceChildren(h("p", { class: "error" }, /not found/.test(plain(err)) ? `There is no escrow ${id}.` : `Escrow ${id} could not be read: ${plain(err)}`));
      }
    });

    await draw();
    return h(
      "div",
      {},
      section("Pay for care in milestones", h("p", {}, "The BTT is locked for the provider; you (or the arbiter) release each milestone when it is delivered. After the expiry, what was never released can come back to you."), form),
      section("Your escrows", listBox, listStatus),
      section("Arbiters: find an escrow", h("p", {}, "An insurer or arbiter opens an escrow by its number to release, or to resolve a dispute."), lookForm),
      channelsSection(chain, s),
    );
  },
});
