// My records: a patient's own records in the data vault. A file is encrypted in this page by
// the browser package before it leaves (its key derived from one wallet signature, never stored
// anywhere), minted as a record naming its content id, size and sha256, then sent to the server,
// which keeps only the file a record names. The owner opens a record here, shares it with one
// account for one purpose until a date (the record key sealed to the reading key that account
// published in the vault itself, ADR 017: looked up by address, never pasted), revokes a share
// and reads who accessed the record. Keys and signature match `bithive vault`:
// a record put here is read with `bithive vault get` by the same account, and a grantee reads
// a shared one with `bithive vault get --purpose`.
import { fromBase64, fromBech32, toBase64 } from "@cosmjs/encoding";
import { DataVaultQueryClient } from "../contracts/DataVault.client";
import type { ExecuteMsg as VaultMsg, Grant, GrantResponse, GrantsResponse, Purpose, QueryMsg as VaultQuery, Record as VaultRecord, RecordType } from "../contracts/DataVault.types";
import { type Chain, type TxState, chainTime, executeMsg, plain, runTx, sleep } from "../chain";
import { addressPrefix } from "../chaininfo";
import { copyButton, field, h, section, select, sessionScreen, short, table, txStatus } from "../ui";
import type { Screen } from "../screen";

/** The browser package, fetched only when a record is sealed or opened. */
async function browserPackage() {
  return (await import("../browser-package")).browserPackage();
}

/** Largest file sealed here (the browser package's MAX_RECORD_PLAINTEXT); larger ones go through
 * `bithive vault put`. */
export const MAX_RECORD_FILE = 16 * 1024 * 1024;

const TYPES: [RecordType, string][] = [
  ["lab_panel", "Lab report"],
  ["dicom_study", "Imaging study (DICOM)"],
  ["wearable_series", "Wearable data"],
  ["other", "Other (e.g. a FHIR bundle)"],
];
const PURPOSES: [Purpose, string][] = [
  ["treatment", "Treatment"],
  ["research", "Research"],
  ["public_health", "Public health"],
  ["education", "Education"],
];
const typeWords = (t: RecordType) => TYPES.find(([k]) => k === t)?.[1] ?? t;
const purposeWords = (p: string) => PURPOSES.find(([k]) => k === p)?.[1] ?? p;

/** The owner's signature of the vault's key text, per account, in this page's memory only:
 * never stored, gone on reload, on "Lock" and when the wallet switches accounts. */
const unlocked = new Map<string, Uint8Array>();

/** `ns` nanoseconds (a contract Timestamp) as a UTC date and time. */
const when = (ns: string | number) => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString().replace("T", " ").slice(0, 16) + " UTC";

/** Every grant a vault query lists (`grants` of a record, `grants_of` a grantee), 30 a page;
 * `query` builds a page's query from the last grant read. The generated client types
 * `start_after` as string[][] (ts-codegen reads the schema's tuple as an array of arrays), so
 * the query is sent with the schema's own type instead. */
async function allGrants(chain: Chain, vault: string, query: (last: Grant | undefined) => VaultQuery): Promise<GrantResponse[]> {
  const grants: GrantResponse[] = [];
  for (;;) {
    const page: GrantsResponse = await chain.query.queryContractSmart(vault, query(grants[grants.length - 1]?.grant ?? undefined));
    grants.push(...page.grants);
    if (page.grants.length < 30) return grants;
  }
}

/** The sealed file of record `id` from the server, or an error in plain words. */
async function fetchSealed(id: string): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(`/v1/records/${id}`, { cache: "no-store" });
  } catch (e) {
    throw new Error(`the server could not be reached (${plain(e)})`);
  }
  if (!r.ok) throw new Error((await r.text()).trim() || `HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Sends record `id`'s sealed file to the server (which checks it is the file the record names). */
async function sendSealed(id: string, sealed: Uint8Array): Promise<void> {
  let r: Response;
  try {
    r = await fetch(`/v1/records/${id}`, { method: "POST", body: sealed as BlobPart, headers: { "content-type": "application/octet-stream" } });
  } catch (e) {
    throw new Error(`the server could not be reached (${plain(e)})`);
  }
  if ((r.status === 404 || r.status === 405) && !(await r.clone().text()).includes("record")) {
    throw new Error("this server keeps no records (it was started without a content store)");
  }
  if (!r.ok) throw new Error((await r.text()).trim() || `HTTP ${r.status}`);
}

/** A record opened in the page: its text when it is text, and a download; `testid` prefixes
 * the elements' test ids (`record-text`, `record-download`). */
function plaintextView(id: string, bytes: Uint8Array, testid: string): HTMLElement[] {
  const text = asText(bytes);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
  return [
    text !== null ? h("pre", { "data-testid": `${testid}-text`, tabindex: 0 }, text) : h("p", {}, "Not text: download it to open it with its program."),
    h("p", {}, h("a", { href: url, download: `record-${id}`, "data-testid": `${testid}-download` }, `Download record ${id}`)),
  ];
}

/** A plaintext shown in the page when it is short UTF-8 text (JSON, CSV, a report). */
function asText(bytes: Uint8Array): string | null {
  if (bytes.length > 64 * 1024) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** Every logged access of record `id` (the vault's `log_access` events), oldest first. */
async function accessLog(chain: Chain, vault: string, id: string) {
  const txs = await chain.query.searchTx(`wasm._contract_address='${vault}' AND wasm.action='log_access' AND wasm.token_id='${id}'`);
  const out: { grantee: string; purpose: string; time: number; seq: number }[] = [];
  for (const t of txs) {
    if (t.code !== 0) continue;
    for (const e of t.events) {
      const a = (k: string) => e.attributes.find((x) => x.key === k)?.value;
      if (e.type !== "wasm" || a("_contract_address") !== vault || a("action") !== "log_access" || a("token_id") !== id) continue;
      out.push({ grantee: a("grantee") ?? "?", purpose: a("purpose") ?? "?", time: Number(a("time") ?? 0), seq: Number(a("seq") ?? 0) });
    }
  }
  return out.sort((x, y) => x.seq - y.seq);
}

export const recordsScreen: Screen = sessionScreen({
  needWallet: "keep your health records encrypted in the data vault and decide who reads them",
  async render(chain, s) {
    const vault = chain.d.contracts.data_vault;
    if (!vault) return h("p", {}, "This deployment has no data vault.");
    const q = new DataVaultQueryClient(chain.query, vault);
    const pkg = await browserPackage();
    const keyText = pkg.recordKeyText(chain.d.chain_id, vault);
    const root = h("div", { "data-testid": "records" });
    // The outcome of the last addition, shown again once the list is drawn with the new record.
    let added: [TxState, string] | null = null;

    const draw = async () => {
      const sig = unlocked.get(s.address);
      if (!sig) return root.replaceChildren(lockedView());
      root.replaceChildren(await unlockedView(sig));
    };

    const lockedView = () => {
      const [st, report] = txStatus("records-unlock-status");
      const btn = h("button", { type: "button", "data-testid": "records-unlock" }, "Unlock my records");
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        report("signing", "Waiting for your signature in the wallet (no transaction, no fee)…");
        try {
          const r = await chain.signArbitrary(keyText, "unlocking (`bithive vault` works without it)");
          if (r.pub_key.value !== toBase64(s.pubkey)) throw new Error("the wallet signed with another account's key");
          const sig = fromBase64(r.signature);
          if (sig.length !== 64) throw new Error(`the signature is ${sig.length} bytes, not 64`);
          unlocked.set(s.address, sig);
          await draw();
        } catch (e) {
          btn.disabled = false;
          report("failed", `Not unlocked: ${/reject|denied|cancel/i.test(plain(e)) ? "you rejected the request in your wallet" : plain(e)}.`);
        }
      });
      return section(
        "Unlock",
        h("p", {}, "Your records are encrypted with keys derived from one signature of your wallet. Nothing is stored: the signature stays in this page until you lock it or reload. The wallet shows this text:"),
        h("blockquote", { "data-testid": "records-key-text" }, keyText),
        btn,
        st,
      );
    };

    const unlockedView = async (sig: Uint8Array) => {
      const ids: string[] = [];
      for (;;) {
        const page = await q.tokens({ owner: s.address, startAfter: ids.length ? ids[ids.length - 1] : undefined, limit: 30 });
        ids.push(...page.tokens);
        if (page.tokens.length < 30) break;
      }
      const records = await Promise.all(ids.map(async (id) => [id, (await q.nftInfo({ tokenId: id })).extension as VaultRecord] as const));
      const detail = h("div", { "data-testid": "record-detail" });
      const rows = records.map(([id, r]) => {
        const open = h("button", { type: "button", "data-testid": `record-open-${id}` }, "Open");
        open.addEventListener("click", () => void showRecord(id, r, detail, sig));
        return [id, typeWords(r.record_type), `${r.size.toLocaleString("en")} B`, when(r.minted_at), h("span", { class: "code" }, short(r.content_id)), open];
      });
      const lock = h("button", { type: "button", "data-testid": "records-lock" }, "Lock");
      lock.addEventListener("click", () => {
        unlocked.delete(s.address);
        void draw();
      });
      return h(
        "div",
        {},
        section("Add a record", addForm(sig)),
        section(
          "Your records",
          records.length ? table("Records you own", ["Record", "Type", "Encrypted size", "Added", "Content id", ""], rows, "records-list") : h("p", { class: "empty", "data-testid": "records-list" }, "No records yet: add one above."),
          detail,
          h("p", {}, lock, " Locking forgets the signature in this page."),
        ),
        await sharedView(sig),
        await readingKeyView(sig),
        section(
          "What sharing can and cannot undo",
          h("p", {}, "A share gives one account the record's key for one purpose until a date. BitHive's apps log each read on chain before they open the record, but the vault cannot force that: the sealed key is on chain, where that account can read it without logging. Revoking stops the vault from giving the key out again and refuses that account's next access; the key stays in the chain's history, and a copy of the record or of its key the account already took stays with it. To cut that off, add the record again (a new key) and stop using the old one."),
        ),
      );
    };

    /** This account's reading key, and whether the vault holds it under the account: owners
     * share only to a published key, so that no one who relays a key between them can swap it. */
    const readingKeyView = async (sig: Uint8Array) => {
      const mine = pkg.readerKey(sig);
      const published = (await q.readingKey({ account: s.address })).reading_key;
      const [st, report] = txStatus("reading-key-status");
      const state = !published
        ? "Not published yet: whoever shares a record with you looks your key up by your address, so publish it first (one transaction)."
        : published.public_key === mine
          ? `Published in the vault on ${when(published.set_at)}: whoever shares a record with you finds it by your address.`
          : "The vault holds another key for your account (an older one): publish this one so that new shares open here.";
      const body: (Node | string)[] = [
        h("p", {}, "Whoever shares a record with you seals its key to this, so that you read it on this screen. It comes from the same signature as your own records' keys; nothing is stored. `bithive vault reading-key` prints the same."),
        h("p", {}, h("code", { "data-testid": "reading-key", class: "code" }, mine)),
        copyButton(mine, "Copy reading key", "copy-reading-key"),
        h("p", { "data-testid": "reading-key-state" }, state),
      ];
      if (published?.public_key !== mine) {
        const btn = h("button", { type: "button", "data-testid": "reading-key-publish" }, "Publish my reading key");
        btn.addEventListener("click", async () => {
          btn.disabled = true;
          const msg: VaultMsg = { set_reading_key: { public_key: mine } };
          const out = await runTx(chain, [executeMsg(s.address, vault, msg)], "", report);
          if (out) await draw();
          else btn.disabled = false;
        });
        body.push(btn);
      }
      body.push(st);
      return section("Your reading key", ...body);
    };

    const addForm = (sig: Uint8Array) => {
      const fileId = "record-file";
      const file = h("input", { type: "file", id: fileId, name: fileId, "data-testid": "record-file" });
      const fileF = h("div", { class: "field" }, h("label", { for: fileId }, "File"), file, h("small", {}, `A lab report, an imaging study, a FHIR JSON bundle; at most ${MAX_RECORD_FILE / 1024 / 1024} MiB. Encrypted here before it leaves.`));
      const [typeF, type] = select("What it is", TYPES);
      type.dataset.testid = "record-type";
      const [st, report] = txStatus("record-add-status");
      if (added) report(...added);
      added = null;
      const btn = h("button", { type: "submit", "data-testid": "record-add" }, "Encrypt and add");
      const form = h("form", {}, fileF, typeF, btn, st);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const f = file.files?.[0];
        if (!f) return report("failed", "Choose a file first. Nothing was sent.");
        if (f.size === 0) return report("failed", "The file is empty. Nothing was sent.");
        if (f.size > MAX_RECORD_FILE) {
          return report("failed", `The file is ${f.size.toLocaleString("en")} bytes; this page takes at most ${MAX_RECORD_FILE.toLocaleString("en")} (use \`bithive vault put\` for larger ones). Nothing was sent.`);
        }
        btn.disabled = true;
        try {
          report("checking", "Encrypting the file in this page…");
          const sealed = pkg.sealRecord(sig, new Uint8Array(await f.arrayBuffer()));
          const bytes = sealed.sealed();
          const msg: VaultMsg = { mint: { record: { content_id: sealed.cid, record_type: type.value as RecordType, size: bytes.length, ciphertext_sha256: sealed.sha256 } } };
          const out = await runTx(chain, [executeMsg(s.address, vault, msg)], "", report);
          if (!out) return;
          const id = out.events.flatMap((e) => (e.type === "wasm" ? e.attributes : [])).find((a) => a.key === "token_id")?.value;
          if (!id) return report("failed", "The record was added but its id was not in the answer: reload the page.");
          report("broadcast", `Record ${id} added; sending its encrypted file…`);
          // The record on chain names exactly this encrypted file (sealing again would give
          // another), so the page keeps it and tries again: after 1 s, 3 s, then on request.
          const done = () => {
            added = ["included", `Record ${id} added (${bytes.length.toLocaleString("en")} encrypted bytes, tx ${out.hash.slice(0, 12)}…). Only you can read it until you share it.`];
            return draw();
          };
          let last: unknown = null;
          for (const pause of [0, 1000, 3000]) {
            await sleep(pause);
            last = await sendSealed(id, bytes).then(() => null, (e: unknown) => e ?? "failed");
            if (last === null) break;
          }
          if (last === null) return await done();
          report("failed", `Record ${id} was added, but its encrypted file was not stored: ${plain(last)}. This page holds the file the record names: keep it open and send it again (reloading loses it; you would then add the record again).`);
          const resend = h("button", { type: "button", "data-testid": "record-resend" }, `Send record ${id}'s file again`);
          resend.addEventListener("click", async () => {
            resend.disabled = true;
            report("broadcast", `Sending record ${id}'s encrypted file…`);
            const e = await sendSealed(id, bytes).then(() => null, (e: unknown) => e ?? "failed");
            if (e === null) return done();
            report("failed", `Record ${id}'s encrypted file was not stored: ${plain(e)}. Keep this page open and try again.`);
            resend.disabled = false;
          });
          form.append(resend);
        } catch (e) {
          report("failed", `Not added: ${plain(e)}. Nothing was sent.`);
        } finally {
          btn.disabled = false;
        }
      });
      return form;
    };

    /** Opens record `id` into `detail`; `notice`: what the last action on it did (a share or a
     * revocation), said above the record once it is drawn again. */
    const showRecord = async (id: string, r: VaultRecord, detail: HTMLElement, sig: Uint8Array, notice?: string) => {
      const [st, report] = txStatus("record-open-status");
      detail.replaceChildren(
        h("h4", {}, `Record ${id}: ${typeWords(r.record_type)}`),
        ...(notice ? [h("p", { role: "status", class: "tx", "data-testid": "record-notice" }, notice)] : []),
        st,
      );
      report("checking", "Fetching the encrypted file and opening it in this page…");
      let plainBytes: Uint8Array;
      let sealed: Uint8Array;
      try {
        sealed = await fetchSealed(id);
        plainBytes = pkg.openRecord(sig, sealed, r.ciphertext_sha256);
      } catch (e) {
        return report("failed", `Could not open record ${id}: ${plain(e)}.`);
      }
      report("included", `Opened: ${plainBytes.length.toLocaleString("en")} bytes.`);
      detail.append(
        ...plaintextView(id, plainBytes, "record"),
        await sharesView(id, sealed, r, sig, detail),
        await logView(id),
      );
    };

    const sharesView = async (id: string, sealed: Uint8Array, r: VaultRecord, sig: Uint8Array, detail: HTMLElement) => {
      const grants = await allGrants(chain, vault, (last) => ({ grants: { token_id: id, start_after: last ? [last.grantee, last.purpose] : null, limit: 30 } }));
      const [rst, rreport] = txStatus("record-revoke-status");
      const rows = grants.flatMap((g) => {
        const x = g.grant;
        if (!x) return [];
        const state = g.live ? `until ${when(x.expires_at)}` : x.revoked_at ? `revoked ${when(x.revoked_at)}` : "expired";
        let action: Node | string = "";
        if (g.live) {
          const b = h("button", { type: "button", "data-testid": `record-revoke-${x.grantee}-${x.purpose}` }, "Revoke");
          b.addEventListener("click", async () => {
            b.disabled = true;
            const msg: VaultMsg = { revoke_access: { token_id: id, grantee: x.grantee, purpose: x.purpose } };
            const out = await runTx(chain, [executeMsg(s.address, vault, msg)], "", rreport);
            if (out) await showRecord(id, r, detail, sig, `Share with ${short(x.grantee)} for ${purposeWords(x.purpose).toLowerCase()} revoked in block ${out.height}: the vault refuses their next access.`);
            else b.disabled = false;
          });
          action = b;
        }
        return [[h("span", { title: x.grantee }, short(x.grantee)), purposeWords(x.purpose), state, action]];
      });

      const [toF, to] = field("Account", { required: true, autocomplete: "off", "data-testid": "share-to" }, `The reader's ${addressPrefix(chain.info)}1… address. The record's key is sealed to the reading key that account published in the vault (on its My records screen, or \`bithive vault reading-key --publish\`).`);
      const [whyF, why] = select("Purpose", PURPOSES);
      why.dataset.testid = "share-purpose";
      const [daysF, days] = field("Days", { required: true, inputmode: "numeric", value: "30", "data-testid": "share-days" }, "1 to 3650.");
      const [st, report] = txStatus("record-share-status");
      const btn = h("button", { type: "submit", "data-testid": "share" }, "Share");
      const form = h("form", {}, toF, whyF, daysF, btn, st);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const grantee = to.value.trim();
        try {
          if (fromBech32(grantee).prefix !== addressPrefix(chain.info)) throw new Error();
        } catch {
          return report("failed", `"${grantee}" is not a ${addressPrefix(chain.info)}1… address. Nothing was signed.`);
        }
        if (grantee === s.address) return report("failed", "That is your own account: you read your records without a share. Nothing was signed.");
        const n = Number(days.value);
        if (!Number.isInteger(n) || n < 1 || n > 3650) return report("failed", "Days: a whole number from 1 to 3650. Nothing was signed.");
        btn.disabled = true;
        try {
          report("checking", "Looking up their reading key in the vault…");
          const theirs = (await q.readingKey({ account: grantee })).reading_key;
          if (!theirs) {
            return report("failed", `${short(grantee)} has not published a reading key: ask them to open My records and press "Publish my reading key" (or run \`bithive vault reading-key --publish\`). Nothing was signed.`);
          }
          const wrapped = pkg.wrapRecordKey(sig, sealed, r.ciphertext_sha256, vault, id, grantee, theirs.public_key);
          const expires = String(BigInt((await chainTime(chain)) + n * 86_400) * 1_000_000_000n);
          const msg: VaultMsg = { grant_access: { token_id: id, grantee, purpose: why.value as Purpose, expires_at: expires, wrapped_key: toBase64(wrapped) } };
          const out = await runTx(chain, [executeMsg(s.address, vault, msg)], "", report);
          if (out) await showRecord(id, r, detail, sig, `Shared with ${short(grantee)} for ${purposeWords(why.value).toLowerCase()} for ${n} days (block ${out.height}), sealed to the reading key ${theirs.public_key.slice(0, 16)}… their account published.`);
        } catch (e) {
          report("failed", `Not shared: ${plain(e)}. Nothing was signed.`);
        } finally {
          btn.disabled = false;
        }
      });
      return h("div", {}, h("h4", {}, "Shared with"), table("Shares of this record", ["Account", "Purpose", "State", ""], rows, "record-shares"), rst, h("h4", {}, "Share it"), form);
    };

    /** The records others shared with this account: read here when a share was sealed to its
     * reading key; each read is logged on chain first (the owner's audit trail), as
     * `bithive vault get` does, and the vault refuses a share that is no longer live. */
    const sharedView = async (sig: Uint8Array) => {
      const grants = await allGrants(chain, vault, (last) => ({ grants_of: { grantee: s.address, start_after: last ? [last.token_id, last.purpose] : null, limit: 30 } }));
      const detail = h("div", { "data-testid": "shared-detail" });
      const rows = grants.flatMap((g) => {
        const x = g.grant;
        if (!x) return [];
        const state = g.live ? `until ${when(x.expires_at)}` : x.revoked_at ? `revoked ${when(x.revoked_at)}` : "expired, or the record changed hands";
        let action: Node | string = "";
        if (g.live) {
          const b = h("button", { type: "button", "data-testid": `shared-read-${x.token_id}-${x.purpose}` }, "Read");
          b.addEventListener("click", () => void readShared(x, detail, sig));
          action = b;
        }
        return [[x.token_id, purposeWords(x.purpose), state, action]];
      });
      return section("Shared with you", table("Records shared with you", ["Record", "Purpose", "State", ""], rows, "shared-list"), detail);
    };

    const readShared = async (x: Grant, detail: HTMLElement, sig: Uint8Array) => {
      const [st, report] = txStatus("shared-read-status");
      detail.replaceChildren(h("h4", {}, `Record ${x.token_id}, shared for ${purposeWords(x.purpose).toLowerCase()}`), st);
      // A share this page cannot open is said before the read is logged and paid for.
      try {
        pkg.checkSharedRecord(sig, vault, x.token_id, s.address, fromBase64(x.wrapped_key));
      } catch (e) {
        return report("failed", `Record ${x.token_id} cannot be read here: ${plain(e)}. Nothing was signed.`);
      }
      const msg: VaultMsg = { log_access: { token_id: x.token_id, purpose: x.purpose } };
      const out = await runTx(chain, [executeMsg(s.address, vault, msg)], "", report);
      if (!out) return;
      let bytes: Uint8Array;
      try {
        const r = (await q.nftInfo({ tokenId: x.token_id })).extension as VaultRecord;
        bytes = pkg.openSharedRecord(sig, vault, x.token_id, s.address, fromBase64(x.wrapped_key), await fetchSealed(x.token_id), r.ciphertext_sha256);
      } catch (e) {
        return report("failed", `Your read was logged (block ${out.height}), but record ${x.token_id} did not open: ${plain(e)}.`, out.hash);
      }
      report("included", `Opened: ${bytes.length.toLocaleString("en")} bytes; your read is in the owner's access log (block ${out.height}).`, out.hash);
      detail.append(...plaintextView(x.token_id, bytes, "shared"));
    };

    const logView = async (id: string) => {
      let rows: (string | Node)[][];
      try {
        rows = (await accessLog(chain, vault, id)).map((a) => [String(a.seq), new Date(a.time * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC", h("span", { title: a.grantee }, short(a.grantee)), purposeWords(a.purpose)]);
      } catch (e) {
        return h("p", { class: "error" }, `The access log could not be read: ${plain(e)}`);
      }
      return h("div", {}, h("h4", {}, "Who read it"), table("Reads of this record, logged on chain", ["#", "When", "Account", "Purpose"], rows, "record-log"));
    };

    await draw();
    return root;
  },
});
