// Patient: pay for an inference job in BTT through the escrow (cw20 send with the escrow's
// create_job hook), follow it until its attestation lands (result hash, attestor), and claim
// patient activity rewards with a claim a verifier signed.
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { AttestationQueryClient } from "../contracts/Attestation.client";
import type { Accepted } from "../contracts/Attestation.types";
import { PayfiEscrowQueryClient } from "../contracts/PayfiEscrow.client";
import type { CreateJobMsg, Job } from "../contracts/PayfiEscrow.types";
import type { ExecuteMsg as RewardsExecuteMsg, PatientClaim } from "../contracts/Rewards.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { Chain, executeMsg, plain, runTx, sleep } from "../chain";
import { field, fmt, h, parseAmount, section, txStatus } from "../ui";
import { checkAddress } from "./wallet";
import type { Screen } from "../main";

/** The escrow's cw20 hook (bithive_interface::payfi_escrow::ReceiveMsg; not in the schema). */
type EscrowReceiveMsg = { create_job: CreateJobMsg };

/** Synthetic features of one row of the breast-cancer models (never real patient data). */
export const SAMPLE_FEATURES =
  "[13,20,85,550,0.1,0.1,0.08,0.05,0.18,0.06,0.4,1.2,2.8,40,0.007,0.025,0.03,0.012,0.02,0.0038,15,26,100,700,0.13,0.25,0.27,0.11,0.29,0.084]";

function jobStatus(j: Job): string {
  const s = j.status;
  if (s === "open") return j.node ? `open: waiting for node ${j.node} to run it and attest` : "open: waiting for a node to claim it";
  if (s === "refunded") return "refunded to you";
  if ("reported" in s) return `attested by ${s.reported.node}; paid to it after ${new Date(Number(s.reported.disputable_until) / 1e6).toISOString()} unless you dispute`;
  if ("disputed" in s) return `disputed: ${s.disputed.reason}`;
  return `paid to node ${s.paid.node}`;
}

function follow(chain: Chain, jobId: string, out: HTMLElement, stop: () => boolean) {
  const esc = new PayfiEscrowQueryClient(chain.query, chain.d.contracts.payfi_escrow);
  const att = new AttestationQueryClient(chain.query, chain.d.contracts.attestation);
  (async () => {
    while (!stop()) {
      try {
        const [job, acc] = await Promise.all([
          esc.job({ jobId }),
          att.attestation({ jobId, kind: "inference", contract: chain.d.contracts.payfi_escrow, chainId: chain.d.chain_id }) as Promise<Accepted | null>,
        ]);
        const rows = [h("dt", {}, "Job"), h("dd", {}, h("code", {}, job.job_id)), h("dt", {}, "Paid"), h("dd", {}, `${fmt(job.amount)} BTT`), h("dt", {}, "Status"), h("dd", { "data-testid": "job-status" }, jobStatus(job))];
        if (acc) {
          rows.push(
            h("dt", {}, "Result hash"), h("dd", {}, h("code", { "data-testid": "result-hash" }, acc.attestation.result_hash)),
            h("dt", {}, "Attested by"), h("dd", { "data-testid": "attestor" }, `node ${acc.node ?? "?"} (operator key ${acc.attestation.signer}) in block ${acc.height}`),
          );
        }
        out.replaceChildren(h("dl", { class: "facts", "data-testid": "job" }, ...rows));
        out.dataset.attested = acc ? "true" : "false";
        if (acc) return;
      } catch (e) {
        out.replaceChildren(h("p", { class: "error" }, `Could not read the job: ${plain(e)}`));
      }
      await sleep(1000);
    }
  })();
}

export const patientScreen: Screen = {
  id: "patient",
  title: "Patient",
  async render(chain) {
    const s = chain.session;
    if (!s) return h("p", { "data-testid": "need-wallet" }, "Connect your wallet (top right) to pay for inference jobs and claim rewards.");
    let left = false;
    window.addEventListener("hashchange", () => (left = true), { once: true });

    const [idF, id] = field("Job id", { required: true, value: `job-${Date.now()}`, pattern: "[A-Za-z0-9_.:\\-]{1,64}", "data-testid": "job-id" }, "Your own id for it: letters, digits, - _ . :");
    const [modelF, model] = field("Model", { required: true, value: "bc_logreg", "data-testid": "job-model" });
    const [inputF, input] = field("Input features", { required: true, value: SAMPLE_FEATURES, "data-testid": "job-input" }, "Public on chain: synthetic features or features encrypted to the node, never raw patient data");
    const [amountF, amount] = field("Price in BTT", { required: true, value: "5", inputmode: "decimal", "data-testid": "job-amount" });
    const [nodeF, node] = field("Node (optional)", { autocomplete: "off", spellcheck: "false", "data-testid": "job-node" }, "The node that runs it; empty: the first eligible node to claim it");
    const [hoursF, hours] = field("Expires in hours", { required: true, value: "24", inputmode: "numeric", "data-testid": "job-hours" });
    const [status, report] = txStatus("job-status-tx");
    const followBox = h("div", { "aria-live": "polite", "data-testid": "job-follow" });
    const submit = h("button", { type: "submit", "data-testid": "job-submit" }, "Pay and create job");
    const form = h("form", { "aria-label": "Pay for an inference job" }, idF, modelF, inputF, amountF, nodeF, hoursF, submit, status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let amt: string, nodeAddr: string | null, hrs: number;
      try {
        amt = parseAmount(amount.value);
        nodeAddr = node.value.trim() ? checkAddress(chain, node.value) : null;
        hrs = Number(hours.value);
        if (!Number.isInteger(hrs) || hrs < 1 || hrs > 24 * 30) throw new Error("expiry must be 1 to 720 hours");
      } catch (e) {
        report("failed", `Not sent: ${(e as Error).message}.`);
        return;
      }
      // Expiry from the chain's clock (the latest block), not the browser's.
      let now: number;
      try {
        now = Math.floor(new Date((await chain.query.getBlock()).header.time).getTime() / 1000);
      } catch (e) {
        report("failed", `Not sent: could not read the chain's time (${plain(e)}).`);
        return;
      }
      const hook: EscrowReceiveMsg = {
        create_job: {
          job_id: id.value.trim(),
          model: model.value.trim(),
          input: toBase64(toUtf8(input.value)),
          expires_at: String(BigInt(now + hrs * 3600) * 1_000_000_000n),
          node: nodeAddr,
        },
      };
      const send: TokenExecuteMsg = { send: { contract: chain.d.contracts.payfi_escrow, amount: amt, msg: toBase64(toUtf8(JSON.stringify(hook))) } };
      submit.disabled = true;
      const done = await runTx(chain, [executeMsg(s.address, chain.d.contracts.btt, send)], "", report);
      submit.disabled = false;
      if (done) follow(chain, `${s.address}/${id.value.trim()}`, followBox, () => left);
    });

    const [claimF, claim] = field("Signed activity claim (JSON from your verifier)", { "data-testid": "claim-json", autocomplete: "off", spellcheck: "false" });
    const [claimStatus, claimReport] = txStatus("claim-status");
    const claimBtn = h("button", { type: "submit", "data-testid": "claim-submit" }, "Claim reward");
    const claimForm = h("form", { "aria-label": "Claim a patient activity reward" }, claimF, claimBtn, claimStatus);
    claimForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let c: PatientClaim;
      try {
        c = JSON.parse(claim.value) as PatientClaim;
        if (!c || typeof c !== "object" || !c.activity_id || !c.signature) throw new Error("it needs activity, activity_id, issued_at, nonce, signature and verifier");
      } catch (e) {
        claimReport("failed", `Not sent: the claim is not a signed claim (${(e as Error).message}).`);
        return;
      }
      const msg: RewardsExecuteMsg = { claim_patient: { claim: c } };
      claimBtn.disabled = true;
      await runTx(chain, [executeMsg(s.address, chain.d.contracts.rewards, msg)], "", claimReport);
      claimBtn.disabled = false;
    });

    return h(
      "div",
      {},
      section("Pay for an inference job", h("p", {}, "The BTT goes into the escrow; the node is paid once its attestation lands and your dispute window has passed."), form, followBox),
      section("Activity rewards", h("p", {}, "Paste the claim your verifier signed for an activity (check-up, programme, …); the rewards contract pays its BTT."), claimForm),
    );
  },
};
