// A patient's image through the web app (issue #47): sealed in the browser by the browser
// package to the nodes allowed to run the model and bound to the escrow job, stored by the
// server only for a job paid on chain that names it, and the explanation of its result (the
// relayer's occlusion saliency map) opened in the browser and accepted only if it is the result
// attested on chain. The image never leaves the page in the clear.
import { fromBase64, toHex } from "@cosmjs/encoding";
import { StakingQueryClient } from "./contracts/Staking.client";
import type { Chain } from "./chain";

/** The browser package, fetched only when an image is sealed or an explanation opened. */
async function browserPackage() {
  return (await import("./browser-package")).browserPackage();
}

/** `/sealing.json`: what `bithive web` serves when it has an imaging service. */
export interface Sealing {
  params: Uint8Array;
  encryptionKey: Uint8Array;
  /** Node account and its BGW index. */
  roster: [string, number][];
  maxInputBytes: number;
}

/** The occlusion saliency map of a result (bithive_inference_result::Saliency). */
export interface Saliency {
  grid: number;
  label_index: number;
  cells: number[];
  max_drop_ppm: number;
}

/** The attested result an explanation carries (bithive_inference_result::InferenceResult). */
export interface ExplainedResult {
  job_id: string;
  model: string;
  label: string;
  label_index: number;
  probabilities: number[];
  tscore: string;
  saliency: Saliency;
  domain_similarity?: number;
  result_sha256: string;
}

/** The server's sealing keys, or null when it takes no images (404); throws otherwise. */
export async function loadSealing(fetchFn: typeof fetch = fetch): Promise<Sealing | null> {
  let r: Response;
  try {
    r = await fetchFn("/sealing.json", { cache: "no-store" });
  } catch (e) {
    throw new Error(`the sealing keys could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`the sealing keys could not be read (HTTP ${r.status})`);
  const v = (await r.json().catch(() => null)) as { params?: unknown; encryption_key?: unknown; roster?: unknown; max_input_bytes?: unknown } | null;
  const roster = v?.roster;
  if (!v || typeof v.params !== "string" || typeof v.encryption_key !== "string" || typeof v.max_input_bytes !== "number"
    || !Array.isArray(roster) || !roster.every((e) => Array.isArray(e) && typeof e[0] === "string" && Number.isInteger(e[1]) && e[1] > 0)) {
    throw new Error("the sealing keys are not usable (params, encryption_key, roster, max_input_bytes)");
  }
  return { params: fromBase64(v.params), encryptionKey: fromBase64(v.encryption_key), roster: roster as [string, number][], maxInputBytes: v.max_input_bytes };
}

/**
 * The BGW indices of the roster's nodes allowed to run a model now, read from staking by the
 * page itself: registered, compliant, bonded at least `min_bond` and never slashed (the rule
 * `bithive model publish` seals by).
 */
export async function allowedNodes(chain: Chain, sealing: Sealing): Promise<number[]> {
  const staking = new StakingQueryClient(chain.query, chain.d.contracts.staking);
  const config = await staking.config();
  const allowed: number[] = [];
  for (const [node, index] of sealing.roster) {
    let n;
    try {
      n = await staking.node({ node });
    } catch (e) {
      if (/not found/.test(String(e))) continue;
      throw e;
    }
    if (Number(n.compliance) > 0 && BigInt(n.bonded) >= BigInt(config.min_bond ?? "0") && BigInt(n.slashed) === 0n) allowed.push(index);
  }
  return allowed;
}

/** `image` sealed for job `jobId` (`<payer>/<client id>`) to `recipients`. */
export async function sealImage(jobId: string, image: Uint8Array, sealing: Sealing, recipients: number[]) {
  const pkg = await browserPackage();
  const s = pkg.sealJobInput(jobId, image, sealing.params, sealing.encryptionKey, Uint32Array.from(recipients));
  const out = { sealed: s.sealed(), cid: s.cid, jobInput: s.jobInput };
  s.free();
  return out;
}

/** Sends the sealed file of a paid job to the nodes' store; the server must name the same id. */
export async function uploadSealed(jobId: string, sealed: Uint8Array, cid: string): Promise<void> {
  const r = await fetch(`/v1/inputs?job=${encodeURIComponent(jobId)}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: new Uint8Array(sealed),
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`the server did not take the sealed image: ${text.trim() || `HTTP ${r.status}`}`);
  let got: unknown;
  try {
    got = (JSON.parse(text) as { cid?: unknown }).cid;
  } catch {
    got = undefined;
  }
  if (got !== cid) throw new Error(`the server stored ${String(got)}, not the sealed image ${cid}`);
}

/** sha256(job id), hex: the name the explanation is published under. */
export async function explanationName(jobId: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(jobId))));
}

/**
 * The explanation of job `jobId`, fetched (waiting up to `waitMs` for the relayer to publish
 * it), opened with the key only this image gives, and checked against the attested result hash.
 */
export async function fetchExplanation(jobId: string, image: Uint8Array, attestedHash: string, waitMs = 60_000): Promise<ExplainedResult> {
  const url = `/v1/explanations/${await explanationName(jobId)}`;
  const until = Date.now() + waitMs;
  for (;;) {
    const r = await fetch(url, { cache: "no-store" });
    if (r.ok) {
      const v = (await r.json()) as { sealed?: unknown };
      if (typeof v.sealed !== "string") throw new Error("the relayer's explanation is not usable");
      const pkg = await browserPackage();
      return JSON.parse(pkg.openExplanation(jobId, image, fromBase64(v.sealed), attestedHash)) as ExplainedResult;
    }
    if (r.status !== 404 || Date.now() > until) throw new Error(`no explanation from the relayer (${(await r.text()).trim() || `HTTP ${r.status}`})`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/**
 * Draws the saliency map over the image on `canvas` (at most `maxWidth` px wide): red where
 * hiding a patch lowers the result's probability most. An image the browser cannot decode
 * (DICOM) gets the map alone on grey. Returns whether the image itself was drawn.
 */
export async function drawSaliency(canvas: HTMLCanvasElement, image: Blob, s: Saliency, maxWidth = 480): Promise<boolean> {
  let bitmap: ImageBitmap | null = null;
  try {
    bitmap = await createImageBitmap(image);
  } catch {
    bitmap = null;
  }
  const [w, hgt] = bitmap ? [bitmap.width, bitmap.height] : [s.grid * 32, s.grid * 32];
  const scale = Math.min(1, maxWidth / w);
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(hgt * scale));
  const ctx = canvas.getContext("2d");
  if (!ctx) return false;
  if (bitmap) {
    ctx.filter = "grayscale(1)";
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    ctx.filter = "none";
    bitmap.close();
  } else {
    ctx.fillStyle = "#808080";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  // The same cells the demo draws: the model saw the whole image resized, so cell (r, c) covers
  // the same fraction of the picture.
  for (let r = 0; r < s.grid; r++) {
    for (let c = 0; c < s.grid; c++) {
      const v = s.cells[r * s.grid + c] / 255;
      if (v <= 0) continue;
      const x0 = Math.round((c * canvas.width) / s.grid), x1 = Math.round(((c + 1) * canvas.width) / s.grid);
      const y0 = Math.round((r * canvas.height) / s.grid), y1 = Math.round(((r + 1) * canvas.height) / s.grid);
      ctx.fillStyle = `rgba(220, 0, 0, ${(0.55 * v).toFixed(3)})`;
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    }
  }
  return bitmap !== null;
}
