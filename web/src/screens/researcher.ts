// Researcher: build a research request from the criteria picked here, blind them through the
// blinding service's OPRF (over HTTP, from the browser), seal them with the researcher's contact
// to the matching node's Noise key (the browser package, wasm, loaded only when a request is
// made), pay for it as an escrow job of the matching model with the wallet, and follow it until
// the node's `matching` attestation lands: the match commitment and who attested it
// (offchain/matching/docs/ROLES.md, steps 1-5). The server says which matching service it offers
// in `/research.json`; without one, the screen only follows requests.
//
// The matched set S_i reaches the researcher's BitChat client (QUIC over UDP), which a browser
// cannot receive: the page shows only the commitments the chain holds.
import { toBase64 } from "@cosmjs/encoding";
import type { ExecuteMsg as EscrowExecuteMsg, Job } from "../contracts/PayfiEscrow.types";
import { Chain, executeMsg, expiryAfter, parseExpiryHours, plain, runTx, sleep } from "../chain";
import { feeCurrency } from "../chaininfo";
import { blindPoints, clausesFrom, CONSENT_FIELD, loadResearchService, newResearchBatch, randomRequestId, type ResearchService } from "../research";
import { field, fmt, h, parseAmount, section, txStatus } from "../ui";
import { jobAndAttestation } from "./patient";
import { checkAddress } from "./wallet";
import type { Screen } from "../screen";

/** The model of research requests (bithive_interface::attestation::MATCHING_MODEL). */
export const MATCHING_MODEL = "bithive-matching-v1";
/** The escrow's limit on a job's input (bithive_interface::payfi_escrow::CreateJobMsg). */
const MAX_INPUT = 4096;
/** The escrow's job ids (bithive_interface::payfi_escrow). */
const JOB_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

function jobStatus(j: Job): string {
  const s = j.status;
  if (s === "open") return `open: waiting for matching node ${j.node ?? "?"} to match and attest`;
  if (s === "refunded") return "refunded to you";
  if ("reported" in s) return `matched and attested by ${s.reported.node}; paid to it after ${new Date(Number(s.reported.disputable_until) / 1e6).toISOString()} unless you dispute`;
  if ("disputed" in s) return `disputed: ${s.disputed.reason}`;
  return `paid to node ${s.paid.node}`;
}

/** The job's price in the coin it was paid with (the native coin, BTT or BTK; else base units). */
function paidText(chain: Chain, job: Job): string {
  const native = feeCurrency(chain.info);
  if ("native" in job.asset) {
    return job.asset.native === native.coinMinimalDenom ? `${fmt(job.amount, native.coinDecimals)} ${native.coinDenom}` : `${job.amount} ${job.asset.native}`;
  }
  const token = ({ [chain.d.contracts.btt]: "BTT", [chain.d.contracts.btk]: "BTK" } as Record<string, string>)[job.asset.cw20];
  return token ? `${fmt(job.amount)} ${token}` : `${job.amount} base units of ${job.asset.cw20}`;
}

/** The latest follow() of each box: an earlier one stops writing to it. */
const following = new WeakMap<HTMLElement, number>();

/**
 * Polls the job and its matching attestation until the attestation lands, the screen is left or
 * the box follows another request.
 */
function follow(chain: Chain, jobId: string, out: HTMLElement, left: () => boolean) {
  const mine = (following.get(out) ?? 0) + 1;
  following.set(out, mine);
  const stop = () => left() || following.get(out) !== mine;
  out.dataset.matched = "false";
  (async () => {
    while (!stop()) {
      try {
        // A matching attestation names the attestation contract itself (a record-only kind
        // whose payload points at the escrow job that paid for it).
        const [job, acc] = await jobAndAttestation(chain, jobId, "matching", chain.d.contracts.attestation);
        if (stop()) return;
        if (job.model !== MATCHING_MODEL) {
          out.replaceChildren(h("p", { class: "error", "data-testid": "research-error" }, `Job ${jobId} is a job of model ${job.model}, not a research request.`));
          return;
        }
        const rows = [
          h("dt", {}, "Job"), h("dd", {}, h("code", {}, job.job_id)),
          h("dt", {}, "Paid"), h("dd", {}, paidText(chain, job)),
          h("dt", {}, "Status"), h("dd", { "data-testid": "research-status" }, jobStatus(job)),
        ];
        if (acc) {
          const a = acc.attestation;
          rows.push(
            h("dt", {}, "Match commitment"), h("dd", {}, h("code", { "data-testid": "match-commitment" }, a.result_hash)),
            h("dt", {}, "Commitment to the matched set"), h("dd", {}, h("code", { "data-testid": "mask-commitment" }, a.commitments[0] ?? "none")),
            h("dt", {}, "Attested by"), h("dd", { "data-testid": "match-attestor" }, `node ${acc.node ?? "?"} (operator key ${a.signer}) in block ${acc.height}`),
            h("dt", {}, "Matched users"),
            h("dd", { "data-testid": "match-size" }, "sent with the matched set itself to your research client over BitChat, which a browser cannot receive; the chain holds only the commitments above, which your client checks the set against"),
          );
        }
        out.replaceChildren(h("dl", { class: "facts", "data-testid": "research-job" }, ...rows));
        out.dataset.matched = acc ? "true" : "false";
        if (acc) return;
      } catch (e) {
        if (stop()) return;
        if (/not found/.test(plain(e))) {
          out.replaceChildren(h("p", { class: "error", "data-testid": "research-error" }, `No escrow job ${jobId} on this chain: a request's id is <payer address>/<escrow job id>.`));
          return;
        }
        out.replaceChildren(h("p", { class: "error", "data-testid": "research-error" }, `Could not read the request: ${plain(e)}`));
      }
      await sleep(1000);
    }
  })();
}

/** How each field the matching service knows is asked for (others: by their name). */
const FIELD_TEXT: Record<string, { legend: string; hint: string }> = {
  cond: { legend: "Condition", hint: "Users with any of the conditions ticked." },
  age: { legend: "Age band", hint: "Users in any of the bands ticked." },
  region: { legend: "Region (optional)", hint: "Users in any of the regions ticked; none ticked: any region." },
  [CONSENT_FIELD]: { legend: "Consent (required)", hint: "Only users who gave this consent are matched." },
};

/**
 * A fieldset of checkboxes, one per value, each named by its label when the service gives one
 * (the code beside it, smaller); returns it and a reader of the ticked values.
 */
function choices(name: string, values: string[], labels: string[] | undefined, checked: string[]): [HTMLElement, () => string[]] {
  const text = FIELD_TEXT[name] ?? { legend: name, hint: "Users with any of the values ticked; none ticked: any value." };
  const hintId = `research-${name}-hint`;
  const boxes = values.map((v, i) => {
    const box = h("input", { type: "checkbox", name: `research-${name}`, value: v, checked: checked.includes(v), "data-testid": `research-${name}-${v}` });
    const label = labels?.[i];
    const shown = label ? [` ${label} `, h("small", { class: "code" }, v)] : [` ${v}`];
    return [h("label", { class: "choice" }, box, ...shown), box] as const;
  });
  const fs = h(
    "fieldset",
    { class: "choices", "aria-describedby": hintId, "data-testid": `research-field-${name}` },
    h("legend", {}, text.legend),
    h("small", { id: hintId }, text.hint),
    h("div", { class: "choice-list" }, ...boxes.map(([l]) => l)),
  );
  return [fs, () => boxes.filter(([, b]) => b.checked).map(([, b]) => b.value)];
}

/** The request form, for the server's matching service. */
function requestForm(chain: Chain, service: ResearchService, followBox: HTMLElement, stop: () => boolean): HTMLElement {
  const s = chain.requireSession();
  const native = feeCurrency(chain.info);
  const node = service.matching_node;
  const fields = service.fields.map((f) => [f.name, ...choices(f.name, f.values, f.labels, f.name === CONSENT_FIELD && f.values.includes("research") ? ["research"] : [])] as const);

  let requestId = randomRequestId();
  const idOut = h("output", { "data-testid": "research-request-id" }, requestId.toString());
  const idLine = h("p", {}, "Request id: ", idOut, h("br", {}), h("small", {}, "Random, chosen here; the node's match commitment names it, and only the node can read it."));
  const [jobF, job] = field("Escrow job id", { required: true, value: `research-${Date.now()}`, pattern: "[A-Za-z0-9_.:\\-]{1,64}", "data-testid": "research-job-id" }, "Your own id for the payment: letters, digits, - _ . :");
  const [amountF, amount] = field(`Price in ${native.coinDenom}`, { required: true, value: "2", inputmode: "decimal", "data-testid": "research-amount" });
  const [hoursF, hours] = field("Expires in hours", { required: true, value: "24", inputmode: "numeric", "data-testid": "research-hours" }, "Refunded to you if the node has not matched it by then");
  const [status, report] = txStatus("research-tx");
  const sealedInfo = h("p", { "aria-live": "polite", "data-testid": "research-sealed-info" });
  const submit = h("button", { type: "submit", "data-testid": "research-submit" }, "Blind, seal and pay");
  const form = h(
    "form",
    { "aria-label": "Pay for a research request", novalidate: true },
    ...fields.map(([, fs]) => fs),
    idLine, jobF, amountF, hoursF, submit, sealedInfo, status,
  );

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      await send();
    } finally {
      submit.disabled = false;
    }
  });

  async function send() {
    sealedInfo.textContent = "";
    delete sealedInfo.dataset.bytes;
    report("checking", "Checking your request…");
    let clauses: string[][], amt: string, expires: string, jobId: string;
    try {
      clauses = clausesFrom(service, Object.fromEntries(fields.map(([name, , read]) => [name, read()])));
      jobId = job.value.trim();
      if (!JOB_ID.test(jobId)) throw new Error("the escrow job id needs 1 to 64 letters, digits, - _ . or :");
      checkAddress(chain, node.address);
      amt = parseAmount(amount.value, native.coinDecimals);
      expires = await expiryAfter(chain, parseExpiryHours(hours.value));
    } catch (e) {
      report("failed", `Not sent: ${(e as Error).message}.`);
      return;
    }
    const tokens = clauses.reduce((n, c) => n + c.length, 0);
    let sealed: Uint8Array;
    try {
      report("checking", "Loading the blinding package…");
      const batch = await newResearchBatch(requestId, clauses);
      const points = JSON.parse(batch.request()) as string[];
      report("checking", `Blinding ${tokens} criterion values through the blinding service (it sees random points, never your criteria)…`);
      const answers = await blindPoints(service.blinding_url, points, {
        chainId: service.chain_id,
        address: s.address,
        sign: (data) => chain.signArbitrary(data, "the blinding service"),
      });
      sealed = batch.seal(JSON.stringify(answers), s.pubkey, node.noise_pubkey, chain.d.chain_id);
      batch.free?.();
    } catch (e) {
      report("failed", `Not sent: ${plain(e)}.`);
      return;
    }
    if (sealed.length > MAX_INPUT) {
      report("failed", `Not sent: the sealed request is ${sealed.length} bytes; the escrow takes at most ${MAX_INPUT}. Choose fewer values.`);
      return;
    }
    sealedInfo.dataset.bytes = String(sealed.length);
    sealedInfo.textContent = `Sealed to matching node ${node.address} (${sealed.length} bytes): blinded criteria and your contact, readable only by that node; public on chain once paid.`;
    const msg: EscrowExecuteMsg = {
      create_job: { job_id: jobId, model: MATCHING_MODEL, input: toBase64(sealed), expires_at: expires, node: node.address },
    };
    const done = await runTx(chain, [executeMsg(s.address, chain.d.contracts.payfi_escrow, msg, [{ denom: native.coinMinimalDenom, amount: amt }])], "", report);
    if (!done) return;
    follow(chain, `${s.address}/${jobId}`, followBox, stop);
    // The next request gets its own ids.
    requestId = randomRequestId();
    idOut.textContent = requestId.toString();
    job.value = `research-${Date.now()}`;
  }

  return section(
    "Pay for a research request",
    h("p", {}, `Matched by node ${node.address}. The ${native.coinDenom} goes into the escrow; the node is paid once its attestation lands and your dispute window has passed.`),
    form,
  );
}

export const researcherScreen: Screen = {
  async render(chain) {
    const about = section(
      "How a research request works",
      h("p", {}, "Your criteria never leave this page in the clear: it blinds them through the blinding service (which sees only random points) and seals them, with your contact, to the matching node's key. You pay for the match here; the node matches the blinded criteria against the enrolled users' blinded profiles, attests a commitment to the matched set on chain (which pays it after your dispute window) and sends the set to your research client, which encrypts your request's details to exactly those users."),
      h(
        "p",
        { "data-testid": "research-limits" },
        "The matched set itself goes to your BitChat research client (QUIC over UDP), which a browser cannot receive: this page shows the commitment the chain holds.",
      ),
    );
    const s = chain.session;
    if (!s) return h("div", {}, h("p", { "data-testid": "need-wallet" }, "Connect your wallet (top right) to pay for research requests."), about);
    let left = false;
    window.addEventListener("hashchange", () => (left = true), { once: true });
    const stop = () => left;
    const followBox = h("div", { "aria-live": "polite", "data-testid": "research-follow" });

    let request: HTMLElement;
    try {
      const service = await loadResearchService(new URL("research.json", window.location.href).toString());
      if (!service) {
        request = section(
          "Research requests",
          h("p", { "data-testid": "research-unavailable" }, "Research requests need a matching service, and this server offers none (no research.json): you can only follow requests already paid for, below."),
        );
      } else if (service.chain_id !== chain.d.chain_id) {
        request = section("Research requests", h("p", { class: "error", "data-testid": "research-unavailable" }, `The server's matching service is for chain "${service.chain_id}", not "${chain.d.chain_id}": no request can be made here.`));
      } else {
        request = requestForm(chain, service, followBox, stop);
      }
    } catch (e) {
      request = section("Research requests", h("p", { class: "error", "data-testid": "research-unavailable" }, `No request can be made: ${plain(e)}.`));
    }

    const [existingF, existing] = field("Request to follow", { autocomplete: "off", spellcheck: "false", "data-testid": "research-follow-id" }, "Its escrow job id: <your address>/<escrow job id>");
    const followBtn = h("button", { type: "submit", "data-testid": "research-follow-submit" }, "Follow");
    const followForm = h("form", { "aria-label": "Follow a research request" }, existingF, followBtn);
    followForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const jobId = existing.value.trim();
      if (!jobId) return;
      follow(chain, jobId, followBox, stop);
    });

    return h("div", {}, about, request, section("Follow a research request", followForm, followBox));
  },
};
