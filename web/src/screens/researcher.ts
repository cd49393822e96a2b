// Researcher: pay for a research request (an escrow job of the matching model whose input is the
// request's blinded criteria sealed to the matching node) and follow it until the node's
// `matching` attestation lands: the match commitment and who attested it.
//
// What this page does not do yet, and why (said on the page too): blinding the criteria needs
// the blinding service's OPRF (offchain/matching/docs/ROLES.md, step 2), which no BitHive
// service offers over HTTP yet, and the matched set S_i reaches the researcher as a BitChat
// message (QUIC over UDP), which a browser cannot receive. So the sealed request comes from the
// researcher's client (the one `bithive demo` plays), and the matched-set size is not shown:
// the chain holds only commitments to S_i.
import { fromBase64 } from "@cosmjs/encoding";
import { AttestationQueryClient } from "../contracts/Attestation.client";
import type { Accepted } from "../contracts/Attestation.types";
import { PayfiEscrowQueryClient } from "../contracts/PayfiEscrow.client";
import type { ExecuteMsg as EscrowExecuteMsg, Job } from "../contracts/PayfiEscrow.types";
import { Chain, executeMsg, expiryAfter, parseExpiryHours, plain, runTx, sleep } from "../chain";
import { feeCurrency } from "../chaininfo";
import { field, fmt, h, parseAmount, section, txStatus } from "../ui";
import { checkAddress } from "./wallet";
import type { Screen } from "../main";

/** The model of research requests (bithive_interface::attestation::MATCHING_MODEL). */
export const MATCHING_MODEL = "bithive-matching-v1";
/** The escrow's limit on a job's input (bithive_interface::payfi_escrow::CreateJobMsg). */
const MAX_INPUT = 4096;

/** The sealed request as pasted (base64), checked for what the escrow would refuse anyway. */
export function parseSealed(text: string): string {
  const t = text.replace(/\s+/g, "");
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(t);
  } catch {
    throw new Error("the sealed request is not base64");
  }
  if (bytes.length === 0) throw new Error("the sealed request is empty");
  if (bytes.length > MAX_INPUT) throw new Error(`the sealed request is ${bytes.length} bytes; the escrow takes at most ${MAX_INPUT}`);
  return t;
}

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

/** Polls the job and its matching attestation until the attestation lands or the screen is left. */
function follow(chain: Chain, jobId: string, out: HTMLElement, stop: () => boolean) {
  const esc = new PayfiEscrowQueryClient(chain.query, chain.d.contracts.payfi_escrow);
  const att = new AttestationQueryClient(chain.query, chain.d.contracts.attestation);
  (async () => {
    while (!stop()) {
      try {
        // A matching attestation names the attestation contract itself (a record-only kind
        // whose payload points at the escrow job that paid for it).
        const [job, acc] = await Promise.all([
          esc.job({ jobId }),
          att.attestation({ jobId, kind: "matching", contract: chain.d.contracts.attestation, chainId: chain.d.chain_id }) as Promise<Accepted | null>,
        ]);
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
            h("dd", { "data-testid": "match-size" }, "sent to your research client over BitChat with the matched set itself; the chain holds only the commitments above, which your client checks the set against"),
          );
        }
        out.replaceChildren(h("dl", { class: "facts", "data-testid": "research-job" }, ...rows));
        out.dataset.matched = acc ? "true" : "false";
        if (acc) return;
      } catch (e) {
        out.replaceChildren(h("p", { class: "error", "data-testid": "research-error" }, `Could not read the request: ${plain(e)}`));
      }
      await sleep(1000);
    }
  })();
}

export const researcherScreen: Screen = {
  id: "researcher",
  title: "Researcher",
  async render(chain) {
    const about = section(
      "How a research request works",
      h("p", {}, "Your criteria never leave your research client in the clear: it blinds them through the blinding service and seals them, with your BitChat contact, to the matching node's key. You pay for the match here; the node matches the blinded criteria against the enrolled users' blinded profiles, attests a commitment to the matched set on chain (which pays it after your dispute window) and sends the set to your client, which encrypts your request's details to exactly those users."),
      h(
        "p",
        { "data-testid": "research-limits" },
        "Not in this page yet: blinding the criteria in the browser needs the blinding service's OPRF over HTTP, which no BitHive service offers yet, and the matched set comes over BitChat (QUIC over UDP), which a browser cannot receive. Paste the sealed request your research client made; this page pays for it and follows it until the match is attested.",
      ),
    );
    const s = chain.session;
    if (!s) return h("div", {}, h("p", { "data-testid": "need-wallet" }, "Connect your wallet (top right) to pay for research requests."), about);
    let left = false;
    window.addEventListener("hashchange", () => (left = true), { once: true });
    const native = feeCurrency(chain.info);

    const [idF, id] = field("Request id", { required: true, value: `research-${Date.now()}`, pattern: "[A-Za-z0-9_.:\\-]{1,64}", "data-testid": "research-id" }, "Your own id for it: letters, digits, - _ . :");
    const [sealedF, sealed] = field("Sealed request (base64)", { required: true, autocomplete: "off", spellcheck: "false", "data-testid": "research-sealed" }, "From your research client: blinded criteria and your contact, sealed to the matching node; public on chain, readable only by that node");
    const [nodeF, node] = field("Matching node", { required: true, autocomplete: "off", spellcheck: "false", "data-testid": "research-node" }, "The node the request is sealed to: only it can open and match it");
    const [amountF, amount] = field(`Price in ${native.coinDenom}`, { required: true, value: "2", inputmode: "decimal", "data-testid": "research-amount" });
    const [hoursF, hours] = field("Expires in hours", { required: true, value: "24", inputmode: "numeric", "data-testid": "research-hours" });
    const [status, report] = txStatus("research-tx");
    const followBox = h("div", { "aria-live": "polite", "data-testid": "research-follow" });
    const submit = h("button", { type: "submit", "data-testid": "research-submit" }, "Pay for the match");
    const form = h("form", { "aria-label": "Pay for a research request" }, idF, sealedF, nodeF, amountF, hoursF, submit, status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let input: string, amt: string, nodeAddr: string, expires: string;
      try {
        input = parseSealed(sealed.value);
        nodeAddr = checkAddress(chain, node.value);
        amt = parseAmount(amount.value, native.coinDecimals);
        expires = await expiryAfter(chain, parseExpiryHours(hours.value));
      } catch (e) {
        report("failed", `Not sent: ${(e as Error).message}.`);
        return;
      }
      const msg: EscrowExecuteMsg = {
        create_job: {
          job_id: id.value.trim(),
          model: MATCHING_MODEL,
          input,
          expires_at: expires,
          node: nodeAddr,
        },
      };
      submit.disabled = true;
      const done = await runTx(chain, [executeMsg(s.address, chain.d.contracts.payfi_escrow, msg, [{ denom: native.coinMinimalDenom, amount: amt }])], "", report);
      submit.disabled = false;
      if (done) follow(chain, `${s.address}/${id.value.trim()}`, followBox, () => left);
    });

    const [existingF, existing] = field("Request to follow", { autocomplete: "off", spellcheck: "false", "data-testid": "research-follow-id" }, "Its escrow job id: <your address>/<request id>");
    const followBtn = h("button", { type: "submit", "data-testid": "research-follow-submit" }, "Follow");
    const followForm = h("form", { "aria-label": "Follow a research request" }, existingF, followBtn);
    followForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const jobId = existing.value.trim();
      if (!jobId) return;
      follow(chain, jobId, followBox, () => left);
    });

    return h(
      "div",
      {},
      about,
      section("Pay for a research request", h("p", {}, `The ${native.coinDenom} goes into the escrow; the matching node is paid once its attestation lands and your dispute window has passed.`), form),
      section("Follow a research request", followForm, followBox),
    );
  },
};
