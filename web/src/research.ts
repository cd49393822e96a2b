// A research request built in the browser (offchain/matching/docs/ROLES.md, steps 1-3): the
// criteria the researcher picks become AND-of-OR clauses of `field=value` tokens, blinded through
// the blinding service's OPRF over HTTP and sealed to the matching node's Noise key by the browser
// package (offchain/browser, wasm, loaded only when a request is made). What the server offers comes
// from its research service descriptor (`GET /research.json`, served by `bithive web` when it
// has one). No DOM here: the researcher screen renders it.

/** One attribute the matching network knows, with the values a profile can have. */
export interface ResearchField {
  name: string;
  values: string[];
  /** What each value means in plain words, one per value; absent when the values say it. */
  labels?: string[];
}

/** `/research.json` (bithive_matching::service::ResearchService). */
export interface ResearchService {
  chain_id: string;
  /** The blinding service's origin (`POST {blinding_url}/v1/oprf`). */
  blinding_url: string;
  /** The node every request is sealed to and paid to. */
  matching_node: { address: string; noise_pubkey: string };
  /** Most criterion tokens the blinding service takes in one request. */
  max_tokens: number;
  fields: ResearchField[];
}

/** The field whose clause every request must carry: only users who consented are matched. */
export const CONSENT_FIELD = "consent";

/**
 * The server's research service, or null when it has none (404: plain `bithive web`); throws
 * when it cannot be read or is not a descriptor.
 */
export async function loadResearchService(url: string, fetchFn: typeof fetch = fetch): Promise<ResearchService | null> {
  let r: Response;
  try {
    r = await fetchFn(url, { cache: "no-store" });
  } catch (e) {
    throw new Error(`the research service description could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`the research service description could not be read (HTTP ${r.status})`);
  let v: unknown;
  try {
    v = await r.json();
  } catch {
    throw new Error("the research service description is not JSON");
  }
  return checkService(v);
}

/** Checks a descriptor's shape (what the screen and the package rely on). */
export function checkService(v: unknown): ResearchService {
  const s = v as Partial<ResearchService> | null;
  const bad = (why: string) => new Error(`the research service description is not usable: ${why}`);
  if (!s || typeof s !== "object") throw bad("not an object");
  if (typeof s.chain_id !== "string" || !s.chain_id) throw bad("no chain_id");
  if (typeof s.blinding_url !== "string" || !/^https?:\/\/[^/]+\/?$/.test(s.blinding_url)) throw bad("blinding_url is not an http(s) origin");
  const n = s.matching_node;
  if (!n || typeof n.address !== "string" || !n.address || typeof n.noise_pubkey !== "string" || !/^[0-9a-fA-F]{64}$/.test(n.noise_pubkey)) {
    throw bad("matching_node needs an address and a 32-byte hex noise_pubkey");
  }
  if (typeof s.max_tokens !== "number" || !Number.isInteger(s.max_tokens) || s.max_tokens < 1) throw bad("max_tokens is not a positive integer");
  if (!Array.isArray(s.fields) || s.fields.length === 0) throw bad("no fields");
  for (const f of s.fields) {
    if (!f || typeof f.name !== "string" || !/^[A-Za-z0-9_]+$/.test(f.name) || !Array.isArray(f.values) || f.values.length === 0
      || !f.values.every((x) => typeof x === "string" && x.length > 0)) {
      throw bad(`field ${JSON.stringify(f?.name)} needs a name and values`);
    }
    if (f.labels !== undefined && (!Array.isArray(f.labels) || f.labels.length !== f.values.length
      || !f.labels.every((x) => typeof x === "string" && x.length > 0))) {
      throw bad(`field ${JSON.stringify(f.name)}: labels, when given, are one non-empty text per value`);
    }
  }
  return s as ResearchService;
}

/**
 * The request's clauses from the values chosen per field: one OR clause per field with a value
 * chosen, ANDed in the descriptor's order; a field left empty matches any value. Throws (the
 * message is shown as "Not sent: ...") when nothing is chosen, the consent clause is missing, a
 * value is not the field's, or there are more tokens than the blinding service takes.
 */
export function clausesFrom(service: ResearchService, chosen: Record<string, string[]>): string[][] {
  const clauses: string[][] = [];
  for (const f of service.fields) {
    const vals = [...new Set(chosen[f.name] ?? [])];
    for (const v of vals) if (!f.values.includes(v)) throw new Error(`"${v}" is not a value of ${f.name}`);
    if (vals.length) clauses.push(f.values.filter((v) => vals.includes(v)).map((v) => `${f.name}=${v}`));
  }
  for (const name of Object.keys(chosen)) {
    if ((chosen[name] ?? []).length && !service.fields.some((f) => f.name === name)) throw new Error(`the matching service has no field "${name}"`);
  }
  if (clauses.length === 0) throw new Error("choose at least one criterion (a condition, an age band, a region or a consent)");
  const consent = service.fields.find((f) => f.name === CONSENT_FIELD);
  if (consent && !(chosen[CONSENT_FIELD] ?? []).length) {
    throw new Error(`choose the consent the users must have given (e.g. ${consent.values[0]}): a research request matches only users by their consent`);
  }
  const tokens = clauses.reduce((n, c) => n + c.length, 0);
  if (tokens > service.max_tokens) throw new Error(`${tokens} criterion values chosen; the blinding service takes at most ${service.max_tokens} in one request`);
  return clauses;
}

/** A fresh request id: a random non-zero u64 (crypto.getRandomValues). */
export function randomRequestId(): bigint {
  const a = new BigUint64Array(1);
  do crypto.getRandomValues(a);
  while (a[0] === 0n);
  return a[0];
}

/** The blinding service refused or could not be reached; `message` is plain words. */
export class BlindingError extends Error {
  constructor(message: string, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

/** `Retry-After` as whole seconds from now (delta-seconds or an HTTP date), if given. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const t = header.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A wallet's `signArbitrary` (ADR-36) for the connected account: Keplr's and Leap's answer. */
export type ArbitrarySigner = (data: string) => Promise<{ pub_key: { value: string }; signature: string }>;

/** Who asks the blinding service: the researcher's account, signing each call with its wallet. */
export interface BlindingAuth {
  /** The chain the service serves (the research descriptor's `chain_id`). */
  chainId: string;
  address: string;
  sign: ArbitrarySigner;
}

let lastNonce = 0;

/** A nonce above every earlier one of this page (the service refuses a nonce it has seen). */
function nextNonce(): number {
  lastNonce = Math.max(Date.now(), lastNonce + 1);
  return lastNonce;
}

/**
 * What the account signs for one call (bithive_matching::admission::sign_text): the chain, the
 * nonce and the sha256 of the points; the wallet shows it to its owner.
 */
export async function signText(chainId: string, nonce: number, points: string[]): Promise<string> {
  const bytes = new TextEncoder().encode(points.map((p) => `${p.toLowerCase()}\n`).join(""));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return `BitHive blinding service\nchain: ${chainId}\nnonce: ${nonce}\npoints: ${points.length} sha256 ${hex}`;
}

/**
 * `POST {blinding_url}/v1/oprf`: the randomized points out, signed by the researcher's wallet (the
 * service answers only admitted accounts, within their quota), the service's answers back.
 */
export async function blindPoints(blindingUrl: string, points: string[], auth: BlindingAuth, fetchFn: typeof fetch = fetch): Promise<string[]> {
  const base = blindingUrl.replace(/\/+$/, "");
  const nonce = nextNonce();
  let signed: Awaited<ReturnType<ArbitrarySigner>>;
  try {
    signed = await auth.sign(await signText(auth.chainId, nonce, points));
  } catch (e) {
    throw new BlindingError(`your wallet did not sign the blinding request (${e instanceof Error ? e.message : String(e)})`);
  }
  const request = { points, auth: { signer: auth.address, pubkey: signed.pub_key.value, nonce, signature: signed.signature } };
  let r: Response;
  try {
    r = await fetchFn(`${base}/v1/oprf`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      cache: "no-store",
    });
  } catch (e) {
    throw new BlindingError(`the blinding service at ${base} is unreachable (${e instanceof Error ? e.message : String(e)})`);
  }
  let body: unknown = undefined;
  try {
    body = await r.json();
  } catch {
    // An answer that is not JSON: said below by status.
  }
  const said = body && typeof body === "object" && typeof (body as { error?: unknown }).error === "string" ? (body as { error: string }).error : "";
  if (r.status === 429) {
    const wait = retryAfterSeconds(r.headers.get("retry-after"));
    const when = wait === undefined ? "in a minute" : `in ${wait} s`;
    if (/quota/.test(said)) throw new BlindingError(`your account used its blinding quota for now: try again ${when}`, wait);
    throw new BlindingError(`the blinding service is rate limiting requests: try again ${when}`, wait);
  }
  if (r.status === 401) throw new BlindingError(`the blinding service did not accept your wallet's signature${said ? ` (${said})` : ""}`);
  if (r.status === 403) throw new BlindingError(`your account may not use the blinding service: ask the network's operator to admit it as a researcher${said ? ` (${said})` : ""}`);
  if (r.status === 409) throw new BlindingError("the blinding service saw this signed request before: send it again");
  if (r.status === 503) {
    const wait = retryAfterSeconds(r.headers.get("retry-after"));
    throw new BlindingError(`the blinding service is busy: try again ${wait === undefined ? "in a minute" : `in ${wait} s`}`, wait);
  }
  if (r.status === 413) throw new BlindingError(`the blinding service refused ${points.length} criterion values as too many${said ? ` (${said})` : ""}`);
  if (r.status === 400) throw new BlindingError(`the blinding service refused the request${said ? `: ${said}` : ""}`);
  if (!r.ok) throw new BlindingError(`the blinding service answered HTTP ${r.status}${said ? `: ${said}` : ""}`);
  const out = (body as { points?: unknown } | undefined)?.points;
  if (!Array.isArray(out) || out.length !== points.length || !out.every((p) => typeof p === "string" && /^[0-9a-fA-F]{64}$/.test(p))) {
    throw new BlindingError(`the blinding service's answer is not ${points.length} points`);
  }
  return out as string[];
}

/** The browser package's research request (offchain/browser `ResearchBatch`). */
export interface ResearchBatchLike {
  request(): string;
  seal(answersJson: string, accountPubkey: Uint8Array, nodeNoisePubkeyHex: string, chainId: string): Uint8Array;
  noisePublic(): string;
  free?(): void;
}

/** Loads the browser package (its own chunk and .wasm, fetched on first use) and starts a request. */
export async function newResearchBatch(requestId: bigint, clauses: string[][]): Promise<ResearchBatchLike> {
  const { browserPackage } = await import("./browser-package");
  const { ResearchBatch } = await browserPackage();
  return new ResearchBatch(requestId, JSON.stringify(clauses));
}
