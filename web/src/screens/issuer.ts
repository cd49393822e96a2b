// Asset issuer: issue a healthcare asset (its document hashed in the page, its jurisdictions and
// compliance markers), value one as a registered valuer, and lock one's own asset in the
// fractional vault for shares. Who may do what is read from the contracts: the asset contract's
// admin mints; where the admin is the deployment's DAO, a member proposes the mint (it exists once
// the members pass and execute it, on the Governance screen). What the contract would refuse when
// it runs (an id taken, an owner or the vault not approved where a jurisdiction admits approved
// holders only) is refused here first, with nothing signed: a DAO's mint is checked only after
// its vote. The same rules as `bithive asset mint | value | fractionalize`.
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { AssetNftQueryClient } from "../contracts/AssetNft.client";
import type { AssetClass, ComplianceMarker, ConfigResponse, ExecuteMsg as NftMsg, Jurisdiction } from "../contracts/AssetNft.types";
import type { AssetInfo } from "../contracts/Fractional.types";
import { DaoDaoCoreQueryClient } from "../contracts/DaoDaoCore.client";
import { DaoProposalSingleQueryClient } from "../contracts/DaoProposalSingle.client";
import type { CosmosMsgForEmpty } from "../contracts/DaoProposalSingle.types";
import { type Chain, type Session, executeMsg, plain, runTx } from "../chain";
import { checkAddress } from "./wallet";
import { field, h, parseAmount, section, select, sessionScreen, short, txStatus } from "../ui";
import type { Screen } from "../screen";

const CLASSES: [AssetClass, string][] = [
  ["medical_equipment", "Medical equipment"],
  ["compute_resource", "Compute resource"],
  ["data_and_ip", "Data and IP"],
  ["service_delivery_rights", "Service delivery rights"],
];

const MARKERS: [ComplianceMarker, string][] = [
  ["approved_holders_only", "Approved holders only"],
  ["medical_device_regulated", "Medical device regulated"],
  ["data_protection_regulated", "Data protection regulated"],
  ["export_controlled", "Export controlled"],
];

/** The fractional vault's cw721 hook (bithive_interface::fractional::FractionalizeMsg; not in
 * the schema, which has only the hook's envelope). */
interface FractionalizeMsg {
  shares: string;
  share_name: string;
  share_symbol: string;
  decimals: number;
  reserve_price: { asset: AssetInfo; amount: string };
  revenue_assets: AssetInfo[];
}

/** The DAO's pre-propose module, found from its core as any client would; null without a DAO. */
async function preProposeOf(chain: Chain): Promise<string | null> {
  const dao = chain.d.contracts.dao;
  if (!dao) return null;
  const modules = await new DaoDaoCoreQueryClient(chain.query, dao).activeProposalModules({});
  const enabled = modules.find((m) => m.status === "enabled");
  if (!enabled) return null;
  const policy = await new DaoProposalSingleQueryClient(chain.query, enabled.address).proposalCreationPolicy();
  return "module" in policy ? policy.module.addr : null;
}

/** `hex` of the sha256 of `bytes`. */
async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Where a jurisdiction admits approved holders only and `holder` is not approved: its codes. */
async function unapproved(nft: AssetNftQueryClient, jurisdictions: Jurisdiction[], holder: string): Promise<string[]> {
  const out: string[] = [];
  for (const j of jurisdictions.filter((j) => j.markers.includes("approved_holders_only"))) {
    if (!(await nft.holderApproved({ jurisdiction: j.code, holder }))) out.push(j.code);
  }
  return out;
}

/** Every item of a listing that pages by the last item (30 a page). */
async function allPages(page: (after?: string) => Promise<string[]>): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const items = await page(out[out.length - 1]);
    out.push(...items);
    if (items.length < 30) return out;
  }
}

/** Whether asset `id` exists; a chain that cannot be read is an error, not a "no". */
const exists = (nft: AssetNftQueryClient, id: string) =>
  nft.ownerOf({ tokenId: id }).then(
    () => true,
    (e: unknown) => {
      if (/not found/i.test(String(e))) return false;
      throw e;
    },
  );

export const issuerScreen: Screen = sessionScreen({
  needWallet: "issue healthcare assets, value them and lock yours for shares",
  async render(chain, s) {
    const c = chain.d.contracts;
    const nft = new AssetNftQueryClient(chain.query, c.asset_nft);
    const [config, valuers, mine, prePropose] = await Promise.all([nft.config(), allPages((after) => nft.valuers({ startAfter: after, limit: 30 }).then((r) => r.addresses)), allPages((after) => nft.tokens({ owner: s.address, startAfter: after, limit: 30 }).then((r) => r.tokens)), preProposeOf(chain)]);
    const byDao = !!c.dao && config.admin === c.dao;
    const isAdmin = config.admin === s.address;
    const who = isAdmin
      ? "You are the asset contract's admin: you issue assets."
      : byDao
        ? "The asset contract's admin is the DAO: a mint you submit here is a proposal, and the asset exists once the members pass it and one executes it (Governance)."
        : `Only the asset contract's admin (${short(config.admin)}) issues assets.`;
    const parts: HTMLElement[] = [h("p", { "data-testid": "issuer-role" }, who)];
    if (isAdmin || (byDao && prePropose)) parts.push(section(byDao ? "Propose an asset" : "Issue an asset", issueForm(chain, s, nft, config, byDao ? prePropose : null)));
    parts.push(
      section(
        "Value an asset",
        valuers.includes(s.address)
          ? valueForm(chain, s, config)
          : h("p", { class: "empty", "data-testid": "not-valuer" }, "Only registered valuers submit values; the asset contract's admin registers them."),
      ),
    );
    parts.push(
      section(
        "Lock your asset for shares",
        mine.length ? lockForm(chain, s, nft, mine) : h("p", { class: "empty", "data-testid": "no-assets" }, "You own no asset: the ones you are issued appear here."),
      ),
    );
    return h("div", {}, ...parts);
  },
});

function issueForm(chain: Chain, s: Session, nft: AssetNftQueryClient, config: ConfigResponse, prePropose: string | null): HTMLElement {
  const c = chain.d.contracts;
  const [idF, id] = field("Asset id", { required: true, autocomplete: "off", "data-testid": "issue-id" }, "1 to 64 of a-z A-Z 0-9 - _ . (never reused)");
  const [ownerF, owner] = field("Owner", { required: true, autocomplete: "off", value: s.address, "data-testid": "issue-owner" });
  const [classF, cls] = select("Class", CLASSES);
  cls.dataset.testid = "issue-class";
  const docId = "issue-document";
  const doc = h("input", { type: "file", id: docId, name: docId, "data-testid": "issue-document" });
  const docF = h("div", { class: "field" }, h("label", { for: docId }, "Document"), doc, h("small", {}, "Its sha256 goes on chain, computed in this page; the file does not leave it."));
  const [uriF, uri] = field("Where the document is published", { required: true, autocomplete: "off", placeholder: "ipfs://…", "data-testid": "issue-uri" }, "ipfs://, https:// or ar://");
  const [codeF, code] = field("Jurisdiction", { required: true, autocomplete: "off", value: "EU", "data-testid": "issue-jurisdiction" }, "2 to 8 of A-Z 0-9 - (US, EU, DE-BY)");
  const boxes = MARKERS.map(([m, words]) => {
    const box = h("input", { type: "checkbox", name: "issue-marker", value: m, "data-testid": `issue-marker-${m}` });
    return [box, h("label", { class: "choice" }, box, ` ${words}`)] as const;
  });
  const markers = h(
    "fieldset",
    { class: "choices", "aria-describedby": "issue-markers-hint" },
    h("legend", {}, "Its compliance markers"),
    h("small", { id: "issue-markers-hint" }, "Approved holders only: the asset goes only to holders the compliance officer approved for this jurisdiction."),
    h("div", { class: "choice-list" }, ...boxes.map(([, el]) => el)),
  );
  const [st, report] = txStatus("issue-status");
  const btn = h("button", { type: "submit", "data-testid": "issue" }, prePropose ? "Propose the mint" : "Issue the asset");
  const form = h("form", {}, idF, ownerF, classF, docF, uriF, codeF, markers, btn, st);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // Read once: what is checked is what is signed, whatever the form holds by then.
    const tokenId = id.value.trim();
    const to = owner.value.trim();
    const docUri = uri.value.trim();
    const assetClass = cls.value as AssetClass;
    const j: Jurisdiction = { code: code.value.trim(), markers: boxes.filter(([b]) => b.checked).map(([b]) => b.value as ComplianceMarker) };
    const refuse = (why: string) => report("failed", `${why} Nothing was signed.`);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(tokenId)) return refuse("The asset id is 1 to 64 of a-z A-Z 0-9 - _ . (no spaces).");
    try {
      checkAddress(chain, to);
      // The contract takes the lower-case form only (bech32 also allows all capitals).
      if (to !== to.toLowerCase()) throw new Error(`write the address in lower case`);
    } catch (e) {
      return refuse(`The owner: ${plain(e)}.`);
    }
    if (!/^[A-Z0-9-]{2,8}$/.test(j.code)) return refuse("The jurisdiction is 2 to 8 of A-Z 0-9 - (US, EU, DE-BY).");
    if (!/^(ipfs|https|ar):\/\/\S+$/.test(docUri)) return refuse("Where the document is published: an ipfs://, https:// or ar:// address.");
    const f = doc.files?.[0];
    if (!f || f.size === 0) return refuse("Choose the document describing the asset (it is hashed here, not sent).");
    btn.disabled = true;
    try {
      report("checking", "Checking the asset id and the owner's approvals…");
      if (await exists(nft, tokenId)) return refuse(`Asset ${tokenId} exists already: an id is never issued twice.`);
      const missing = await unapproved(nft, [j], to);
      if (missing.length) return refuse(`${short(to)} is not approved to hold assets of ${missing.join(", ")} (approved holders only): the compliance officer (${short(config.compliance_officer)}) approves it first.`);
      const msg: NftMsg = {
        mint: {
          token_id: tokenId,
          owner: to,
          token_uri: null,
          extension: { class: assetClass, description_uri: docUri, content_hash: await sha256Hex(await f.arrayBuffer()), jurisdictions: [j], certifications: [], device_pubkey: null },
        },
      };
      if (!prePropose) {
        const out = await runTx(chain, [executeMsg(s.address, c.asset_nft, msg)], "", report);
        if (out) report("included", `Asset ${tokenId} issued to ${short(to)} in block ${out.height}; its document's sha256 is on chain.`, out.hash);
        return;
      }
      const call: CosmosMsgForEmpty = { wasm: { execute: { contract_addr: c.asset_nft, msg: toBase64(toUtf8(JSON.stringify(msg))), funds: [] } } };
      const propose = { propose: { msg: { propose: { title: `Mint asset ${tokenId} to ${to}`, description: `${CLASSES.find(([k]) => k === assetClass)![1]}, document ${docUri}`, msgs: [call], vote: null } } } };
      const out = await runTx(chain, [executeMsg(s.address, prePropose, propose)], "", report);
      if (!out) return;
      const n = out.events.flatMap((e) => (e.type === "wasm" ? e.attributes : [])).find((a) => a.key === "proposal_id")?.value ?? "?";
      report("included", `Proposed as the DAO's proposal ${n}: asset ${tokenId} exists once the members pass it and one executes it (Governance).`, out.hash);
    } catch (e) {
      report("failed", `Not issued: ${plain(e)}. Nothing was signed.`);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function valueForm(chain: Chain, s: Session, config: ConfigResponse): HTMLElement {
  const unit = config.valuation.unit;
  const [idF, id] = field("Asset id", { required: true, autocomplete: "off", "data-testid": "value-id" });
  const [valF, val] = field(`Value (${unit})`, { required: true, inputmode: "numeric", autocomplete: "off", "data-testid": "value-amount" }, `A whole number of ${unit}; the asset's value is the median of the fresh values.`);
  const [st, report] = txStatus("value-status");
  const btn = h("button", { type: "submit", "data-testid": "value" }, "Submit the value");
  const form = h("form", {}, idF, valF, btn, st);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const tokenId = id.value.trim();
    if (!/^[1-9]\d{0,30}$/.test(val.value.trim())) return report("failed", `The value is a whole number of ${unit} above zero. Nothing was signed.`);
    btn.disabled = true;
    try {
      if (!(await exists(new AssetNftQueryClient(chain.query, chain.d.contracts.asset_nft), tokenId))) return report("failed", `There is no asset ${tokenId}. Nothing was signed.`);
      const msg: NftMsg = { submit_valuation: { token_id: tokenId, value: val.value.trim() } };
      const out = await runTx(chain, [executeMsg(s.address, chain.d.contracts.asset_nft, msg)], "", report);
      if (out) report("included", `Value ${val.value.trim()} ${unit} of asset ${tokenId} submitted in block ${out.height} (the Investor screen shows the median and its history).`, out.hash);
    } catch (e) {
      report("failed", `Not submitted: ${plain(e)}. Nothing was signed.`);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function lockForm(chain: Chain, s: Session, nft: AssetNftQueryClient, tokens: string[]): HTMLElement {
  const c = chain.d.contracts;
  const [assetF, asset] = select("Your asset", tokens.map((t) => [t, t]));
  asset.dataset.testid = "lock-asset";
  const [sharesF, shares] = field("Shares", { required: true, inputmode: "numeric", autocomplete: "off", value: "1000", "data-testid": "lock-shares" }, "How many shares, all minted to you (6 decimals).");
  const [nameF, name] = field("Share token name", { required: true, autocomplete: "off", "data-testid": "lock-name" }, "3 to 50 characters");
  const [symF, sym] = field("Share token symbol", { required: true, autocomplete: "off", "data-testid": "lock-symbol" }, "3 to 12 letters or -");
  const [resF, reserve] = field("Reserve price (BTT)", { required: true, inputmode: "decimal", autocomplete: "off", "data-testid": "lock-reserve" }, "Anyone paying this takes the asset; the shares then redeem it. Revenue is paid in BTT too.");
  const [st, report] = txStatus("lock-status");
  const btn = h("button", { type: "submit", "data-testid": "lock" }, "Lock for shares");
  const form = h("form", {}, assetF, sharesF, nameF, symF, resF, btn, st);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const refuse = (why: string) => report("failed", `${why} Nothing was signed.`);
    let count: string, price: string;
    try {
      count = parseAmount(shares.value, 6);
    } catch (e) {
      return refuse(`Shares: ${plain(e)}.`);
    }
    try {
      price = parseAmount(reserve.value, 6);
    } catch (e) {
      return refuse(`Reserve price: ${plain(e)} (above nothing: anyone could take the asset for free).`);
    }
    if (name.value.trim().length < 3 || name.value.trim().length > 50) return refuse("The share token's name is 3 to 50 characters.");
    if (!/^[A-Za-z-]{3,12}$/.test(sym.value.trim())) return refuse("The share token's symbol is 3 to 12 letters or -.");
    btn.disabled = true;
    try {
      report("checking", "Checking the vault may hold this asset…");
      const info = await nft.nftInfo({ tokenId: asset.value });
      const missing = await unapproved(nft, info.extension.jurisdictions, c.fractional);
      if (missing.length) return refuse(`The fractional vault is not approved to hold assets of ${missing.join(", ")}: the compliance officer approves it first.`);
      const btt: AssetInfo = { cw20: c.btt };
      const lock: FractionalizeMsg = { shares: count, share_name: name.value.trim(), share_symbol: sym.value.trim(), decimals: 6, reserve_price: { asset: btt, amount: price }, revenue_assets: [btt] };
      const msg: NftMsg = { send_nft: { contract: c.fractional, token_id: asset.value, msg: toBase64(toUtf8(JSON.stringify(lock))) } };
      const out = await runTx(chain, [executeMsg(s.address, c.asset_nft, msg)], "", report);
      if (!out) return;
      const vault = out.events.flatMap((e) => (e.type === "wasm" ? e.attributes : [])).find((a) => a.key === "vault_id")?.value ?? "?";
      report("included", `Asset ${asset.value} locked in vault ${vault} for ${shares.value.trim()} ${sym.value.trim()} shares, all yours (block ${out.height}); the Investor screen shows it.`, out.hash);
    } catch (e) {
      report("failed", `Not locked: ${plain(e)}. Nothing was signed.`);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}
