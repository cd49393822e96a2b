// Investor: browse asset NFTs by class, see the fractional vaults and the shares held, claim
// revenue.
import { AssetNftQueryClient } from "../contracts/AssetNft.client";
import type { AllNftInfoResponseForAssetMetadata, AssetClass } from "../contracts/AssetNft.types";
import { FractionalQueryClient } from "../contracts/Fractional.client";
import type { ExecuteMsg as FractionalExecuteMsg, Vault } from "../contracts/Fractional.types";
import { TokenQueryClient } from "../contracts/Token.client";
import { executeMsg, runTx } from "../chain";
import { fmt, h, section, select, short, table, txStatus } from "../ui";
import type { Screen } from "../screen";

const CLASSES: [AssetClass | "", string][] = [
  ["", "All classes"],
  ["medical_equipment", "Medical equipment"],
  ["compute_resource", "Compute resources"],
  ["data_and_ip", "Data and IP"],
  ["service_delivery_rights", "Service delivery rights"],
];

export const investorScreen: Screen = {
  id: "investor",
  title: "Investor",
  async render(chain) {
    const c = chain.d.contracts;
    const nft = new AssetNftQueryClient(chain.query, c.asset_nft);
    const frac = new FractionalQueryClient(chain.query, c.fractional);
    const { tokens } = await nft.allTokens({ limit: 30 });
    const infos: [string, AllNftInfoResponseForAssetMetadata][] = await Promise.all(tokens.map(async (t) => [t, await nft.allNftInfo({ tokenId: t })] as [string, AllNftInfoResponseForAssetMetadata]));
    const { vaults } = await frac.vaults({ limit: 30 });
    const me = chain.session?.address;

    const [classF, cls] = select("Asset class", CLASSES);
    const list = h("div", {});
    const draw = () => {
      const shown = infos.filter(([, i]) => !cls.value || i.info.extension.class === cls.value);
      list.replaceChildren(
        table(
          "Asset NFTs",
          ["Token", "Class", "Owner", "Description"],
          shown.map(([t, i]) => [h("code", {}, t), i.info.extension.class.replace(/_/g, " "), short(i.access.owner), i.info.extension.description_uri]),
          "assets",
        ),
      );
    };
    cls.addEventListener("change", draw);
    draw();

    const [status, report] = txStatus("claim-revenue-status");
    const rows = await Promise.all(
      vaults.map(async (v: Vault) => {
        let mine = "—", claimable = "—";
        const cell: (string | Node)[] = [];
        if (me && v.share_token) {
          mine = fmt((await new TokenQueryClient(chain.query, v.share_token).balance({ address: me })).balance);
          const cl = await frac.claimable({ holder: me, vaultId: v.id });
          claimable = cl.claimable.map(([a, n]) => `${fmt(n)} ${"cw20" in a ? (a.cw20 === c.btt ? "BTT" : short(a.cw20)) : a.native}`).join(", ") || "0";
          if (cl.claimable.some(([, n]) => BigInt(n) > 0n)) {
            const b = h("button", { type: "button", "data-testid": `claim-vault-${v.id}` }, "Claim revenue");
            b.addEventListener("click", async () => {
              const msg: FractionalExecuteMsg = { claim: { vault_id: v.id } };
              b.disabled = true;
              await runTx(chain, [executeMsg(me, c.fractional, msg)], "", report);
              b.disabled = false;
            });
            cell.push(b);
          }
        }
        return [String(v.id), h("code", {}, v.token_id), typeof v.status === "string" ? v.status : Object.keys(v.status)[0], `${fmt(v.total_shares)}`, mine, claimable, ...(cell.length ? cell : ["—"])];
      }),
    );
    return h(
      "div",
      {},
      section("Healthcare assets", classF, list),
      section(
        "Fractional shares and revenue",
        me ? null : h("p", {}, "Connect your wallet to see your shares and claim revenue."),
        table("Vaults", ["Vault", "Asset", "Status", "Shares", "Yours", "Claimable", "Action"], rows, "vaults"),
        status,
      ),
    );
  },
};
