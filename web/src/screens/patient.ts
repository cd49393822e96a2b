// Patient: pay for an inference job in BTT through the escrow (cw20 send with the escrow's
// create_job hook), follow it until its attestation lands (result hash, attestor), and claim
// patient activity rewards with a claim a verifier signed. An image (X-ray JPEG or PNG, DICOM)
// is sealed in the page to the nodes allowed to run the model and sent to their store after the
// job is paid; its explanation (a saliency map) is opened here, checked against the
// attestation and drawn over the image (../imaging.ts).
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { AttestationQueryClient } from "../contracts/Attestation.client";
import type { Accepted, AttestationKind } from "../contracts/Attestation.types";
import { PayfiEscrowQueryClient } from "../contracts/PayfiEscrow.client";
import type { CreateJobMsg, ExecuteMsg as EscrowExecuteMsg, Job } from "../contracts/PayfiEscrow.types";
import { RewardsQueryClient } from "../contracts/Rewards.client";
import type { ExecuteMsg as RewardsExecuteMsg, PatientClaim } from "../contracts/Rewards.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { Chain, chainTime, executeMsg, expiryAfter, parseExpiryHours, plain, runTx, sleep, type TxState } from "../chain";
import { assetAmount, field, fmt, h, parseAmount, section, select, sessionScreen, table, txStatus } from "../ui";
import { checkAddress } from "./wallet";
import { allModels, isCurrent, modelRef } from "./models";
import { allowedNodes, drawSaliency, fetchExplanation, loadSealing, sealImage, uploadSealed } from "../imaging";
import type { Screen } from "../screen";

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

/** An escrow job and its attestation of `kind` on `contract` (null until one is accepted). */
export function jobAndAttestation(chain: Chain, jobId: string, kind: AttestationKind, contract: string): Promise<[Job, Accepted | null]> {
  const esc = new PayfiEscrowQueryClient(chain.query, chain.d.contracts.payfi_escrow);
  const att = new AttestationQueryClient(chain.query, chain.d.contracts.attestation);
  return Promise.all([esc.job({ jobId }), att.attestation({ jobId, kind, contract, chainId: chain.d.chain_id }) as Promise<Accepted | null>]);
}

function follow(chain: Chain, jobId: string, out: HTMLElement, stop: () => boolean, onAttested?: (acc: Accepted) => void) {
  (async () => {
    while (!stop()) {
      try {
        const [job, acc] = await jobAndAttestation(chain, jobId, "inference", chain.d.contracts.payfi_escrow);
        const rows = [h("dt", {}, "Job"), h("dd", {}, h("code", {}, job.job_id)), h("dt", {}, "Paid"), h("dd", {}, `${fmt(job.amount)} BTT`), h("dt", {}, "Status"), h("dd", { "data-testid": "job-status" }, jobStatus(job))];
        if (acc) {
          rows.push(
            h("dt", {}, "Result hash"), h("dd", {}, h("code", { "data-testid": "result-hash" }, acc.attestation.result_hash)),
            h("dt", {}, "Attested by"), h("dd", { "data-testid": "attestor" }, `node ${acc.node ?? "?"} (operator key ${acc.attestation.signer}) in block ${acc.height}`),
          );
        }
        out.replaceChildren(h("dl", { class: "facts", "data-testid": "job" }, ...rows));
        out.dataset.attested = acc ? "true" : "false";
        if (acc) {
          onAttested?.(acc);
          return;
        }
      } catch (e) {
        out.replaceChildren(h("p", { class: "error" }, `Could not read the job: ${plain(e)}`));
      }
      await sleep(1000);
    }
  })();
}

/** The escrow jobs `payer` created (its `create_job` events), newest first, at most `limit`. */
export async function jobsOf(chain: Chain, payer: string, limit = 20): Promise<Job[]> {
  const escrow = chain.d.contracts.payfi_escrow;
  const txs = await chain.query.searchTx(`wasm._contract_address='${escrow}' AND wasm.action='create_job' AND wasm.payer='${payer}'`);
  const ids: string[] = [];
  for (const t of [...txs].sort((a, b) => b.height - a.height)) {
    for (const e of t.events) {
      if (e.type !== "wasm" || !e.attributes.some((a) => a.key === "_contract_address" && a.value === escrow)) continue;
      const id = e.attributes.find((a) => a.key === "job_id")?.value;
      if (id && !ids.includes(id)) ids.push(id);
    }
  }
  const esc = new PayfiEscrowQueryClient(chain.query, escrow);
  const jobs = await Promise.all(ids.slice(0, limit).map((jobId) => esc.job({ jobId }).catch(() => null)));
  return jobs.filter((j): j is Job => j !== null);
}

/** What the payer may do with `j` at chain time `now` (seconds). */
export function payerAction(j: Job, now: number): "refund" | "dispute" | null {
  const s = j.status;
  if (s === "open") return now * 1e9 >= Number(j.expires_at) ? "refund" : null;
  if (typeof s === "object" && "reported" in s) return now * 1e9 < Number(s.reported.disputable_until) ? "dispute" : null;
  return null;
}

/** A pasted claim, with the fields `claim_patient` needs (the contract checks the rest). */
export function parseClaim(text: string): PatientClaim {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error("it is not JSON");
  }
  const c = v as Partial<PatientClaim> | null;
  const hex = (x: unknown, bytes: number) => typeof x === "string" && new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(x);
  if (!c || typeof c !== "object" || typeof c.activity_id !== "string" || !c.activity_id || !c.activity || typeof c.activity !== "object"
    || typeof c.issued_at !== "number" || typeof c.nonce !== "string" || !hex(c.signature, 64) || !hex(c.verifier, 33)) {
    throw new Error("it needs activity, activity_id, issued_at, nonce, a 64-byte hex signature and a 33-byte hex verifier key");
  }
  return c as PatientClaim;
}

/** The BTT the rewards contract transferred in a claim_patient transaction (its `amount`). */
function paidAmount(events: readonly { type: string; attributes: readonly { key: string; value: string }[] }[]): string | null {
  for (const e of events) {
    if (e.type !== "wasm") continue;
    const attr = (k: string) => e.attributes.find((a) => a.key === k)?.value;
    if (attr("action") === "claim_patient" && attr("amount")) return attr("amount")!;
  }
  return null;
}

export const patientScreen: Screen = sessionScreen({
  needWallet: "pay for inference jobs and claim rewards",
  async render(chain, s) {
    let left = false;
    window.addEventListener("hashchange", () => (left = true), { once: true });

    const [idF, id] = field("Job id", { required: true, value: `job-${Date.now()}`, pattern: "[A-Za-z0-9_.:\\-]{1,64}", "data-testid": "job-id" }, "Your own id for it: letters, digits, - _ . :");
    // The model: picked from the registry's current versions where the escrow takes only
    // registered models; otherwise any name, with the registry's models offered.
    // A registry that cannot be read leaves the field free (the escrow still checks the name).
    const [registry, escrowConfig] = await Promise.all([
      allModels(chain).catch(() => []),
      new PayfiEscrowQueryClient(chain.query, chain.d.contracts.payfi_escrow).config().catch(() => null),
    ]);
    const current = registry.filter(isCurrent);
    const list = h("datalist", { id: "registry-models" }, ...current.map((r) => h("option", { value: modelRef(r) }, `${r.model.specialty}, ${fmt(r.model.price)} BTT a run`)));
    const registered = Boolean(escrowConfig?.model_registry);
    const [modelF, model] = field(
      "Model",
      { required: true, value: current.length ? modelRef(current[current.length - 1]) : "bc_logreg", list: "registry-models", autocomplete: "off", "data-testid": "job-model" },
      registered
        ? `The escrow takes only registered, not deprecated models; current: ${current.length ? current.map(modelRef).join(", ") : "none is registered yet"} (see Models)`
        : "Any model the nodes serve; registered ones are offered (see Models)",
    );
    modelF.append(list);
    const [kindF, kind] = select("What the model reads", [
      ["features", "Features (public on chain)"],
      ["image", "An image, sealed in this page to the nodes (X-ray JPEG or PNG, DICOM)"],
    ]);
    kind.dataset.testid = "job-kind";
    const [inputF, input] = field("Input features", { required: true, value: SAMPLE_FEATURES, "data-testid": "job-input" }, "Public on chain: synthetic features or features encrypted to the node, never raw patient data");
    const [imageF, image] = field("Image", { type: "file", accept: "image/jpeg,image/png,.dcm,application/dicom", "data-testid": "job-image" },
      "Sealed in this page to the nodes allowed to run the model and bound to this job: only they open it; the chain holds its content id and sha256, never the image");
    const showKind = () => {
      const img = kind.value === "image";
      imageF.hidden = !img;
      inputF.hidden = img;
      input.required = !img;
      image.required = img;
    };
    kind.addEventListener("change", showKind);
    showKind();
    const [amountF, amount] = field("Price in BTT", { required: true, value: "5", inputmode: "decimal", "data-testid": "job-amount" });
    const [nodeF, node] = field("Node (optional)", { autocomplete: "off", spellcheck: "false", "data-testid": "job-node" }, "The node that runs it; empty: the first eligible node to claim it");
    const [hoursF, hours] = field("Expires in hours", { required: true, value: "24", inputmode: "numeric", "data-testid": "job-hours" });
    const [status, report] = txStatus("job-status-tx");
    const followBox = h("div", { "aria-live": "polite", "data-testid": "job-follow" });
    const explainBox = h("div", { "aria-live": "polite", "data-testid": "job-explanation" });
    const submit = h("button", { type: "submit", "data-testid": "job-submit" }, "Pay and create job");
    const form = h("form", { "aria-label": "Pay for an inference job" }, idF, modelF, kindF, inputF, imageF, amountF, nodeF, hoursF, submit, status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let amt: string, nodeAddr: string | null, expires: string;
      try {
        amt = parseAmount(amount.value);
        nodeAddr = node.value.trim() ? checkAddress(chain, node.value) : null;
        expires = await expiryAfter(chain, parseExpiryHours(hours.value));
      } catch (e) {
        report("failed", `Not sent: ${(e as Error).message}.`);
        return;
      }
      const jobId = `${s.address}/${id.value.trim()}`;
      explainBox.replaceChildren();
      // An image is sealed before anything is signed: what goes on chain is its reference only.
      let jobInput = input.value;
      let sealed: Awaited<ReturnType<typeof sealFor>> | null = null;
      if (kind.value === "image") {
        submit.disabled = true;
        try {
          sealed = await sealFor(jobId);
        } catch (e) {
          report("failed", `Not sent: ${(e as Error).message}.`);
          return;
        } finally {
          submit.disabled = false;
        }
        jobInput = sealed.jobInput;
      }
      const hook: EscrowReceiveMsg = {
        create_job: {
          job_id: id.value.trim(),
          model: model.value.trim(),
          input: toBase64(toUtf8(jobInput)),
          expires_at: expires,
          node: nodeAddr,
        },
      };
      const send: TokenExecuteMsg = { send: { contract: chain.d.contracts.payfi_escrow, amount: amt, msg: toBase64(toUtf8(JSON.stringify(hook))) } };
      submit.disabled = true;
      const done = await runTx(chain, [executeMsg(s.address, chain.d.contracts.btt, send)], "", report);
      submit.disabled = false;
      // The wallet may have broadcast a tx the page lost sight of (no answer in time): a paid
      // image job must still get its sealed file, which cannot be sealed the same way twice.
      const paid = done !== null || (sealed !== null && (await jobOnChain(jobId)));
      if (!paid) return;
      const run = ++runs;
      void refreshJobs();
      if (sealed) {
        const image = sealed;
        const onAttested = (acc: Accepted) => {
          // Only the latest submission draws its explanation.
          if (run === runs) explain(jobId, image.file, image.bytes, acc.attestation.result_hash);
        };
        // Paid: now the nodes' store takes the sealed file (it checks the job names it).
        if (await sendSealed(jobId, image.sealed, image.cid, onAttested)) follow(chain, jobId, followBox, () => left, onAttested);
      } else {
        follow(chain, jobId, followBox, () => left);
      }
    });

    let runs = 0;
    /** Whether the escrow holds job `jobId` (its payment landed). */
    const jobOnChain = async (jobId: string) => {
      try {
        await new PayfiEscrowQueryClient(chain.query, chain.d.contracts.payfi_escrow).job({ jobId });
        return true;
      } catch {
        return false;
      }
    };

    /** Reads the chosen image and seals it for `jobId` to the nodes allowed now. */
    const sealFor = async (jobId: string) => {
      const file = image.files?.[0];
      if (!file) throw new Error("choose an image file");
      const sealing = await loadSealing();
      if (!sealing) throw new Error("this server takes no images (it was started without --sealing-keys)");
      if (file.size === 0 || file.size > sealing.maxInputBytes) {
        throw new Error(`the image is ${file.size} bytes; the nodes take 1 to ${sealing.maxInputBytes}`);
      }
      report("checking", "Reading from staking which nodes may run the model…");
      const allowed = await allowedNodes(chain, sealing);
      if (allowed.length === 0) throw new Error("no node is allowed to run models now (bonded, compliant, never slashed)");
      report("checking", `Sealing the image in this page to ${allowed.length} node(s)…`);
      const bytes = new Uint8Array(await file.arrayBuffer());
      const out = await sealImage(jobId, bytes, sealing, allowed);
      return { file, bytes, sealed: out.sealed, cid: out.cid, jobInput: out.jobInput };
    };

    /** Sends the sealed image of a paid job; on failure offers to send it again. */
    const sendSealed = async (jobId: string, bytes: Uint8Array, cid: string, onAttested: (acc: Accepted) => void): Promise<boolean> => {
      report("broadcast", `Paid. Sending the sealed image (${Math.ceil(bytes.length / 1000)} kB) to the nodes' store…`);
      try {
        await uploadSealed(jobId, bytes, cid);
        report("included", `Paid, and the sealed image reached the nodes' store (content id ${cid}).`);
        return true;
      } catch (e) {
        report("failed", `Paid, but the sealed image did not reach the nodes: ${(e as Error).message}. Send it again, or the job refunds at its expiry.`);
        const again = h("button", { type: "button", "data-testid": "job-resend" }, "Send the sealed image again");
        again.addEventListener("click", async () => {
          again.disabled = true;
          if (await sendSealed(jobId, bytes, cid, onAttested)) {
            again.remove();
            follow(chain, jobId, followBox, () => left, onAttested);
          } else again.disabled = false;
        });
        followBox.replaceChildren(again);
        return false;
      }
    };

    /** Fetches, checks and draws the explanation of an attested image job. */
    const explain = async (jobId: string, file: File, bytes: Uint8Array, attestedHash: string) => {
      explainBox.replaceChildren(h("p", {}, "Fetching the explanation of the result from the node…"));
      try {
        const r = await fetchExplanation(jobId, bytes, attestedHash);
        const canvas = h("canvas", { class: "saliency", "data-testid": "saliency", role: "img", "aria-label": `Saliency map of ${r.label} over the image: red where hiding a patch lowers the result most` });
        const drawn = await drawSaliency(canvas, file, r.saliency);
        const p = r.probabilities[r.label_index] ?? 0;
        explainBox.replaceChildren(
          h("dl", { class: "facts", "data-testid": "explained" },
            h("dt", {}, "Job"), h("dd", {}, h("code", {}, jobId)),
            h("dt", {}, "Result"), h("dd", { "data-testid": "explained-label" }, `${r.label}, probability ${p.toFixed(4)}`),
            h("dt", {}, "Tscore"), h("dd", { "data-testid": "explained-tscore" }, r.tscore),
            h("dt", {}, "Checked"), h("dd", { "data-testid": "explained-check" }, `opened with your image's key and identical to the result attested on chain (${r.result_sha256.slice(0, 16)}…)`),
          ),
          canvas,
          h("p", {}, drawn
            ? `The ${r.saliency.grid}×${r.saliency.grid} occlusion map over your image: the redder a patch, the more hiding it lowered ${r.label}.`
            : `The browser cannot draw this image (DICOM): the ${r.saliency.grid}×${r.saliency.grid} occlusion map alone, the redder a patch the more hiding it lowered ${r.label}.`),
        );
        explainBox.dataset.checked = "true";
      } catch (e) {
        explainBox.replaceChildren(h("p", { class: "error" }, `No explanation: ${(e as Error).message}`));
        explainBox.dataset.checked = "false";
      }
    };

    // Your jobs: every job this account paid (from the chain's own events), with what it may do
    // now: dispute an attested result inside the window, take back an expired job's deposit.
    const [jobsStatus, jobsReport] = txStatus("jobs-tx");
    const jobsBox = h("div", { "data-testid": "my-jobs", "aria-live": "polite" });
    const refreshJobs = async () => {
      let jobs: Job[], now: number;
      try {
        [jobs, now] = await Promise.all([jobsOf(chain, s.address), chainTime(chain)]);
      } catch (e) {
        jobsBox.replaceChildren(h("p", { class: "error" }, `Could not read your jobs: ${plain(e)}`));
        return;
      }
      const act = async (j: Job, msg: EscrowExecuteMsg, btn: HTMLButtonElement) => {
        btn.disabled = true;
        const done = await runTx(chain, [executeMsg(s.address, chain.d.contracts.payfi_escrow, msg)], "", jobsReport);
        btn.disabled = false;
        if (done) await refreshJobs();
      };
      const rows = jobs.map((j) => {
        const clientId = j.job_id.slice(j.job_id.indexOf("/") + 1);
        let action: Node | string = "";
        const what = payerAction(j, now);
        if (what === "refund") {
          const b = h("button", { type: "button", "data-testid": `refund-${clientId}` }, "Take back the deposit");
          b.addEventListener("click", () => act(j, { refund_job: { job_id: j.job_id } }, b));
          action = b;
        } else if (what === "dispute") {
          const reason = h("input", { "aria-label": `What is wrong with job ${clientId}`, placeholder: "what is wrong", "data-testid": `dispute-reason-${clientId}`, maxlength: 256 });
          const b = h("button", { type: "button", "data-testid": `dispute-${clientId}` }, "Dispute");
          b.addEventListener("click", () => {
            if (!reason.value.trim()) {
              jobsReport("failed", "Not sent: say what is wrong with the result; the admin reads it when it resolves the dispute.");
              return;
            }
            act(j, { dispute_job: { job_id: j.job_id, reason: reason.value.trim() } }, b);
          });
          action = h("span", { class: "inline-form" }, reason, b);
        }
        return [h("code", {}, clientId), j.model, assetAmount(chain, j.asset, j.amount), h("span", { "data-testid": `my-job-status-${clientId}` }, jobStatus(j)), action];
      });
      jobsBox.replaceChildren(table("Your jobs, newest first", ["Job", "Model", "Paid", "Status", "What you can do"], rows, "my-jobs-table"));
    };
    const refresh = h("button", { type: "button", "data-testid": "my-jobs-refresh" }, "Refresh");
    refresh.addEventListener("click", () => refreshJobs());
    void refreshJobs();

    const [claimF, claim] = field("Signed activity claim (JSON from your verifier)", { "data-testid": "claim-json", autocomplete: "off", spellcheck: "false" }, "Your institution signs it for your account with `bithive rewards sign-patient-claim`");
    const [claimStatus, claimReport] = txStatus("claim-status");
    const paid = h("p", { "aria-live": "polite", "data-testid": "claim-paid" });
    const claimBtn = h("button", { type: "submit", "data-testid": "claim-submit" }, "Claim reward");
    const claimForm = h("form", { "aria-label": "Claim a patient activity reward" }, claimF, claimBtn, claimStatus, paid);
    const rewards = new RewardsQueryClient(chain.query, chain.d.contracts.rewards);
    claimForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      paid.textContent = "";
      let c: PatientClaim;
      try {
        c = parseClaim(claim.value);
      } catch (e) {
        claimReport("failed", `Not sent: the claim is not a signed claim (${(e as Error).message}).`);
        return;
      }
      // What the contract would refuse for anyone is said before the wallet is asked: an
      // activity pays once, and only a registered, active verifier's claim counts. The rest
      // (signed for another account, chain or contract, expired) is the contract's to refuse.
      try {
        const [rewarded, verifier] = await Promise.all([rewards.activity({ activityId: c.activity_id }), rewards.verifier({ pubkey: c.verifier })]);
        if (rewarded !== null) {
          claimReport("failed", `Not sent: activity "${c.activity_id}" was already rewarded (block ${rewarded}); a claim pays once.`);
          return;
        }
        if (!verifier || !verifier.active) {
          claimReport("failed", `Not sent: the claim's verifier key ${c.verifier.slice(0, 12)}… is not ${verifier ? "active" : "registered"} with the rewards contract; ask your institution.`);
          return;
        }
      } catch (e) {
        claimReport("failed", `Not sent: could not read the rewards contract (${plain(e)}).`);
        return;
      }
      const msg: RewardsExecuteMsg = { claim_patient: { claim: c } };
      // The contract rebuilds the signed statement with the sender as the patient: a claim made
      // out to someone else (or altered) fails its signature check, which deserves plain words.
      const report = (st: TxState, text: string) =>
        claimReport(st, st === "failed" && /signature does not verify/.test(text)
          ? `Failed: this claim is not made out to your account (${s.address}) on this chain, or it was altered; ask your institution for a claim signed for your address. Nothing changed.`
          : text);
      claimBtn.disabled = true;
      const done = await runTx(chain, [executeMsg(s.address, chain.d.contracts.rewards, msg)], "", report);
      claimBtn.disabled = false;
      const amount = done && paidAmount(done.events);
      if (amount) paid.textContent = `${fmt(amount)} BTT paid to you for activity "${c.activity_id}".`;
    });

    return h(
      "div",
      {},
      section("Pay for an inference job", h("p", {}, "The BTT goes into the escrow; the node is paid once its attestation lands and your dispute window has passed."), form, followBox, explainBox),
      section("Your jobs", h("p", {}, "Dispute an attested result inside its window (the payment is held until governance resolves it), or take back the deposit of a job no node answered before it expired."), refresh, jobsBox, jobsStatus),
      section("Activity rewards", h("p", {}, "Paste the claim your verifier signed for an activity (check-up, programme, …); the rewards contract pays its BTT."), claimForm),
    );
  },
});
