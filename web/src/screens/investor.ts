// Investor: browse asset NFTs by class with their valuation (the valuers' median) and its history
// as a chart; see the fractional vaults, the shares held and the revenue to claim; buy an asset at
// its reserve price; after a buyout, redeem shares for their part of the price. Cards, not
// tables: they fit a phone. Issuers mint, value and lock assets on the Asset issuer screen.
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { AssetNftQueryClient } from "../contracts/AssetNft.client";
import type { AllNftInfoResponseForAssetMetadata, AssetClass, ValuationEntry, ValuationResponse } from "../contracts/AssetNft.types";
import { FractionalQueryClient } from "../contracts/Fractional.client";
import type { AssetInfo, ExecuteMsg as FractionalExecuteMsg, Vault } from "../contracts/Fractional.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { TokenQueryClient } from "../contracts/Token.client";
import { Chain, executeMsg, runTx, type TxState } from "../chain";
import { cw20Units, fmt, h, section, select, short, txStatus } from "../ui";
import type { Screen } from "../screen";

const CLASSES: [AssetClass | "", string][] = [
  ["", "All classes"],
  ["medical_equipment", "Medical equipment"],
  ["compute_resource", "Compute resources"],
  ["data_and_ip", "Data and IP"],
  ["service_delivery_rights", "Service delivery rights"],
];

const SVG = "http://www.w3.org/2000/svg";

/** The valuation history, oldest to newest, as a small line chart with its range in words. */
export function valuationChart(entries: ValuationEntry[], unit: string): Node {
  if (entries.length === 0) return h("span", {}, "no valuations yet");
  const pts = [...entries].sort((a, b) => a.seq - b.seq).map((e) => Number(e.value));
  const lo = Math.min(...pts), hi = Math.max(...pts);
  const W = 200, H = 48, pad = 4;
  const x = (i: number) => pad + (pts.length === 1 ? (W - 2 * pad) / 2 : (i * (W - 2 * pad)) / (pts.length - 1));
  const y = (v: number) => (hi === lo ? H / 2 : H - pad - ((v - lo) * (H - 2 * pad)) / (hi - lo));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", String(W));
  svg.setAttribute("height", String(H));
  const words = `${pts.length} valuation${pts.length === 1 ? "" : "s"} from ${lo} to ${hi} ${unit}, latest ${pts[pts.length - 1]} ${unit}`;
  // The line is decoration for sighted readers; the words below say the same to everyone.
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", pts.map((v, i) => `${x(i)},${y(v)}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#1d4f91");
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  for (const [i, v] of pts.entries()) {
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", String(x(i)));
    dot.setAttribute("cy", String(y(v)));
    dot.setAttribute("r", "2.5");
    dot.setAttribute("fill", "#1d4f91");
    svg.append(dot);
  }
  return h("div", { class: "chart", "data-testid": "valuation-chart" }, svg, h("small", {}, words));
}

function valuationWords(v: ValuationResponse): string {
  return v.quorum_met && v.value != null
    ? `${v.value} ${v.unit} (median of ${v.submissions} fresh valuation${v.submissions === 1 ? "" : "s"})`
    : `none yet (${v.submissions} fresh of the ${v.quorum} needed)`;
}

/** An asset's symbol and decimals: a cw20's token info; a bank denom in base units. */
const unitOf = (chain: Chain, a: AssetInfo): Promise<[string, number]> => ("native" in a ? Promise.resolve([a.native, 0]) : cw20Units(chain, a.cw20));

function vaultStatus(v: Vault): string {
  const s = v.status;
  if (s === "active") return "active: anyone may buy the asset at its reserve price";
  if (s === "pending") return "being created";
  if ("bought_out" in s) return `bought out by ${short(s.bought_out.buyer)}: shares redeem the price`;
  return `reunified: ${short(s.reunified.holder)} took the asset back`;
}

export const investorScreen: Screen = {
  async render(chain) {
    const c = chain.d.contracts;
    const nft = new AssetNftQueryClient(chain.query, c.asset_nft);
    const frac = new FractionalQueryClient(chain.query, c.fractional);
    // Every asset and vault: both contracts page (30 at most a page).
    const tokens: string[] = [];
    for (;;) {
      const page = await nft.allTokens({ startAfter: tokens.length ? tokens[tokens.length - 1] : undefined, limit: 30 });
      tokens.push(...page.tokens);
      if (page.tokens.length < 30) break;
    }
    const infos = await Promise.all(
      tokens.map(async (t) => {
        const [info, valuation, history] = await Promise.all([
          nft.allNftInfo({ tokenId: t }),
          nft.valuation({ tokenId: t }),
          nft.valuationHistory({ tokenId: t, limit: 30 }),
        ]);
        return { t, info, valuation, history: history.entries } as {
          t: string;
          info: AllNftInfoResponseForAssetMetadata;
          valuation: ValuationResponse;
          history: ValuationEntry[];
        };
      }),
    );
    const vaults: Vault[] = [];
    for (;;) {
      const page = await frac.vaults({ startAfter: vaults.length ? vaults[vaults.length - 1].id : undefined, limit: 30 });
      vaults.push(...page.vaults);
      if (page.vaults.length < 30) break;
    }
    const me = chain.session?.address;
    const fact = (k: string, v: string | Node, testid?: string) => [h("dt", {}, k), h("dd", { "data-testid": testid }, v)];

    const [classF, cls] = select("Asset class", CLASSES);
    const list = h("div", { "data-testid": "assets" });
    const draw = () => {
      const shown = infos.filter(({ info }) => !cls.value || info.info.extension.class === cls.value);
      list.replaceChildren(
        ...(shown.length
          ? shown.map(({ t, info, valuation, history }) => {
              const m = info.info.extension;
              return h(
                "article",
                { class: "escrow", "data-testid": "asset", "data-asset": t },
                h("h4", {}, h("code", {}, t), ` ${m.class.replace(/_/g, " ")}`),
                h(
                  "dl",
                  { class: "facts" },
                  ...fact("Owner", h("code", {}, info.access.owner)),
                  ...fact("Document", h("code", {}, m.description_uri)),
                  ...fact("Jurisdictions", m.jurisdictions.map((j) => (j.markers.length ? `${j.code} (${j.markers.map((x) => x.replace(/_/g, " ")).join(", ")})` : j.code)).join("; ")),
                  ...fact("Valuation", valuationWords(valuation), `asset-valuation-${t}`),
                  ...fact("History", valuationChart(history, valuation.unit)),
                ),
              );
            })
          : [h("p", { class: "empty" }, "Healthcare assets: none of this class yet.")]),
      );
    };
    cls.addEventListener("change", draw);
    draw();

    const [status, report] = txStatus("claim-revenue-status");
    /** A button sending `msgs`; once included, `after` brings its card up to date. */
    const act = (label: string, testid: string, msgs: () => ReturnType<typeof executeMsg>[], rep: (s: TxState, t: string) => void, after: (card: HTMLElement) => void) => {
      const b = h("button", { type: "button", "data-testid": testid }, label);
      b.addEventListener("click", async () => {
        b.disabled = true;
        const done = await runTx(chain, msgs(), "", rep);
        b.disabled = false;
        const card = b.closest("article");
        if (done && card) {
          after(card);
          b.remove();
        }
      });
      return b;
    };
    const setFact = (card: HTMLElement, testid: string, text: string) => {
      const dd = card.querySelector(`[data-testid="${testid}"]`);
      if (dd) dd.textContent = text;
    };
    const cards = await Promise.all(
      vaults.map(async (v: Vault) => {
        const [unit, dec] = await unitOf(chain, v.reserve_asset);
        const actions: Node[] = [];
        let mine = 0n;
        let claimable = "—";
        const shareDec = v.share_token ? (await new TokenQueryClient(chain.query, v.share_token).tokenInfo()).decimals : 0;
        if (me && v.share_token) {
          mine = BigInt((await new TokenQueryClient(chain.query, v.share_token).balance({ address: me })).balance);
          const cl = await frac.claimable({ holder: me, vaultId: v.id });
          const owed = cl.claimable.filter(([, n]) => BigInt(n) > 0n);
          const words = await Promise.all(
            owed.map(async ([a, n]) => {
              const [unit, decimals] = await unitOf(chain, a);
              return `${fmt(n, decimals)} ${unit}`;
            }),
          );
          claimable = words.join(", ") || "0";
          if (owed.length) {
            actions.push(act("Claim revenue", `claim-vault-${v.id}`, () => [executeMsg(me, c.fractional, { claim: { vault_id: v.id } } satisfies FractionalExecuteMsg)], report, (card) => setFact(card, `vault-claimable-${v.id}`, "0 (claimed)")));
          }
          if (v.status === "active") {
            // Buy at the reserve: the vault takes the reserve asset (native funds or a cw20 send).
            const a = v.reserve_asset;
            const buy = () => [
              "native" in a
                ? executeMsg(me, c.fractional, { buyout: { vault_id: v.id } } satisfies FractionalExecuteMsg, [{ denom: a.native, amount: v.reserve_amount }])
                : executeMsg(me, a.cw20, { send: { contract: c.fractional, amount: v.reserve_amount, msg: toBase64(toUtf8(JSON.stringify({ buyout: { vault_id: v.id } }))) } } satisfies TokenExecuteMsg),
            ];
            actions.push(act(`Buy the asset for ${fmt(v.reserve_amount, dec)} ${unit}`, `buyout-vault-${v.id}`, buy, report, (card) => setFact(card, `vault-status-${v.id}`, "bought out by you: shares redeem the price")));
          }
          if (typeof v.status === "object" && "bought_out" in v.status && mine > 0n) {
            const redeem: TokenExecuteMsg = { send: { contract: c.fractional, amount: mine.toString(), msg: toBase64(toUtf8(JSON.stringify({ redeem: {} }))) } };
            actions.push(act("Redeem your shares", `redeem-vault-${v.id}`, () => [executeMsg(me, v.share_token!, redeem)], report, (card) => setFact(card, `vault-yours-${v.id}`, "0 (redeemed)")));
          }
        }
        return h(
          "article",
          { class: "escrow", "data-testid": "vault", "data-vault": String(v.id) },
          h("h4", {}, `Vault ${v.id}: asset `, h("code", {}, v.token_id)),
          h(
            "dl",
            { class: "facts" },
            ...fact("Status", vaultStatus(v), `vault-status-${v.id}`),
            ...fact("Shares", fmt(v.total_shares, shareDec)),
            ...fact("Reserve price", `${fmt(v.reserve_amount, dec)} ${unit}`),
            ...fact("Yours", me ? fmt(mine.toString(), shareDec) : "connect your wallet", `vault-yours-${v.id}`),
            ...fact("Revenue to claim", claimable, `vault-claimable-${v.id}`),
          ),
          actions.length ? h("div", { class: "actions" }, ...actions) : null,
        );
      }),
    );
    return h(
      "div",
      {},
      section("Healthcare assets", classF, list),
      section(
        "Fractional shares and revenue",
        me ? null : h("p", {}, "Connect your wallet to see your shares, claim revenue or buy an asset."),
        h("div", { "data-testid": "vaults" }, ...(cards.length ? cards : [h("p", { class: "empty" }, "Vaults: none yet.")])),
        status,
      ),
    );
  },
};
