// Models: the registry's catalogue for patients choosing a model and institutes checking
// theirs: every version with its owner, price, attested accuracy, mean Tscore, jobs served and
// whether jobs may still name it. Read-only (no wallet); institutes publish with `bithive model
// publish`, which seals the model to the nodes allowed to run it before it is stored.
import { ModelRegistryQueryClient } from "../contracts/ModelRegistry.client";
import type { ModelResponse } from "../contracts/ModelRegistry.types";
import { TokenQueryClient } from "../contracts/Token.client";
import type { Chain } from "../chain";
import { fmt, h, section, short } from "../ui";
import type { Screen } from "../screen";

/** The registry's page size (its maximum). */
const PAGE = 30;

/** Every model in the registry, oldest first. */
export async function allModels(chain: Chain): Promise<ModelResponse[]> {
  const registry = chain.d.contracts.model_registry;
  if (!registry) return [];
  const q = new ModelRegistryQueryClient(chain.query, registry);
  const out: ModelResponse[] = [];
  for (;;) {
    const { models } = await q.models({ startAfter: out.length ? out[out.length - 1].model.id : undefined, limit: PAGE });
    out.push(...models);
    if (models.length < PAGE) return out;
  }
}

/** What a job's `model` field names for this version: `name@version`. */
export const modelRef = (r: ModelResponse) => `${r.model.name}@${r.model.version}`;

/** Jobs may name it: neither deprecated nor superseded (a newer version takes the bare name). */
export const isCurrent = (r: ModelResponse) => !r.model.deprecated && r.model.superseded_by == null;

function status(r: ModelResponse): string {
  if (r.model.deprecated) return "deprecated: jobs may not name it";
  if (r.model.superseded_by != null) return `superseded by model #${r.model.superseded_by}; a job naming ${modelRef(r)} still runs this version`;
  return "current";
}

/** The price asset: its symbol and decimals (a cw20's token info; a bank denom in base units). */
async function priceUnit(chain: Chain, r: ModelResponse): Promise<[string, number]> {
  const a = r.price_asset;
  if ("native" in a) return [a.native, 0];
  const info = await new TokenQueryClient(chain.query, a.cw20).tokenInfo();
  return [info.symbol, info.decimals];
}

function card(r: ModelResponse, [unit, decimals]: [string, number]): HTMLElement {
  const m = r.model;
  const row = (k: string, v: string | Node, testid?: string) => [h("dt", {}, k), h("dd", { "data-testid": testid }, v)];
  return h(
    "article",
    { class: "model", "data-testid": "model", "data-model": modelRef(r) },
    h("h4", {}, `${m.name} `, h("span", { class: "version" }, `version ${m.version}`)),
    h(
      "dl",
      { class: "facts" },
      ...row("Status", status(r), "model-status"),
      ...row("Specialty", m.specialty),
      ...row("Price", `${fmt(m.price, decimals)} ${unit} a run, to the owner`, "model-price"),
      ...row("Accuracy", m.accuracy != null ? `${(Number(m.accuracy) * 100).toFixed(1)} % on held-out data (attested evaluation ${m.evaluation ?? "?"})` : "not evaluated yet", "model-accuracy"),
      ...row("Jobs paid", `${m.jobs_served}${r.mean_tscore != null ? `, mean trust score ${Number(r.mean_tscore).toFixed(3)}` : ""}`, "model-jobs"),
      ...row("Input", m.input_spec),
      ...row("Output", m.output_spec),
      ...row("Owner", h("code", { title: m.owner }, short(m.owner))),
      ...row("Licence", m.licence),
      ...row("Stored", h("span", {}, h("code", {}, m.content_id), ` (${m.size_bytes.toLocaleString("en")} B, sealed to the nodes allowed to run it)`)),
      ...row("Model id", `#${m.id}`),
    ),
  );
}

export const modelsScreen: Screen = {
  async render(chain) {
    const models = await allModels(chain);
    const how = h(
      "p",
      {},
      "Institutes publish with ",
      h("code", {}, "bithive model publish"),
      ": it seals the model to the nodes allowed to run it (registered, compliant, bonded) before it is stored. Accuracy comes from the attestors' quorum evaluation, never from the owner.",
    );
    if (models.length === 0) {
      return h("div", {}, section("Models", h("p", { class: "empty", "data-testid": "models-empty" }, "No models are registered yet."), how));
    }
    const unit = await priceUnit(chain, models[0]);
    const newestFirst = [...models].reverse();
    const current = newestFirst.filter(isCurrent);
    const older = newestFirst.filter((r) => !isCurrent(r));
    return h(
      "div",
      {},
      section(
        "Models",
        h("p", { "data-testid": "models-count" }, `${current.length} current of ${models.length} registered versions.`),
        how,
        h("div", { class: "models", "data-testid": "models-current" }, ...current.map((r) => card(r, unit))),
      ),
      older.length ? section("Older and deprecated versions", h("div", { class: "models", "data-testid": "models-older" }, ...older.map((r) => card(r, unit)))) : null,
    );
  },
};
